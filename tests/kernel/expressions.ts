// Random integer expressions for the differential test, each generated together with the
// value the language's documented semantics give it (compiler/semantics.ts).
import { commonType, evalBinary, evalCompare, wrap, type BinaryOp, type CompareOp } from "../../compiler/semantics.ts";
import { INT_TYPES, type IntType, i64, u8 } from "../../spec/layout.ts";

interface Val {
  type: IntType;
  value: bigint;
  literal: boolean;
}

export interface Case {
  /** Declarations of the variables, then the expression, as handler source. */
  source: string;
  expected: bigint; // as u64
  args: bigint[];
}

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = Object.entries(INT_TYPES);
const ARITH: BinaryOp[] = ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", ">>>"];
const COMPARE: CompareOp[] = ["==", "!=", "<", "<=", ">", ">="];
const VARS = 4;

export function generate(rand: () => number): Case {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const interesting = [0n, 1n, 2n, 3n, 7n, 31n, 32n, 63n, 64n, 127n, 128n, 255n, 256n, 0x7fffn, 0x8000n, 0xffffn,
    0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];
  const randomArg = () => {
    const r = rand();
    if (r < 0.4) return pick(interesting) * (rand() < 0.3 ? -1n : 1n);
    if (r < 0.7) return BigInt(Math.floor(rand() * 1000)) - 500n;
    return (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32));
  };
  const args = Array.from({ length: VARS }, () => BigInt.asUintN(64, randomArg()));
  const varTypes = Array.from({ length: VARS }, () => pick(TYPES));
  const vars: Val[] = varTypes.map(([, t], i) => ({ type: t, value: wrap(args[i], t), literal: false }));

  const literal = (): [string, Val] => {
    const v = rand() < 0.5 ? BigInt(Math.floor(rand() * 70)) : pick(interesting.slice(0, 19));
    return [String(v), { type: i64, value: v, literal: true }];
  };
  const unify = (a: Val, b: Val): [Val, Val] => {
    if (a.literal && !b.literal) return [{ type: b.type, value: wrap(a.value, b.type), literal: false }, b];
    if (b.literal && !a.literal) return [a, { type: a.type, value: wrap(b.value, a.type), literal: false }];
    return [a, b];
  };

  const expr = (depth: number): [string, Val] => {
    const r = rand();
    if (depth === 0 || r < 0.2) {
      if (rand() < 0.3) return literal();
      const i = Math.floor(rand() * VARS);
      return [`v${i}`, vars[i]];
    }
    if (r < 0.3) {
      const [s, v] = expr(depth - 1);
      const [name, t] = pick(TYPES);
      return [`(${s} as ${name})`, { type: t, value: wrap(v.value, t), literal: false }];
    }
    if (r < 0.37) {
      const [s, v] = expr(depth - 1);
      if (v.literal) return [`(-${s})`, { ...v, value: -v.value }];
      return [`(-${s})`, { type: v.type, value: wrap(-v.value, v.type), literal: false }];
    }
    if (r < 0.42) {
      const [s, v] = expr(depth - 1);
      return [`(~${s})`, { type: v.type, value: evalBinary("^", v.type, v.value, wrap(-1n, v.type)), literal: v.literal }];
    }
    if (r < 0.47) {
      // c ? a : b, both arms in their common type
      const [sc, c] = expr(depth - 1), [sa, a0] = expr(depth - 1), [sb, b0] = expr(depth - 1);
      const [a, b] = unify(a0, b0);
      const t = commonType(a.type, b.type);
      return [`(${sc} ? ${sa} : ${sb})`, { type: t, value: c.value !== 0n ? wrap(a.value, t) : wrap(b.value, t), literal: false }];
    }
    if (r < 0.52) {
      const op = pick(COMPARE);
      const [sa, a0] = expr(depth - 1), [sb, b0] = expr(depth - 1);
      const [a, b] = unify(a0, b0);
      return [`(${sa} ${op === "==" ? "===" : op === "!=" ? "!==" : op} ${sb})`, { type: u8, value: evalCompare(op, a.value, b.value) ? 1n : 0n, literal: false }];
    }
    const op = pick(ARITH);
    const [sa, a0] = expr(depth - 1), [sb, b0] = expr(depth - 1);
    const [a, b] = unify(a0, b0);
    const shift = op === "<<" || op === ">>" || op === ">>>";
    const t = shift ? a.type : commonType(a.type, b.type);
    const x = wrap(a.value, t), y = shift ? BigInt.asUintN(64, b.value) : wrap(b.value, t);
    return [`(${sa} ${op} ${sb})`, { type: t, value: evalBinary(op, t, x, y), literal: a0.literal && b0.literal }];
  };

  const [text, val] = expr(1 + Math.floor(rand() * 4));
  const decls = varTypes.map(([name], i) => `    const v${i} = args[${i}] as ${name};`).join("\n");
  return {
    source: `${decls}\n    const r = (${text}) as u64;\n    if (args[10] === 0) return r;\n    return r >> 32;`,
    expected: BigInt.asUintN(64, val.value),
    args,
  };
}
