// `tsbpf build script.ts -o script.bundle.js`: one file that runs without tsbpf installed, on
// other kernels too. The bundling is build/bundle.ts's; this is its command line. With
// --compile, the bundle becomes one executable (the runtime inside: no Bun or Deno needed).
// The bundle is signed with the host's key, or --key FILE's (tracer/bundle_signature.ts);
// --show-key prints that key's public line for another host's /etc/tsbpf/trusted-keys.
import process from "node:process";
import { spawnSync } from "node:child_process";
import { basename, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCommand } from "../args.ts";
import { CliError, UsageError } from "../errors.ts";
import { HELP } from "../help.ts";
import { fileExists, readFileBytes, writeFileAtomic } from "../../runtime/files.ts";
import { freshPrivateDir, trustedCodeDir, trustedCodeFile, UntrustedDirError } from "../../runtime/private_dir.ts";
import { checkBabelPlace, trustedOwners } from "../../runtime/package_place.ts";
import { rmdir, unlink } from "../../runtime/file_stat.ts";
import { runtimeName } from "../../runtime/ffi/host.ts";

const OPTIONS = {
  output: { type: "string", short: "o" }, compile: { type: "boolean" }, key: { type: "string" }, "show-key": { type: "boolean" }, help: { type: "boolean", short: "h" },
} as const;

