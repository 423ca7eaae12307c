// bpf(2): one function per command, each building its bpf_attr at the offsets of the
// kernel's current uapi (include/uapi/linux/bpf.h). Only this file encodes bpf_attr.
import { cString, libcSync, SYS } from "./ffi/mod.ts";
import { syscallError } from "./errors.ts";
import { OwnedFd } from "./fd.ts";
import { ensureMemlock } from "./memlock.ts";

const enum Cmd {
  MAP_CREATE = 0, MAP_LOOKUP_ELEM = 1, MAP_UPDATE_ELEM = 2, MAP_DELETE_ELEM = 3, MAP_GET_NEXT_KEY = 4,
  PROG_LOAD = 5, OBJ_PIN = 6, OBJ_GET = 7, PROG_TEST_RUN = 10, PROG_GET_NEXT_ID = 11, MAP_GET_NEXT_ID = 12, PROG_GET_FD_BY_ID = 13, OBJ_GET_INFO_BY_FD = 15, RAW_TRACEPOINT_OPEN = 17, BTF_LOAD = 18,
  MAP_LOOKUP_AND_DELETE_ELEM = 21, MAP_FREEZE = 22, MAP_LOOKUP_BATCH = 24, MAP_LOOKUP_AND_DELETE_BATCH = 25, MAP_UPDATE_BATCH = 26, MAP_DELETE_BATCH = 27, LINK_CREATE = 28,
  LINK_GET_NEXT_ID = 31, ENABLE_STATS = 32,
}

const CMD_NAMES: Record<number, string> = {
  0: "BPF_MAP_CREATE", 1: "BPF_MAP_LOOKUP_ELEM", 2: "BPF_MAP_UPDATE_ELEM", 3: "BPF_MAP_DELETE_ELEM",
  4: "BPF_MAP_GET_NEXT_KEY", 5: "BPF_PROG_LOAD", 6: "BPF_OBJ_PIN", 7: "BPF_OBJ_GET", 10: "BPF_PROG_TEST_RUN", 11: "BPF_PROG_GET_NEXT_ID",
  12: "BPF_MAP_GET_NEXT_ID", 13: "BPF_PROG_GET_FD_BY_ID", 15: "BPF_OBJ_GET_INFO_BY_FD",
  17: "BPF_RAW_TRACEPOINT_OPEN", 18: "BPF_BTF_LOAD", 21: "BPF_MAP_LOOKUP_AND_DELETE_ELEM", 22: "BPF_MAP_FREEZE",
  24: "BPF_MAP_LOOKUP_BATCH", 25: "BPF_MAP_LOOKUP_AND_DELETE_BATCH", 26: "BPF_MAP_UPDATE_BATCH", 27: "BPF_MAP_DELETE_BATCH", 28: "BPF_LINK_CREATE",
  31: "BPF_LINK_GET_NEXT_ID", 32: "BPF_ENABLE_STATS",
};

/** A bpf_attr under construction; `keep` holds buffers whose addresses it contains. */
class Attr {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly keep: Uint8Array[] = [];
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u32(off: number, v: number): this {
    this.view.setUint32(off, v >>> 0, true);
    return this;
  }
  u64(off: number, v: bigint): this {
    this.view.setBigUint64(off, v, true);
    return this;
  }
  ptr(off: number, buf: Uint8Array | undefined): this {
    if (!buf) return this;
    this.keep.push(buf);
    return this.u64(off, libcSync().addressOf(buf));
  }
  name(off: number, name: string): this {
    // Object names are 16 bytes with a NUL; the kernel accepts [A-Za-z0-9_.].
    const clean = name.replace(/[^A-Za-z0-9_.]/g, "_").slice(0, 15);
    this.bytes.set(new TextEncoder().encode(clean), off);
    return this;
  }
}

function bpf(cmd: Cmd, attr: Attr): number {
  const c = libcSync();
  // What the kernel charges to RLIMIT_MEMLOCK before 5.11 (runtime/memlock.ts).
  if (cmd === Cmd.MAP_CREATE || cmd === Cmd.PROG_LOAD || cmd === Cmd.BTF_LOAD) ensureMemlock();
  for (;;) {
    const r = c.syscall(SYS.bpf, BigInt(cmd), c.addressOf(attr.bytes), BigInt(attr.bytes.length));
    if (r !== -4) return r; // EINTR: a signal arrived; the call did nothing, so repeat it.
  }
}

