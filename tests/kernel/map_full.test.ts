// A map that is full drops updates in the kernel: every dropped update is counted, per map, and
// reported like lost events (nothing lost silently).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { runScript } from "./util.ts";
import { Count, HashMap, pid, Tracer, tracepoint, ktime, type u32, type u64 } from "../../mod.ts";

const c = await libc();

class Flood extends Tracer {
  calls = new Count<u64>(16);
  last = new HashMap<u64, u64>(8);
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    const t = ktime();
    this.calls.add(t);
    this.last.set(t, t);
  }
}

test("flooding small maps: every update either lands or is counted as dropped, per map", async () => {
  const tracer = new Flood();
  tracer.self = process.pid;
  await tracer.start({ exitOnError: false, reportLoss: false });
  const calls = 1000;
  for (let i = 0; i < calls; i++) c.syscall(SYS.getppid);
  const dropped = tracer.dropped();
  const counted = [...tracer.calls.entries()].length;
  const kept = [...tracer.last.entries()].length;
  await tracer.stop();
  assert.equal(counted, 16);
  assert.equal(kept, 8);
  assert.equal(dropped.get("calls"), BigInt(calls - 16));
  assert.equal(dropped.get("last"), BigInt(calls - 8));
});

test("dropped updates are reported on stderr at the end, with what to do", async () => {
  const run = runScript(new URL("../fixtures/map_full.ts", import.meta.url).pathname);
  assert.equal(await run.exited, 0, run.output());
  assert.match(run.output(), /tsbpf: 984 updates to calls dropped: map full \(16 entries\); raise its maxEntries/);
});
