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

/** A mapped file: its ELF image (for addresses) and, when stripped, its debug file (for names). */
export interface SymbolFile {
  readonly elf: Elf;
  readonly debug: Elf | undefined;
}

/**
 * What the files parsed from copies (of files others can write, mapped_file.ts) may hold at
 * once: beyond it the least recently used are dropped, and read again if needed again. Each
 * file another user owns is theirs to make as large as MAX_COPIED_BYTES allows, and as many.
 */
const MAX_COPIED_HELD = 256 << 20;

export class ElfFiles {
  /** In order of last use. file null: tried, and not a readable ELF file (so it is not tried again). */
  readonly #byIdentity = new Map<string, { file: SymbolFile | null; copied: number }>();
  #copiedHeld = 0;
  #vdso: SymbolFile | null | undefined;

  /** The file behind mapping `m` of process `pid`, or undefined if it cannot be read or parsed. */
  forMapping(pid: number, m: Mapping): SymbolFile | undefined {
    const key = `${m.dev}:${m.inode}`;
    const held = this.#byIdentity.get(key);
    if (held) {
      this.#byIdentity.delete(key);
      this.#byIdentity.set(key, held);
      return held.file ?? undefined;
    }
    const root = `/proc/${pid}/root`;
    const range = `${m.start.toString(16)}-${m.end.toString(16)}`;
    // Last, for a process that has exited (its mappings recorded while it ran: mapping_log.ts),
    // the path as this process sees it, if it is still the very file that was mapped.
    const bytes = mapFile(`/proc/${pid}/map_files/${range}`) ?? mapFile(root + filePath(m)) ?? mapFile(filePath(m), identityOf(m));
    // A process that exited between reading its maps and now: try again next time.
    if (!bytes && !procExists(pid)) return undefined;
    const elf = bytes ? parseOrNull(bytes) : null;
    const file = elf ? { elf, debug: findDebugFile(elf, filePath(m), root) } : null;
    const cost = file ? copiedBytes(file.elf.bytes) + (file.debug ? copiedBytes(file.debug.bytes) : 0) : 0;
    this.#byIdentity.set(key, { file, copied: cost });
    this.#copiedHeld += cost;
    for (const [k, v] of this.#byIdentity) {
      if (this.#copiedHeld <= MAX_COPIED_HELD || k === key) break;
      this.#byIdentity.delete(k);
      this.#copiedHeld -= v.copied;
    }
    return file ?? undefined;
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
    this.#copiedHeld = 0;
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

/** The st_dev and st_ino of the file a mapping names ("fd:01" is major 0xfd, minor 1). */
function identityOf(m: Mapping): { dev: bigint; ino: bigint } {
  const [major, minor] = m.dev.split(":").map((h) => BigInt(parseInt(h, 16) || 0));
  return { dev: (minor & 0xffn) | ((major & 0xfffn) << 8n) | ((minor & ~0xffn) << 12n) | ((major & ~0xfffn) << 32n), ino: BigInt(m.inode) };
}

function procExists(pid: number): boolean {
  return readProcText(`/proc/${pid}/stat`) !== undefined;
}
