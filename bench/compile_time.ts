// Compile time against handler size: one handler of N statements, N from 100 to 10 000, in a few
// shapes, compiled (parse to instructions; nothing is loaded) under Bun and Deno. The compiler
// should take time linear in N (issue 15: a 4000-statement handler in under 1 s on Bun).
//
//   sudo node_modules/.bin/bun bench/compile_time.ts                 both runtimes, writes bench/RESULTS.md
//   sudo node_modules/.bin/bun bench/compile_time.ts --before REV    adds a row per shape for the compiler at REV
//                                                                   (or in a directory: --before DIR --before-label NAME)
//
// Options: --sizes 100,300,... --shapes updates,ifs,... --runs N (median of N compiles, default 3)
// --timeout S (per measurement, default 120: a slower compile is recorded as "> S s") --no-write.
// Each measurement runs in its own process (a fresh JIT, and a compile that takes too long is
// killed). Needs root only for the kernel's BTF and probe lookups the compiler makes.
// Writes only its own section of bench/RESULTS.md, between <!-- compile_time --> markers.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir, loadavg } from "node:os";
import process from "node:process";
import { parseArgs } from "node:util";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const BEGIN = "<!-- compile_time -->", END = "<!-- /compile_time -->";
const BUN = `${ROOT}/node_modules/.bin/bun`, DENO = `${ROOT}/node_modules/.bin/deno`;

/** Handler bodies of n statements. */
const SHAPES: Record<string, { what: string; body: (n: number) => string; members?: (n: number) => string; helpers?: (n: number) => string }> = {
  updates: {
    what: "`this.m.add(pid() + i, 1)`: a lookup, an insert when missing, an atomic add",
    body: (n) => Array.from({ length: n }, (_, i) => `    this.m.add(pid() + ${i}, 1);`).join("\n"),
  },
  ifs: {
    what: "ifs nested 8 deep, n/8 such nests one after another, each with an assignment",
    body: (n) => {
      const nest = (k: number) => `${"    if (x > ".repeat(1)}${k}) {\n      x = x - ${k % 7};\n`;
      const groups = Array.from({ length: Math.ceil(n / 8) }, (_, g) => Array.from({ length: 8 }, (_, d) => nest(g * 8 + d)).join("") + "    }\n".repeat(8));
      return `    let x = args[0] as u64;\n${groups.join("")}    return x;`;
    },
  },
  expressions: {
    what: "`x = ((x * 31 + a) ^ (x >> 3)) & m ...`: 8 operators a statement, one long dependency chain",
    body: (n) => `    let x = args[0] as u64;\n${Array.from({ length: n }, (_, i) => `    x = ((x * 31 + (args[${i % 6}] as u64)) ^ (x >> 3)) + ${i} - (x & 0xff);`).join("\n")}\n    return x;`,
  },
  switch: {
    what: "one switch with n cases, a map update in each",
    body: (n) => `    switch (args[0] as u32) {\n${Array.from({ length: n }, (_, i) => `      case ${i}: this.m.set(${i}, pid()); break;`).join("\n")}\n    }`,
  },
  equalities: {
    what: "`if (pid() === i) this.m.add(i, 1)`: n ifs one after another on one value (past ~900 the verifier gives up: each equal path is followed to the end)",
    body: (n) => Array.from({ length: n }, (_, i) => `    if (pid() === ${i}) this.m.add(${i}, 1);`).join("\n"),
  },
  elseifs: {
    what: "`else if (p === i) this.m.add(i, 1)`: one chain of n branches",
    body: (n) => `    const p = pid();\n    if (p === 0) this.m.add(0, 1);\n${Array.from({ length: n - 1 }, (_, i) => `    else if (p === ${i + 1}) this.m.add(${i + 1}, 1);`).join("\n")}`,
  },
  live: {
    what: "`const vi = pid() + i`, then `s += vi` for each: n values live at once (more than about 70 do not fit registers and stack: refused where they stop fitting)",
    body: (n) => `${Array.from({ length: n }, (_, i) => `    const v${i} = pid() + ${i};`).join("\n")}\n    let s: u64 = 0;\n${Array.from({ length: n }, (_, i) => `    s += v${i};`).join("\n")}\n    this.m.add(1, s);`,
  },
  handlers: {
    what: "n handlers of one map update each (n programs)",
    body: () => "",
    members: (n) => Array.from({ length: n }, (_, i) => `  @rawTracepoint("sys_enter")\n  h${i}(args: any) { this.m.set(${i}, pid()); }`).join("\n"),
  },
  helpers: {
    what: "one call to a helper that calls the next 10 times, log10(n) deep: 10^round(log10 n) map updates from a few lines (refused past 2M instructions before optimisation)",
    body: (n) => `    this.f${Math.max(1, Math.round(Math.log10(n)))}(pid());`,
    helpers: (n) => [`  f0(x: u64) { this.m.add(x, 1); }`, ...Array.from({ length: Math.max(1, Math.round(Math.log10(n))) }, (_, d) => `  f${d + 1}(x: u64) { ${Array.from({ length: 10 }, (_, k) => `this.f${d}(x + ${k});`).join(" ")} }`)].join("\n"),
  },
};

