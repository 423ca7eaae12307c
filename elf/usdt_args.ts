/**
 * Decodes the argument string of a SystemTap SDT probe on x86-64 into typed records.
 *
 * <sys/sdt.h> has the compiler print each argument as `[-]SIZE@OPERAND` with GNU assembler
 * (AT&T) syntax, space-separated: `-4@%edi 8@-8(%rbp) 8@%rax -4@$5 8@16(%rax,%rdx,8)`.
 * SIZE is 1, 2, 4 or 8 bytes and a leading `-` means signed. OPERAND is a register, an
 * immediate (`$5`), or memory `disp(base,index,scale)` where the displacement may name a
 * symbol (`counter+4(%rip)`). Segment-relative operands (`%fs:8`) cannot be evaluated from
 * pt_regs and are refused.
 */
import { ElfError } from "./error.ts";
import { type X86Register, x86Register } from "./x86_regs.ts";

interface ArgBase {
  /** Bytes of the value: 1, 2, 4 or 8. */
  readonly size: 1 | 2 | 4 | 8;
  /** Whether the value is sign-extended to 64 bits (a leading "-" on the size). */
  readonly signed: boolean;
  /** The argument as written, e.g. "-4@%edi". */
  readonly text: string;
}

/** The value is in a register. */
export interface UsdtRegArg extends ArgBase {
  readonly kind: "reg";
  readonly reg: X86Register;
}

/** The value is in memory at `base + index * scale + disp` (+ the address of `symbol`). */
export interface UsdtMemArg extends ArgBase {
  readonly kind: "mem";
  readonly base: X86Register | undefined;
  readonly index: X86Register | undefined;
  readonly scale: 1 | 2 | 4 | 8;
  readonly disp: number;
  /** A symbol the displacement is relative to (`counter(%rip)`), resolved at link time. */
  readonly symbol: string | undefined;
}

/** The value is a constant. */
export interface UsdtConstArg extends ArgBase {
  readonly kind: "const";
  readonly value: bigint;
}

export type UsdtArg = UsdtRegArg | UsdtMemArg | UsdtConstArg;

/** Thrown inside the parser; turned into an ElfError with the probe and the byte offset. */
class ArgSyntax extends Error {}

/**
 * Parses an x86-64 SDT argument string. `probe` names the probe and `at` is the file offset of
 * the string, for the error message.
 *
 * @throws {ElfError} naming the argument, what is wrong with it, and its byte offset.
 */
export function parseUsdtArgs(spec: string, probe = "probe", at?: number): UsdtArg[] {
  const args: UsdtArg[] = [];
  for (const { text, start } of splitArgs(spec)) {
    try {
      args.push(parseArg(text));
    } catch (e) {
      if (!(e instanceof ArgSyntax)) throw e;
      const where = at === undefined ? undefined : at + start;
      throw new ElfError(`Cannot decode argument ${args.length + 1} "${text}" of USDT probe ${probe}: ${e.message}`, where);
    }
  }
  return args;
}

/** Splits at whitespace outside parentheses (an assembler may print `(%rax, %rdx, 8)`). */
function splitArgs(spec: string): { text: string; start: number }[] {
  const out: { text: string; start: number }[] = [];
  let depth = 0;
  let start = -1;
  for (let i = 0; i <= spec.length; i++) {
    const c = spec[i];
    const space = c === undefined || ((c === " " || c === "\t" || c === "\n") && depth === 0);
    if (space) {
      if (start >= 0) out.push({ text: spec.slice(start, i), start });
      start = -1;
      continue;
    }
    if (start < 0) start = i;
    if (c === "(") depth++;
    else if (c === ")" && depth > 0) depth--;
  }
  return out;
}

