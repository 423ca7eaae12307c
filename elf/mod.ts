/** The ELF module: a pure reader for executables and shared objects, their symbols and USDT probes. */
export { Elf } from "./reader.ts";
export { ElfError } from "./error.ts";
export {
  type ElfSymbol,
  type SymbolBinding,
  type Symbolized,
  SymbolTable,
  type SymbolType,
  type SymbolVisibility,
  versionedName,
} from "./symbols.ts";
export { globMatch, globMatcher } from "./glob.ts";
export { UsdtProbe, usdtProbes } from "./usdt.ts";
export { parseUsdtArgs, type UsdtArg, type UsdtConstArg, type UsdtMemArg, type UsdtRegArg } from "./usdt_args.ts";
export { PT_REGS, PT_REGS_SIZE, type PtRegsField, type X86Register, x86Register } from "./x86_regs.ts";
export type * from "./types.ts";
export { EM, ET, PF, PT, SHF, SHN, SHT } from "./types.ts";
