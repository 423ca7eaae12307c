// The compiler fed thousands of mutated handlers (seeded, bounded in time) must always end with
// diagnostics or a program the kernel loads, or a verifier rejection mapped to a source line:
// never an internal error. Some are grown long or deep (grow()), at sizes past the compiler's limits.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { CompileError } from "../../compiler/mod.ts";
import { VerifierError } from "../../runtime/verifier_error.ts";
import { compileSource, load, PRELUDE } from "./harness.ts";
import { removeVerifierLog } from "./util.ts";
import { prng } from "./expressions.ts";

const SEED = Number(process.env.TSBPF_FUZZ_SEED ?? 1122);
const SECONDS = Number(process.env.TSBPF_FUZZ_SECONDS ?? 8);

const CORPUS = [
  "const a = args[0] as u32; let s: u32 = 0; for (let i = 0; i < 8; i++) { if (i === a) break; s += i * a; } return s;",
  "switch (args[1] as u32) { case 1: return 10; case 2: case 3: return 20; default: return square(args[0] as u32); }",
  "this.counts.add(pid(), 1); const v = this.counts.get(pid()); return v > 3n ? 1 : 0;",
  "this.events.submit({ pid: pid(), comm: comm(), value: args[0] as i64 }); return 0;",
  "const t = curtask(); const p = t.real_parent; if (p.tgid === ppid()) return 1; return 0;",
  "this.calls.add(comm()); this.lat.add(ktime() & 0xffffn); return cpu() < 64 ? 1 : 0;",
  "let x: i8 = args[0] as i8; x += 100; x >>= 2; const y = x < 0 ? -x : x; return (y as u32) ^ 0xff;",
  "const k = [pid(), comm()]; this.pairs.set([pid(), \"x\"], 5); return this.pairs.has([pid(), \"x\"]) ? 1 : 0;",
];
const FIELDS = `  counts = new HashMap<u32, u64>();
  events = new RingBuf<Ev>(4096);
  calls = new Count<Str<16>>();
  lat = new Histogram();
  pairs = new HashMap<[u32, Str<8>], u32>();
  limit: u32 = 7;
`;
const EXTRA = `interface Ev { pid: u32; comm: Str<16>; value: i64 }
function square(x: u32): u32 { return x * x; }
`;
const SNIPPETS = [
  "for (;;) {}", "while (true) {}", "try { pid(); } catch {}", "this.", "args[", "new Foo()", "await 1", "class {}", "`x${1}`",
  "[1, 2, 3]", "{ ...args }", "args?.x", "function f() {}", "return;", "break;", "continue;", "throw 1;", "undefined", "null",
  "this.limit", "this.nope.add(1)", "str(args[0])", "str(1)", "comm() + 1", "1.5", "0xffffffffffffffffffn", "-9223372036854775808",
  "x = 1;", "let z;", "const q = q;", "square(1, 2)", "square()", "this.counts.get()", "this.events.submit(1)", "kstack()",
  "for (let i = 0; i < 100000000; i++) {}", "for (let i = 0; i < args[0]; i++) {}", "if (", ")", "}", "{", ";", ",", "=>", "as u8",
  "curtask().nope", "curtask().comm[99]", "args[99]", "args[-1]", "ppid(1)", "pid", "1 / 0", "1 % 0", "1 << 99",
];
const OPERATORS = ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", ">>>", "<", "<=", ">", ">=", "===", "!==", "&&", "||", "=", "+=", "?", ":"];

function mutate(body: string, rand: () => number): string {
  const tokens = body.match(/0x[0-9a-f]+n?|\d+n?|[A-Za-z_$][\w$]*|>>>|>>=|<<=|===|!==|[<>=!]=|&&|\|\||<<|>>|\+=|-=|\S/gi) ?? [];
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) {
    const i = Math.floor(rand() * (tokens.length + 1));
    const r = rand();
    if (r < 0.2) tokens.splice(i, 1);
    else if (r < 0.35) tokens.splice(i, 0, tokens[Math.floor(rand() * tokens.length)] ?? "x");
    else if (r < 0.55 && OPERATORS.includes(tokens[i])) tokens[i] = pick(OPERATORS);
    else if (r < 0.7 && /^\d/.test(tokens[i] ?? "")) tokens[i] = pick(["0", "1", "-1", "255", "65536", "4294967296", "99999999999999999999", "7n"]);
    else if (r < 0.8 && /^[A-Za-z_]/.test(tokens[i] ?? "")) tokens[i] = pick(["pid", "comm", "args", "x", "this", "i", "square", "u8", "counts", "ktime", "zz"]);
    else tokens.splice(i, 0, pick(SNIPPETS));
  }
  return tokens.join(" ");
}

