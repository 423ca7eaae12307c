// A consumer's CPU per event over a real BPF ring buffer, piece by piece. This thread, moved to
// CPU 1, calls getppid EVENTS times: a record of the streaming job's shape in each variant's 4 MiB
// ring, which nothing drains meanwhile; then, back on CPU 0 (what another CPU wrote, as when
// streaming), one
// drain takes them all, timed by this thread's own CPU time (/proc/thread-self/schedstat, so
// other load's preemptions do not count). Variants, interleaved round by round:
//   ring     RingBufReader.drain with a sink that reads one u32 of each record
//   decode   the same, the sink decoding each record into an object (makeDecoder)
//   stream   the tracer's RingBuf: a listener as the bench's (a count, one field read)
// Run from the repository (as root; on a machine of at least 2 CPUs):
//   bun bench/ringbuf_drain.ts [ROUNDS]          deno run -A bench/ringbuf_drain.ts [ROUNDS]
// Prints ns of CPU per event per variant: the median and the minimum of the rounds.
import { readFileSync } from "node:fs";
import process from "node:process";
import { comm, ktime, pid, RingBuf, Tracer, tracepoint, type Str, type u32, type u64 } from "../mod.ts";
import { libc, SYS } from "../runtime/ffi/mod.ts";
import { RingBufReader } from "../runtime/maps/ringbuf_reader.ts";
import { makeDecoder } from "../runtime/maps/codec.ts";
import { layoutStruct, u32 as u32Type, u64 as u64Type } from "../spec/layout.ts";

const EVENTS = 90_000;
const ROUNDS = Number(process.argv[2] ?? 15);

interface Event {
  pid: u32;
  counter: u64;
  comm: Str<16>;
}

class Stream extends Tracer {
  events = new RingBuf<Event>();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ pid: pid(), counter: ktime(), comm: comm() });
  }
}

const threadCpuNs = () => Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);

const c = await libc();
const SCHED_SETAFFINITY = 203;
/** Moves this thread to one CPU. */
function pin(cpu: number): void {
  const mask = new Uint8Array(8);
  mask[cpu >> 3] = 1 << (cpu & 7);
  const r = c.syscall(SCHED_SETAFFINITY, 0n, 8n, c.addressOf(mask));
  if (r < 0) throw new Error(`sched_setaffinity: ${r}`);
}

/** `calls` events in every tracer, made by this thread on CPU 1 (so CPU 0 drains what another CPU wrote, as when streaming). */
function generate(calls: number): void {
  pin(1);
  for (let i = 0; i < calls; i++) c.syscall(SYS.getppid);
  pin(0);
}

/** A started tracer of its own per variant (a reader of ours would leave another's position behind), and its ring's fd. */
async function started(): Promise<{ t: Stream; fd: number }> {
  const t = new Stream();
  t.self = process.pid;
  let fd = -1;
  const attach = t.events.attach.bind(t.events);
  t.events.attach = (map, type, names) => {
    fd = map.fd;
    attach(map, type, names);
  };
  await t.start({ reportLoss: false, exitOnError: false });
  return { t, fd };
}

const type = layoutStruct("Event", [{ name: "pid", type: u32Type }, { name: "counter", type: u64Type }, { name: "comm", type: { kind: "str", len: 16 } }]);
const decode = makeDecoder<Event>(type);
const keep: unknown[] = new Array(16);
let sunk = 0;

const ringT = await started(), decodeT = await started(), streamT = await started();
const ringReader = new RingBufReader(ringT.fd, ringT.t.events.size);
const decodeReader = new RingBufReader(decodeT.fd, decodeT.t.events.size);
const variants: Record<string, () => number> = {
  ring: () => ringReader.drain((view, _bytes, offset) => void (sunk += view.getUint32(offset, true))),
  decode: () => decodeReader.drain((view, bytes, offset) => void (keep[sunk++ & 15] = decode(view, bytes, offset))),
  stream: () => {
    let received = 0, last = 0n;
    const off = streamT.t.events.on((e) => {
      received++;
      last = e.counter;
    });
    streamT.t.events.drain();
    off();
    keep[0] = last;
    return received;
  },
};
const tracers = [ringT.t, decodeT.t, streamT.t];

const perEvent: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(variants)) {
    if (name === "ring") generate(EVENTS);
    const t0 = threadCpuNs();
    const n = run();
    const ns = threadCpuNs() - t0;
    if (n !== EVENTS) throw new Error(`${name}: drained ${n} of ${EVENTS} events`);
    perEvent[name].push(ns / n);
  }
}
ringReader.close();
decodeReader.close();
for (const t of tracers) await t.stop();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, xs] of Object.entries(perEvent)) {
  console.log(`${name.padEnd(8)} ${median(xs).toFixed(1).padStart(7)} ns/event (min ${Math.min(...xs).toFixed(1)})`);
}