function bpfOrThrow(cmd: Cmd, attr: Attr, detail?: string): number {
  const r = bpf(cmd, attr);
  if (r < 0) throw syscallError(`bpf(${CMD_NAMES[cmd]})`, r, detail);
  return r;
}

export const MapType = {
  HASH: 1, ARRAY: 2, PROG_ARRAY: 3, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5, PERCPU_ARRAY: 6, STACK_TRACE: 7,
  CGROUP_ARRAY: 8, LRU_HASH: 9, LRU_PERCPU_HASH: 10, LPM_TRIE: 11, QUEUE: 22, STACK: 23, RINGBUF: 27,
} as const;

export interface MapCreateOptions {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  name: string;
}

/** Map flag: allocate elements when inserted (LPM tries require it). */
export const BPF_F_NO_PREALLOC = 1;
/** Update flag: replace an existing element only; on a queue or stack, push out the oldest when full. */
export const BPF_EXIST = 2n;

/** Map flag: programs may only read the map (with a frozen map, its values are constants to the verifier). */
export const BPF_F_RDONLY_PROG = 1 << 7;

/** Makes a map read-only from user space too, for good. */
export function mapFreeze(mapFd: number): void {
  bpfOrThrow(Cmd.MAP_FREEZE, new Attr(8).u32(0, mapFd));
}

export function mapCreate(o: MapCreateOptions): OwnedFd {
  const attr = new Attr(72)
    .u32(0, o.type).u32(4, o.keySize).u32(8, o.valueSize).u32(12, o.maxEntries).u32(16, o.flags ?? 0)
    .name(28, o.name);
  return new OwnedFd(bpfOrThrow(Cmd.MAP_CREATE, attr, `map "${o.name}"`), `map ${o.name}`);
}

function elemAttr(mapFd: number, key: Uint8Array | undefined, value: Uint8Array | undefined, flags = 0n): Attr {
  return new Attr(32).u32(0, mapFd).ptr(8, key).ptr(16, value).u64(24, flags);
}

/** Returns false when the key is absent. `key` undefined: the head of a queue or stack (peek). */
export function mapLookup(mapFd: number, key: Uint8Array | undefined, value: Uint8Array): boolean {
  const r = bpf(Cmd.MAP_LOOKUP_ELEM, elemAttr(mapFd, key, value));
  if (r === -2) return false;
  if (r < 0) throw syscallError("bpf(BPF_MAP_LOOKUP_ELEM)", r);
  return true;
}

export function mapUpdate(mapFd: number, key: Uint8Array | undefined, value: Uint8Array, flags = 0n): void {
  bpfOrThrow(Cmd.MAP_UPDATE_ELEM, elemAttr(mapFd, key, value, flags));
}

/** Pushes onto a queue or stack map; false when it is full (E2BIG). */
export function mapPush(mapFd: number, value: Uint8Array, flags = 0n): boolean {
  const r = bpf(Cmd.MAP_UPDATE_ELEM, elemAttr(mapFd, undefined, value, flags));
  if (r === -7) return false;
  if (r < 0) throw syscallError("bpf(BPF_MAP_UPDATE_ELEM)", r);
  return true;
}

/** Reads and removes: the head of a queue or stack (key undefined) or a key's element; false when absent or empty. */
export function mapLookupAndDelete(mapFd: number, key: Uint8Array | undefined, value: Uint8Array): boolean {
  const r = bpf(Cmd.MAP_LOOKUP_AND_DELETE_ELEM, elemAttr(mapFd, key, value));
  if (r === -2) return false;
  if (r < 0) throw syscallError("bpf(BPF_MAP_LOOKUP_AND_DELETE_ELEM)", r);
  return true;
}

export type BatchResult = { count: number; done: boolean } | { unsupported: true } | { tooSmall: true };

/**
 * One step of BPF_MAP_LOOKUP_BATCH (or LOOKUP_AND_DELETE_BATCH with `del`): up to `count`
 * keys and values after the position `inBatch` (undefined: from the start), the next position
 * written to `outBatch`. `done` once the walk reached the end (ENOENT). `unsupported` on
 * kernels before 5.6 or map types without batches (EINVAL/ENOTSUPP); `tooSmall` when one
 * hash bucket holds more than `count` elements (ENOSPC): retry with more room.
 */
