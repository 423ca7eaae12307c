// A one-liner's generated script, kept by the one-liner's text: run again, a one-liner starts
// like the script it becomes, without loading the TypeScript parser and the transform first
// (30-50 ms of a warm one-liner's start).
//
// The transform (cli/oneliner/oneliner.ts) is pure but for what it asks the kernel (KernelQuery: which
// probes a wildcard matches, a tracepoint's fields). Those questions and their answers are kept
// with the entry and asked again on a hit; one different answer (a module loaded since, another
// kernel) is a miss. The entry lives beside the generated scripts, in the private directory
// root already imports them from (docs/security.md), and is data: checked field by field.
//
// The directory is bounded (pruneOneLiners): a run that wrote a new file there drops the files
// past the newest KEEP_FILES, older than KEEP_DAYS or beyond KEEP_BYTES in all. Not on the start
// path (listing and examining 250 files took a new one-liner's start 3-13 ms): the write only
// notes it (pruneLater), and the run prunes when its tracing ends (prunePending), so the
// directory is back within bounds after every run that ends; one killed before that leaves its
// one or two files to the next.
import { libcSync } from "../../runtime/ffi/mod.ts";
import { readCheckedFile, writeFileAtomic } from "../../runtime/files.ts";
import { geteuid, lstat } from "../../runtime/file_stat.ts";
import { privateDir, UntrustedDirError } from "../../runtime/private_dir.ts";
import { pruneCache } from "../../runtime/cache_prune.ts";
import { verbose } from "../../runtime/verbose.ts";
import { entryName, kernelId } from "../../tracer/compile_cache.ts";
import { codeVersion } from "../../tracer/code_version.ts";
import type { GeneratedScript, KernelQuery } from "./oneliner.ts";
import { mapperOf, type SourcePositions } from "./source_map.ts";

const MAX_ENTRY_BYTES = 16 << 20;
/** What the directory keeps: entries and generated scripts together. */
export const KEEP_FILES = 256, KEEP_DAYS = 30, KEEP_BYTES = 64 << 20;
/**
 * The cache's directory under $XDG_CACHE_HOME (or ~/.cache): beside the compile cache's, not in
 * it. Bun lists every directory above a module it imports, and the compile cache's holds an entry
 * per script and kernel (2700 files listed on every warm one-liner: ≈ 3 ms of CPU).
 */
export const ONELINER_DIR = ["tsbpf-oneliners"];
/** The names this cache writes (an entry by its key, a script by its content); nothing else there is touched. */
const CACHE_NAME = /^[0-9a-f]{16}\.(?:json|ts)$/;

type Question = ["expand", string, string] | ["fields", string];
interface Entry {
  /** The entry's name (OneLinerKey.name), and exactly what it was transformed from, by which code (OneLinerKey.input). */
  key: string;
  input: string;
  source: string;
  positions: SourcePositions;
  probes: number;
  asked: { question: Question; answer: string }[];
  /** The generated script's file name beside the entry (scriptName: the compile cache finds it again). */
  script: string;
}

/** A generated script found again, with the path its file has (or is written to) beside the entry. */
export type KeptOneLiner = GeneratedScript & { file: string };

/**
 * A KernelQuery that remembers what it was asked and what it answered. For a tracepoint's fields,
 * the format text they were parsed from when the query has it (the same answer for the same
 * text, and a hit then compares the text instead of parsing it again).
 */
export function recordingQuery(kernel: KernelQuery): { kernel: KernelQuery; asked: Entry["asked"] } {
  const asked: Entry["asked"] = [];
  const note = <T>(question: Question, answer: T): T => {
    asked.push({ question, answer: JSON.stringify(answer) ?? "undefined" });
    return answer;
  };
  return {
    asked,
    kernel: {
      expand: (kind, pattern) => note(["expand", kind, pattern], kernel.expand(kind, pattern)),
      tracepointFields: (target) => {
        const fields = kernel.tracepointFields?.(target);
        note(["fields", target], kernel.tracepointFormatText ? kernel.tracepointFormatText(target) : fields);
        return fields;
      },
      // Not recorded: the kernel's own syscall table gives them (no module adds syscalls), which the
      // entry's key (kernelId, with the build ID) stands for, and a hit reads none of 360 formats.
      syscallWildcardFields: kernel.syscallWildcardFields && ((pattern) => kernel.syscallWildcardFields!(pattern)),
      // Not recorded: the types come from the kernel's BTF, which the entry's key (kernelId) stands for.
      kernelType: kernel.kernelType && ((root, chain) => kernel.kernelType!(root, chain)),
    },
  };
}

