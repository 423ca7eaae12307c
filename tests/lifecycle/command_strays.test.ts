// -c CMD: what the command started in the background ends with it when tsbpf ends the command
// (Ctrl-C, SIGTERM): `-c 'sh -c "sleep 300 & wait"'` left the sleep running under init. tsbpf's
// status is still the documented one (docs/lifecycle.md, "The tsbpf command").
import { after as afterAll, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTextFile } from "../../runtime/files.ts";
import { runCommand, type Running, waitFor } from "../kernel/util.ts";

declare const Bun: unknown;
const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const SCRIPT = new URL("./fixtures/getppid_tracer.ts", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "tsbpf-strays-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ONE_LINER = `tracepoint("syscalls:sys_enter_getppid", () => count())`;

/** tsbpf as the leader of its own process group (setsid), so that the test can send the group a terminal's Ctrl-C. */
function tsbpf(...args: string[]): Running {
  const runtime = typeof Bun !== "undefined" ? [process.execPath, MAIN] : [process.execPath, "run", "-A", "--quiet", MAIN];
  return runCommand("setsid", [...runtime, ...args], { NO_COLOR: "1" });
}

/** Whether the process is gone or a zombie (its parent, tsbpf or init, has not reaped it yet). */
function ended(pid: number): boolean {
  const stat = readTextFile(`/proc/${pid}/stat`);
  return stat === undefined || "ZX".includes(stat.charAt(stat.lastIndexOf(")") + 2));
}

let n = 0;
for (const [how, args] of [["one-liner", ["-e", ONE_LINER]], ["run", ["run", SCRIPT]]] as const) {
  for (const [signal, toGroup, status] of [["SIGTERM", false, 143], ["SIGINT", true, 130]] as const) {
    test(`${how} -c: ${signal} to tsbpf${toGroup ? "'s process group (Ctrl-C)" : ""} ends what the command started in the background too; status ${status}`, async () => {
      const pidFile = join(dir, `sleep${n++}`);
      const command = `sh -c 'sleep 300 & echo $! > ${pidFile}; wait'`;
      const run = tsbpf("-c", command, ...args);
      let sleep: number | undefined;
      try {
        const written = () => /^\d+\n$/.test(readTextFile(pidFile) ?? "");
        assert.ok(await waitFor(written, 300_000), `the command never started: ${run.output()}`);
        sleep = Number(readTextFile(pidFile));
        process.kill(toGroup ? -run.pid : run.pid, signal);
        assert.equal(await run.exited, status, run.output());
        assert.ok(await waitFor(() => ended(sleep!), 60_000), `the command's background sleep (pid ${sleep}) outlived tsbpf`);
      } finally {
        if (sleep !== undefined && !ended(sleep)) process.kill(sleep, "SIGKILL");
        run.kill("SIGKILL");
      }
    });
  }
}

// Ctrl-C reaches the command too (it is in the terminal's foreground group), and may end it
// before tsbpf has seen its own copy: the command then ends "by itself", of SIGINT, which left
// what it started running (a CI run saw it). A command that a stop signal ended has its
// background processes ended as when tsbpf ends it.
for (const [how, args] of [["one-liner", ["-e", ONE_LINER]], ["run", ["run", SCRIPT]]] as const) {
  test(`${how} -c: a command that SIGINT ends by itself has what it started in the background ended too; status 130`, async () => {
    const pidFile = join(dir, `sleep${n++}`);
    const command = `sh -c 'sleep 300 & echo $! > ${pidFile}; sleep 0.5; kill -INT $$'`;
    const run = tsbpf("-c", command, ...args);
    let sleep: number | undefined;
    try {
      assert.equal(await run.exited, 130, run.output());
      sleep = Number(readTextFile(pidFile));
      assert.ok(sleep > 0, `no pid written: ${run.output()}`);
      assert.ok(await waitFor(() => ended(sleep!), 60_000), `the command's background sleep (pid ${sleep}) outlived tsbpf`);
    } finally {
      if (sleep !== undefined && !ended(sleep)) process.kill(sleep, "SIGKILL");
      run.kill("SIGKILL");
    }
  });
}

// The same, with tsbpf's own signal arriving while it ends what the command left (after its
// tracers have stopped): that signal found no tracer running and ended tsbpf at once, leaving
// the stray to init. The stray here takes SIGTERM without ending (it notes it in a file), so
// tsbpf is still ending it, a second before its SIGKILL, when the test sends SIGINT.
for (const [how, args] of [["one-liner", ["-e", ONE_LINER]], ["run", ["run", SCRIPT]]] as const) {
  test(`${how} -c: SIGINT while tsbpf ends what the command left waits until that has ended; status 130`, async () => {
    const pidFile = join(dir, `stray${n}`), termed = join(dir, `termed${n++}`);
    const stray = `(trap "echo > ${termed}" TERM; while :; do sleep 0.05; done)`;
    const command = `sh -c '${stray} & echo $! > ${pidFile}; sleep 0.5; kill -INT $$'`;
    const run = tsbpf("-c", command, ...args);
    let strayPid: number | undefined;
    try {
      assert.ok(await waitFor(() => readTextFile(termed) !== undefined, 300_000), `the stray never got SIGTERM: ${run.output()}`);
      strayPid = Number(readTextFile(pidFile));
      assert.ok(strayPid > 0, `no pid written: ${run.output()}`);
      process.kill(run.pid, "SIGINT");
      assert.equal(await run.exited, 130, run.output());
      assert.ok(ended(strayPid), `what the command left (pid ${strayPid}) outlived tsbpf`);
    } finally {
      if (strayPid !== undefined && !ended(strayPid)) process.kill(strayPid, "SIGKILL");
      run.kill("SIGKILL");
    }
  });
}

// tsbpf adopts the orphans of the command's processes: those that end are reaped as init would
// reap them, while tsbpf runs (they stayed zombies under it until it ended, a pid each), and the
// command's own end is still tsbpf's status (its runtime, not the reaping, takes its status).
for (const [how, args] of [["one-liner", ["-e", ONE_LINER]], ["run", ["run", SCRIPT]]] as const) {
  test(`${how} -c: an adopted orphan that ends is reaped while tsbpf runs; the command's status is still tsbpf's`, async () => {
    const pidFile = join(dir, `orphan${n}`), go = join(dir, `go${n++}`);
    const orphan = `sh -c "sleep 0.2 & echo \\$! > ${pidFile}"`;
    const command = `sh -c '${orphan}; while [ ! -e ${go} ]; do sleep 0.05; done; exit 7'`;
    const run = tsbpf("-c", command, ...args);
    let orphanPid: number | undefined;
    try {
      const written = () => /^\d+\n$/.test(readTextFile(pidFile) ?? "");
      assert.ok(await waitFor(written, 300_000), `the command never started: ${run.output()}`);
      orphanPid = Number(readTextFile(pidFile));
      assert.ok(await waitFor(() => readTextFile(`/proc/${orphanPid}/stat`) === undefined, 60_000), `the ended orphan ${orphanPid} is still a zombie: ${readTextFile(`/proc/${orphanPid}/stat`)}`);
      assert.ok(!ended(run.pid), `tsbpf ended before the command did: ${run.output()}`);
      writeFileSync(go, "");
      assert.equal(await run.exited, 7, run.output());
    } finally {
      if (orphanPid !== undefined && !ended(orphanPid)) process.kill(orphanPid, "SIGKILL");
      run.kill("SIGKILL");
    }
  });
}

// What the command left can have left something too: `sh -c 'sh -c "sleep 300 & wait" & wait'`.
// Ending the inner shell orphans its sleep, which must come to tsbpf, as the shell did, to be
// ended in the next round: tsbpf stopped adopting at the command's end, before it ended what
// the command left, so the sleep went to init and ran on.
for (const [how, args] of [["one-liner", ["-e", ONE_LINER]], ["run", ["run", SCRIPT]]] as const) {
  test(`${how} -c: SIGTERM to tsbpf ends what the command's background processes left in their background too; status 143`, async () => {
    const pidFile = join(dir, `nested${n++}`);
    const command = `sh -c 'sh -c "sleep 300 & echo \\$! > ${pidFile}; wait" & wait'`;
    const run = tsbpf("-c", command, ...args);
    let sleep: number | undefined;
    try {
      const written = () => /^\d+\n$/.test(readTextFile(pidFile) ?? "");
      assert.ok(await waitFor(written, 300_000), `the command never started: ${run.output()}`);
      sleep = Number(readTextFile(pidFile));
      process.kill(run.pid, "SIGTERM");
      assert.equal(await run.exited, 143, run.output());
      assert.ok(await waitFor(() => ended(sleep!), 60_000), `the sleep the command's background shell started (pid ${sleep}) outlived tsbpf`);
    } finally {
      if (sleep !== undefined && !ended(sleep)) process.kill(sleep, "SIGKILL");
      run.kill("SIGKILL");
    }
  });
}
