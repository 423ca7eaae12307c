/**
 * User addresses of a process to function names: the mapping that holds the address
 * (/proc/PID/maps), the file offset it corresponds to, the ELF virtual address at that offset,
 * and the function there (from .symtab, a separate debug file's .symtab, else .dynsym). The same arithmetic serves PIE executables,
 * fixed-address executables and shared libraries, since it never assumes where a file was
 * loaded. Anonymous executable memory is named by the process's perf-PID.map, if its JIT
 * runtime writes one; the vDSO by the kernel's image of it.
 *
 * Never throws: an address that cannot be named comes back as a frame without a name, and a
 * process that has exited gives `[unknown] (0xADDR)` frames (its perf map is still consulted,
 * since JIT runtimes leave the file behind).
 *
 * Results are cached per process and address, and /proc/PID/maps is read once per process
 * (again only when an address falls outside every known mapping, e.g. after a dlopen). A
 * process that exits or execs keeps its cached view until `forget(pid)`, since a pid can be
 * reused. Needs `await libc()` first, like every file access of the runtime.
 *
 * @example
 * ```ts
 * const u = userSymbols();
 * formatFrame(u.symbolize(pid, 0x7f7017e564f7n));   // "getppid+0x7 (/usr/lib/x86_64-linux-gnu/libc.so.6)"
 * ```
 */
import { ElfFiles } from "./elf_files.ts";
import { type Frame, unknownFrame } from "./frame.ts";
import { PerfMap } from "./perf_map.ts";
import { findMapping, isFileBacked, type Mapping, parseProcMaps, readProcText } from "./proc_maps.ts";
import { readCheckedFile, UnsafeFileError } from "../files.ts";
import { lstat } from "../file_stat.ts";
import { printable } from "../output.ts";
import type { MappingLog } from "./mapping_log.ts";

interface ProcessView {
  /** undefined: the process was gone when first asked about. */
  maps: Mapping[] | undefined;
  frames: Map<number, Frame>;
  perfMap: { path: string; map: PerfMap } | undefined;
  /** When the perf map was last read (performance.now()), or -Infinity. */
  perfMapReadAt: number;
  /** The process's uid (the owner of /proc/PID), whose perf map alone is believed; undefined: gone. */
  uid: number | undefined;
}

/** A perf map missing an address is read again after this long, not on every miss: V8's can be megabytes. */
const PERF_MAP_REREAD_MS = 1000;

export class UserSymbols {
  readonly #files = new ElfFiles();
  readonly #processes = new Map<number, ProcessView>();
  #log: { log: MappingLog; gone: () => void } | undefined;

  /**
   * Names the addresses of the process `log` follows from what it recorded, once the process
   * has exited. `gone` is called, once, the first time the addresses of another process that
   * has exited cannot be named.
   */
  recordedBy(log: MappingLog, gone: () => void): void {
    this.#log = { log, gone };
  }

  /** The function of process `pid` containing `address`. */
  symbolize(pid: number, address: bigint): Frame {
    let p = this.#processes.get(pid);
    if (!p) this.#processes.set(pid, (p = { maps: this.#maps(pid), frames: new Map(), perfMap: undefined, perfMapReadAt: -Infinity, uid: processUid(pid) }));
    // User addresses are below 2^47 (2^56 with 5-level paging): exact as numbers.
    const a = Number(address);
    let frame = p.frames.get(a);
    if (frame) return frame;
    frame = this.#resolve(pid, p, a, address);
    if (!frame && p.maps) {
      // Mapped after we looked (dlopen, a new JIT region)? Look once more.
      p.maps = this.#maps(pid) ?? p.maps;
      frame = this.#resolve(pid, p, a, address);
    }
    frame = shown(frame ?? this.#fromPerfMap(pid, p, a, address) ?? unknownFrame("user", address));
    // Unnamed JIT code may be named by the next read of its perf map: keep asking.
    if (frame.name !== undefined || !inAnonymousMemory(p, a)) p.frames.set(a, frame);
    return frame;
  }

  /** Forgets what is known of `pid` (call it when the process exits or execs). */
  forget(pid: number): void {
    this.#processes.delete(pid);
  }

  /** Forgets every process and every parsed file. */
  clear(): void {
    this.#processes.clear();
    this.#files.clear();
  }

  /** /proc/PID/maps, or once the process has gone, what the mapping log recorded of it. */
  #maps(pid: number): Mapping[] | undefined {
    const maps = readMaps(pid);
    if (maps || !this.#log) return maps;
    const recorded = this.#log.log.mappings(pid);
    if (!recorded) {
      this.#log.gone();
      this.#log.gone = () => {};
    }
    return recorded;
  }

  /** The frame of `a`, or undefined when no mapping of `p` holds it. */
  #resolve(pid: number, p: ProcessView, a: number, address: bigint): Frame | undefined {
    const m = p.maps && findMapping(p.maps, a);
    if (!m) return undefined;
    const fileOffset = a - m.start + m.offset;
    const file = m.path === "[vdso]" ? this.#files.vdso() : isFileBacked(m) ? this.#files.forMapping(pid, m) : undefined;
    if (!file) {
      if (isFileBacked(m) || m.path === "[vdso]") return unknownFrame("user", address, m.path, fileOffset);
      // Anonymous memory: a JIT's code, if it says so.
      return this.#fromPerfMap(pid, p, a, address) ?? unknownFrame("user", address);
    }
    const vaddr = file.elf.vaddr(fileOffset);
    // The debug file's .symtab has every function, the file's own .dynsym only exported ones.
    const s = vaddr === undefined ? undefined : file.debug?.symbols().symbolize(vaddr) ?? file.elf.symbols().symbolize(vaddr);
    if (!s) return unknownFrame("user", address, m.path, fileOffset);
    return { kind: "user", address, name: s.symbol.name, offset: s.offset, module: m.path };
  }

