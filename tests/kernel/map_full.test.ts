// A map that is full drops updates in the kernel: every dropped update is counted, per map, and
// reported like lost events (nothing lost silently).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { runScript } from "./util.ts";
import { Count, HashMap, Max, pid, Sum, Tracer, tracepoint, ktime, type u32, type u64 } from "../../mod.ts";
import { mapInfo } from "../../runtime/bpf.ts";

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

class Totals extends Tracer {
  calls = new Count();
  bytes = new Sum(5000);
  biggest = new Max();
  byPid = new Count<u32>();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.calls.add();
    this.bytes.add(3);
    this.biggest.add(ktime());
    this.byPid.add(pid());
  }
}

test("an aggregation without a key is a one-entry map in the kernel (was 10240); keyed ones keep their size", async () => {
  const tracer = new Totals();
  tracer.self = process.pid;
  await tracer.start({ exitOnError: false, reportLoss: false });
  try {
    for (let i = 0; i < 100; i++) c.syscall(SYS.getppid);
    const entries = (m: object) => mapInfo((m as { access: { fd: number } }).access.fd).maxEntries;
    assert.deepEqual([entries(tracer.calls), entries(tracer.bytes), entries(tracer.biggest), entries(tracer.byPid)], [1, 1, 1, 10240]);
    assert.equal(tracer.calls.get(), 100n);
    assert.equal(tracer.bytes.get(), 300n);
    assert.ok(tracer.biggest.get()! > 0n);
    assert.equal(tracer.byPid.get(process.pid), 100n);
    assert.deepEqual([...tracer.dropped().values()].filter((n) => n !== 0n), [], "one entry is enough: nothing dropped");
  } finally {
    await tracer.stop();
  }
});

test("dropped updates are reported on stderr at the end, with what to do", async () => {
  const run = runScript(new URL("../fixtures/map_full.ts", import.meta.url).pathname);
  assert.equal(await run.exited, 0, run.output());
  assert.match(run.output(), /tsbpf: 984 updates to calls dropped: map full \(16 entries\); raise its maxEntries/);
});

test("a map that stays full is reported again only each time its count has doubled, and exactly at stop: not a line per heartbeat for as long as a service runs", async () => {
  // 13 refused updates, one more every 1.5 s: a line per heartbeat would be about 13 lines; printed
  // at 1, then at least 2, 4, 8 it is at most 4 while running.
  const run = runScript(new URL("../fixtures/map_full.ts", import.meta.url).pathname, {}, ["stays"]);
  assert.equal(await run.exited, 0, run.output());
  const [running, atStop] = run.output().split("stopping\n");
  const lines = (text: string) => text.split("\n").filter((l) => /updates to calls dropped/.test(l));
  assert.ok(lines(running).length <= 4, `while running:\n${lines(running).join("\n")}`);
  assert.ok(lines(running).length >= 1, `nothing reported while running:\n${run.output()}`);
  assert.match(lines(running).concat(lines(atStop ?? "")).at(-1) ?? "", /^tsbpf: 13 updates to calls dropped: map full \(16 entries\)/, run.output());
});
