// `tsbpf -e '...'` and `tsbpf dump -e '...'`: the one-liner becomes a script (cli/oneliner/oneliner.ts),
// written to the cache under a name from its text (so the compile cache finds it again),
// and runs in this process with the session (-p, -c, -d) around it.
import { libcSync } from "../../runtime/ffi/mod.ts";
import { readCheckedFile, readTextFile, writeFileAtomic } from "../../runtime/files.ts";
import { geteuid } from "../../runtime/file_stat.ts";
import { privateDir, stagePrivateFile, UntrustedDirError } from "../../runtime/private_dir.ts";
import { verbose } from "../../runtime/verbose.ts";
import type { GeneratedScript } from "./oneliner.ts";
import { ONELINER_DIR, oneLinerCacheOff, oneLinerKey, pruneLater, prunePending, readOneLiner, recordingQuery, scriptName, writeOneLiner } from "./oneliner_cache.ts";
import { ONELINER_SOURCE, type OneLinerSource, remap } from "./oneliner_runtime.ts";
import { type SessionOptions, startSession } from "../session.ts";
import { buildDiagnostics, CliError, describeScriptError, isExplained } from "../errors.ts";
import { CompileError } from "../../spec/diagnostics.ts";
import { hasPermission, runModule } from "../../runtime/ffi/host.ts";
import { OWN_EXT, ownModules, ownPath } from "../../runtime/own_files.ts";
import { checkBabelPlace } from "../../runtime/package_place.ts";
import { kernelQuery, withListings } from "./kernel_query.ts";

// What the generated script imports, checked together: both are in one directory (dist/ of the package).
const [MOD_URL, RUNTIME_URL] = ownModules(["mod", "cli/oneliner/oneliner_runtime"]);