export function mapLookupBatch(mapFd: number, inBatch: Uint8Array | undefined, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: number, del = false): BatchResult {
  const attr = new Attr(56).ptr(0, inBatch).ptr(8, outBatch).ptr(16, keys).ptr(24, values).u32(32, count).u32(36, mapFd);
  const cmd = del ? Cmd.MAP_LOOKUP_AND_DELETE_BATCH : Cmd.MAP_LOOKUP_BATCH;
  const r = bpf(cmd, attr);
  const got = attr.view.getUint32(32, true);
  if (r === 0) return { count: got, done: false };
  if (r === -2) return { count: got, done: true };
  if (r === -28) return { tooSmall: true };
  if (r === -22 || r === -524 || r === -95) return { unsupported: true };
  throw syscallError(`bpf(${CMD_NAMES[cmd]})`, r);
}

/** BPF_MAP_UPDATE_BATCH / DELETE_BATCH (values undefined): returns how many were done, or undefined where unsupported. */
export function mapWriteBatch(mapFd: number, keys: Uint8Array, values: Uint8Array | undefined, count: number, flags = 0n): number | undefined {
  const attr = new Attr(56).ptr(16, keys).ptr(24, values).u32(32, count).u32(36, mapFd).u64(40, flags);
  const cmd = values ? Cmd.MAP_UPDATE_BATCH : Cmd.MAP_DELETE_BATCH;
  const r = bpf(cmd, attr);
  const done = attr.view.getUint32(32, true);
  if ((r === -22 || r === -524 || r === -95) && done === 0) return undefined;
  if (r === -2 && !values) return done; // a key already gone: the ones before it are deleted
  if (r < 0) throw syscallError(`bpf(${CMD_NAMES[cmd]})`, r);
  return done;
}

/** Returns false when the key is absent. */
export function mapDelete(mapFd: number, key: Uint8Array): boolean {
  const r = bpf(Cmd.MAP_DELETE_ELEM, elemAttr(mapFd, key, undefined));
  if (r === -2) return false;
  if (r < 0) throw syscallError("bpf(BPF_MAP_DELETE_ELEM)", r);
  return true;
}

/** Writes the key after `key` (the first key when `key` is undefined) into `next`; false at the end. */
export function mapNextKey(mapFd: number, key: Uint8Array | undefined, next: Uint8Array): boolean {
  const r = bpf(Cmd.MAP_GET_NEXT_KEY, elemAttr(mapFd, key, next));
  if (r === -2) return false;
  if (r < 0) throw syscallError("bpf(BPF_MAP_GET_NEXT_KEY)", r);
  return true;
}

export { ProgType } from "../spec/prog_type.ts";

export interface ProgLoadOptions {
  type: number;
  insns: Uint8Array;
  name: string;
  license?: string;
  expectedAttachType?: number;
  attachBtfId?: number;
  btfFd?: number;
  funcInfo?: Uint8Array;
  funcInfoCount?: number;
  lineInfo?: Uint8Array;
  lineInfoCount?: number;
  logLevel?: number;
}

export type ProgLoadResult =
  | { ok: true; fd: OwnedFd; log: string }
  | { ok: false; errno: number; log: string };

/** How many times a load interrupted by a signal is repeated (libbpf: 5 attempts in all). */
const LOAD_INTERRUPTIONS = 5;

/**
 * Loads a program. Without `logLevel` the first load has no log (a level-1 log makes the
 * verifier 3-7 times slower, measured on this kernel, and most programs pass); a refused one is
 * loaded again with a log, so a refusal comes with the verifier's reasons. That log is grown
 * until it fits, except after such a refusal on a kernel that keeps the log's end when it
 * overflows (6.4+, which reports the size it needed): the end holds all the loader reads (the
 * failing instruction, the reason), so it is returned as it is, with a note of what was left
 * out, rather than verifying a third time. With `logLevel` the whole log is returned either way.
 */