function parseArg(text: string): UsdtArg {
  const m = /^(-?)(\d+)@(.+)$/s.exec(text);
  // Very old SDT versions wrote bare operands; take those as unsigned 64-bit values.
  const signed = m ? m[1] === "-" : false;
  const sizeNum = m ? Number(m[2]) : 8;
  const op = m ? m[3] : text;
  if (sizeNum !== 1 && sizeNum !== 2 && sizeNum !== 4 && sizeNum !== 8) {
    throw new ArgSyntax(`size ${sizeNum} is not 1, 2, 4 or 8`);
  }
  const size = sizeNum as 1 | 2 | 4 | 8;
  if (op.startsWith("$")) return { kind: "const", size, signed, text, value: parseInteger(op.slice(1), true) };
  if (/^%[a-z0-9]+:/i.test(op)) throw new ArgSyntax(`segment-relative operands (thread-local data) are not supported`);
  if (op.startsWith("%")) return { kind: "reg", size, signed, text, reg: register(op) };
  return { kind: "mem", size, signed, text, ...parseMemory(op) };
}

function parseMemory(op: string): Pick<UsdtMemArg, "base" | "index" | "scale" | "disp" | "symbol"> {
  const paren = op.indexOf("(");
  const dispText = paren < 0 ? op : op.slice(0, paren);
  let base: X86Register | undefined;
  let index: X86Register | undefined;
  let scale: 1 | 2 | 4 | 8 = 1;
  if (paren >= 0) {
    if (!op.endsWith(")")) throw new ArgSyntax(`memory operand does not end with ")"`);
    const parts = op.slice(paren + 1, -1).split(",").map((p) => p.trim());
    if (parts.length > 3) throw new ArgSyntax(`memory operand has more than base, index and scale`);
    if (parts[0] !== "") base = register(parts[0]);
    if (parts.length >= 2) index = register(parts[1]);
    if (parts.length === 3) {
      const s = Number(parts[2]);
      if (s !== 1 && s !== 2 && s !== 4 && s !== 8) throw new ArgSyntax(`scale "${parts[2]}" is not 1, 2, 4 or 8`);
      scale = s;
    }
    if (!base && !index) throw new ArgSyntax(`memory operand has no registers in its parentheses`);
  }
  const { disp, symbol } = parseDisplacement(dispText);
  if (paren < 0 && symbol === undefined && dispText === "") throw new ArgSyntax(`empty operand`);
  return { base, index, scale, disp, symbol };
}

/** `-8`, `0x10`, `counter`, `counter+4`, `counter-0x8`, or empty. */
function parseDisplacement(text: string): { disp: number; symbol: string | undefined } {
  if (text === "") return { disp: 0, symbol: undefined };
  const m = /^([A-Za-z_.$][\w.$@]*)(?:([+-])(.+))?$/.exec(text);
  if (!m) return { disp: safe(parseInteger(text, true)), symbol: undefined };
  const off = m[3] === undefined ? 0 : safe(parseInteger(m[3], false));
  return { disp: m[2] === "-" ? -off : off, symbol: m[1] };
}

/** Displacements are numbers like every address here; x86 encodes at most 32 bits of one. */
function safe(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ArgSyntax(`displacement ${v} is too large`);
  }
  return Number(v);
}

/** Decimal, or hex with 0x; a leading "-" when `allowSign`. Must fit 64 bits. */
function parseInteger(text: string, allowSign: boolean): bigint {
  const neg = allowSign && text.startsWith("-");
  const digits = neg ? text.slice(1) : text;
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(digits)) throw new ArgSyntax(`"${text}" is not an integer`);
  const v = BigInt(digits);
  if (v >= 1n << 64n) throw new ArgSyntax(`${text} does not fit in 64 bits`);
  return neg ? -v : v;
}

function register(text: string): X86Register {
  if (!text.startsWith("%")) throw new ArgSyntax(`"${text}" is not a register (no "%")`);
  const r = x86Register(text);
  if (!r) throw new ArgSyntax(`unknown x86-64 register "${text}"`);
  return r;
}