export async function runOneLiner(text: string, session: SessionOptions, options: { emit: boolean; positional?: string[] }): Promise<number> {
  const script = await generate(text, session.pid !== undefined || session.command !== undefined, undefined, modExports, session.pid, options.positional);
  if (options.emit) {
    console.log(script.source);
    prunePending();
    return 0;
  }
  const { file, remove } = await writeScript(script.source, script.name, script.file);
  if (!hasPermission("read", file)) {
    throw new CliError(`one-liners run a generated script (${file}): run Deno with --allow-read (or -A, as the tsbpf command does)`);
  }
  const held = session.command ? await (await import("../held_command.ts")).HeldCommand.start(session.command) : undefined;
  let settle = () => {};
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const endHeld = async (strays: boolean) => {
    try {
      return await held!.end(strays);
    } finally {
      settle();
    }
  };
  try {
    await startSession({ ...session, heldPid: held?.pid });
    // ended: the runtime prunes the cache when the tracing ends (a signal's exit included), not before it starts.
    const source: OneLinerSource = { text, map: script.map, ended: prunePending, settled: held ? settled : undefined, started: remove };
    (globalThis as Record<symbol, unknown>)[ONELINER_SOURCE] = source;
    try {
      // The script's evaluation hands its run over (OneLinerRuntime.run), which is awaited here.
      await runModule(file);
      await source.running;
    } catch (e) {
      // Bun's build error in the generated script: shown at its place in the one-liner.
      const build = buildDiagnostics(e);
      if (build?.every((b) => b.diagnostic.file === file)) {
        throw new CompileError(build.map(({ diagnostic: d }) => ({ ...d, file: "-e", ...script.map(d.line, d.column, d.length) })), text);
      }
      // An error in the one-liner's own user-space code (begin, end, interval) is the user's.
      if (!session.verbose && e instanceof Error && !isExplained(e) && (e.stack ?? "").includes(file)) {
        const where = (_: string, line: string, column: string) => {
          const p = script.map(Number(line), Number(column), 1);
          return `-e:${p.line}:${p.column}`;
        };
        throw new CliError(describeScriptError(e, false).replace(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+):(\\d+)`), where));
      }
      throw e;
    }
  } catch (e) {
    if (held) await endHeld(true);
    throw e;
  } finally {
    remove();
    prunePending();
  }
  const status = libcSync().process.exitCode();
  if (!held) return status;
  // As `tsbpf run` does: the command never outlives the tracer; its end is tsbpf's status.
  const endedAlone = held.ended;
  const commandStatus = await endHeld(!(status === 0 && endedAlone));
  return status === 0 && endedAlone ? commandStatus : status;
}

export async function dumpOneLiner(text: string): Promise<number> {
  const script = await generate(text, false);
  const [{ compile, prepareParse }, { hostTarget }, { formatDump }] = await Promise.all([import("../../compiler/compile.ts"), import("../../tracer/compile_target.ts"), import("../commands/dump_format.ts")]);
  await prepareParse(script.source, checkBabelPlace);
  (globalThis as Record<symbol, unknown>)[ONELINER_SOURCE] = { text, map: script.map };
  let specs;
  try {
    specs = compile(script.source, "/tsbpf/one-liner.ts", await hostTarget([], script.source));
  } catch (e) {
    throw remap(e);
  } finally {
    prunePending();
  }
  // Each mark is the one-liner's own place and text, mapped back as its errors are. A statement
  // written for a larger piece (`if (a.ret < 0) {...}` for the probe's `a.ret < 0 && ...`) is
  // marked with the first text it copies from the one-liner, not with that whole piece.
  const generated = script.source.split("\n");
  const typed = text.split("\n");
  const marker = (line: number, column: number) => {
    const rest = (generated[line - 1] ?? "").length - column + 1;
    let at = script.map(line, column, rest);
    const copied = script.positions.segments.find((s) => s.line === line && s.column + s.length > column);
    if (at.length > rest && copied) at = script.map(line, Math.max(column, copied.column), rest);
    const piece = (typed[at.line - 1] ?? "").slice(at.column - 1, at.column - 1 + at.length);
    return `-e:${at.line}:${at.column}: ${piece.trim()}`;
  };
  console.log(formatDump(specs, script.source, "-e", marker).join("\n"));
  return 0;
}

/**
 * The one-liner's script: kept from an earlier run of the same one-liner (cli/oneliner_cache.ts),
 * with the path of its file there, or transformed, which loads the TypeScript parser and needs
 * mod's export names (`exportsOf`, asked only then; `cacheHome` for tests).
 */
export async function generate(text: string, pidFilter: boolean, cacheHome?: string, exportsOf = modExports, pid?: number, positional: string[] = []): Promise<GeneratedScript & { file?: string; name: string }> {
  // The positional parameters are written into the script: a script per text and parameters.
  const keyed = positional.length ? [text, ...positional].join("\0") : text;
  // TSBPF_NO_CACHE: no key either (the stat of mod and the kernel's id).
  const key = oneLinerCacheOff(cacheHome) ? undefined : oneLinerKey(keyed, pidFilter, MOD_URL, RUNTIME_URL, ownPath(`mod${OWN_EXT}`));
  // A kept script is used only if the kernel (and with -p, that process) still answers its questions the same.
  const kept = key && await readOneLiner(key, text, (withNames) => kernelQuery(withNames, pid), cacheHome);
  if (kept) return { ...kept, name: scriptName(kept.source) };
  const [{ transformOneLiner }, exports] = await Promise.all([import("./oneliner.ts"), exportsOf()]);
  const { script, asked } = await withListings(async (query) => {
    const { kernel, asked } = key ? recordingQuery(query) : { kernel: query, asked: [] };
    return { script: await transformOneLiner(text, { modUrl: MOD_URL, runtimeUrl: RUNTIME_URL, exports, pidFilter, kernel, positional }), asked };
  }, pid);
  const name = scriptName(script.source);
  if (key) writeOneLiner(key, script, asked, name, cacheHome);
  return { ...script, name };
}

/** What mod.ts exports: its runtime values, and the types its source re-exports. */
async function modExports(): Promise<Set<string>> {
  const mod = await import("../../mod.ts");
  const names = new Set(Object.keys(mod));
  const source = readTextFile(ownPath(`mod${OWN_EXT}`)) ?? "";
  for (const m of source.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)) {
    for (const part of m[1].split(",")) {
      const name = part.trim().replace(/^type\s+/, "").split(/\s+as\s+/).pop()!.trim();
      if (name) names.add(name);
    }
  }
  return names;
}

/**
 * Writes the script where only we can write (root imports it: see docs/security.md): into the
 * cache, as `name` (scriptName: from its content, so the compile cache finds it again and two
 * scripts never share a file; the bytes there are compared and written again when they differ), when the cache directory and
 * every directory on the way to it are safe; otherwise into a fresh private directory, removed
 * when the one-liner ends. `kept`: its path beside the cache entry it came from, whose directory
 * readOneLiner has just checked; the file itself is checked here as any other.
 */
async function writeScript(source: string, name: string, kept?: string): Promise<{ file: string; remove(): void }> {
  const bytes = new TextEncoder().encode(source);
  if (kept) {
    try {
      if (!sameContent(kept, bytes)) writeFileAtomic(kept, bytes, 0o600);
      return { file: kept, remove() {} };
    } catch (e) {
      verbose(`writing the one-liner's script again: ${(e as Error).message}`);
    }
  }
  const c = libcSync();
  const home = c.getenv("HOME");
  const base = c.getenv("XDG_CACHE_HOME") ?? (home ? `${home}/.cache` : undefined);
  if (base) {
    try {
      const dir = privateDir(base, ONELINER_DIR), file = `${dir}/${name}`;
      if (!sameContent(file, bytes)) {
        writeFileAtomic(file, bytes, 0o600);
        pruneLater(dir);
      }
      return { file, remove() {} };
    } catch (e) {
      if (!(e instanceof UntrustedDirError)) throw new CliError(`Cannot write the one-liner's script under ${base}: ${(e as Error).message}`);
      verbose(`writing the one-liner's script to a private temporary directory: ${e.message}`);
    }
  }
  try {
    return stagePrivateFile("tsbpf", "one-liner.ts", bytes);
  } catch (e) {
    throw new CliError(`Cannot write the one-liner's script: ${(e as Error).message}; set XDG_CACHE_HOME to a directory only you can write`);
  }
}

/** Whether `file` is ours (not a symlink, FIFO or someone else's) and holds exactly `bytes`. */
function sameContent(file: string, bytes: Uint8Array): boolean {
  try {
    const old = readCheckedFile(file, { maxBytes: bytes.length, noFollow: true, owners: [geteuid()], private: true });
    return old !== undefined && old.length === bytes.length && old.every((b, i) => b === bytes[i]);
  } catch {
    return false; // too big, not a regular file, not ours: written again (the rename replaces it)
  }
}
