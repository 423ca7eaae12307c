// A RingBuf's reader maps a window of the data area at a time (the kernel fills the whole mapping
// with pages at mmap, so libbpf's double mapping costs twice the ring's size in RSS); a record that
// runs past the end of the window or of the ring is put together in a scratch buffer. Small rings
// (one window), a ring of four windows, record sizes whose slots do not divide the ring, many
// laps: every record must arrive whole and in order.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { readFileSync } from "node:fs";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { objectsOf, released } from "../lifecycle/kernel_objects.ts";
import { pid, RingBuf, Tracer, tracepoint, type TracepointArgs, type u32 } from "../../mod.ts";

const c = await libc();
const FIRST_FD = 1_000_000; // close() of fds this process never has: EBADF, but the tracepoint sees the number

// Slots of 40, 48 and 56 bytes (8-byte header, rounded to 8): record starts cover every 8-byte
// position of a 4 KiB ring, so records wrap at every offset, and some start exactly at its end.
interface Seven { seq: u32; a: u32; b: u32; c: u32; d: u32; e: u32; f: u32 }
interface Nine { seq: u32; a: u32; b: u32; c: u32; d: u32; e: u32; f: u32; g: u32; h: u32 }
interface Eleven { seq: u32; a: u32; b: u32; c: u32; d: u32; e: u32; f: u32; g: u32; h: u32; i: u32; j: u32 }

class Laps extends Tracer {
  seven = new RingBuf<Seven>(4096);
  nine = new RingBuf<Nine>(4096);
  eleven = new RingBuf<Eleven>(4096);
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_close")
  onClose(args: TracepointArgs) {
    if (pid() !== this.self || args.fd < FIRST_FD) return; // not the runtime's own closes
    const s: u32 = args.fd;
    this.seven.submit({ seq: s, a: s * 3, b: s ^ 0x5a5a5a5a, c: s + 7, d: s * 11, e: s ^ 0xffff, f: s + 1 });
    this.nine.submit({ seq: s, a: s * 3, b: s ^ 0x5a5a5a5a, c: s + 7, d: s * 11, e: s ^ 0xffff, f: s + 1, g: s * 5, h: s + 9 });
    this.eleven.submit({ seq: s, a: s * 3, b: s ^ 0x5a5a5a5a, c: s + 7, d: s * 11, e: s ^ 0xffff, f: s + 1, g: s * 5, h: s + 9, i: s ^ 0x12345678, j: s * 13 });
  }
}

/** What the handler wrote for `s`, field by field (u32 arithmetic). */
function expected(s: number, fields: number): number[] {
  const all = [s, (s * 3) >>> 0, (s ^ 0x5a5a5a5a) >>> 0, (s + 7) >>> 0, (s * 11) >>> 0, (s ^ 0xffff) >>> 0, (s + 1) >>> 0, (s * 5) >>> 0, (s + 9) >>> 0, (s ^ 0x12345678) >>> 0, (s * 13) >>> 0];
  return all.slice(0, fields);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("records that wrap around the end of small rings arrive whole and in order, lap after lap", async () => {
  const tracer = new Laps();
  tracer.self = process.pid;
  await tracer.start({ exitOnError: false, reportLoss: false });
  const got: Record<string, number[][]> = { seven: [], nine: [], eleven: [] };
  tracer.seven.on((e) => got.seven.push(Object.values(e).map(Number)));
  tracer.nine.on((e) => got.nine.push(Object.values(e).map(Number)));
  tracer.eleven.on((e) => got.eleven.push(Object.values(e).map(Number)));
  const records = 3000, burst = 40; // 40 records of 56 bytes fit in 4 KiB: nothing is lost
  try {
    for (let sent = 0; sent < records; ) {
      for (let i = 0; i < burst && sent < records; i++, sent++) c.close(FIRST_FD + sent);
      // Let the pump drain before the next burst; the bound only keeps a broken build from hanging.
      for (let i = 0; i < 500 && got.eleven.length < sent; i++) await sleep(1);
    }
  } finally {
    await tracer.stop();
  }
  for (const [name, fields] of [["seven", 7], ["nine", 9], ["eleven", 11]] as const) {
    assert.equal(tracer.lost().get("onClose") ?? 0n, 0n, "events were lost: the bursts overflowed the ring");
    assert.equal(got[name].length, records, `${name}: ${got[name].length} of ${records} records arrived`);
    for (let i = 0; i < records; i++) assert.deepEqual(got[name][i], expected(FIRST_FD + i, fields), `${name}: record ${i}`);
  }
});

class BigLaps extends Tracer {
  eleven = new RingBuf<Eleven>(1 << 20);
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_close")
  onClose(args: TracepointArgs) {
    if (pid() !== this.self || args.fd < FIRST_FD) return;
    const s: u32 = args.fd;
    this.eleven.submit({ seq: s, a: s * 3, b: s ^ 0x5a5a5a5a, c: s + 7, d: s * 11, e: s ^ 0xffff, f: s + 1, g: s * 5, h: s + 9, i: s ^ 0x12345678, j: s * 13 });
  }
}

test("a 1 MiB ring read through a moving window: three laps of 56-byte slots arrive whole and in order", async () => {
  const tracer = new BigLaps();
  tracer.self = process.pid;
  await tracer.start({ exitOnError: false, reportLoss: false });
  const got: number[][] = [];
  tracer.eleven.on((e) => got.push(Object.values(e).map(Number)));
  const records = 3 * Math.ceil((1 << 20) / 56), burst = 4000; // 4000 slots of 56 bytes: a fifth of the ring
  try {
    for (let sent = 0; sent < records; ) {
      for (let i = 0; i < burst && sent < records; i++, sent++) c.close(FIRST_FD + sent);
      for (let i = 0; i < 500 && got.length < sent; i++) await sleep(1);
    }
  } finally {
    await tracer.stop();
  }
  assert.equal(tracer.lost().get("onClose") ?? 0n, 0n, "events were lost: the bursts overflowed the ring");
  assert.equal(got.length, records, `${got.length} of ${records} records arrived`);
  for (let i = 0; i < records; i++) if (got[i].join() !== expected(FIRST_FD + i, 11).join()) assert.deepEqual(got[i], expected(FIRST_FD + i, 11), `record ${i}`);
});

/** The bpf-map mappings of this process: address range → [size, resident bytes]. */
function bpfMappings(): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  let current: string | undefined;
  for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      current = head[3] === "anon_inode:bpf-map" ? `${head[1]}-${head[2]}` : undefined;
      if (current) out.set(current, [parseInt(head[2], 16) - parseInt(head[1], 16), 0]);
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && current) out.get(current)![1] = Number(rss[1]) * 1024;
  }
  return out;
}

