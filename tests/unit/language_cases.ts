// Every construct of the handler language, as [what, handler body, expected low 32 bits of the
// result with args [5, -3, 1000, 0]]: run in the kernel by tests/kernel/language.test.ts,
// compiled against the fake target by tests/unit/compile_cases.test.ts.
import process from "node:process";

export const FUNCTIONS = `
function square(x: u32): u32 { return x * x; }
const add3 = (a: u32, b: u32, c: u32): u32 => a + b + c;
function clamp(x: i32, lo: i32, hi: i32): i32 {
  if (x < lo) return lo;
  if (x > hi) return hi;
  return x;
}
function sumTo(n: u32): u32 {
  let s: u32 = 0;
  for (let i = 0; i < 20; i++) { if (i >= n) break; s += i; }
  return s;
}
`;

// [what, handler body, expected low 32 bits of the result]; args are [5, -3, 1000, 0].
export const CASES: [string, string, number][] = [
  ["literal", "return 42;", 42],
  ["const and let", "const a = 2; let b = a + 3; b = b * 4; return b;", 20],
  ["args as typed values", "const a = args[0] as u32; const b = args[1] as i32; return a + b;", 2],
  ["u8 wrap-around", "let x: u8 = 250; x += 10; return x;", 4],
  ["i8 sign", "const x = 200 as i8; return x < 0 ? 1 : 0;", 1],
  ["u32 overflow wraps", "const x = 0xffffffff as u32; return (x + 2) as u32;", 1],
  ["signed division truncates toward zero", "const x = args[1] as i32; return (x / 2) as u32;", 0xffffffff],
  ["signed modulo keeps the dividend's sign", "const x = -7 as i32; return ((x % 3) + 10) as u32;", 9],
  ["unsigned division", "const x = args[2] as u32; return x / 7;", 142],
  ["division by zero is zero", "const x = args[0] as u32; const z = args[3] as u32; return x / z;", 0],
  ["modulo by zero is the dividend", "const x = args[0] as u32; const z = args[3] as u32; return x % z;", 5],
  ["shifts: arithmetic for signed, logical for unsigned", "const s = -16 as i32; const u = 0x80000000 as u32; return ((s >> 2) === -4 && (u >> 31) === 1) ? 1 : 0;", 1],
  [">>> on a signed value", "const s = -1 as i8; return s >>> 4;", 0x0f],
  ["shift amount wraps at the width", "const x = 1 as u32; const n = args[0] as u32; return x << (n + 32);", 32],
  ["shift amount wraps at a u8's width", "const a = 1 as u8; return a << 12;", 16],
  ["bitwise and, or, xor, not", "const a = 0b1100 as u32; const b = 0b1010 as u32; return ((a & b) << 12) | ((a | b) << 8) | ((a ^ b) << 4) | (~a & 0xf);", 0x8e63],
  ["mixed comparison is exact: -1 < u64 max", "const s = -1 as i64; const u = 0xffffffffffffffffn as u64; return s < u ? 1 : 0;", 1],
  ["mixed comparison: i32 -1 vs u32 0", "const s = -1 as i32; const u = 0 as u32; return s < u ? 1 : 0;", 1],
  ["mixed equality: -1 is not u64 max", "const s = -1 as i64; const u = 0xffffffffffffffffn as u64; return s === u ? 1 : 0;", 0],
  ["&& and || short-circuit", "const a = args[0] as u32; return (a > 3 && a < 10) || a === 100 ? 1 : 0;", 1],
  ["! and boolean values", "const t = args[0] as u32 > 1; const f = !t; return (t ? 2 : 0) + (f ? 1 : 0);", 2],
  ["ternary picks a typed value", "const a = args[0] as u32; return a > 4 ? a * 2 : a;", 10],
  ["compound assignment", "let x: u32 = 10; x -= 3; x *= 6; x /= 2; x %= 8; x <<= 3; x |= 1; x ^= 3; x &= 0xff; return x;", 42],
  ["++ and --", "let i: u32 = 5; i++; i++; i--; const j = i++; return j * 10 + i;", 67],
  ["if / else if / else", "const a = args[2] as u32; if (a < 10) return 1; else if (a < 2000) return 2; else return 3;", 2],
  ["early return skips the rest", "if ((args[0] as u32) === 5) return 7; return 9;", 7],
  ["for loop with a constant bound", "let s: u32 = 0; for (let i = 0; i < 10; i++) s += i; return s;", 45],
  ["for loop counting down by 3", "let s: u32 = 0; for (let i = 30; i > 0; i -= 3) s += 1; return s;", 10],
  ["break and continue", "let s: u32 = 0; for (let i = 0; i < 100; i++) { if (i % 2 === 0) continue; if (i > 9) break; s += i; } return s;", 25],
  ["nested loops", "let s: u32 = 0; for (let i = 0; i < 4; i++) { for (let j = 0; j < 5; j++) { s += i * j; } } return s;", 60],
  ["switch with fall-through and default", "let n: u32 = 0; switch (args[0] as u32) { case 4: n = 1; case 5: n += 2; case 6: n += 4; break; default: n = 100; } return n;", 6],
  ["switch default", "switch (args[2] as u32) { case 1: return 1; default: return 77; }", 77],
  ["call of a function", "return square(args[0] as u32);", 25],
  ["arrow function", "return add3(1, 2, args[0] as u32);", 8],
  ["function with several returns", "return (clamp(args[2] as i32, 0, 100) + clamp(args[1] as i32, 0, 100)) as u32;", 100],
  ["function with a loop", "return sumTo(args[0] as u32);", 10],
  ["casts truncate and extend", "const big = 0x123456789n as u64; const t = big as u16; const s = (0xff as u8) as i8; return t + (s === -1 ? 1 : 0);", 0x678a],
  ["pid() and tid() of the running task", "return pid() > 0 && tid() > 0 ? 1 : 0;", 1],
  ["ktime() moves forward", "const a = ktime(); const b = ktime(); return b >= a && a > 0n ? 1 : 0;", 1],
  ["cpu() is a valid CPU", "return cpu() < 1024 ? 1 : 0;", 1],
  ["kernel struct through BTF: curtask().tgid is pid()", "return curtask().tgid === pid() ? 1 : 0;", 1],
  ["pointer chasing: real_parent.tgid is ppid()", "return curtask().real_parent.tgid === ppid() ? 1 : 0;", 1],
  ["kernel const alias", "const t = curtask(); const p = t.real_parent; return p.tgid === ppid() && t.pid === tid() ? 1 : 0;", 1],
  ["?? reads a kernel field that exists", "return curtask().tgid ?? 7;", process.pid],
  ["?? takes its right side for a field this kernel lacks", "const t = curtask(); return (t.no_such_field ?? t.tgid) === pid() ? 1 : 0;", 1],
  ["?? with a constant fallback", "return curtask().real_parent.no_such_field ?? 9;", 9],
];
