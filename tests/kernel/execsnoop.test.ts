import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { ExecSnoop } from "../../examples/execsnoop.ts";
import { waitFor } from "./util.ts";

test("execsnoop reports a spawned /bin/true with its pid, parent, comm and filename", async () => {
  const tracer = await new ExecSnoop().start({ exitOnError: false });
  try {
    const events: { pid: number; ppid: number; comm: string; filename: string; ts: bigint }[] = [];
    tracer.events.on((e) => events.push(e));
    const child = spawn("/bin/true", [`tsbpf-test-${process.pid}`]);
    await new Promise((r) => child.on("exit", r));
    assert.ok(await waitFor(() => events.some((e) => e.pid === child.pid)), "no event for the child's execve");
    const e = events.find((x) => x.pid === child.pid)!;
    assert.equal(e.filename, "/bin/true");
    assert.equal(e.ppid, process.pid);
    assert.ok(e.comm.length > 0 && e.comm.length < 16, `comm "${e.comm}"`);
    assert.equal(typeof e.ts, "bigint");
    assert.ok(e.ts > 0n);
  } finally {
    await tracer.stop();
  }
});

test("execsnoop delivers through for await and ends the loop on stop()", async () => {
  const tracer = await new ExecSnoop().start({ exitOnError: false });
  const child = spawn("/bin/true", []);
  const seen: number[] = [];
  const loop = (async () => {
    for await (const e of tracer.events) {
      seen.push(e.pid);
      if (e.pid === child.pid) break;
    }
  })();
  await new Promise((r) => child.on("exit", r));
  await Promise.race([loop, new Promise((r) => setTimeout(r, 3000))]);
  await tracer.stop();
  assert.ok(seen.includes(child.pid!), "the for-await loop did not see the child");
});