export function progLoad(o: ProgLoadOptions): ProgLoadResult {
  const license = new TextEncoder().encode((o.license ?? "GPL") + "\0");
  let logSize = o.logLevel ? 1 << 20 : 0;
  let interrupted = 0;
  let refusedErrno: number | undefined; // of the first load, made without a log
  for (let attempt = 0; ; attempt++) {
    const log = logSize ? new Uint8Array(logSize) : undefined;
    const attr = new Attr(144)
      .u32(0, o.type).u32(4, o.insns.length / 8).ptr(8, o.insns).ptr(16, license)
      .u32(24, log ? o.logLevel ?? 1 : 0).u32(28, logSize).ptr(32, log)
      .name(48, o.name).u32(68, o.expectedAttachType ?? 0).u32(108, o.attachBtfId ?? 0);
    if (o.btfFd !== undefined) {
      attr.u32(72, o.btfFd);
      if (o.funcInfo) attr.u32(76, 8).ptr(80, o.funcInfo).u32(88, o.funcInfoCount ?? 0);
      if (o.lineInfo) attr.u32(92, 16).ptr(96, o.lineInfo).u32(104, o.lineInfoCount ?? 0);
    }
    const r = bpf(Cmd.PROG_LOAD, attr);
    const text = log ? decodeLog(log) : "";
    if (r >= 0) return { ok: true, fd: new OwnedFd(r, `program ${o.name}`), log: text };
    if (r === -11 && interrupted++ < LOAD_INTERRUPTIONS) {
      // EAGAIN: a signal arrived while the verifier worked (it checks between instructions) and
      // it gave up, saying nothing. The runtimes signal their own threads (a garbage collector,
      // a child's end), so under load this happens to sound programs: verify again.
      attempt--;
      continue;
    }
    if (r === -28 && log && attempt < 4) {
      // ENOSPC: the log did not fit. The kernel reports the size it needed (log_true_size).
      const needed = attr.view.getUint32(140, true);
      if (refusedErrno !== undefined && needed > 0) return { ok: false, errno: refusedErrno, log: logEnd(text, needed) };
      logSize = Math.max(needed + 1, logSize * 4);
      continue;
    }
    if (!log && r !== -1) {
      // Retry once with a log, so a rejection always comes with the verifier's reasons.
      refusedErrno = -r;
      logSize = 1 << 20;
      o = { ...o, logLevel: 1 };
      continue;
    }
    return { ok: false, errno: -r, log: text };
  }
}

/** The end of a log the kernel kept only the end of: from its first whole line, after a note saying so. */
function logEnd(text: string, fullSize: number): string {
  const kept = text.slice(text.indexOf("\n") + 1);
  return `(the verifier's log was ${fullSize} bytes; its first ${fullSize - kept.length} bytes are left out)\n${kept}`;
}

function decodeLog(log: Uint8Array): string {
  const end = log.indexOf(0);
  return new TextDecoder().decode(end < 0 ? log : log.subarray(0, end));
}

/** Loads BTF for func_info/line_info; returns the fd, or throws with the kernel's BTF log. */
export function btfLoad(btf: Uint8Array): OwnedFd {
  const log = new Uint8Array(64 * 1024);
  const attr = new Attr(32).ptr(0, btf).ptr(8, log).u32(16, btf.length).u32(20, log.length).u32(24, 1);
  const r = bpf(Cmd.BTF_LOAD, attr);
  if (r < 0) throw syscallError("bpf(BPF_BTF_LOAD)", r, decodeLog(log).trim().split("\n").pop());
  return new OwnedFd(r, "btf");
}

export const AttachType = { CGROUP_INET_INGRESS: 0, CGROUP_INET_EGRESS: 1, TRACE_RAW_TP: 23, XDP: 37, TRACE_FENTRY: 24, TRACE_FEXIT: 25, PERF_EVENT: 41, TRACE_KPROBE_MULTI: 42, TRACE_UPROBE_MULTI: 48 } as const;

/** `cookie`: for a perf event link, the value bpf_get_attach_cookie() returns in the program (5.15+). */
export function linkCreate(progFd: number, targetFd: number, attachType: number, label: string, cookie?: bigint): OwnedFd {
  const attr = new Attr(64).u32(0, progFd).u32(4, targetFd).u32(8, attachType);
  if (cookie !== undefined) attr.u64(16, cookie); // link_create.perf_event.bpf_cookie
  return new OwnedFd(bpfOrThrow(Cmd.LINK_CREATE, attr, label), `link ${label}`);
}

/** XDP_FLAGS_SKB_MODE: generic XDP, run by the kernel on the sk_buff, for drivers without XDP of their own. */
export const XDP_FLAGS_SKB_MODE = 2;

/** Attaches an XDP program to a network device with a link (5.9+): it detaches when the link closes. */
export function xdpLinkCreate(progFd: number, ifindex: number, flags: number, label: string): OwnedFd {
  const attr = new Attr(64).u32(0, progFd).u32(4, ifindex).u32(8, AttachType.XDP).u32(12, flags); // link_create.target_ifindex, .flags
  return new OwnedFd(bpfOrThrow(Cmd.LINK_CREATE, attr, label), `link ${label}`);
}

