// The probe decorators. At run time they only record which method handles which probe, and
// in which file the class is written: the compiler reads that file's source itself. Values
// only known at run time (a uprobe's pid, a profile's rate) are recorded here as `options` and
// reach the probe from this record, not from the source.
import type { ProbeOptions } from "../spec/target.ts";

export interface HandlerMeta {
  method: string;
  kind: string;
  target: string;
  /** Absolute path of the script that declares the handler. */
  file: string;
  options?: ProbeOptions;
  /** Options read from the tracer instance at start() (`@profile((t: P) => t.hz)`). */
  optionsOf?: (tracer: never) => ProbeOptions;
}

const handlers = new WeakMap<object, HandlerMeta>();

/** A TC39 method decorator, tolerant of TypeScript's legacy (experimentalDecorators) form too. */
function probeDecorator(kind: string, target: string, options?: ProbeOptions, optionsOf?: (tracer: never) => ProbeOptions) {
  const file = callerFile();
  return (value: unknown, context: unknown, descriptor?: PropertyDescriptor): void => {
    const legacy = typeof context === "string" || typeof context === "symbol";
    const fn = legacy ? descriptor?.value : value;
    const method = legacy ? String(context) : String((context as { name: string | symbol }).name);
    if (typeof fn === "function") handlers.set(fn, { method, kind, target, file, ...(options && { options }), ...(optionsOf && { optionsOf }) });
  };
}

/** Attaches the method to a static kernel tracepoint, e.g. `@tracepoint("syscalls:sys_enter_openat")`. */
export function tracepoint(name: string) {
  return probeDecorator("tracepoint", name);
}

/** Attaches the method to a tracepoint's raw arguments, e.g. `@rawTracepoint("sched_switch")`. */
export function rawTracepoint(name: string) {
  return probeDecorator("rawTracepoint", name);
}

/**
 * Like @rawTracepoint, as a BTF-typed tracing program (tp_btf, Linux 5.5+): the verifier knows
 * each argument's kernel type. Fails where the kernel refuses BPF_PROG_TYPE_TRACING.
 */
export function tpBtf(name: string) {
  return probeDecorator("tpBtf", name);
}

/** Attaches the method to a kernel function's entry; its parameters are the function's arguments (fentry where the kernel allows). */
export function kprobe(fn: string) {
  return probeDecorator("kprobe", fn);
}

/** Attaches the method to a kernel function's return; its parameter is the return value. */
export function kretprobe(fn: string) {
  return probeDecorator("kretprobe", fn);
}

/** Like @kprobe, but only as an fentry program (fails where the kernel cannot load one). */
export function fentry(fn: string) {
  return probeDecorator("fentry", fn);
}

/** Like @kretprobe, but only as an fexit program. */
export function fexit(fn: string) {
  return probeDecorator("fexit", fn);
}

/** Options of the user-space probes. */
export interface UprobeOptions {
  /**
   * Only this process: the binary is found through /proc/PID/root (so a path inside its
   * container works), a library name through the libraries it has mapped.
   */
  pid?: number;
}

/**
 * Attaches the method to a function of a program or library, e.g. `@uprobe("/bin/bash:readline")`:
 * "path:symbol", "path:symbol+offset", "path:0xADDRESS" (a link-time address), or a library by
 * name, "libc:malloc". Its parameters are the first six integer arguments (rdi, rsi, rdx, rcx,
 * r8, r9) as user addresses: `str(p)` reads a string, `p as u64` makes a number.
 */
export function uprobe(target: string, options: UprobeOptions = {}) {
  return probeDecorator("uprobe", target, { pid: options?.pid });
}

/** Attaches the method to the return of a user-space function; its parameter is the return value (rax). */
export function uretprobe(target: string, options: UprobeOptions = {}) {
  return probeDecorator("uretprobe", target, { pid: options?.pid });
}

/**
 * Attaches the method to a USDT probe (a <sys/sdt.h> DTRACE_PROBE site), "path:provider:name";
 * its parameters are the probe's arguments, typed by their size and signedness.
 */
export function usdt(target: string, options: UprobeOptions = {}) {
  return probeDecorator("usdt", target, { pid: options?.pid });
}

/**
 * Samples every CPU `hz` times a second (perf cpu-clock): `kstack()`/`ustack()` show what runs.
 * The rate may come from the tracer when it starts: `@profile((t: Profile) => t.frequency)`.
 */
export function profile<T>(hz: number | ((tracer: T) => number)) {
  if (typeof hz === "function") return probeDecorator("profile", "", undefined, (t: never) => ({ hz: hz(t) }));
  return probeDecorator("profile", String(hz), { hz });
}

/** Runs the method every `ms` milliseconds, on one CPU. */
export function interval(ms: number) {
  return probeDecorator("interval", String(ms), { ms });
}

export type SoftwareEvent =
  | "cpu-clock" | "task-clock" | "page-faults" | "context-switches" | "cpu-migrations" | "minor-faults"
  | "major-faults" | "alignment-faults" | "emulation-faults" | "dummy";
export type HardwareEvent =
  | "cpu-cycles" | "instructions" | "cache-references" | "cache-misses" | "branch-instructions"
  | "branch-misses" | "bus-cycles" | "stalled-cycles-frontend" | "stalled-cycles-backend" | "ref-cycles";

/** A perf event to sample, on every CPU: every `period` events, or `freq` times a second. */
export type PerfEventSpec =
  | { type: "software"; config: SoftwareEvent; period?: number; freq?: number }
  | { type: "hardware"; config: HardwareEvent; period?: number; freq?: number };

/** Runs the method on a sampled perf event, e.g. `@perfEvent({ type: "software", config: "page-faults", period: 1 })`. */
export function perfEvent(spec: PerfEventSpec) {
  // Not an object (an unset variable): the probe reports the value when the tracer starts.
  if (typeof spec !== "object" || spec === null) return probeDecorator("perfEvent", String(spec));
  return probeDecorator("perfEvent", `${spec.type}:${spec.config}`, { period: spec.period, freq: spec.freq });
}

/** The handlers of a tracer instance, from its class and every base class. */
export function handlersOf(instance: object): HandlerMeta[] {
  const out: HandlerMeta[] = [];
  for (let proto = Object.getPrototypeOf(instance); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const fn = Object.getOwnPropertyDescriptor(proto, key)?.value;
      const meta = typeof fn === "function" ? handlers.get(fn) : undefined;
      if (meta) out.push(meta);
    }
  }
  return out;
}

const OWN_DIR = new URL("..", import.meta.url).pathname;
const INTERNAL = /\/(runtime|tracer|spec|lang|probes|compiler|btf)\/[^/]+\.ts$|\/mod\.ts$/;

/** The first file on the stack outside tsbpf's own modules: the user's script. */
function callerFile(): string {
  const stack = new Error().stack ?? "";
  for (const m of stack.matchAll(/(?:file:\/\/)?(\/[^\s():]+?\.[cm]?[jt]sx?):\d+:\d+/g)) {
    const path = decodeURIComponent(m[1]);
    if (path.startsWith(OWN_DIR) && INTERNAL.test(path.slice(OWN_DIR.length - 1))) continue;
    return path;
  }
  return "";
}