/**
 * The size dimension: one handler made long (many blocks, many map operations) or deep (nested
 * ifs, parentheses, conditionals, operator chains: some within the compiler's nesting budget,
 * some past it, which must end in a positioned diagnostic).
 */
function grow(body: string, rand: () => number): string {
  const n = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo));
  const r = rand();
  if (r < 0.25) return Array.from({ length: n(20, 200) }, (_, i) => `if ((args[0] as u32) === ${i}) { ${body} }`).join("\n    ");
  if (r < 0.45) {
    const ops = ["this.counts.add(pid() + I, 1);", "this.counts.set(I, ktime());", "this.calls.add(comm());", "this.pairs.set([I, \"k\"], I);", "this.counts.delete(I);"];
    return Array.from({ length: n(30, 500) }, (_, i) => ops[i % ops.length].replaceAll("I", String(i))).join(" ") + " return 0;";
  }
  const depth = rand() < 0.7 ? n(5, 200) : n(200, 3000);
  if (r < 0.6) return `let x = args[0] as u32; ${"if (x > 1) { x = x - 1; ".repeat(depth)}${body}${" }".repeat(depth)} return x;`;
  if (r < 0.7) return `return ${"(".repeat(depth)}args[1] as u32${")".repeat(depth)};`;
  if (r < 0.8) return `const x = args[0] as u32; return ${Array.from({ length: depth }, (_, i) => `x === ${i} ? ${i} : `).join("")}0;`;
  if (r < 0.9) return `const x = args[0] as u64; return x${" + 1".repeat(depth * 10)};`;
  return `${"{ ".repeat(depth)}${body}${" }".repeat(depth)}`;
}

const MIN_CASES = 100;

test(`fuzzed handlers end in diagnostics or a loadable program (seed ${SEED}, ${SECONDS}s)`, { timeout: (SECONDS + 600) * 1000 }, () => {
  const rand = prng(SEED);
  const outcome = { diagnostics: 0, loaded: 0, verifier: 0 };
  const internal: string[] = [];
  const end = Date.now() + SECONDS * 1000;
  // For SECONDS, and at least MIN_CASES cases however slow the machine (the VM lane's TCG).
  const ran = () => outcome.diagnostics + outcome.loaded + outcome.verifier + internal.length;
  while ((Date.now() < end || ran() < MIN_CASES) && internal.length < 5) {
    const small = mutate(CORPUS[Math.floor(rand() * CORPUS.length)], rand);
    const body = rand() < 0.15 ? grow(small, rand) : small;
    const source = `${PRELUDE}import { HashMap, Count, Histogram } from "tsbpf";\n${EXTRA}class T extends Tracer {\n${FIELDS}  @rawTracepoint("sys_enter")\n  h(args: any) {\n    ${body}\n  }\n}\n`;
    try {
      const spec = compileSource(source);
      const loaded = load(spec);
      loaded.close();
      outcome.loaded++;
    } catch (e) {
      if (e instanceof CompileError) {
        assert.ok(e.diagnostics.length > 0 && e.diagnostics.every((d) => d.line >= 1 && d.column >= 1 && d.code.startsWith("TSB")), "a diagnostic without a code or position");
        outcome.diagnostics++;
      } else if (e instanceof VerifierError) {
        assert.ok(e.diagnostic && e.diagnostic.line >= 1, "a verifier rejection not mapped to a source line");
        removeVerifierLog(e);
        outcome.verifier++;
      } else {
        internal.push(`${(e as Error).stack ?? e}\n--- handler body:\n${body.length > 2000 ? `${body.slice(0, 1000)} ... ${body.slice(-500)}` : body}`);
      }
    }
  }
  const total = outcome.diagnostics + outcome.loaded + outcome.verifier;
  console.log(`fuzz: ${total} cases: ${outcome.diagnostics} diagnostics, ${outcome.loaded} loaded, ${outcome.verifier} verifier rejections`);
  assert.equal(internal.length, 0, `internal errors:\n${internal.join("\n\n")}`);
});
