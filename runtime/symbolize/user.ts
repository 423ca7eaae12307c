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
 * process is known by its pid and start time, and the program it runs by where its code and
 * stack lie and who owns it: each turn of the event loop checks that the pid still names the
 * process cached, since once it has exited its pid can be another's (a -c command's view, read
 * while it ran, serves its stacks after it exited, until another process takes the pid), and
 * that it has not exec'd another program since, keeping pid and start time (another user's
 * process that execs a setuid program goes on as root's, with none of its old mappings).
 * What is cached is bounded, least recently used processes dropped and read again if asked
 * about again: other users' processes, as many and as large as they like, are all traced.
 * Needs `await libc()` first, like every file access of the runtime.
 *
 * @example
 * ```ts
 * const u = userSymbols();
 * formatFrame(u.symbolize(pid, 0x7f7017e564f7n));   // "getppid+0x7 (/usr/lib/x86_64-linux-gnu/libc.so.6)"
 * ```
 */
import { ElfFiles, PARSE_LATER } from "./elf_files.ts";
import { type Frame, unknownFrame } from "./frame.ts";
import { PerfMap } from "./perf_map.ts";
import { findMapping, isFileBacked, type Mapping, parseProcMaps, readProcMaps, readProcText } from "./proc_maps.ts";
import { readCheckedFile, statInRoot, UnsafeFileError } from "../files.ts";
import { asProcess, type ProcessRef, statAndOwner } from "../process_files.ts";
import { lstat } from "../file_stat.ts";
import { printable } from "../output.ts";
import type { MappingLog } from "./mapping_log.ts";

interface ProcessView {
  /** Which process, running which program (processIdentity), or undefined: it was gone when first asked about. */
  identity: ProcessIdentity | undefined;
  /** undefined: the process was gone when first asked about. */
  maps: Mapping[] | undefined;
  /** The length of the maps' text, which their paths keep alive (V8 slices strings). */
  mapsBytes: number;
  /** When the maps were last read (performance.now(), at the end of the read), and how long that took. */
  mapsReadAt: number;
  mapsReadMs: number;
  frames: Map<number, Frame>;
  perfMap: { path: string; map: PerfMap; bytes: number } | undefined;
  /** When the perf map was last looked at (performance.now()), or -Infinity. */
  perfMapReadAt: number;
  /** The perf map's files as they stood then (fileIdentity of each): read again only once they differ. */
  perfMapIdentity: string | undefined;
  /** The perf map files of this process refused and said so: each is said once a process, not once a pid. */
  refused: Set<string>;
  /** What it holds, roughly, in bytes (viewCost), as last counted. */
  cost: number;
}

/**
 * A perf map missing an address is looked at again after this long, not on every miss, and read
 * again only if it changed (a JIT appends to it): V8's can be megabytes, and an address that no
 * line names would have it read and parsed every time.
 */
const PERF_MAP_REREAD_MS = 1000;

/**
 * A process's maps are read again (for an address in none of its mappings) only once this many
 * times as long as the last read took has passed since it: reading them is at most a tenth of
 * the work, however many such addresses come. Most processes' take well under a millisecond;
 * the kernel writes one with tens of thousands of mappings at ~15 MB/s of CPU.
 */
const MAPS_REREAD_WAIT = 10;

/**
 * How many processes, and how many bytes of their mappings, frames and perf maps, are cached at
 * most: far more than one tracer's stacks come from, and yet a bound on what another user's
 * processes (up to 65530 mappings each, a perf map of millions of lines) make root's tracer hold.
 * The process being symbolized stays, whatever it costs.
 */
const MAX_PROCESSES = 1024;
const MAX_HELD_BYTES = 128 << 20;