/** An entry's file name, and everything its script was transformed from but the kernel's answers. */
export interface OneLinerKey {
  name: string;
  input: string;
}

/**
 * The entry's key: everything the transform's output depends on but the kernel's answers: the
 * transform's code and the compiler's among it (codeVersion, tracer/code_version.ts).
 * `modFile` is what the transform reads tsbpf's export names from (mod.ts, or the package's
 * mod.js): its identity (device, inode, size, mtime) stands for them, so a hit never imports
 * or reads it for that. As the compile cache's: the name is a short hash and the entry holds
 * the whole input, compared exactly on a hit, so no digest is made on a start (Bun's hasher's
 * or WebCrypto's first digest, ≈ 1 MB of peak memory on Deno).
 */
export function oneLinerKey(text: string, pidFilter: boolean, modUrl: string, runtimeUrl: string, modFile: string): OneLinerKey {
  const st = lstat(modFile);
  const modId = typeof st === "number" ? `error ${st}` : `${st.dev}:${st.ino}:${st.size}:${st.mtime}`;
  const input = [codeVersion(), kernelId(), pidFilter, modUrl, runtimeUrl, modId, text].join("\0");
  return { name: entryName(input), input };
}

/**
 * The name of a generated script's file in the cache, from its content: the compile cache, keyed
 * by the file and its source, finds it again, and two scripts never share a name. A script is
 * written there and then imported by path, so one name for two scripts (the same one-liner
 * generated against another kernel's answers or another tsbpf's mod) let a run that wrote its
 * own between another's write and import give that one a script it was not generated as. A
 * short hash, as an entry's name, not a digest: that was a start's first WebCrypto call on Deno
 * (≈ 2.6 ms of a cold one-liner's main thread at load) or Bun's hasher (≈ 1.2 MB of peak memory).
 * The bytes are compared before every run all the same (run_oneliner.ts writeScript).
 */
export function scriptName(source: string): string {
  return `${entryName(source)}.ts`;
}

/** `cacheHome`: instead of $XDG_CACHE_HOME or ~/.cache, and used even under TSBPF_NO_CACHE (for tests). */
function entryFile(key: string, cacheHome?: string): string | undefined {
  const dir = oneLinerDir(cacheHome);
  return dir && `${dir}/${key}.json`;
}

/** TSBPF_NO_CACHE is set (and no `cacheHome` given, as tests give). */
export function oneLinerCacheOff(cacheHome?: string): boolean {
  return cacheHome === undefined && !!libcSync().getenv("TSBPF_NO_CACHE");
}

/** The cache's private directory (checked on the way: runtime/private_dir.ts), or undefined when there is none to use. */
export function oneLinerDir(cacheHome?: string): string | undefined {
  const c = libcSync();
  if (oneLinerCacheOff(cacheHome)) return undefined;
  const home = c.getenv("HOME");
  const base = cacheHome ?? c.getenv("XDG_CACHE_HOME") ?? (home ? `${home}/.cache` : undefined);
  if (!base) return undefined;
  try {
    return privateDir(base, ONELINER_DIR);
  } catch (e) {
    if (!(e instanceof UntrustedDirError)) throw e;
    verbose(`transforming the one-liner without the cache: ${e.message}`);
    return undefined;
  }
}

/**
 * The generated script kept for `key`, if the kernel still answers as it did. `kernel(true)`
 * must also expand wildcards; kernel(false) is asked only for tracepoint fields (cheaper to load).
 */
