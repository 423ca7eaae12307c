// The command line that runs a script in a new process on the runtime we are on, with the
// session preloaded and "tsbpf", "tsbpf/kernel", "tsbpf/tool" and "tsbpf/cli" resolving to this copy of
// tsbpf wherever the script lives (so the preload's hooks and the script share one Tracer).
// The command line has to know its runtime here: their flags differ.
import process from "node:process";
import { CliError } from "./errors.ts";
import { fileExists } from "../runtime/files.ts";
import { hasPermission, runtimeName } from "../runtime/ffi/host.ts";
import { OWN_BUN_LIBRARY, OWN_BUNDLED, ownCodeFile, ownModule, ownModules, ownPath } from "../runtime/own_files.ts";

const isBun = runtimeName === "bun";

/**
 * `bun --preload P --tsconfig-override T script args` or `deno run PERMS --preload P --import-map M script args`.
 * Bun maps the package through tsconfig "paths" (its runtime plugins cannot resolve bare
 * specifiers yet); Deno through an import map, which also names @babel/parser's file, since a
 * script outside this package finds no deno.json that would.
 */
export function scriptCommand(script: string, args: string[], needsRun: boolean): string[] {
  const preload = decodeURIComponent(new URL(ownModule("cli/preload")).pathname);
  // The npm package's bundle maps the names to its own entries (pack/bundle.ts), sharing its chunks;
  // Bun's bytecode build to its entries (pack/bun_library.ts), so the script shares this copy.
  const paths = ownCodeFile(OWN_BUN_LIBRARY ? "dist/resolve.bun.tsconfig.json" : OWN_BUNDLED ? "dist/resolve.tsconfig.json" : "cli/resolve.tsconfig.json");
  // The working directory may be another user's: its bunfig.toml (preloads) and .env are not ours.
  if (isBun) return [process.execPath, `--config=${ownCodeFile("bunfig.toml")}`, "--no-env-file", "--no-install", "--preload", preload, "--tsconfig-override", paths, script, ...args];
  // --no-lock: Deno would write the lock of the script's remote imports beside tsbpf's config.
  return [process.execPath, "run", ...denoPermissions(needsRun), "--preload", preload, `--config=${denoConfig()}`, "--no-lock", `--import-map=${importMap()}`, script, ...args];
}

/**
 * Deno's config for the child: tsbpf's own (the clone's deno.json, or the package's
 * bin/deno.launch.json, as bin/tsbpf uses). Without one, Deno takes the first deno.json above
 * the script, which in /tmp or a shared directory is anyone's (its "lock" alone can stop the run).
 */
function denoConfig(): string {
  return ownCodeFile(fileExists(ownPath("deno.json")) ? "deno.json" : "bin/deno.launch.json");
}

function importMap(): string {
  const names = { "tsbpf": "mod", "tsbpf/kernel": "kernel", "tsbpf/tool": "tool/mod", "tsbpf/cli": "cli/mod" };
  const urls = ownModules(Object.values(names));
  const own = Object.fromEntries(Object.keys(names).map((name, i) => [name, urls[i]]));
  // Also as npm:tsbpf: how a script meant for `deno run URL` imports it.
  const npm = Object.fromEntries(Object.entries(own).map(([name, url]) => [`npm:${name}`, url]));
  const imports = { ...own, ...npm, "@babel/parser": import.meta.resolve("@babel/parser") };
  return `data:application/json,${encodeURIComponent(JSON.stringify({ imports }))}`;
}

/** Under Deno, starting a child with an extra environment variable needs run and env permissions. */
export function checkCanSpawn(what: string): void {
  if (isBun) return;
  const missing = ["run", "env"].filter((name) => !hasPermission(name));
  if (missing.length) {
    throw new CliError(`${what} starts a new process: run Deno with ${missing.map((m) => `--allow-${m}`).join(" ")} (or -A, as the tsbpf command does)`);
  }
}

const PERMISSIONS = ["read", "write", "net", "env", "run", "ffi", "sys", "import"];

/** The permissions this process has, passed on; FFI always (tsbpf needs it), run for -c. */
function denoPermissions(needsRun: boolean): string[] {
  const granted = PERMISSIONS.filter((name) => hasPermission(name));
  if (granted.length === PERMISSIONS.length) return ["-A"];
  const flags = new Set(granted.map((p) => `--allow-${p}`));
  flags.add("--allow-ffi");
  if (needsRun) flags.add("--allow-run");
  return [...flags];
}
