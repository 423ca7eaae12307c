/**
 * How long symbolizing stack addresses takes (runtime/symbolize/).
 *
 *   node_modules/.bin/bun bench/symbolize.ts
 *   node_modules/.bin/deno run --allow-ffi bench/symbolize.ts
 *
 * Kernel: "first symbol" is what the first printed kernel stack pays, /proc/kallsyms read and
 * indexed (a fresh KernelSymbols each run), split into the read (runtime/files.ts) and the index
 * over bytes already in memory. "lookup" is one address (a binary search and a name).
 * User, on this process: "first address" in a file reads /proc/self/maps, maps the ELF file and
 * reads its symbol tables; "new address" is one not seen before in a file already parsed;
 * "cached address" one seen before. Per-address times are medians over batches of 1000.
 */
import { libc, libcSync } from "../runtime/ffi/mod.ts";
import { readFileBytes } from "../runtime/files.ts";
import { indexKallsyms, KernelSymbols } from "../runtime/symbolize/kernel.ts";
import { parseProcMaps, readProcText } from "../runtime/symbolize/proc_maps.ts";
import { UserSymbols } from "../runtime/symbolize/user.ts";
import { median, time } from "./timing.ts";

await libc();
const RUNS = 5;
const BATCH = 1000;
const BATCHES = 20;

/** Median per-call time of `fn(i)` over BATCHES batches of BATCH calls, i counting up across batches. */
function perCall(fn: (i: number) => void): number {
  const xs: number[] = [];
  let i = 0;
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now();
    for (let k = 0; k < BATCH; k++) fn(i++);
    xs.push((performance.now() - t0) / BATCH);
  }
  return median(xs);
}

const runtime = "Bun" in globalThis ? `bun ${(globalThis as { Bun?: { version: string } }).Bun!.version}` : "Deno" in globalThis
  ? `deno ${(globalThis as { Deno?: { version: { deno: string } } }).Deno!.version.deno}`
  : "unknown runtime";
const ms = (x: number) => (x < 0.1 ? `${(x * 1000).toFixed(2)} µs` : `${x.toFixed(1)} ms`);
const row = (label: string, what: string) => console.log(`  ${label.padEnd(40)} ${what}`);
const runs = (xs: number[]) => `first ${ms(xs[0]).padStart(9)}  median ${ms(median(xs)).padStart(9)}  (${xs.length} runs)`;

// ---- Kernel ----
const firstSymbol: number[] = [];
const reads: number[] = [];
const indexes: number[] = [];
let kernel = new KernelSymbols();
let vfsRead = 0n;
for (let r = 0; r < RUNS; r++) {
  kernel = new KernelSymbols();
  firstSymbol.push(time(() => kernel.symbolize(0xffffffff81000000n)));
  let bytes: Uint8Array | undefined;
  reads.push(time(() => (bytes = readFileBytes("/proc/kallsyms"))));
  indexes.push(time(() => indexKallsyms(bytes!)));
}
vfsRead = kernel.lookup("vfs_read") ?? 0n;
// Addresses spread over the kernel's text, so the searches do not all take one path.
const spread = Array.from({ length: 4096 }, (_, i) => vfsRead - 0x400000n + BigInt(i) * 0x800n + 5n);
const kernelLookup = perCall((i) => kernel.symbolize(spread[i & 4095]));

console.log(`${runtime}: kernel, ${kernel.count} text symbols in /proc/kallsyms`);
row("first symbol (read + index kallsyms)", runs(firstSymbol));
row("  read /proc/kallsyms (files.ts)", runs(reads));
row("  index (bytes in memory)", runs(indexes));
row("lookup, per address", `median ${ms(kernelLookup)}`);

// ---- User: this process ----
const pid = libcSync().getpid();
const maps = parseProcMaps(readProcText("/proc/self/maps") ?? "");
const exec = maps.filter((m) => m.perms.includes("x") && m.path.startsWith("/"));
const libcText = exec.find((m) => /\/libc[.-][^/]*so/.test(m.path));
const ownText = exec.find((m) => m.path.includes("bun") || m.path.includes("deno")) ?? exec[0];
console.log(`${runtime}: user, pid ${pid}`);
for (const m of [libcText, ownText]) {
  if (!m) continue;
  const firsts: number[] = [];
  let u = new UserSymbols();
  for (let r = 0; r < RUNS; r++) {
    u = new UserSymbols();
    firsts.push(time(() => u.symbolize(pid, BigInt(m.start + 0x1000))));
  }
  const size = m.end - m.start;
  const fresh = perCall((i) => u.symbolize(pid, BigInt(m.start + ((i * 4099) % size))));
  const cached = perCall((i) => u.symbolize(pid, BigInt(m.start + ((i % 64) * 4099) % size)));
  const name = m.path.split("/").pop();
  row(`first address in ${name} (maps, mmap, symbols)`, runs(firsts));
  row(`new address in ${name}, per address`, `median ${ms(fresh)}`);
  row(`cached address in ${name}, per address`, `median ${ms(cached)}`);
}