class Big extends Tracer {
  events = new RingBuf<Seven>(1 << 20);
  @tracepoint("syscalls:sys_enter_close")
  onClose(args: TracepointArgs) {
    const s: u32 = args.fd;
    if (s === 0xffffffff) this.events.submit({ seq: s, a: 0, b: 0, c: 0, d: 0, e: 0, f: 0 });
  }
}

test("a 1 MiB RingBuf takes a 256 KiB window of this process's memory, not 2 MiB (its data area mapped twice)", async () => {
  const before = bpfMappings();
  const tracer = new Big();
  await tracer.start({ exitOnError: false, reportLoss: false });
  tracer.events.on(() => {});
  let mapped = 0, resident = 0;
  try {
    for (const [range, [size, rss]] of bpfMappings()) {
      if (before.has(range)) continue;
      mapped += size;
      resident += rss;
    }
  } finally {
    await tracer.stop();
  }
  const ring = 1 << 20, window = 256 * 1024, pages = 4 * 4096; // the consumer and producer pages, the loss counters
  assert.ok(mapped >= window, `the ring is not mapped: ${mapped} bytes of bpf-map mappings`);
  assert.ok(mapped <= window + pages, `${mapped} bytes mapped for a ${ring}-byte ring`);
  assert.ok(resident <= window + pages, `${resident} bytes resident for a ${ring}-byte ring`);
});

class Stoppable extends Tracer {
  events = new RingBuf<{ pid: u32 }>(1 << 20);
  self: u32 = 0;
  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ pid: pid() });
  }
}

test("a listener that stops the tracer in the middle of a drain of a 1 MiB ring: the drain ends there, no error, nothing left", async () => {
  // 20 000 records of 16 bytes: 320 KB, past the first 256 KiB window. The stop closes the ring's
  // fd while the drain is still in the first window: the reader must not map the next one.
  const tracer = new Stoppable();
  tracer.self = process.pid;
  await tracer.start({ exitOnError: false, reportLoss: false });
  const held = objectsOf("self");
  let got = 0;
  let stopping: Promise<void> | undefined;
  tracer.events.on(() => {
    if (++got === 5000) stopping = tracer.stop();
  });
  try {
    for (let i = 0; i < 20_000; i++) c.syscall(SYS.getppid);
    // Drained here, synchronously (before the listener's own first drain, a microtask).
    assert.doesNotThrow(() => tracer.events.drain());
    assert.ok(stopping, `the listener saw ${got} events`);
    await stopping;
  } finally {
    await tracer.stop();
  }
  assert.equal(got, 5000, "events were delivered after the stop");
  assert.deepEqual(await released(held), []);
});
