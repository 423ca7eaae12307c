// The compiler's output: a serialisable description of a tracer (no file descriptors, no
// kernel objects). The runtime turns it into maps, programs and links.
import type { ProbeRef } from "./target.ts";
import type { Type } from "./layout.ts";

/** An instruction that loads a map's address: the loader writes the map's fd into it. */
export interface MapReloc {
  insn: number;
  map: string;
}
/** Where an instruction came from in the TypeScript source (the program's BTF line info). */
export interface LineEntry {
  insn: number;
  line: number;
  column: number;
}

export type MapKind =
  | "ringbuf" | "hash" | "lru_hash" | "percpu_hash" | "array" | "percpu_array"
  | "lpm_trie" | "queue" | "stack" | "stack_trace"
  | "count" | "sum" | "min" | "max" | "avg" | "stats" | "hist" | "lhist"
  | "perfbuf" | "lost" | "dropped" | "cgroup" | "params" | "stacks" | "scratch" | "prog_array";

/** A slot of a ProgramArray: the loader puts the program of handler method `program` at `index`. */
export interface ProgramSlot {
  index: number;
  program: string;
}

/**
 * The entries a map has whatever size the script asks for: an aggregation without a key (a
 * count or sum of everything) only ever holds its one key, 0. Histograms keep a key per bucket.
 */
export function fixedEntries(m: Pick<MapSpec, "kind" | "userKey">): number | undefined {
  return ["count", "sum", "min", "max", "avg", "stats"].includes(m.kind) && m.userKey === undefined ? 1 : undefined;
}

export interface MapSpec {
  /** The tracer field it is stored in (or a name starting with "__" for tsbpf's own maps). */
  name: string;
  kind: MapKind;
  key?: Type;
  value?: Type;
  /** An aggregation's key as declared (undefined: not keyed). */
  userKey?: Type;
  linear?: { min: number; max: number; step: number };
  /** A stack-trace map's number, kept in the captured stacks' values (0: the hidden map of kstack()/ustack()). */
  stackIndex?: number;
  /** The field's doc comment, without its tags (the HELP text of its metric). */
  help?: string;
  /** `@unit` in the doc comment: what its values count, exported in base units (ns → seconds). */
  unit?: "ns" | "us" | "ms" | "s" | "bytes";
  /** `@metric` in the doc comment: the metric's name instead of tracer_field. */
  metric?: string;
  /** The constructor's size argument, when the source gives it as a constant (for `tsbpf plan`); for tsbpf's own counter maps, their slots. */
  size?: number;
  /** The constructor's size argument is an expression only the running script can evaluate (plan says so). */
  runtimeSize?: true;
  /** A ProgramArray's slots (BPF_MAP_TYPE_PROG_ARRAY), filled by the loader once the programs are loaded. */
  slots?: ProgramSlot[];
}

export interface ProgramSpec {
  /** The handler method's name. */
  name: string;
  probe: ProbeRef;
  progType: number;
  expectedAttachType?: number;
  attachBtfId?: number;
  /** Encoded instructions, base64 (the spec is cached as JSON). */
  insns: string;
  relocs: MapReloc[];
  lines: LineEntry[];
  stackSize: number;
  /**
   * A syscall wildcard's handler that runs in fewer syscalls than its probe matches (it reads an
   * argument only those have: compiler/syscall_fields.ts): how many, for tsbpf plan.
   */
  syscallsRun?: number;
  /**
   * For a program whose return value decides a packet's fate (cgroup skb, socket filter, XDP):
   * whether some `return` may not let it pass. Absent for programs whose return means nothing.
   */
  mayDrop?: boolean;
  line: number;
  column: number;
  /** Loaded but not attached: handlers reach it by a tail call through a ProgramArray (its probe is its caller's). */
  tailCallTarget?: true;
}

export interface TracerSpec {
  className: string;
  file: string;
  maps: MapSpec[];
  programs: ProgramSpec[];
  /** What the code assumes about the kernel (compiler/assumptions.ts): checked before it runs elsewhere. */
  assumptions?: string[];
}

/** Units a map can declare (`@unit`), and the base unit each is exported in. */
export const UNITS = { ns: "seconds", us: "seconds", ms: "seconds", s: "seconds", bytes: "bytes" } as const;
export type Unit = keyof typeof UNITS;

