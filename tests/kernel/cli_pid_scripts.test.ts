// tsbpf's -p and -c name the process to trace; a script learns it from cliOptions.pid. The tools
// take it as their own -p, and a script that never reads it is told that it traces everything.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tsbpf } from "./cli_run.ts";

/** Another process opening files all along, which a trace of one process must not show. */
function noise() {
  const child = spawn("/bin/sh", ["-c", "while :; do cat /etc/hostname >/dev/null; sleep 0.02; done"], { stdio: "ignore" });
  return { pid: child.pid!, stop: () => child.kill("SIGKILL") };
}

test("tsbpf -c CMD run examples/opensnoop.ts traces only CMD (the tool's -p comes from -c)", async () => {
  const other = noise();
  try {
    const r = await tsbpf(["-c", "sleep 0.5", "run", "examples/opensnoop.ts"]);
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.split("\n").filter((l) => /^\d+\s/.test(l));
    assert.ok(rows.length > 0, `sleep opens its libraries:\n${r.stdout}`);
    const comms = new Set(rows.map((l) => l.split(/\s+/)[1]));
    assert.deepEqual([...comms], ["sleep"], r.stdout);
  } finally {
    other.stop();
  }
});

test("tsbpf -p PID run examples/syscount.ts counts only PID's system calls", async () => {
  const idle = spawn("sleep", ["30"], { stdio: "ignore" });
  const other = noise();
  try {
    const r = await tsbpf(["-p", String(idle.pid), "-d", "1", "run", "examples/syscount.ts"]);
    assert.equal(r.status, 0, r.stderr);
    const table = r.stdout.split("SYSCALL")[1] ?? "";
    assert.equal(table.trim(), "COUNT", `a sleeping process makes no system calls:\n${r.stdout}`);
  } finally {
    other.stop();
    idle.kill("SIGKILL");
  }
});

test("a script that does not read cliOptions.pid is told that -p does not filter it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-pid-"));
  try {
    writeFileSync(join(dir, "all.ts"), `import { Count, comm, Tracer, tracepoint, type Str } from "tsbpf";
class All extends Tracer {
  c = new Count<Str<16>>();
  @tracepoint("syscalls:sys_enter_openat")
  onOpen() { this.c.add(comm()); }
}
await new All().start();
`);
    const r = await tsbpf(["-p", "1", "-d", "0.3", "run", join(dir, "all.ts")]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^tsbpf: -p 1: .*cliOptions\.pid.*every process/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
