// The fuzz tests' generator: handlers mutated token by token (mutate) and grown long or deep
// (grow), from a corpus of handlers that compile. Pure: the kernel fuzz test loads what compiles,
// the unit one checks the compiler against the fake target.
import { PRELUDE } from "./handler_source.ts";

export const CORPUS = [
  "const a = args[0] as u32; let s: u32 = 0; for (let i = 0; i < 8; i++) { if (i === a) break; s += i * a; } return s;",
  "switch (args[1] as u32) { case 1: return 10; case 2: case 3: return 20; default: return square(args[0] as u32); }",
  "this.counts.add(pid(), 1); const v = this.counts.get(pid()); return v > 3n ? 1 : 0;",
  "this.events.submit({ pid: pid(), comm: comm(), value: args[0] as i64 }); return 0;",
  "const t = curtask(); const p = t.real_parent; if (p.tgid === ppid()) return 1; return 0;",
  "this.calls.add(comm()); this.lat.add(ktime() & 0xffffn); return cpu() < 64 ? 1 : 0;",
  "let x: i8 = args[0] as i8; x += 100; x >>= 2; const y = x < 0 ? -x : x; return (y as u32) ^ 0xff;",
  "const k = [pid(), comm()]; this.pairs.set([pid(), \"x\"], 5); return this.pairs.has([pid(), \"x\"]) ? 1 : 0;",
];
export const FIELDS = `  counts = new HashMap<u32, u64>();
  events = new RingBuf<Ev>(4096);
  calls = new Count<Str<16>>();
  lat = new Histogram();
  pairs = new HashMap<[u32, Str<8>], u32>();
  limit: u32 = 7;
`;
export const EXTRA = `interface Ev { pid: u32; comm: Str<16>; value: i64 }
function square(x: u32): u32 { return x * x; }
`;
export const SNIPPETS = [
  "for (;;) {}", "while (true) {}", "try { pid(); } catch {}", "this.", "args[", "new Foo()", "await 1", "class {}", "`x${1}`",
  "[1, 2, 3]", "{ ...args }", "args?.x", "function f() {}", "return;", "break;", "continue;", "throw 1;", "undefined", "null",
  "this.limit", "this.nope.add(1)", "str(args[0])", "str(1)", "comm() + 1", "1.5", "0xffffffffffffffffffn", "-9223372036854775808",
  "x = 1;", "let z;", "const q = q;", "square(1, 2)", "square()", "this.counts.get()", "this.events.submit(1)", "kstack()",
  "for (let i = 0; i < 100000000; i++) {}", "for (let i = 0; i < args[0]; i++) {}", "if (", ")", "}", "{", ";", ",", "=>", "as u8",
  "curtask().nope", "curtask().comm[99]", "args[99]", "args[-1]", "ppid(1)", "pid", "1 / 0", "1 % 0", "1 << 99",
];
export const OPERATORS = ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", ">>>", "<", "<=", ">", ">=", "===", "!==", "&&", "||", "=", "+=", "?", ":"];

export function mutate(body: string, rand: () => number): string {
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
export function grow(body: string, rand: () => number): string {
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

/** A whole script around one fuzzed handler body. */
export function fuzzSource(body: string): string {
  return `${PRELUDE}import { HashMap, Count, Histogram } from "tsbpf";\n${EXTRA}class T extends Tracer {\n${FIELDS}  @rawTracepoint("sys_enter")\n  h(args: any) {\n    ${body}\n  }\n}\n`;
}
