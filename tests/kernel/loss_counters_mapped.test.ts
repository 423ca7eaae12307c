// The once-a-second loss check reads tsbpf's counter maps (refused updates, lost events) from
// memory where the kernel allows (an mmapped BPF_F_MMAPABLE array), not with a bpf() syscall: on
// Bun any FFI call in a timer wakes the main thread several times (bench/NOTES.md, "Idle").
// A second tracer counts this process's bpf(BPF_MAP_LOOKUP_ELEM) calls while the first one's
// heartbeat reports the updates its full map refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { Count, HashMap, ktime, pid, Tracer, tracepoint, type TracepointArgs, type u32, type u64 } from "../../mod.ts";

const c = await libc();

class Small extends Tracer {
  last = new HashMap<u64, u64>(8);
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    const t = ktime();
    this.last.set(t, t);
  }
}

class Lookups extends Tracer {
  calls = new Count();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_bpf")
  onBpf(args: TracepointArgs) {
    if (pid() === this.self && args.cmd === 1) this.calls.add();
  }
}

/** Runs `f` with console.error captured into `lines`. */
async function withStderr(lines: string[], f: () => Promise<void>): Promise<void> {
  const error = console.error;
  console.error = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    await f();
  } finally {
    console.error = error;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("the heartbeat reports refused updates without a bpf() map lookup", async () => {
  const small = new Small(), lookups = new Lookups();
  small.self = lookups.self = process.pid;
  const lines: string[] = [];
  let between = 0, oneRead = 0;
  await withStderr(lines, async () => {
    await small.start({ exitOnError: false });
    await lookups.start({ exitOnError: false, reportLoss: false });
    try {
      for (let i = 0; i < 100; i++) c.syscall(SYS.getppid);
      // Reading the count is itself a lookup: reading twice in a row measures what one read adds.
      const v0 = Number(lookups.calls.get() ?? 0n);
      for (let i = 0; i < 50 && !lines.some((l) => l.includes("92 updates to last dropped")); i++) await sleep(100);
      const v1 = Number(lookups.calls.get() ?? 0n);
      const v2 = Number(lookups.calls.get() ?? 0n);
      between = v1 - v0 - (v2 - v1);
      oneRead = v2 - v1;
    } finally {
      lookups.calls.clear(); // not printed at stop
      await lookups.stop();
      await small.stop();
    }
  });
  assert.ok(oneRead >= 1, `reading the count made no lookup the other tracer saw (${oneRead}): the probe does not work`);
  assert.ok(lines.some((l) => l.includes("tsbpf: 92 updates to last dropped")), `not reported while running: ${JSON.stringify(lines)}`);
  assert.equal(between, 0, `the heartbeat made ${between} bpf(BPF_MAP_LOOKUP_ELEM) calls`);
});
