// start() and stop() within one process: a tracer loads once however often start() is called,
// and after stop() it holds no program, map, link or perf event.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import process from "node:process";
import { type KernelObjects, objectsOf, released } from "./kernel_objects.ts";
import { Ticker } from "./fixtures/ticker.ts";
import { ManySyscalls } from "./fixtures/many_syscalls.ts";

const bpfFds = () => {
  const o = objectsOf("self");
  return { progs: o.progs.length, maps: o.maps.length, links: o.links.length, perfFds: o.perfFds };
};

/** What this process holds now and did not hold `before`. */
function heldSince(before: KernelObjects): KernelObjects {
  const during = objectsOf("self");
  return {
    progs: during.progs.filter((id) => !before.progs.includes(id)),
    maps: during.maps.filter((id) => !before.maps.includes(id)),
    links: during.links.filter((id) => !before.links.includes(id)),
    perfFds: during.perfFds - before.perfFds,
  };
}

test("concurrent start() loads once; stop() leaves no program, map, link or perf fd", async () => {
  const before = objectsOf("self");
  const t = new Ticker();
  const [a, b] = await Promise.all([t.start({ exitOnError: false }), t.start({ exitOnError: false })]);
  assert.equal(a, t);
  assert.equal(b, t);
  await t.start({ exitOnError: false });
  const mine = heldSince(before);
  assert.equal(mine.progs.length, 1, `programs loaded: ${mine.progs}`);
  assert.equal(mine.links.length, 1, `links: ${mine.links}`);
  await t.stop();
  assert.deepEqual(bpfFds(), { progs: before.progs.length, maps: before.maps.length, links: before.links.length, perfFds: before.perfFds });
  assert.deepEqual(await released(mine), []);
});

test("a wildcard tracer on many syscall entries leaves none of its links, perf events, programs or maps after stop()", async () => {
  const before = objectsOf("self");
  const t = new ManySyscalls();
  await t.start({ exitOnError: false, reportLoss: false });
  const mine = heldSince(before);
  const tracepoints = readdirSync("/sys/kernel/tracing/events/syscalls").filter((n) => n.startsWith("sys_enter_f")).length;
  assert.ok(tracepoints > 8, `${tracepoints} sys_enter_f* tracepoints`);
  assert.equal(mine.progs.length, 1, `programs loaded: ${mine.progs}`);
  // On x86-64, attached once to raw_syscalls:sys_enter (probes/tracepoint_syscalls.ts); elsewhere one attachment per tracepoint.
  const attachments = process.arch === "x64" ? 1 : tracepoints;
  assert.equal(mine.links.length, attachments, "links");
  assert.equal(mine.perfFds, attachments, "perf events");
  await t.stop();
  assert.deepEqual(bpfFds(), { progs: before.progs.length, maps: before.maps.length, links: before.links.length, perfFds: before.perfFds });
  assert.deepEqual(await released(mine), []);
});

test("stop() during start() stops it once it has started", async () => {
  const before = bpfFds();
  const t = new Ticker();
  const starting = t.start({ exitOnError: false });
  const stopping = t.stop();
  await starting;
  await stopping;
  assert.deepEqual(bpfFds(), before);
});

test("a tracer starts again after stop(), and every() refuses a bad period or a stopped tracer", async () => {
  const t = new Ticker();
  await t.start({ exitOnError: false });
  for (const ms of [0, -1, 1e-9, NaN, 2 ** 31]) assert.throws(() => t.every(ms, () => {}), /every\(\)'s period must be from 1 ms/);
  await t.stop();
  assert.throws(() => t.every(100, () => {}), /runs only while the tracer runs/);
  await t.start({ exitOnError: false });
  assert.equal(objectsOf("self").progs.length > 0, true);
  await t.stop();
});

test("a listener that calls stop() is the last one called, with more events waiting", async () => {
  const { libcSync } = await import("../../runtime/ffi/mod.ts");
  const t = new Ticker();
  await t.start({ exitOnError: false, reportLoss: false });
  let calls = 0;
  t.events.on(() => {
    calls++;
    void t.stop();
  });
  // getppid() 2000 times before the next poll: the ring buffer holds them all at once.
  for (let i = 0; i < 2000; i++) libcSync().syscall(110);
  await t.stopped;
  assert.equal(calls, 1);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(calls, 1);
});