export class UserSymbols {
  readonly #files = new ElfFiles();
  /** In order of last use. */
  readonly #processes = new Map<number, ProcessView>();
  #log: { log: MappingLog; gone: () => void } | undefined;
  #held = 0;
  #saidMapsRefused = false;
  /** Set by #resolve when the address's file was dropped and is not parsed again yet (ElfFiles). */
  #parseLater = false;
  /**
   * Identities read in this turn of the event loop: a map printed at once checks each of its
   * processes once, not once a stack (reading /proc/PID/stat costs more than a cached stack).
   */
  readonly #identitiesThisTurn = new Map<number, ProcessIdentity | undefined>();

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
    return this.symbolizeAll(pid, [address])[0];
  }

  /**
   * The functions of process `pid` containing `addresses` (one stack). `start`: the process's
   * start time when the stack was read (startTime()); if the pid is another process's by now,
   * only what was named while that process ran is named, never from the new process's mappings.
   */
  symbolizeAll(pid: number, addresses: readonly bigint[], start?: string): Frame[] {
    const now = start === undefined ? undefined : this.startTime(pid);
    if (now !== undefined && now !== start) {
      const gone = this.#processes.get(pid);
      const frames = gone && gone.identity?.start === start ? gone.frames : undefined;
      return addresses.map((a) => frames?.get(Number(a)) ?? unknownFrame("user", a));
    }
    const p = this.#view(pid);
    const frames = addresses.map((a) => this.#symbolize(pid, p, a));
    this.#held += viewCost(p) - p.cost;
    p.cost = viewCost(p);
    this.#evict(pid);
    return frames;
  }

  /** How many processes are cached, and their bytes as counted (for tests of the bound). */
  get held(): { processes: number; bytes: number } {
    return { processes: this.#processes.size, bytes: this.#held };
  }

  /**
   * The cached view of `pid`, if it is still of the process that has the pid now, running the
   * same program (or, that process gone, of the last one seen with it); else a new one, read
   * now, made the most recent.
   */
  #view(pid: number): ProcessView {
    const identity = this.#identity(pid);
    let p = this.#processes.get(pid);
    if (p && !sameProgram(p.identity, identity)) p = undefined; // another process's now, or another program
    this.forget(pid);
    // The identity is read before the maps: a pid reused or an exec in between shows at the next check.
    if (!p) {
      const began = performance.now();
      const read = this.#maps(pid);
      const at = performance.now();
      p = { identity, ...read, mapsReadAt: at, mapsReadMs: at - began, frames: new Map(), perfMap: undefined, perfMapReadAt: -Infinity, perfMapIdentity: undefined, refused: new Set(), cost: 0 };
    }
    this.#processes.set(pid, p);
    this.#held += p.cost;
    return p;
  }

  /** When process `pid` started (/proc/PID/stat, read once a turn of the event loop), or undefined: there is none. */
  startTime(pid: number): string | undefined {
    return this.#identity(pid)?.start;
  }

  #identity(pid: number): ProcessIdentity | undefined {
    if (this.#identitiesThisTurn.has(pid)) return this.#identitiesThisTurn.get(pid);
    if (this.#identitiesThisTurn.size === 0) queueMicrotask(() => this.#identitiesThisTurn.clear());
    const identity = processIdentity(pid);
    this.#identitiesThisTurn.set(pid, identity);
    return identity;
  }

  /** Drops the least recently used processes until what is held is within bounds, `keep` last. */
  #evict(keep: number): void {
    for (const [pid, p] of this.#processes) {
      if ((this.#processes.size <= MAX_PROCESSES && this.#held <= MAX_HELD_BYTES) || pid === keep) break;
      this.#processes.delete(pid);
      this.#held -= p.cost;
    }
  }

  #symbolize(pid: number, p: ProcessView, address: bigint): Frame {
    // User addresses are below 2^47 (2^56 with 5-level paging): exact as numbers.
    const a = Number(address);
    let frame = p.frames.get(a);
    if (frame) return frame;
    this.#parseLater = false;
    frame = this.#resolve(pid, p, a, address);
    let unsure = false;
    if (!frame && p.maps) {
      // Mapped after we looked (dlopen, a new JIT region)? Look once more, but not for every
      // address in no mapping: a stack's addresses are the traced process's to choose, and its
      // maps can be megabytes.
      const began = performance.now();
      if (began - p.mapsReadAt >= MAPS_REREAD_WAIT * p.mapsReadMs) {
        const again = this.#maps(pid);
        if (again.maps) Object.assign(p, again);
        p.mapsReadAt = performance.now();
        p.mapsReadMs = p.mapsReadAt - began;
        frame = this.#resolve(pid, p, a, address);
      } else unsure = true;
    }
    frame = shown(frame ?? this.#fromPerfMap(pid, p, a, address) ?? unknownFrame("user", address));
    // Unnamed JIT code may be named by the next read of its perf map, an address in no mapping
    // by the next read of the maps, one in a file not parsed again yet by its parse: keep asking.
    if (frame.name !== undefined || (!unsure && !this.#parseLater && !inAnonymousMemory(p, a))) p.frames.set(a, frame);
    return frame;
  }

  /** Forgets what is known of `pid` (call it when the process exits or execs). */
  forget(pid: number): void {
    this.#held -= this.#processes.get(pid)?.cost ?? 0;
    this.#processes.delete(pid);
  }

  /** Forgets every process and every parsed file. */
  clear(): void {
    this.#processes.clear();
    this.#held = 0;
    this.#files.clear();
  }

  /** /proc/PID/maps, or once the process has gone, what the mapping log recorded of it. */
  #maps(pid: number): { maps: Mapping[] | undefined; mapsBytes: number } {
    const { refused, ...read } = readMaps(pid);
    if (refused) {
      // Said once: another user can fork such processes by the thousand.
      if (!this.#saidMapsRefused) console.error(`tsbpf: ${refused}: the user addresses of process ${pid} (and of any other such process, not said again) are not named`);
      this.#saidMapsRefused = true;
      return read;
    }
    if (read.maps || !this.#log) return read;
    const recorded = this.#log.log.mappings(pid);
    if (!recorded) {
      this.#log.gone();
      this.#log.gone = () => {};
    }
    return { maps: recorded, mapsBytes: 0 };
  }

  /** The frame of `a`, or undefined when no mapping of `p` holds it. */
  #resolve(pid: number, p: ProcessView, a: number, address: bigint): Frame | undefined {
    const m = p.maps && findMapping(p.maps, a);
    if (!m) return undefined;
    const fileOffset = a - m.start + m.offset;
    const found = m.path === "[vdso]" ? this.#files.vdso() : isFileBacked(m) ? this.#files.forMapping(pid, m, p.identity?.start) : undefined;
    if (found === PARSE_LATER) this.#parseLater = true;
    const file = found === PARSE_LATER ? undefined : found;
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
      const files = perfMapFiles(pid, p.maps === undefined || !p.identity ? undefined : { pid, start: p.identity.start });
      const identities = files.places.map(fileIdentity);
      if (identities.join(" ") !== p.perfMapIdentity) {
        p.perfMapIdentity = identities.join(" ");
        // Outside a container both places name one file: one refused is not read again.
        const places = files.places.filter((_, i) => identities[i] !== "-" && identities.indexOf(identities[i]) === i);
        p.perfMap = readPerfMap(files.path, places, p.identity?.uid, p.refused);
        hit = p.perfMap?.map.symbolize(a);
      }
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

/**
 * What a process's view holds, roughly: the maps' text and a parsed mapping's fields, a
 * frame's object and strings, a perf map's text (its names are slices of it) and addresses.
 */
function viewCost(p: ProcessView): number {
  return p.mapsBytes + 200 * (p.maps?.length ?? 0) + 200 * p.frames.size + 2 * (p.perfMap?.bytes ?? 0) + 16 * (p.perfMap?.map.count ?? 0);
}

interface ProcessIdentity {
  /** When the process started (field 22 of /proc/PID/stat, in clock ticks since boot): with the pid, one process for good. */
  start: string;
  /**
   * Where its program's code and its stack lie (fields 26 to 28), which an exec lays out anew
   * (randomized), or undefined once the process has no memory (exiting, a zombie).
   */
  program: string | undefined;
  /** Its owner (of /proc/PID): whose perf map alone is believed. A setuid program's is root. */
  uid: number | undefined;
}

/** Which process has pid `pid` and what it runs, or undefined when there is no such process. */
function processIdentity(pid: number): ProcessIdentity | undefined {
  const read = statAndOwner(pid);
  if (!read) return undefined;
  const { stat, uid } = read;
  // The command (field 2) is in parentheses and may hold anything, spaces and ")" too.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const program = fields.slice(26 - 3, 28 - 2).join(" ");
  return { start: fields[22 - 3], program: /^[0 ]*$/.test(program) ? undefined : program, uid };
}

/**
 * Whether a view read when the process was `cached` still serves it as it is `now`: the same
 * process (by start time) running the same program (laid out alike, owned alike). A process
 * gone, or left without memory as it exits, runs nothing new: its last view serves.
 */
function sameProgram(cached: ProcessIdentity | undefined, now: ProcessIdentity | undefined): boolean {
  if (!now) return true;
  if (!cached || cached.start !== now.start) return false;
  return now.program === undefined || (now.program === cached.program && now.uid === cached.uid);
}

/** The process's mappings; `refused` when its maps file is past the bound (readProcMaps). */
function readMaps(pid: number): { maps: Mapping[] | undefined; mapsBytes: number; refused?: string } {
  let text: string | undefined;
  try {
    text = readProcMaps(pid);
  } catch (e) {
    if (!(e instanceof UnsafeFileError)) throw e;
    return { maps: undefined, mapsBytes: 0, refused: e.message };
  }
  // An exiting process can still list an empty maps file: nothing to look up either way.
  return text ? { maps: parseProcMaps(text), mapsBytes: text.length } : { maps: undefined, mapsBytes: 0 };
}

/** A file as `process` sees it, inside its root (/proc/PID/root) and opened with its owner's rights; or, without one, as we see it. */
interface Place {
  path: string;
  process?: ProcessRef;
}

/**
 * A process writes /tmp/perf-<its pid>.map in its own file tree: in a container, that is its
 * pid in its namespace (the last NSpid of /proc/PID/status) inside /proc/PID/root, where the
 * container's links lead where they lead it, not to the host's files (files.ts openInRoot), and
 * with the rights of the process's user (process_files.ts), as the other files it names. Once
 * the process is gone (`process` undefined), only the host's /tmp/perf-PID.map is left to try.
 * `path` is the name shown, `places` those tried, in order.
 */
function perfMapFiles(pid: number, process: ProcessRef | undefined): { path: string; places: Place[] } {
  const path = `/tmp/perf-${process ? namespacePid(pid) : pid}.map`;
  const host = { path: `/tmp/perf-${pid}.map` };
  if (!process) return { path, places: [host] };
  return { path, places: [{ path, process }, host] };
}

/** Which file `place` names and how it stands (device, inode, size, mtime), or "-" for none. */
function fileIdentity(place: Place): string {
  const st = place.process ? asProcess(place.process, (root) => statInRoot(root!, place.path, true)) : lstat(place.path);
  return typeof st === "number" ? "-" : `${st.dev}:${st.ino}:${st.size}:${st.mtime}`;
}

/** The map of the first of `places` that can be read, shown as `shown`. */
function readPerfMap(shown: string, places: Place[], uid: number | undefined, refused: Set<string>): { path: string; map: PerfMap; bytes: number } | undefined {
  const owners = uid === undefined || uid === 0 ? [0] : [uid, 0];
  let text: string | undefined;
  for (const place of places) if ((text = readPerfMapText(place, shown, owners, refused)) !== undefined) break;
  return text === undefined ? undefined : { path: shown, map: PerfMap.parse(text), bytes: text.length };
}

/** Larger than the perf map of any real JIT (V8's with every function: tens of MB). */
const MAX_PERF_MAP_BYTES = 256 << 20;
/**
 * More lines than any JIT's map holds within that size (V8's run 60 to 100 bytes: 3 or 4 million
 * in 256 MiB). Parsing costs tens of bytes a line beyond the text: 250 MB of 7-byte lines took
 * the tracer past 3 GB (tests/security/perf_map_work.test.ts).
 */
const MAX_PERF_MAP_LINES = 4 << 20;

/**
 * A perf map is in /tmp, where anyone can put anything under any name: read it only if it is
 * a regular file (not a FIFO that would block us, not a symlink to /dev/zero), owned by the
 * process's user or root, and not absurdly large (in bytes, as perf does, or in lines).
 * The text of the perf map at `place`; a refusal is said once for the process (`refused`, its
 * view's: dropped with it, so neither kept for every pid ever seen nor held against the next
 * process with the pid), naming the file as the process names it (`shown`).
 */
function readPerfMapText(place: Place, shown: string, owners: number[], refused: Set<string>): string | undefined {
  const path = `${place.process ? `/proc/${place.process.pid}/root` : ""}${place.path}`;
  try {
    const check = { maxBytes: MAX_PERF_MAP_BYTES, noFollow: true, owners };
    const bytes = place.process ? asProcess(place.process, (root) => readCheckedFile(place.path, { ...check, root })) : readCheckedFile(place.path, check);
    if (!bytes || typeof bytes === "number") return undefined;
    let lines = 0;
    for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) {
      if (++lines > MAX_PERF_MAP_LINES) throw new UnsafeFileError(path, `it has more than ${MAX_PERF_MAP_LINES} lines, more than any JIT's map`);
    }
    return new TextDecoder().decode(bytes);
  } catch (e) {
    if (e instanceof UnsafeFileError && !refused.has(path)) {
      refused.add(path);
      console.error(`tsbpf: Refusing to read "${shown}"${path === shown ? "" : ` (${path})`}: ${e.reason}`);
    }
    return undefined; // otherwise unreadable: the process is gone, as before
  }
}


function namespacePid(pid: number): number {
  const status = readProcText(`/proc/${pid}/status`) ?? "";
  const line = status.split("\n").find((l) => l.startsWith("NSpid:"));
  const ids = line?.slice("NSpid:".length).trim().split(/\s+/) ?? [];
  const last = Number(ids[ids.length - 1]);
  return Number.isInteger(last) && last > 0 ? last : pid;
}