export async function readOneLiner(key: OneLinerKey, text: string, kernel: (withNames: boolean) => KernelQuery | Promise<KernelQuery>, cacheHome?: string): Promise<KeptOneLiner | undefined> {
  const file = entryFile(key.name, cacheHome);
  if (!file) return undefined;
  try {
    const bytes = readCheckedFile(file, { maxBytes: MAX_ENTRY_BYTES, noFollow: true, owners: [geteuid()], private: true });
    if (!bytes) return undefined;
    const entry = checkEntry(JSON.parse(new TextDecoder().decode(bytes)), key);
    const query = await kernel(entry.asked.some((a) => a.question[0] === "expand"));
    for (const { question, answer } of entry.asked) {
      const now = question[0] === "expand" ? query.expand(question[1], question[2])
        : query.tracepointFormatText ? query.tracepointFormatText(question[1]) : query.tracepointFields?.(question[1]);
      if ((JSON.stringify(now) ?? "undefined") !== answer) {
        verbose(`transforming the one-liner again: the kernel's answer to ${question.join(" ")} changed`);
        return undefined;
      }
    }
    verbose(`the one-liner's script as transformed before (${file})`);
    const scriptFile = `${file.slice(0, file.lastIndexOf("/"))}/${entry.script}`;
    return { source: entry.source, positions: entry.positions, map: mapperOf(text, entry.positions), probes: entry.probes, file: scriptFile };
  } catch (e) {
    verbose(`transforming the one-liner again: its cache entry ${file} is not usable (${(e as Error).message})`);
    return undefined;
  }
}

/** Keeps `script`, whose file is `name` (scriptName), under `key`. */
export function writeOneLiner(key: OneLinerKey, script: GeneratedScript, asked: Entry["asked"], name: string, cacheHome?: string): void {
  const file = entryFile(key.name, cacheHome);
  if (!file) return;
  const entry: Entry = { key: key.name, input: key.input, source: script.source, positions: script.positions, probes: script.probes, asked, script: name };
  try {
    writeFileAtomic(file, new TextEncoder().encode(JSON.stringify(entry)), 0o600);
  } catch (e) {
    verbose(`not caching the one-liner's script: ${(e as Error).message}`);
    return;
  }
  pruneLater(file.slice(0, file.lastIndexOf("/")));
}

let pending: string | undefined;

/** Notes that `dir`, the private directory oneLinerDir() checked, has a new file: prunePending() bounds it again. */
export function pruneLater(dir: string): void {
  pending = dir;
}

/** Prunes the directory a new file was written to in this run, if any (once): when the tracing has ended, not at its start. */
export function prunePending(): void {
  const dir = pending;
  pending = undefined;
  if (dir === undefined) return;
  try {
    const removed = pruneOneLiners(dir);
    if (removed) verbose(`removed ${removed} old files from the one-liner cache`);
  } catch (e) {
    verbose(`not pruning the one-liner cache: ${(e as Error).message}`);
  }
}

/**
 * Removes what the bounds do not keep from `dir`, the private directory entryFile() checked
 * (ours, writable by no one else, so no one can swap a name meanwhile): only regular files of
 * ours with the cache's names, looked at with lstat (a symlink is never followed, nor removed),
 * newest kept first. Returns how many were removed.
 */
export function pruneOneLiners(dir: string, nowMs = Date.now()): number {
  return pruneCache(dir, CACHE_NAME, { files: KEEP_FILES, bytes: KEEP_BYTES, days: KEEP_DAYS }, nowMs);
}

function checkEntry(v: unknown, key: OneLinerKey): Entry {
  const e = v as Entry;
  const ints = (o: unknown, names: string[]) => typeof o === "object" && o !== null && names.every((n) => Number.isSafeInteger((o as Record<string, unknown>)[n]));
  const pair = (p: unknown) => Array.isArray(p) && p.length === 2 && p.every(Number.isSafeInteger);
  const ok = typeof e === "object" && e !== null && e.key === key.name && e.input === key.input &&
    typeof e.source === "string" && Number.isSafeInteger(e.probes) && typeof e.script === "string" && /^[0-9a-f]{16}\.ts$/.test(e.script) &&
    Array.isArray(e.positions?.segments) && e.positions.segments.every((s) => ints(s, ["line", "column", "length", "from"])) &&
    Array.isArray(e.positions?.regions) && e.positions.regions.every((r) => ints(r, ["from", "length"]) && pair(r.start) && pair(r.end)) &&
    Array.isArray(e.asked) && e.asked.every((a) => typeof a?.answer === "string" && Array.isArray(a.question) &&
      ((a.question[0] === "expand" && a.question.length === 3) || (a.question[0] === "fields" && a.question.length === 2)) &&
      a.question.every((q: unknown) => typeof q === "string"));
  if (!ok) throw new Error("not an entry of this tsbpf's form");
  return e;
}
