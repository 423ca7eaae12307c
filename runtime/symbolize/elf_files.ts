/**
 * The ELF images behind a process's mappings, parsed once per file however many processes
 * map it. A file is known by its identity in /proc/PID/maps, device and inode, not its path:
 * a path can name another file by now (an upgraded library) or nothing (a deleted binary), and
 * a process in a container sees its own file tree.
 *
 * So the bytes come from /proc/PID/map_files/START-END first, the very file the process has
 * mapped, deleted or not, in whatever mount namespace (root only); then from
 * /proc/PID/root/PATH, the path as the process sees it; then, the process gone, from PATH if
 * it is still that device and inode. A file stripped of .symtab brings its
 * separate debug file along when one is installed (debug_file.ts).
 */
import { Elf } from "../../elf/mod.ts";
import { findDebugFile } from "./debug_file.ts";
import { copiedBytes, copyOwnMemory, mapFile } from "./mapped_file.ts";
import { filePath, type Mapping, parseProcMaps, readProcText } from "./proc_maps.ts";
import { stat } from "../file_stat.ts";

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
/** What a parsed symbol costs, roughly: its columns in the symbol table (elf/symbol_read.ts) and its place in the address order. */
const SYMBOL_BYTES = 48;

export class ElfFiles {
  /** In order of last use. file null: tried, and not a readable ELF file (so it is not tried again). */
  readonly #byIdentity = new Map<string, { file: SymbolFile | null; cost: number }>();
  /** The key of each mapping's file, found once a mapping (once per process's reading of its maps). */
  readonly #keys = new WeakMap<Mapping, string>();
  #held = 0;
  #vdso: SymbolFile | null | undefined;

  /** The file behind mapping `m` of process `pid`, or undefined if it cannot be read or parsed. */
  forMapping(pid: number, m: Mapping): SymbolFile | undefined {
    const root = `/proc/${pid}/root`;
    const range = `${m.start.toString(16)}-${m.end.toString(16)}`;
    // Last, for a process that has exited (its mappings recorded while it ran: mapping_log.ts),
    // the path as this process sees it, if it is still the very file that was mapped.
    const paths = [`/proc/${pid}/map_files/${range}`, root + filePath(m), filePath(m)];
    const key = this.#keys.get(m) ?? fileKey(m, paths);
    // No file to read (the process exited meanwhile, the file went): try again next time.
    if (key === undefined) return undefined;
    this.#keys.set(m, key);
    const held = this.#byIdentity.get(key);
    if (held) {
      this.#byIdentity.delete(key);
      this.#byIdentity.set(key, held);
      return held.file ?? undefined;
    }
    const bytes = mapFile(paths[0]) ?? mapFile(paths[1]) ?? mapFile(paths[2], identityOf(m));
    // A process that exited between reading its maps and now: try again next time.
    if (!bytes && !procExists(pid)) return undefined;
    const elf = bytes ? parseOrNull(bytes) : null;
    const file = elf ? { elf, debug: findDebugFile(elf, filePath(m), root) } : null;
    const cost = file ? fileCost(file.elf) + (file.debug ? fileCost(file.debug) : 0) : 0;
    this.#byIdentity.set(key, { file, cost });
    this.#held += cost;
    for (const [k, v] of this.#byIdentity) {
      if ((this.#held <= MAX_HELD_BYTES && this.#byIdentity.size <= MAX_FILES) || k === key) break;
      this.#byIdentity.delete(k);
      this.#held -= v.cost;
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

/**
 * What names the file behind mapping `m` as it stands now: its device and inode, and its size
 * and last change, since an inode is reused once its file is deleted (another user deletes a
 * library of theirs and writes another, given the same inode) and a file its owner rewrites
 * keeps its inode: neither is named from the old file's symbols. Read from the first of `paths`
 * that names a file, as mapFile reads them; undefined when none does.
 */
function fileKey(m: Mapping, paths: string[]): string | undefined {
  const identity = identityOf(m);
  for (let i = 0; i < paths.length; i++) {
    const st = stat(paths[i]);
    if (typeof st === "number" || (i === paths.length - 1 && (st.dev !== identity.dev || st.ino !== identity.ino))) continue;
    return `${m.dev}:${m.inode}:${st.size}:${st.ctimeNs}`;
  }
  return undefined;
}

/** What a parsed file costs: what was copied of it, and its symbol table. */
function fileCost(elf: Elf): number {
  return copiedBytes(elf.bytes) + SYMBOL_BYTES * elf.symbols().count;
}

/** The st_dev and st_ino of the file a mapping names ("fd:01" is major 0xfd, minor 1). */
function identityOf(m: Mapping): { dev: bigint; ino: bigint } {
  const [major, minor] = m.dev.split(":").map((h) => BigInt(parseInt(h, 16) || 0));
  return { dev: (minor & 0xffn) | ((major & 0xfffn) << 8n) | ((minor & ~0xffn) << 12n) | ((major & ~0xfffn) << 32n), ino: BigInt(m.inode) };
}

function procExists(pid: number): boolean {
  return readProcText(`/proc/${pid}/stat`) !== undefined;
}