const source = (shape: string, n: number) => `import { rawTracepoint, Tracer, HashMap, pid, type u32, type u64 } from "tsbpf";
class Big extends Tracer {
  m = new HashMap<u32, u64>(100000);
${SHAPES[shape].helpers?.(n) ?? ""}
${SHAPES[shape].members?.(n) ?? `  @rawTracepoint("sys_enter")
  h(args: any) {
${SHAPES[shape].body(n)}
  }`}
}
`;

const { values: opts } = parseArgs({
  options: {
    worker: { type: "string" },
    tree: { type: "string" },
    sizes: { type: "string", default: "100,300,1000,3000,10000" },
    shapes: { type: "string", default: Object.keys(SHAPES).join(",") },
    runs: { type: "string", default: "3" },
    timeout: { type: "string", default: "120" },
    /** A commit, or a directory holding an older checkout. */
    before: { type: "string" },
    "before-label": { type: "string" },
    "no-write": { type: "boolean", default: false },
  },
});

// ------------------------------------------------------------------------------ one measurement

if (opts.worker) {
  const [shape, n] = opts.worker.split(":");
  const tree = opts.tree ?? ROOT;
  const { compile } = await import(`${tree}/compiler/mod.ts`);
  // The host target moved from runtime/ to tracer/ (the layers of docs/architecture.md): a tree before it has the old path.
  const targetModule = existsSync(`${tree}/tracer/compile_target.ts`) ? "tracer/compile_target.ts" : "runtime/compile_target.ts";
  const { hostTarget } = await import(`${tree}/${targetModule}`);
  const { libc } = await import(`${tree}/runtime/ffi/mod.ts`);
  await libc();
  const target = await hostTarget();
  compile(source("updates", 20), "/bench/warm.ts", target); // JIT and BTF warm before the clock
  const src = source(shape, Number(n));
  const times: number[] = [], cpu: number[] = [];
  let result = "";
  for (let r = 0; r < Number(opts.runs); r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    try {
      const [spec] = compile(src, "/bench/big.ts", target);
      const [p, ...more] = spec.programs;
      const insns = (q: { insns: string }) => atob(q.insns).length / 8;
      result = more.length ? `${spec.programs.reduce((t: number, q: { insns: string }) => t + insns(q), 0)} insns in ${more.length + 1} programs` : `${insns(p)} insns, ${p.stackSize} B stack`;
    } catch (e) {
      result = `error: ${String((e as Error).message).split("\n")[0].replace(/^\/bench\/big\.ts:/, "")}`;
    }
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(JSON.stringify({ ms: median(times), cpu: median(cpu), result }));
  process.exit(0);
}

// ------------------------------------------------------------------------------ driver

interface Cell { ms?: number; cpu?: number; result: string }

function measure(runtime: string, shape: string, n: number, tree?: string): Cell {
  const self = new URL(import.meta.url).pathname;
  // The compiler before: one run each (minutes at the larger sizes).
  const runs = tree ? 1 : Number(opts.runs);
  const args = [`--worker=${shape}:${n}`, `--runs=${runs}`, ...(tree ? [`--tree=${tree}`] : [])];
  const cmd = runtime === "bun" ? [BUN, self, ...args] : [DENO, "run", "-A", self, ...args];
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: "utf8", timeout: Number(opts.timeout) * 1000 * runs + 30_000, maxBuffer: 1 << 24 });
  if (r.error || r.status !== 0) return { result: r.error ? `> ${Number(opts.timeout) * runs} s` : `failed: ${r.stderr.trim().split("\n").pop()}` };
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