/** BPF_F_KPROBE_MULTI_RETURN: the link's probes fire on return. */
const KPROBE_MULTI_RETURN = 1;

/**
 * One link attaching a kprobe program (loaded with expected_attach_type KPROBE_MULTI) to many
 * kernel functions at once (5.18+); cookies[i] is what bpf_get_attach_cookie() returns at symbols[i].
 */
export function kprobeMultiLinkCreate(progFd: number, symbols: string[], cookies: bigint[], ret: boolean, label: string): OwnedFd {
  const encoder = new TextEncoder();
  const strings = symbols.map((s) => encoder.encode(s + "\0"));
  const c = libcSync();
  const syms = new Uint8Array(8 * symbols.length), cookieBytes = new Uint8Array(8 * symbols.length);
  const symsView = new DataView(syms.buffer), cookieView = new DataView(cookieBytes.buffer);
  strings.forEach((s, i) => {
    symsView.setBigUint64(i * 8, c.addressOf(s), true);
    cookieView.setBigUint64(i * 8, cookies[i], true);
  });
  // link_create.kprobe_multi: flags, cnt, syms, addrs, cookies
  const attr = new Attr(64).u32(0, progFd).u32(8, AttachType.TRACE_KPROBE_MULTI)
    .u32(16, ret ? KPROBE_MULTI_RETURN : 0).u32(20, symbols.length).ptr(24, syms).ptr(40, cookieBytes);
  attr.keep.push(...strings);
  return new OwnedFd(bpfOrThrow(Cmd.LINK_CREATE, attr, label), `link ${label}`);
}

/** BPF_F_UPROBE_MULTI_RETURN: the link's probes fire on return. */
const UPROBE_MULTI_RETURN = 1;

/**
 * One link attaching a kprobe program (loaded with expected_attach_type UPROBE_MULTI) to many
 * instructions of one file at once (6.6+): offsets are file offsets, cookies[i] is what
 * bpf_get_attach_cookie() returns at offsets[i]; `pid` makes the probes fire only in that process.
 */
export function uprobeMultiLinkCreate(progFd: number, o: { path: string; offsets: number[]; cookies: bigint[]; ret: boolean; pid?: number; label: string }): OwnedFd {
  const path = new TextEncoder().encode(o.path + "\0");
  const offsets = new Uint8Array(8 * o.offsets.length), cookies = new Uint8Array(8 * o.offsets.length);
  const offsetView = new DataView(offsets.buffer), cookieView = new DataView(cookies.buffer);
  o.offsets.forEach((off, i) => {
    offsetView.setBigUint64(i * 8, BigInt(off), true);
    cookieView.setBigUint64(i * 8, o.cookies[i], true);
  });
  // link_create.uprobe_multi: path, offsets, ref_ctr_offsets, cookies, cnt, flags, pid
  const attr = new Attr(64).u32(0, progFd).u32(8, AttachType.TRACE_UPROBE_MULTI)
    .ptr(16, path).ptr(24, offsets).ptr(40, cookies).u32(48, o.offsets.length).u32(52, o.ret ? UPROBE_MULTI_RETURN : 0).u32(56, o.pid ?? 0);
  return new OwnedFd(bpfOrThrow(Cmd.LINK_CREATE, attr, o.label), `link ${o.label}`);
}

/** Attaches a raw tracepoint program; the returned fd owns the attachment. */
export function rawTracepointOpen(progFd: number, name: string, label = `raw tracepoint ${name}`): OwnedFd {
  // A tp_btf program names its tracepoint at load (attach_btf_id): it is opened without a name.
  const attr = new Attr(16).ptr(0, name ? new TextEncoder().encode(name + "\0") : undefined).u32(8, progFd);
  return new OwnedFd(bpfOrThrow(Cmd.RAW_TRACEPOINT_OPEN, attr, label), label);
}

export interface TestRunResult {
  retval: number;
  durationNs: number;
}

/** BPF_PROG_TEST_RUN with a context (raw tracepoint, syscall and similar program types). */
export function progTestRun(progFd: number, ctx?: Uint8Array, repeat = 0): TestRunResult {
  // Raw tracepoint programs insist on repeat = 0 (they run once); others treat 0 as 1.
  const attr = new Attr(80).u32(0, progFd).u32(32, repeat);
  if (ctx) attr.u32(40, ctx.length).ptr(48, ctx);
  bpfOrThrow(Cmd.PROG_TEST_RUN, attr);
  return { retval: attr.view.getUint32(4, true), durationNs: attr.view.getUint32(36, true) };
}

