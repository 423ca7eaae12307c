/**
 * How long reading an ELF file's headers and symbols takes, and one lookup and one symbolize.
 *
 *   node_modules/.bin/bun bench/elf_parse.ts
 *   node_modules/.bin/deno run -A bench/elf_parse.ts
 *
 * The file is read once, outside the timings. "parse" is `Elf.parse` (headers, sections,
 * segments, section names); "symbols" the first `elf.symbols()` (every .dynsym/.symtab entry
 * decoded); "lookup" and "symbolize" are single calls on a table whose indexes are built
 * (the first call of each builds its index, timed separately). "first" is what a script pays
 * at start-up (cold JIT); "median" is over 20 runs in-process, each on a fresh Elf.
 */
import { readFileSync } from "node:fs";
import { Elf } from "../elf/reader.ts";
import { median, time } from "./timing.ts";

const RUNS = 20;
const FILES: [path: string, symbol: string][] = [
  ["/lib/x86_64-linux-gnu/libc.so.6", "malloc"],
  ["/bin/bash", "readline"],
];

const runtime = "Bun" in globalThis ? `bun ${(globalThis as { Bun?: { version: string } }).Bun!.version}` : "Deno" in globalThis
  ? `deno ${(globalThis as { Deno?: { version: { deno: string } } }).Deno!.version.deno}`
  : "unknown runtime";
const ms = (x: number) => (x < 0.1 ? `${(x * 1000).toFixed(1)} µs` : `${x.toFixed(2)} ms`);
const row = (label: string, xs: number[]) => console.log(`  ${label.padEnd(26)} first ${ms(xs[0]).padStart(9)}  median ${ms(median(xs)).padStart(9)}`);

for (const [path, name] of FILES) {
  const bytes = new Uint8Array(readFileSync(path));
  const t = { parse: [] as number[], symbols: [] as number[], firstLookup: [] as number[], lookup: [] as number[], firstSymbolize: [] as number[], symbolize: [] as number[] };
  let elf: Elf | undefined;
  let count = 0;
  for (let i = 0; i < RUNS; i++) {
    t.parse.push(time(() => (elf = Elf.parse(bytes))));
    const e = elf!;
    t.symbols.push(time(() => (count = e.symbols().count)));
    const syms = e.symbols();
    let addr = 0;
    t.firstLookup.push(time(() => (addr = syms.lookup(name)!.value + 7)));
    t.lookup.push(time(() => syms.lookup(name)));
    t.firstSymbolize.push(time(() => syms.symbolize(addr)));
    t.symbolize.push(time(() => syms.symbolize(addr + 1)));
  }
  console.log(`${runtime}: ${path}, ${(bytes.length / 1e6).toFixed(1)} MB, ${elf!.sections.length} sections, ${count} symbols`);
  row("parse", t.parse);
  row("symbols (read tables)", t.symbols);
  row("first lookup (name index)", t.firstLookup);
  row(`lookup("${name}")`, t.lookup);
  row("first symbolize (sort)", t.firstSymbolize);
  row("symbolize", t.symbolize);
}
