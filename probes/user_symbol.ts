// The instruction a uprobe names inside a binary, "symbol", "symbol+offset" or "0xADDRESS",
// as the file offset the uprobe PMU wants (not an address: PIEs and libraries load anywhere).
import { ProbeLookupError } from "../spec/target.ts";
import { closest } from "../spec/diagnostics.ts";
import { PF } from "../elf/mod.ts";
import { type UserBinary, userBinary } from "./user_binary.ts";

export function symbolFileOffset(bin: UserBinary, spec: string): number {
  const { elf, display } = bin;
  if (/^0x[0-9a-f]+$/i.test(spec)) {
    const addr = Number(spec);
    // A breakpoint outside executable code would never be hit.
    const code = elf.loadSegments().some((p) => p.flags & PF.X && addr >= p.vaddr && addr - p.vaddr < p.filesz);
    if (!code) throw new ProbeLookupError(`address ${spec} is not in the code of "${display}"`, ["give a link-time address of an instruction, as `objdump -d` prints them"]);
    return elf.fileOffset(addr)!;
  }
  const m = /^(.+?)\+(0x[0-9a-f]+|\d+)$/i.exec(spec);
  const name = m ? m[1] : spec;
  const extra = m ? Number(m[2]) : 0;
  const symbols = elf.symbols();
  const sym = symbols.lookup(name);
  if (!sym) throw noSymbol(bin, name);
  if (sym.type === "object" || sym.type === "tls") {
    throw new ProbeLookupError(`"${name}" in "${display}" is a variable, not a function`);
  }
  if (sym.type === "ifunc") {
    const impls = closest(name, symbols.match(`*${name}*`).filter((s) => s.type === "func").map((s) => s.name), 3);
    throw new ProbeLookupError(`"${name}" in "${display}" is an IFUNC: its code picks an implementation when the program loads, so a uprobe there would trace only that choice`,
      [impls.length ? `attach to the implementation the CPU uses, e.g. ${impls.map((s) => `"${s}"`).join(" or ")}` : "its implementations are named only in its debug symbols: trace a caller instead, or attach by address"]);
  }
  if (sym.size && extra >= sym.size) {
    throw new ProbeLookupError(`offset ${extra} is past the end of "${name}" (${sym.size} bytes)`);
  }
  const offset = elf.fileOffset(sym.value + extra);
  if (offset === undefined) throw new ProbeLookupError(`"${name}" in "${display}" has no code in the file (address 0x${sym.value.toString(16)})`);
  return offset;
}

/** Libraries whose functions glibc 2.34 moved into libc, leaving stubs that keep only version names. */
const MERGED_INTO_LIBC = /^lib(pthread|dl|rt|util|anl)\.so(\.\d+)*$/;

/** For `name` missing from such a stub: the hint to name libc, when the libc beside it has `name`. */
function movedIntoLibc(bin: UserBinary, name: string): string | undefined {
  const file = bin.path.slice(bin.path.lastIndexOf("/") + 1);
  const lib = MERGED_INTO_LIBC.exec(file)?.[1];
  if (!lib) return undefined;
  try {
    const libc = userBinary(`${bin.path.slice(0, bin.path.lastIndexOf("/"))}/libc.so.6`);
    if (libc.elf.symbols().lookup(name)?.type !== "func") return undefined;
  } catch {
    return undefined;
  }
  return `glibc 2.34 moved lib${lib}'s functions into libc, where "${name}" is: write "libc:${name}"`;
}

function noSymbol(bin: UserBinary, name: string): ProbeLookupError {
  const { elf, display } = bin;
  const symbols = elf.symbols();
  const functions = symbols.symbols.filter((s) => s.type === "func" && s.name.length > 2).map((s) => s.name);
  const near = closest(name, functions);
  const hints = near.length ? [`did you mean ${near.map((n) => `"${n}"`).join(" or ")}?`] : [];
  const stripped = elf.section(".symtab") === undefined;
  if (stripped) {
    hints.push(`"${display}" is stripped: only its ${symbols.count} exported symbols have names; attach by address (0x...) or install its debug symbols`);
  }
  const moved = movedIntoLibc(bin, name);
  if (moved) hints.unshift(moved);
  if (functions.length === 0) return new ProbeLookupError(`"${display}" has no function symbols at all (fully stripped)`, ["attach by address: \"path:0x1234\""]);
  return new ProbeLookupError(`"${display}" has no function "${name}"`, hints);
}
