// examples/cdsnoop.ts end to end: the cds of an interactive bash and of a bash script, with the
// directory each left and entered, and a failed cd.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { libc } from "../../runtime/ffi/mod.ts";
import { pmuType } from "../../runtime/features.ts";
import { type Cd, CdAssembler, CdSnoop } from "../../examples/cdsnoop.ts";
import { waitFor } from "./util.ts";

await libc();
const skip = pmuType("uprobe") === undefined ? "this kernel has no uprobe PMU (CONFIG_UPROBES)" : false;

function bash(args: string[], input = ""): Promise<number> {
  const shell = spawn("bash", ["--norc", ...args], { stdio: ["pipe", "ignore", "ignore"], cwd: "/" });
  shell.stdin!.end(input);
  return new Promise((resolve) => shell.on("exit", () => resolve(shell.pid!)));
}

test("cdsnoop shows each cd of a bash: the command, the directory left and the one entered", { skip }, async () => {
  const tracer = new CdSnoop();
  await tracer.start({ exitOnError: false });
  try {
    const cds: Cd[] = [];
    const assembler = new CdAssembler();
    tracer.events.on((e) => {
      const cd = assembler.add(e);
      if (cd) cds.push(cd);
    });
    const interactive = await bash(["-i"], "cd /tmp\ncd /nonexistent-tsbpf-dir\ncd /usr && true\nexit\n");
    const script = await bash(["-c", "cd /etc; cd .."]);
    assert.ok(await waitFor(() => cds.filter((c) => c.pid === script).length === 2, 60_000), `cds seen: ${JSON.stringify(cds)}`);
    assert.deepEqual(cds.filter((c) => c.pid === interactive), [
      { pid: interactive, command: "cd /tmp", from: "/", to: "/tmp", ok: true },
      { pid: interactive, command: "cd /nonexistent-tsbpf-dir", from: "", to: "", ok: false },
      { pid: interactive, command: "cd /usr && true", from: "/tmp", to: "/usr", ok: true },
    ]);
    assert.deepEqual(cds.filter((c) => c.pid === script), [
      { pid: script, command: "cd", from: "/", to: "/etc", ok: true },
      { pid: script, command: "cd", from: "/etc", to: "/", ok: true },
    ]);
  } finally {
    await tracer.stop();
  }
});
