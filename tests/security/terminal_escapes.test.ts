// What the kernel reports about other users' processes (their names, paths, arguments) is theirs
// to choose, and it reaches root's terminal: an unprivileged user who names a program
// "\x1b]0;...\x07\x1b[2J" must not get to retitle, clear or otherwise drive it. Text output shows
// control characters escaped (\x1b); JSON output keeps the exact string (JSON escapes it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { asNobody, bareEnv, replaceAll, rootDir, ROOT, tsbpf } from "./attacker.ts";
import { runScript, waitFor } from "../kernel/util.ts";

const NAME = "\x1b]0;owned\x07\x1b[2J";
const SHOWN = "\\x1b]0;owned\\x07\\x1b[2J";
/** Any control character but the newline ending each line. */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

/** As nobody: a program named NAME (a link to /bin/true) in a directory of its own, run once. */
function execAsNobody(): void {
  const dir = rootDir("escapes");
  chmodSync(dir, 0o777);
  try {
    asNobody(["sh", "-c", `ln -s /bin/true "$1/$2" && "$1/$2"`, "sh", dir, NAME]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The one-liners below end on the exit of the program named NAME (exit()); their -d is only a
 * backstop. A window (-d 3 once attached) failed when the attack, run from this process's
 * timer, came late on a loaded machine.
 */
const UNTIL = "50";

/** A tick that runs `f` the first time only. */
function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (!done) (done = true), f();
  };
}

function assertEscaped(output: string): void {
  assert.ok(output.includes(SHOWN), `the name is not shown escaped:\n${JSON.stringify(output)}`);
  const line = output.split("\n").find((l) => RAW_CONTROL.test(l));
  assert.equal(line, undefined, `a raw control character reached the terminal: ${JSON.stringify(line)}`);
}

test("execsnoop shows another user's program name with its control characters escaped", { timeout: 120000 }, async () => {
  const run = runScript(`${ROOT}examples/execsnoop.ts`);
  try {
    assert.ok(await waitFor(() => run.output().includes("ARGS"), 60000), run.output());
    execAsNobody();
    assert.ok(await waitFor(() => run.stdout().includes("owned"), 60_000), run.output());
  } finally {
    run.kill("SIGINT");
    await run.exited;
  }
  assertEscaped(run.stdout());
});

test("a one-liner's map keys and printf show a process name with its control characters escaped", { timeout: 120000 }, async () => {
  const r = await tsbpf(["-e", `tracepoint("sched:sched_process_exit", () => { count(comm()); printf("exit %s\\n", comm()); comm() == ${JSON.stringify(NAME)} && exit(); })`, "-d", UNTIL], {
    env: bareEnv(),
    timeoutMs: 60000,
    tick: once(execAsNobody),
  });
  assert.equal(r.status, 0, r.stderr);
  assertEscaped(r.stdout);
  assert.match(r.stdout, new RegExp(`^exit ${SHOWN.replace(/[\\[\]]/g, "\\$&")}$`, "m"));
});

test("a one-liner's join() and print() in a handler show another user's arguments and process name escaped", { timeout: 120000 }, async () => {
  // join(argv) prints the strings of execve's argv; print() in a handler its values: both chosen
  // by whoever runs a program, and printed as they came.
  const r = await tsbpf(["-e", `tracepoint("syscalls:sys_enter_execve", (a) => join(a.argv)); tracepoint("sched:sched_process_exit", () => (print("exit", comm()), comm() == ${JSON.stringify(NAME)} && exit()))`, "-d", UNTIL], {
    env: bareEnv(),
    timeoutMs: 60000,
    // The program named NAME last: its exit ends the one-liner.
    tick: once(() => {
      asNobody(["/bin/true", NAME]);
      execAsNobody();
    }),
  });
  assert.equal(r.status, 0, r.stderr);
  assertEscaped(r.stdout);
  assert.match(r.stdout, new RegExp(`^/bin/true ${SHOWN.replace(/[\\[\]]/g, "\\$&")}$`, "m"));
  assert.match(r.stdout, new RegExp(`^exit ${SHOWN.replace(/[\\[\]]/g, "\\$&")}$`, "m"));
});

test("a one-liner's map of string values shows another user's process name escaped", { timeout: 120000 }, async () => {
  // $.last[pid()] = comm(): the value, not the key, is the name printed at the end.
  const r = await tsbpf(["-e", `tracepoint("sched:sched_process_exit", () => { $.last[pid()] = comm(); comm() == ${JSON.stringify(NAME)} && exit(); })`, "-d", UNTIL], {
    env: bareEnv(),
    timeoutMs: 60000,
    tick: once(execAsNobody),
  });
  assert.equal(r.status, 0, r.stderr);
  assertEscaped(r.stdout);
  assert.match(r.stdout, new RegExp(`^@last\\[\\d+\\]: ${SHOWN.replace(/[\\[\]]/g, "\\$&")}$`, "m"));
});

test("a one-liner's print() in end() of a map entry shows another user's process name escaped", { timeout: 120000 }, async () => {
  const r = await tsbpf(["-e", `tracepoint("sched:sched_process_exit", () => comm() == ${JSON.stringify(NAME)} && ($.name[0] = comm(), exit())); end(() => (print("last", $.name[0]), clear($)))`, "-d", UNTIL], {
    env: bareEnv(),
    timeoutMs: 60000,
    tick: once(execAsNobody),
  });
  assert.equal(r.status, 0, r.stderr);
  assertEscaped(r.stdout);
  assert.match(r.stdout, new RegExp(`^last ${SHOWN.replace(/[\\[\]]/g, "\\$&")}$`, "m"));
});

test("--json keeps the exact name: JSON escapes it", { timeout: 120000 }, async () => {
  const r = await tsbpf(["--json", "-e", `tracepoint("sched:sched_process_exit", () => { count(comm()); comm() == ${JSON.stringify(NAME)} && exit(); })`, "-d", UNTIL], {
    env: bareEnv(),
    timeoutMs: 60000,
    tick: once(execAsNobody),
  });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!RAW_CONTROL.test(r.stdout.replaceAll("\n", "")), r.stdout);
  const record = r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((o) => o.type === "map");
  assert.ok(record && Object.keys(record.data["@"] ?? record.data[Object.keys(record.data)[0]]).includes(NAME), r.stdout);
});

test("tsbpf list of another user's binary shows its symbol names with their control characters escaped", async () => {
  // nobody's copy of libc whose getppid is named "\x1b[8mXYZ" (SGR 8 conceals what follows).
  const dir = rootDir("escapes-elf");
  chmodSync(dir, 0o777);
  try {
    const libc = readBytes("/lib/x86_64-linux-gnu/libc.so.6");
    const patched = replaceAll(libc, "\0getppid\0", "\0\x1b[8mXYZ\0");
    assert.ok(patched.some((x, i) => x !== libc[i]), "libc has no getppid symbol to rename");
    writeFileSync(`${dir}/patched`, patched, { mode: 0o644 });
    asNobody(["cp", `${dir}/patched`, `${dir}/libnobody.so`]);
    const r = await tsbpf(["list", `uprobe:${dir}/libnobody.so:*XYZ`], { env: bareEnv() });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes("\\x1b[8mXYZ"), `the symbol is not listed escaped:\n${JSON.stringify(r.stdout)}`);
    const line = (r.stdout + r.stderr).split("\n").find((l) => RAW_CONTROL.test(l));
    assert.equal(line, undefined, `a raw control character reached the terminal: ${JSON.stringify(line)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}
