/**
 * The ELF images behind a process's mappings, parsed once per file however many processes
 * map it. A file is known by its identity in /proc/PID/maps, device and inode, not its path:
 * a path can name another file by now (an upgraded library) or nothing (a deleted binary), and
 * a process in a container sees its own file tree.
 *
 * So the bytes come from /proc/PID/map_files/START-END first, the very file the process has
 * mapped, deleted or not, in whatever mount namespace (root only); then from PATH as the
 * process sees it, inside /proc/PID/root (a link of the process's leads only where it leads the
 * process: files.ts openInRoot); then, the process gone, from PATH if it is still that device
 * and inode. A file stripped of .symtab brings its separate debug file along when one is
 * installed (debug_file.ts).
 */
import { Elf } from "../../elf/mod.ts";
import { findDebugFile } from "./debug_file.ts";
import { copiedBytes, copyOwnMemory, type FileLookup, inRootOf, mapFile } from "./mapped_file.ts";
import { filePath, type Mapping, parseProcMaps, readProcText } from "./proc_maps.ts";
import { fstat } from "../file_stat.ts";
import { openRegular, reopenRegular } from "../files.ts";
import { libcSync } from "../ffi/mod.ts";
import { asProcess, mappedFileIdentity, openMappedFile, type ProcessRef } from "../process_files.ts";
import { printable } from "../output.ts";

/** A mapped file: its ELF image (for addresses) and, when stripped, its debug file (for names). */
export interface SymbolFile {
  readonly elf: Elf;
  readonly debug: Elf | undefined;
}

/**
 * What the files held may cost at once, in bytes copied (of files others can write,
 * mapped_file.ts) and of parsed symbol tables, and how many files (those that are not ELF
 * included) are held: beyond either the least recently used are dropped, and read again if
 * needed again. Each file another user owns is theirs to make as large as MAX_COPIED_BYTES
 * allows, and as many; and any user can map every root-owned file on the system, or thousands
 * of their own that are not ELF.
 */
const MAX_HELD_BYTES = 256 << 20;
const MAX_FILES = 1024;

/**
 * A file dropped is parsed again when next asked about, but not at any cost: two files that do
 * not fit together, asked about alternately (a stack's addresses are the traced process's to
 * choose), would have each address parse one of them again, up to MAX_COPIED_BYTES of another
 * user's file each time. Parsing dropped files again may take as long in all as parsing files the
 * first time took (the work another user's files cost anyway, once each); beyond that, only once
 * REPARSE_WAIT times as long as the last such parse took has passed (at most a tenth of the time).
 * Meanwhile the file's frames are not named, nor remembered unnamed, and a note says so once. So
 * an address is named when asked about again later, and a print of a map, which asks about each
 * of its addresses once, names them all unless files were parsed again more than that allows.
 * Time, not bytes, measures the work: a damaged file (elf_name_work.test.ts) holds nothing and
 * can cost seconds.
 */
const REPARSE_WAIT = 10;
/** How many dropped files are remembered as parsed before (a key of some 40 bytes each): past it, the oldest counts as new. */
const MAX_DROPPED = 1 << 16;
/** What forMapping says of a file dropped and parsed again too often to be parsed again now. */
export const PARSE_LATER = "parse later";
/** What a parsed symbol costs, roughly: its columns in the symbol table (elf/symbol_read.ts) and its place in the address order. */
const SYMBOL_BYTES = 48;

export class ElfFiles {
  /** In order of last use. file null: tried, and not a readable ELF file (so it is not tried again). parseMs: what reading and parsing it took. */
  readonly #byIdentity = new Map<string, { file: SymbolFile | null; cost: number; parseMs: number }>();
  /** The key of each mapping's file, found once a mapping (once per process's reading of its maps). */
  readonly #keys = new WeakMap<Mapping, string>();
  #held = 0;
  /** Files dropped, by key, oldest first: how long each took to read and parse, in ms. */
  readonly #dropped = new Map<string, number>();
  /** How long reading and parsing files took, in ms: the first time, and dropped files again. */
  #firstParsesMs = 0;
  #parsesAgainMs = 0;
  /** When the last parse of a dropped file ended (performance.now()) and how long it took. */
  #lastAgain = { endedAt: -Infinity, ms: 0 };
  #saidParseLater = false;
  #vdso: SymbolFile | null | undefined;

