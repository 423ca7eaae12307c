// Which copy of the compiler a tracer loads. From the npm package on Bun: the bytecode build in
// dist/ (pack/bytecode.ts), which skips compiling the compiler's functions on their first call,
// most of a cold start. Everywhere else (Deno, sources, a copy imported from a URL, a package
// packed without Bun): compiler/compile.ts, as an ES module.
//
// The file is found from this module's own URL only (runtime/own_files.ts): it is part of the
// package, with the same owner as the rest of dist/, and nothing here writes or picks another.
import { OWN_BUNDLED, OWN_ROOT } from "../runtime/own_files.ts";
import { runtimeName } from "../runtime/ffi/host.ts";
import { fileExists } from "../runtime/files.ts";

/** The bytecode build's name in dist/ (Bun reads its bytecode from the same name + ".jsc"). */
export const BYTECODE_COMPILER = "compiler.bun.cjs";

export type CompilerModule = typeof import("../compiler/compile.ts");

let loaded: Promise<CompilerModule> | undefined;

/** The compiler (compiler/compile.ts's exports), loaded once. */
export function compilerModule(): Promise<CompilerModule> {
  return (loaded ??= load());
}

async function load(): Promise<CompilerModule> {
  const bytecode = bytecodeCompiler();
  if (!bytecode) return import("../compiler/compile.ts");
  const [{ default: start }, { COMPILER_HOST }] = await Promise.all([import(bytecode), import("./compiler_host.ts")]);
  return start(COMPILER_HOST) as CompilerModule;
}

/** The URL of dist/compiler.bun.cjs when this is the package's bundle running on Bun and the file is there. */
export function bytecodeCompiler(): string | undefined {
  if (!OWN_BUNDLED || runtimeName !== "bun" || !OWN_ROOT.startsWith("file:")) return undefined;
  const url = new URL(`dist/${BYTECODE_COMPILER}`, OWN_ROOT);
  return fileExists(decodeURIComponent(url.pathname)) ? url.href : undefined;
}