  /** The perf-PID.map entry for `a`. The file grows as the JIT works: read it again on a miss. */
  #fromPerfMap(pid: number, p: ProcessView, a: number, address: bigint): Frame | undefined {
    let hit = p.perfMap?.map.symbolize(a);
    const now = performance.now();
    if (!hit && now - p.perfMapReadAt >= PERF_MAP_REREAD_MS) {
      p.perfMapReadAt = now;
      p.perfMap = readPerfMap(pid, p.maps !== undefined, p.uid);
      hit = p.perfMap?.map.symbolize(a);
    }
    if (!hit || !p.perfMap) return undefined;
    return { kind: "user", address, name: hit.name, offset: hit.offset, module: p.perfMap.path };
  }
}

/**
 * The longest user function name kept, in characters (longer ones end in "…"): twice the
 * kernel's own limit (KSYM_NAME_LEN), and longer than the mangled C++ names of real programs.
 * A perf map line or a symbol can be megabytes, and every series or line holding the stack
 * would copy it (tests/security/symbol_name_size.test.ts).
 */
export const MAX_FRAME_NAME = 1024;

const bounded = (s: string) => (s.length > MAX_FRAME_NAME ? `${s.slice(0, MAX_FRAME_NAME - 1)}…` : s);

/**
 * A user frame's names come from files and perf maps other users write: shown printable(),
 * like every name that reaches the terminal, and bounded in length.
 */
function shown(f: Frame): Frame {
  return { ...f, name: f.name === undefined ? undefined : bounded(printable(bounded(f.name))), module: f.module === undefined ? undefined : printable(f.module) };
}

let shared: UserSymbols | undefined;

/** The process-wide instance, so files parsed for one stack serve the next. */
export function userSymbols(): UserSymbols {
  return (shared ??= new UserSymbols());
}

function inAnonymousMemory(p: ProcessView, a: number): boolean {
  const m = p.maps && findMapping(p.maps, a);
  return m !== undefined && !isFileBacked(m) && m.path !== "[vdso]";
}

function readMaps(pid: number): Mapping[] | undefined {
  const text = readProcText(`/proc/${pid}/maps`);
  // An exiting process can still list an empty maps file: nothing to look up either way.
  return text ? parseProcMaps(text) : undefined;
}

/**
 * A process writes /tmp/perf-<its pid>.map in its own file tree: in a container, that is its
 * pid in its namespace (the last NSpid of /proc/PID/status) under /proc/PID/root. Once the
 * process is gone, only the host's /tmp/perf-PID.map is left to try.
 */
function readPerfMap(pid: number, alive: boolean, uid: number | undefined): { path: string; map: PerfMap } | undefined {
  const nsPid = alive ? namespacePid(pid) : pid;
  const path = `/tmp/perf-${nsPid}.map`;
  const owners = uid === undefined || uid === 0 ? [0] : [uid, 0];
  const text = (alive ? readPerfMapText(`/proc/${pid}/root${path}`, owners) : undefined) ?? readPerfMapText(`/tmp/perf-${pid}.map`, owners);
  return text === undefined ? undefined : { path, map: PerfMap.parse(text) };
}

/** Larger than the perf map of any real JIT (V8's with every function: tens of MB). */
const MAX_PERF_MAP_BYTES = 256 << 20;
const refused = new Set<string>();

/**
 * A perf map is in /tmp, where anyone can put anything under any name: read it only if it is
 * a regular file (not a FIFO that would block us, not a symlink to /dev/zero), owned by the
 * process's user or root, and not absurdly large, as perf does. A refused file is said once.
 */
function readPerfMapText(path: string, owners: number[]): string | undefined {
  try {
    const bytes = readCheckedFile(path, { maxBytes: MAX_PERF_MAP_BYTES, noFollow: true, owners });
    return bytes && new TextDecoder().decode(bytes);
  } catch (e) {
    if (e instanceof UnsafeFileError && !refused.has(path)) {
      refused.add(path);
      console.error(`tsbpf: ${e.message}`);
    }
    return undefined; // otherwise unreadable: the process is gone, as before
  }
}

function processUid(pid: number): number | undefined {
  const st = lstat(`/proc/${pid}`);
  return typeof st === "number" ? undefined : st.uid;
}

function namespacePid(pid: number): number {
  const status = readProcText(`/proc/${pid}/status`) ?? "";
  const line = status.split("\n").find((l) => l.startsWith("NSpid:"));
  const ids = line?.slice("NSpid:".length).trim().split(/\s+/) ?? [];
  const last = Number(ids[ids.length - 1]);
  return Number.isInteger(last) && last > 0 ? last : pid;
}