  /**
   * The file behind mapping `m` of process `pid`, or undefined if it cannot be read or parsed.
   * `start`: when the process whose mappings these are started (ProcessRef), undefined if it had
   * gone by then (its mappings recorded while it ran): nothing is read through /proc/PID of
   * another process given the pid since.
   */
  forMapping(pid: number, m: Mapping, start: string | undefined): SymbolFile | undefined | typeof PARSE_LATER {
    const process = start === undefined ? undefined : { pid, start };
    const key = this.#keys.get(m) ?? fileKey(m, placesOf(process, m));
    // No file to read (the process exited meanwhile, the file went): try again next time.
    if (key === undefined) return undefined;
    this.#keys.set(m, key);
    const held = this.#byIdentity.get(key);
    if (held) {
      this.#byIdentity.delete(key);
      this.#byIdentity.set(key, held);
      return held.file ?? undefined;
    }
    const dropped = this.#dropped.get(key);
    const began = performance.now();
    if (dropped !== undefined && this.#parsesAgainMs + dropped > this.#firstParsesMs && began - this.#lastAgain.endedAt < REPARSE_WAIT * this.#lastAgain.ms) {
      if (!this.#saidParseLater) console.error(`tsbpf: the files process ${pid} maps do not fit together in what the symbolizer keeps (${MAX_HELD_BYTES >> 20} MiB): "${printable(filePath(m))}" and others like it are read again only at times, their frames shown unnamed meanwhile (not said again)`);
      this.#saidParseLater = true;
      return PARSE_LATER;
    }
    let bytes: Uint8Array | undefined;
    for (const p of placesOf(process, m)) if ((bytes = mapFile(p.path, p))) break;
    // A process that exited between reading its maps and now: try again next time.
    if (!bytes && !procExists(pid)) return undefined;
    const elf = bytes ? parseOrNull(bytes) : null;
    const file = elf ? { elf, debug: findDebugFile(elf, filePath(m), process) } : null;
    const cost = file ? fileCost(file.elf) + (file.debug ? fileCost(file.debug) : 0) : 0;
    const endedAt = performance.now();
    const parseMs = endedAt - began;
    if (dropped === undefined) this.#firstParsesMs += parseMs;
    else {
      this.#parsesAgainMs += parseMs;
      this.#lastAgain = { endedAt, ms: parseMs };
      this.#dropped.delete(key);
    }
    this.#byIdentity.set(key, { file, cost, parseMs });
    this.#held += cost;
    for (const [k, v] of this.#byIdentity) {
      if ((this.#held <= MAX_HELD_BYTES && this.#byIdentity.size <= MAX_FILES) || k === key) break;
      this.#byIdentity.delete(k);
      this.#held -= v.cost;
      this.#dropped.set(k, v.parseMs);
      if (this.#dropped.size > MAX_DROPPED) this.#dropped.delete(this.#dropped.keys().next().value!);
    }
    return file ?? undefined;
  }

  /** How many files are held, and their bytes as counted (for tests of the bound). */
  get held(): { files: number; bytes: number } {
    return { files: this.#byIdentity.size, bytes: this.#held };
  }

  /**
   * The vDSO, the kernel's small shared object in every process (clock_gettime, gettimeofday).
   * It is the same image in every 64-bit process, so it is read from this process's memory.
   */
  vdso(): SymbolFile | undefined {
    if (this.#vdso === undefined) {
      const own = parseProcMaps(readProcText("/proc/self/maps") ?? "").find((m) => m.path === "[vdso]");
      const elf = own ? parseOrNull(copyOwnMemory(own.start, own.end - own.start)) : null;
      this.#vdso = elf ? { elf, debug: undefined } : null;
    }
    return this.#vdso ?? undefined;
  }

  /** Drops every parsed file (their symbol tables with them). */
  clear(): void {
    this.#byIdentity.clear();
    this.#dropped.clear();
    this.#held = 0;
  }
}

/** An ELF file whose symbols can be read, or null (not ELF, 32-bit, damaged). */
function parseOrNull(bytes: Uint8Array): Elf | null {
  try {
    const elf = Elf.parse(bytes);
    elf.symbols();
    return elf;
  } catch {
    return null;
  }
}

/** Where a mapping's file may be read: `path`, looked up as `lookup` says. */
interface Place extends FileLookup {
  path: string;
}

/**
 * Where the file behind mapping `m` of `process` is read, in order: /proc/PID/map_files, the
 * very file mapped; the path as the process sees it, inside its root; last, for a process that
 * has exited (its mappings recorded while it ran: mapping_log.ts), the path as we see it, if it
 * is still the very file that was mapped. By path, the file is the process's choice (and the
 * directories on the way may be its owner's): looked up with the owner's rights, or no one's.
 */
function* placesOf(process: ProcessRef | undefined, m: Mapping): Generator<Place> {
  if (process) {
    const range = `${m.start.toString(16)}-${m.end.toString(16)}`;
    yield { path: `/proc/${process.pid}/map_files/${range}`, open: () => reopenRegular(openMappedFile(process, range, { ...m, path: filePath(m) })) };
    yield { path: filePath(m), ...inRootOf(process) };
  }
  // No process to take rights from: no one's. Its owner may have put a link at the path to a file of
  // root's given the freed inode of the file it mapped (tests/security/symbolize_gone_inode.test.ts).
  yield { path: filePath(m), identity: mappedFileIdentity(m), open: (path) => asProcess(undefined, () => openRegular(path, false), true) };
}

/**
 * What names the file behind mapping `m` as it stands now: its device and inode, and its size
 * and last change, since an inode is reused once its file is deleted (another user deletes a
 * library of theirs and writes another, given the same inode) and a file its owner rewrites
 * keeps its inode: neither is named from the old file's symbols. Read from the first of `places`
 * that names a file, as mapFile reads them; undefined when none does.
 */
function fileKey(m: Mapping, places: Iterable<Place>): string | undefined {
  for (const p of places) {
    const fd = p.open ? p.open(p.path) : openRegular(p.path, false);
    if (typeof fd === "string" || fd < 0) continue;
    const st = fstat(fd);
    libcSync().close(fd);
    if (typeof st === "number" || (p.identity && (st.dev !== p.identity.dev || st.ino !== p.identity.ino))) continue;
    return `${m.dev}:${m.inode}:${st.size}:${st.ctimeNs}`;
  }
  return undefined;
}

/** What a parsed file costs: what was copied of it, and its symbol table. */
function fileCost(elf: Elf): number {
  return copiedBytes(elf.bytes) + SYMBOL_BYTES * elf.symbols().count;
}

function procExists(pid: number): boolean {
  return readProcText(`/proc/${pid}/stat`) !== undefined;
}