export interface ProgInfo {
  id: number;
  tag: string;
  xlatedLen: number;
  jitedLen: number;
  name: string;
  /** Runs and time spent in them, counted only while the kernel's BPF statistics are on. */
  runCount: bigint;
  runTimeNs: bigint;
}

/** BPF_OBJ_GET_INFO_BY_FD: the first `size` bytes of a program's, map's or link's info. */
function objectInfo(fd: number, size: number): Uint8Array {
  const info = new Uint8Array(size);
  bpfOrThrow(Cmd.OBJ_GET_INFO_BY_FD, new Attr(16).u32(0, fd).u32(4, info.length).ptr(8, info));
  return info;
}

export function progInfo(progFd: number): ProgInfo {
  const info = objectInfo(progFd, 232);
  const v = new DataView(info.buffer);
  const tag = [...info.subarray(8, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const nameBytes = info.subarray(64, 80);
  const end = nameBytes.indexOf(0);
  return {
    id: v.getUint32(4, true),
    tag,
    jitedLen: v.getUint32(16, true),
    xlatedLen: v.getUint32(20, true),
    name: new TextDecoder().decode(end < 0 ? nameBytes : nameBytes.subarray(0, end)),
    runTimeNs: v.getBigUint64(192, true),
    runCount: v.getBigUint64(200, true),
  };
}

/**
 * BPF_ENABLE_STATS (5.8+): run counts and times are kept while the returned fd is open.
 * Undefined where the kernel has no such command (EINVAL).
 */
export function enableStats(): OwnedFd | undefined {
  const r = bpf(Cmd.ENABLE_STATS, new Attr(8).u32(0, 0 /* BPF_STATS_RUN_TIME */));
  if (r === -22) return undefined;
  if (r < 0) throw syscallError("bpf(BPF_ENABLE_STATS)", r);
  return new OwnedFd(r, "BPF statistics");
}

export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

export function mapInfo(mapFd: number): MapInfo {
  const v = new DataView(objectInfo(mapFd, 96).buffer);
  return { type: v.getUint32(0, true), id: v.getUint32(4, true), keySize: v.getUint32(8, true), valueSize: v.getUint32(12, true), maxEntries: v.getUint32(16, true), flags: v.getUint32(20, true) };
}

/** A link's id and the id of the program it attaches. */
export function linkInfo(linkFd: number): { id: number; progId: number } {
  const v = new DataView(objectInfo(linkFd, 64).buffer);
  return { id: v.getUint32(4, true), progId: v.getUint32(8, true) };
}

/** BPF_OBJ_PIN: the object stays in the kernel while `path` (in a bpffs) names it. */
export function objPin(fd: number, path: string): void {
  const name = cString(path);
  bpfOrThrow(Cmd.OBJ_PIN, new Attr(24).ptr(0, name).u32(8, fd), `"${path}"`);
}

/** BPF_OBJ_GET: a new fd of the object pinned at `path`. */
export function objGet(path: string, label: string): OwnedFd {
  const name = cString(path);
  return new OwnedFd(bpfOrThrow(Cmd.OBJ_GET, new Attr(24).ptr(0, name), `"${path}"`), label);
}

/** Ids of every BPF program loaded on the machine (as `bpftool prog list` walks them). */
export function progIds(): number[] {
  return nextIds(Cmd.PROG_GET_NEXT_ID);
}

export function mapIds(): number[] {
  return nextIds(Cmd.MAP_GET_NEXT_ID);
}

export function linkIds(): number[] {
  return nextIds(Cmd.LINK_GET_NEXT_ID);
}

function nextIds(cmd: Cmd): number[] {
  const ids: number[] = [];
  for (let id = 0; ;) {
    const attr = new Attr(12).u32(0, id);
    if (bpf(cmd, attr) < 0) return ids;
    id = attr.view.getUint32(4, true);
    ids.push(id);
  }
}

/** Info of a loaded program by id, or undefined if it is gone. */
export function progInfoById(id: number): ProgInfo | undefined {
  const fd = bpf(Cmd.PROG_GET_FD_BY_ID, new Attr(12).u32(0, id));
  if (fd < 0) return undefined;
  const owned = new OwnedFd(fd, `program ${id}`);
  try {
    return progInfo(fd);
  } finally {
    owned.close();
  }
}