export async function buildCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, OPTIONS, "build");
  if (values.help) return (console.log(HELP.build), 0);
  if (values["show-key"]) return await showKey(typeof values.key === "string" ? values.key : undefined);
  const key = typeof values.key === "string" ? values.key : undefined;
  if (positionals.length !== 1) throw new UsageError("needs one script: tsbpf build script.ts -o script.bundle.js", "build");
  const script = positionals[0];
  if (!fileExists(script)) throw new CliError(`No such script: ${script}`);
  const stem = script.replace(/\.[cm]?[jt]s$/, "");
  const outfile = typeof values.output === "string" ? values.output : values.compile ? basename(stem) : `${stem}.bundle.js`;
  const bundle = await loadBundler();
  if (!values.compile) {
    const result = await bundleOrExplain(bundle, script, outfile, key);
    console.error(`tsbpf build: wrote ${result.outfile} (${(result.bytes / 1024).toFixed(0)} KiB; tracers: ${result.tracers.join(", ")}; ${signedNote(result.signed)})`);
    return 0;
  }
  if (runtimeName === "deno") checkDenortPlace();
  // Bundled and compiled in a private directory; only the finished executable is written to
  // `outfile`, replaced whole (the compilers open their output O_TRUNC, following a planted symlink).
  const dir = freshPrivateDir("tsbpf-build");
  const js = `${dir}/bundle.js`, exe = `${dir}/${basename(outfile) || "tool"}`;
  // bun build maps every import of the bundle (node:fs, bun:ffi too) through the "paths" of the
  // nearest tsconfig.json above it: above the private directory that is TMPDIR's (/tmp), anyone's.
  const tsconfig = `${dir}/tsconfig.json`;
  try {
    writeFileAtomic(tsconfig, new TextEncoder().encode("{}\n"), 0o600);
    // The executable has no bundle file to read a section from: the compiler stays in the code
    // (deflated for Bun; deno compile is given the data: URL it can see as it is).
    const result = await bundleOrExplain(bundle, script, js, key, runtimeName === "bun" ? "deflated" : true);
    const compileWith = (cmd: string[]) => spawnSync(cmd[0], cmd.slice(1), { cwd: dir, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    let cmd = compileCommand(runtimeName, process.execPath, js, exe, tsconfig);
    // In the private directory: bun build reads bunfig.toml (whose [define] rewrites the code) and
    // .env from its working directory, which may be another user's.
    let r = compileWith(cmd);
    if (r.status !== 0 && cmd.includes(BYTECODE)) {
      // A Bun that cannot make bytecode of an ES module: the same executable, starting slower.
      cmd = cmd.filter((a) => a !== BYTECODE);
      r = compileWith(cmd);
    }
    if (r.status !== 0) throw new CliError(`Cannot compile the bundle into one executable (${cmd.slice(0, 3).join(" ")}): ${why(r.stderr || r.error?.message || "")}`);
    const bytes = readFileBytes(exe);
    if (!bytes) throw new CliError(`${cmd[0]} wrote no executable`);
    writeFileAtomic(outfile, bytes, 0o755);
    console.error(`tsbpf build: wrote ${outfile} (${(bytes.length / 1e6).toFixed(0)} MB, one executable: runs with neither Bun nor Deno installed; tracers: ${result.tracers.join(", ")}; ${signedNote(result.signed)})`);
    return 0;
  } finally {
    unlink(js);
    unlink(exe);
    unlink(tsconfig);
    rmdir(dir);
  }
}

const BYTECODE = "--bytecode";

/**
 * The command that compiles the bundle `js` with `runtime` (at `execPath`) into the executable
 * `exe`. Under Bun, with JavaScriptCore's bytecode of the bundle inside (`--bytecode`, as an ES
 * module: the bundle awaits at its top level): the executable then starts without parsing or
 * compiling its JavaScript, which was most of a bundle's start (bench/NOTES.md). The bytecode is
 * made here from the bundle and travels inside the executable, so it is exactly as trustworthy
 * as the executable's own code; nothing is cached or read from elsewhere when it runs.
 */
export function compileCommand(runtime: string, execPath: string, js: string, exe: string, tsconfig: string): string[] {
  return runtime === "bun"
    // A Bun executable reads bunfig.toml (importing its preload) and .env from the directory it
    // runs in, which may be another user's (/tmp): root would run their code. Neither is read.
    ? [execPath, "build", "--compile", BYTECODE, "--format=esm", "--no-compile-autoload-bunfig", "--no-compile-autoload-dotenv", "--no-compile-autoload-tsconfig", "--no-compile-autoload-package-json", `--tsconfig-override=${tsconfig}`, js, "--outfile", exe]
    : [execPath, "compile", "--quiet", "--allow-all", "--no-config", "--output", exe, js];
}

type Bundler = typeof import("../../build/bundle.ts").bundle;

/**
 * build/bundle.ts, which needs esbuild: an optional dependency of the package, since only `tsbpf
 * build` uses it. It imports the compiler with @babel/parser (and bundles that parser): both are
 * checked for where they are found first (tests/security/parser_place_build.test.ts).
 */
async function loadBundler(): Promise<Bundler> {
  checkEsbuildPlace();
  checkBabelPlace();
  try {
    return (await import("../../build/bundle.ts")).bundle;
  } catch (e) {
    if (/esbuild/.test(String((e as Error)?.message))) {
      throw new CliError("tsbpf build needs esbuild, an optional dependency of tsbpf: install it beside tsbpf (npm install esbuild), then run tsbpf build again");
    }
    throw e;
  }
}

/**
 * Both runtimes find esbuild by walking up the node_modules directories from tsbpf's package,
 * past the project: for a project under /tmp without esbuild, up to /tmp/node_modules, which any
 * user can create. So the package found must be in directories that only root, we or the owner
 * of tsbpf's own package (a user's clone run with sudo) can change.
 */
function checkEsbuildPlace(): void {
  let url: string;
  try {
    url = import.meta.resolve("esbuild");
  } catch {
    return; // not installed: importing it says so below
  }
  if (!url.startsWith("file:")) return; // Deno's own npm cache, not a walk up node_modules
  const file = fileURLToPath(url);
  const owners = trustedOwners();
  const dir = /^(.*\/node_modules\/esbuild)\//.exec(file)?.[1] ?? dirname(file);
  let real: string;
  try {
    real = trustedCodeDir(dir, owners);
    // And what the import reads below it (lib/, its module, the package.json naming it).
    trustedCodeFile(file, owners);
    trustedCodeFile(`${dir}/package.json`, owners);
  } catch (e) {
    if (!(e instanceof UntrustedDirError)) throw e;
    throw new CliError(`tsbpf build: not importing esbuild from ${dir}, since another user could have put it there: ${e.message}. Install esbuild beside tsbpf (npm install esbuild) in a project no other user can write`);
  }
  // esbuild's JavaScript runs the binary of its platform package, found by another walk up the
  // node_modules directories, from its own: without that package beside it, the walk reaches
  // /tmp/node_modules as well. So its binary is named here, from beside esbuild only, after the
  // same check. One named already (ESBUILD_BINARY_PATH, which sudo -E keeps as it keeps HOME)
  // must pass that check too.
  const named = process.env.ESBUILD_BINARY_PATH;
  if (named) {
    try {
      trustedCodeFile(named, owners);
    } catch (e) {
      if (!(e instanceof UntrustedDirError)) throw e;
      throw new CliError(`tsbpf build: not running the esbuild binary ESBUILD_BINARY_PATH names (${named}), since another user could have put it there: ${e.message}`);
    }
    return;
  }
  const platform = `@esbuild/linux-${process.arch}`;
  const beside = `${dirname(real)}/${platform}`;
  try {
    trustedCodeDir(beside, owners);
    trustedCodeFile(`${beside}/bin/esbuild`, owners);
  } catch (e) {
    if (!(e instanceof UntrustedDirError)) throw e;
    throw new CliError(`tsbpf build: esbuild's binary package ${platform} is not usable beside esbuild (${e.message}); esbuild would search the node_modules above ${dirname(real)}, which another user could have made. Install esbuild again (npm install esbuild, with its optional dependencies) or set ESBUILD_BINARY_PATH`);
  }
  process.env.ESBUILD_BINARY_PATH = `${beside}/bin/esbuild`;
}

/**
 * deno compile makes the executable from a copy of Deno's runtime (denort) with the bundle added,
 * and takes that copy from the file DENORT_BIN names, if set: the program root will run. sudo -E
 * keeps it as it keeps HOME, so it must be a file only root, we or the owner of tsbpf's package
 * can change, like esbuild's binary (tests/security/compile_denort.test.ts).
 */
function checkDenortPlace(): void {
  const named = process.env.DENORT_BIN;
  if (!named) return;
  try {
    trustedCodeFile(named, trustedOwners());
  } catch (e) {
    if (!(e instanceof UntrustedDirError)) throw e;
    throw new CliError(`tsbpf build --compile: not making the executable from the Deno runtime DENORT_BIN names (${named}), since another user could have put it there: ${e.message}. Unset DENORT_BIN (deno compile then uses its own), or name a file no other user can change`);
  }
}

async function bundleOrExplain(bundle: Bundler, script: string, outfile: string, key: string | undefined, inlineCompiler: boolean | "deflated" = false) {
  try {
    return await bundle(script, outfile, { key, inlineCompiler });
  } catch (e) {
    // The bundler's own failures (nothing to bundle, an import esbuild cannot resolve) are plain
    // Errors whose message says it all; typed errors (compile errors) pass through.
    if (e instanceof Error && e.name === "Error") throw new CliError(e.message.split("\n").slice(0, 8).join("\n"));
    throw e;
  }
}

/** The compiler's message without its backtrace (deno compile: "Caused by" lines say what failed). */
function why(stderr: string): string {
  const lines = stderr.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim());
  return lines.filter((l) => l && !/^Stack backtrace:|^\d+: <unknown>$|^Compile |^Download /.test(l)).slice(-4).join("; ");
}

function signedNote(signed: { by: string } | { not: string }): string {
  return "by" in signed
    ? `signed with the ${signed.by}: hosts that trust it load the precompiled programs as they are`
    : `not signed (${signed.not}): it compiles its programs where it runs`;
}

/** The public line of the key build signs with, to add to /etc/tsbpf/trusted-keys on other hosts. */
async function showKey(file: string | undefined): Promise<number> {
  const { hostSigningKey, keyLine, readSigningKey } = await import("../../tracer/bundle_signature.ts");
  const { resolve } = await import("node:path");
  console.log(keyLine(file === undefined ? await hostSigningKey() : await readSigningKey(resolve(file))));
  return 0;
}