/**
 * A RingBuf's size when its declaration names none. Events are lost when the reader pauses longer
 * than the buffer takes to fill: 4 MiB holds about 50 ms of 40-byte events at 2 M/s, the most one
 * producer CPU writes, where 256 KiB (libbpf-tools' and bpftrace's 64 pages) held 3 ms, less than
 * a garbage collection or a busy machine's scheduling delay (bench/NOTES.md, "Streaming").
 */
export const DEFAULT_RINGBUF_BYTES = 4 * 1024 * 1024;
/**
 * A PerfBuffer's size per CPU when its declaration names none: each CPU's buffer takes only that
 * CPU's events, and the memory is paid once per CPU, so a quarter of the ring buffer's (still four
 * times bpftrace's 64 pages): about 17 ms of one CPU writing 48-byte records at 1.3 M/s.
 */
export const DEFAULT_PERF_BUFFER_BYTES = 1024 * 1024;

export const LOST_MAP = "__lost";
/** Per-CPU counts of map updates the kernel refused (a full map), one slot per map, by its position in `maps`. */
export const DROPPED_MAP = "__dropped";
/** The bucket index under which a histogram compiled with sums keeps the sum of its values (u64 max). */
export const HISTOGRAM_SUM_BUCKET = 0xffffffffffffffffn;
/** A cgroup array of one slot: the cgroup a tracer started with `cgroup` is limited to. */
export const CGROUP_MAP = "__cgroup";
/** Per-CPU room, one slot per handler, where events too big for the stack are built before bpf_perf_event_output. */
export const SCRATCH_MAP = "__scratch";
/** The stack-trace map that kstack() and ustack() store captured stacks in. */
export const STACKS_MAP = "__stacks";
/** The most entries a map's constructor takes. */
export const MAX_MAP_ENTRIES = 1 << 24;

/** Frames kept per stack (the kernel's PERF_MAX_STACK_DEPTH). */
export const MAX_STACK_DEPTH = 127;
/** The read-only array map holding the tracer's integer fields, frozen before programs load. */
export const PARAMS_MAP = "__params";

/**
 * The value probe() gives in program `programIndex` (its handler's position in the tracer)
 * for the `targetIndex`-th target it is attached to (a wildcard's matches, in order): the
 * attach cookie of that target, or a constant for a program with one target.
 */
export function probeId(programIndex: number, targetIndex: number): bigint {
  return (BigInt(programIndex) << 32n) | BigInt(targetIndex);
}

export function toBase64(bytes: Uint8Array): string {
  // Whole chunks through String.fromCharCode, not a character at a time: a cold compile encodes
  // each program once, and on Bun the loop's iterator cost 0.7-1.3 ms on its first call (0.1 now).
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  return btoa(s);
}

/**
 * atob's decode (the forgiving one: ASCII whitespace ignored, padding optional), by hand: every
 * start decodes its programs here, and Deno's first atob costs a warm start ≈ 1 MB of peak
 * memory and ≈ 1 ms (bench/NOTES.md, "Warm start, session 9").
 */
export function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  const text = /[\t\n\f\r ]/.test(b64) ? b64.replace(/[\t\n\f\r ]/g, "") : b64;
  let end = text.length;
  if (end % 4 === 0 && text.endsWith("=")) end -= text.endsWith("==") ? 2 : 1;
  if (end % 4 === 1) throw notBase64();
  const values = (base64Values ??= decodeTable());
  const out = new Uint8Array((end * 3) >> 2);
  let bits = 0, held = 0, at = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i), value = code < 128 ? values[code] : -1;
    if (value < 0) throw notBase64();
    bits = ((bits << 6) | value) & 0xffff;
    held += 6;
    if (held >= 8) {
      held -= 8;
      out[at++] = bits >> held;
    }
  }
  return out;
}

/** Each ASCII character's 6 bits in base64, -1 where it is none. */
let base64Values: Int8Array | undefined;
function decodeTable(): Int8Array {
  const values = new Int8Array(128).fill(-1);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < 64; i++) values[alphabet.charCodeAt(i)] = i;
  return values;
}

/** What atob throws for text that is not base64. */
const notBase64 = () => new DOMException("The string to be decoded is not correctly encoded.", "InvalidCharacterError");
