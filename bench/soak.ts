// Soak: a tracer under a high event rate for a long time (default 10 minutes) must keep the JS
// process's memory flat and create no kernel objects after its start. Not part of the test run.
//
//   sudo node_modules/.bin/bun bench/soak.ts [MINUTES]      (deno run -A bench/soak.ts ...)
//
// The load is bench/out/gen (built by bench/run.sh) calling getppid() as fast as it can; every
// call is an event delivered to JS and counted in a per-CPU aggregation too. Every 30 s it prints
// a row: RSS, JS heap, events, lost, and the number of BPF programs and maps on the machine.
// The recorded run is the "soak" section of bench/RESULTS.md (between its <!-- soak --> markers).
import process from "node:process";
import { spawn } from "node:child_process";
import { comm, Count, ktime, pid, RingBuf, Tracer, tracepoint, type Str, type u32, type u64 } from "../mod.ts";
import { readdirSync, readlinkSync } from "node:fs";
import { readTextFile } from "../runtime/files.ts";

interface Event {
  pid: u32;
  ts: u64;
  comm: Str<16>;
}

class Soak extends Tracer {
  events = new RingBuf<Event>(1 << 22);
  calls = new Count<Str<16>>();
  target: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.target) return;
    this.calls.add(comm());
    this.events.submit({ pid: pid(), ts: ktime(), comm: comm() });
  }

  override end() {}
}

const minutes = Number(process.argv[2] ?? 10);
const gen = spawn(new URL("out/gen", import.meta.url).pathname, ["-d", String(minutes * 60 + 5), "-c", "1"], { stdio: "ignore" });
const tracer = new Soak();
tracer.target = gen.pid!;
await tracer.start({ reportLoss: false });
let received = 0;
tracer.events.on(() => received++);

/** This process's kernel objects, by kind, from its open file descriptors. */
function ownObjects(): string {
  const kinds: Record<string, number> = {};
  for (const fd of readdirSync("/proc/self/fd")) {
    let target = "";
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch { continue; }
    const m = /anon_inode:(bpf-prog|bpf-map|bpf_link|\[perf_event\])/.exec(target);
    if (m) kinds[m[1]] = (kinds[m[1]] ?? 0) + 1;
  }
  return ["bpf-prog", "bpf-map", "bpf_link", "[perf_event]"].map((k) => kinds[k] ?? 0).join(" / ");
}

const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readTextFile("/proc/self/status") ?? "")?.[1] ?? 0) / 1024;
const rows: string[] = [];
const row = (t: number) => {
  const lost = [...tracer.lost().values()].reduce((a, b) => a + b, 0n);
  const line = `| ${t.toString().padStart(4)} | ${rssMb().toFixed(1)} | ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} | ${received} | ${lost} | ${ownObjects()} |`;
  rows.push(line);
  console.log(line);
};
console.log(`| s | RSS MB | JS heap MB | events | lost | own programs / maps / links / perf events |\n|---|---|---|---|---|---|`);
const started = Date.now();
row(0);
const timer = setInterval(() => row(Math.round((Date.now() - started) / 1000)), 30_000);
await new Promise((r) => setTimeout(r, minutes * 60_000));
clearInterval(timer);
row(Math.round((Date.now() - started) / 1000));
gen.kill();
await tracer.stop();
