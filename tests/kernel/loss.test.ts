// Events that do not fit in a full ring buffer are counted in the kernel, exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { pid, RingBuf, Tracer, tracepoint, type u32, type u64, ktime } from "../../mod.ts";

const c = await libc();

interface Tick {
  pid: u32;
  ts: u64;
}

class Flood extends Tracer {
  events = new RingBuf<Tick>(4096);
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ pid: pid(), ts: ktime() });
  }
}

test("flooding a 4 KiB ring buffer: every event is either delivered or counted as lost", async () => {
  const tracer = new Flood();
  tracer.self = process.pid;
  await tracer.start({ exitOnError: false, reportLoss: false });
  let received = 0;
  tracer.events.on(() => received++);
  const calls = 5000;
  // A synchronous burst: the consumer cannot run in between, so the buffer overflows.
  for (let i = 0; i < calls; i++) c.syscall(SYS.getppid);
  await new Promise((r) => setTimeout(r, 100));
  const lost = tracer.lost().get("onCall")!;
  await tracer.stop();
  assert.ok(lost > 0n, "nothing was lost: the burst did not overflow the buffer");
  assert.ok(received > 0, "nothing was delivered");
  assert.equal(BigInt(received) + lost, BigInt(calls), `received ${received} + lost ${lost} != ${calls} calls`);
});
