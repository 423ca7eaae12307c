// Which copy of the compiler a tracer loads. From the npm package's ES modules on Bun: the
// bytecode build in dist/ (pack/bytecode.ts), which skips compiling the compiler's functions on
// their first call, most of a cold start. Everywhere else (Deno, the sources, a copy imported
// from a URL, a bundle of `tsbpf build`, a package packed without Bun): compiler/compile.ts, as
// an ES module; in Bun's bytecode library (pack/bun_library.ts, which does not define the name
// below) that is its compile part, bytecode too.
//
// Only the package's own bundle knows the file's name: pack/bundle.ts defines it at build time
// (TSBPF_BYTECODE_COMPILER), and it is looked for beside this module's chunk in dist/, written
// there when the package was packed, with the same owner as the rest of dist/, and used only
// from a directory not every user can write (not /tmp, where a bundle of dist/'s code may sit). Nothing here writes a file, and no other build of
// this module (sources, `tsbpf build` bundles) looks at all.
import { runtimeName } from "../runtime/ffi/host.ts";
import { fileExists } from "../runtime/files.ts";
import { geteuid, lstat } from "../runtime/file_stat.ts";
import { compilerHost } from "./compiler_host.ts";

declare const TSBPF_BYTECODE_COMPILER: string | undefined;

export type CompilerModule = typeof import("../compiler/compile.ts");

let loaded: Promise<CompilerModule> | undefined;

/** The compiler (compiler/compile.ts's exports), loaded once. */
export function compilerModule(): Promise<CompilerModule> {
  return (loaded ??= load());
}

/** The compiler. Its fallback parser, @babel/parser, is checked only if it is imported: see prepareParse(). */
async function load(): Promise<CompilerModule> {
  const bytecode = bytecodeCompiler();
  if (!bytecode) return import("../compiler/compile.ts");
  const { default: start } = await import(bytecode);
  return start(compilerHost()) as CompilerModule;
}

/**
 * The URL of the bytecode compiler when this is the package's bundle running on Bun, and the file
 * is there, in a directory no other user can add a file to. The code of dist/ may have been
 * bundled again by another bundler (`bun build` of a project that imports tsbpf), and the name
 * then points beside that bundle: in /tmp, say, where anyone can put a compiler.bun.cjs (or the
 * .jsc Bun reads beside it).
 */
export function bytecodeCompiler(): string | undefined {
  if (typeof TSBPF_BYTECODE_COMPILER !== "string" || runtimeName !== "bun") return undefined;
  const url = new URL(`./${TSBPF_BYTECODE_COMPILER}`, import.meta.url);
  if (url.protocol !== "file:") return undefined;
  const path = decodeURIComponent(url.pathname);
  return fileExists(path) && onlyOursCanAdd(path.slice(0, path.lastIndexOf("/"))) ? url.href : undefined;
}

/**
 * Whether only root, we or the owner of this module's own file (a user's project run with sudo)
 * can add a file to `dir`: it belongs to one of them, and neither its group nor every user can
 * write it (not /tmp). Otherwise the ES module compiler does the same work, only slower.
 */
function onlyOursCanAdd(dir: string): boolean {
  const st = lstat(dir), chunk = lstat(decodeURIComponent(new URL(import.meta.url).pathname));
  if (typeof st === "number" || typeof chunk === "number") return false;
  return (st.mode & 0o022) === 0 && [0, geteuid(), chunk.uid].includes(st.uid);
}