const sizes = opts.sizes!.split(",").map(Number);
const shapes = opts.shapes!.split(",");
const rows: string[] = [];
let before: string | undefined;
let scratch: string | undefined;
if (opts.before && existsSync(`${opts.before}/compiler/mod.ts`)) {
  before = opts.before; // a checkout of the older compiler
} else if (opts.before) {
  // The compiler as committed at REV, in a scratch copy (root-owned, private: mkdtemp).
  before = scratch = mkdtempSync(`${tmpdir()}/tsbpf-compile-time-`);
  execFileSync("sh", ["-c", `git -C "${ROOT}" archive "${opts.before}" | tar -x -C "${before}"`]);
  symlinkSync(`${ROOT}/node_modules`, `${before}/node_modules`);
}
const num = (ms: number) => (ms < 100 ? ms.toFixed(1) : String(Math.round(ms)));
const fmt = (c: Cell) => (c.ms === undefined ? c.result : `${num(c.ms)} (${num(c.cpu!)})`);
const variants: [string, string, string | undefined][] = [["Bun", "bun", undefined], ["Deno", "deno", undefined]];
if (before) variants.push([`Bun, before (${opts["before-label"] ?? opts.before})`, "bun", before]);
for (const shape of shapes) {
  for (const [label, runtime, tree] of variants) {
    const cells: Cell[] = [];
    let gaveUp = false;
    for (const n of sizes) {
      // A compile that took over the timeout once is not tried at larger sizes.
      const c = gaveUp ? { result: "—" } : measure(runtime, shape, n, tree);
      if (c.ms === undefined && c.result.startsWith(">")) gaveUp = true;
      cells.push(c);
      console.error(`${shape} ${label} n=${n}: ${c.ms?.toFixed(1) ?? ""} ms ${c.result}`);
    }
    rows.push(`| ${shape} | ${label} | ${cells.map(fmt).join(" | ")} | ${cells.map((c) => c.result).filter((r, i, a) => a.indexOf(r) === i && !r.startsWith(">") && r !== "—").slice(-1)[0] ?? ""} |`);
  }
}
if (scratch) rmSync(scratch, { recursive: true, force: true });

const commit = (() => {
  try {
    return execFileSync("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return process.env.TSBPF_COMMIT ?? "unknown (not a git checkout: set TSBPF_COMMIT)";
  }
})();
const section = [
  BEGIN,
  "## Compile time against handler size",
  "",
  "One handler of n statements, compiled (parse to BPF instructions, nothing loaded); median of " +
    `${opts.runs} compiles (1 for the compiler before) in a fresh process after one small warm-up compile; ms of wall clock (CPU ms in parentheses: ` +
    "the machine is shared, and the CPU time is what the compiler itself spent). Reproduce: " +
    "`sudo node_modules/.bin/bun bench/compile_time.ts [--before REV]`. Goal (issue 15): linear in n, 4000 statements under 1 s on Bun.",
  "",
  ...shapes.map((s) => `- **${s}**: ${SHAPES[s].what}`),
  "",
  `- date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}; tsbpf commit: ${commit}; load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(" ")} (2 CPUs)`,
  "",
  `| shape | compiler | ${sizes.map((n) => `n = ${n}`).join(" | ")} | largest program |`,
  `|---|---|${sizes.map(() => "--:").join("|")}|---|`,
  ...rows,
  END,
].join("\n");
console.log(section);
if (!opts["no-write"]) {
  const file = `${ROOT}/bench/RESULTS.md`;
  const current = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmark results\n";
  const start = current.indexOf(BEGIN), end = current.indexOf(END);
  writeFileSync(file, start >= 0 && end > start ? current.slice(0, start) + section + current.slice(end + END.length) : `${current.trimEnd()}\n\n${section}\n`);
}
