/**
 * How long parsing /sys/kernel/btf/vmlinux takes, and a lookup by name after it.
 *
 *   node_modules/.bin/bun bench/btf_parse.ts
 *   node_modules/.bin/deno run -A bench/btf_parse.ts
 *
 * "first" is what a script pays at start-up (cold JIT); "median" is over 20 runs in-process,
 * each on a fresh Btf so the lazy name index is rebuilt every time.
 */
import { readFileSync } from "node:fs";
import { Btf } from "../btf/reader.ts";
import { median, time } from "./timing.ts";

const RUNS = 20;
const path = "/sys/kernel/btf/vmlinux";
const bytes = new Uint8Array(readFileSync(path));

const parse: number[] = [];
const firstLookup: number[] = [];
const nextLookup: number[] = [];
let btf: Btf | undefined;
for (let i = 0; i < RUNS; i++) {
  parse.push(time(() => (btf = Btf.parse(bytes))));
  const b = btf!;
  // The first lookup builds the name index; later ones only hash and compare.
  firstLookup.push(time(() => b.member(b.findByName("task_struct", "struct")[0], "tgid")));
  nextLookup.push(time(() => b.member(b.findByName("sock", "struct")[0], "__sk_common")));
}

const runtime = "Bun" in globalThis ? `bun ${(globalThis as { Bun?: { version: string } }).Bun!.version}` : "Deno" in globalThis
  ? `deno ${(globalThis as { Deno?: { version: { deno: string } } }).Deno!.version.deno}`
  : "unknown runtime";
const ms = (x: number) => `${x.toFixed(2)} ms`;
console.log(`${runtime}: ${path}, ${(bytes.length / 1e6).toFixed(1)} MB, ${btf!.typeCount - 1} types`);
console.log(`parse                      first ${ms(parse[0])}  median ${ms(median(parse))}`);
console.log(`first lookup (name index)  first ${ms(firstLookup[0])}  median ${ms(median(firstLookup))}`);
console.log(`later lookup               first ${ms(nextLookup[0])}  median ${ms(median(nextLookup))}`);
