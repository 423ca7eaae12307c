// The probe decorators. At run time they only record which method handles which probe, and
// in which file the class is written: the compiler reads that file's source itself. Values
// only known at run time (a uprobe's pid, a profile's rate) are recorded here as `options` and
// reach the probe from this record, not from the source.
import type { ProbeOptions } from "../spec/target.ts";
import { OWN_ROOT } from "../runtime/own_files.ts";

export interface HandlerMeta {
  method: string;
  kind: string;
  target: string;
  /** Absolute path of the script that declares the handler, or its URL when imported from one. */
  file: string;
  options?: ProbeOptions;
  /** Options read from the tracer instance at start() (`@profile((t: P) => t.hz)`). */
  optionsOf?: (tracer: never) => ProbeOptions;
}

const handlers = new WeakMap<object, HandlerMeta>();

/**
 * What the probe decorators return: a method decorator, in TC39's form (`value`, `context`) or
 * TypeScript's legacy experimentalDecorators form (`target`, `name`, `descriptor`).
 */
export type ProbeDecorator = (value: unknown, context: unknown, descriptor?: PropertyDescriptor) => void;

/** A TC39 method decorator, tolerant of TypeScript's legacy (experimentalDecorators) form too. */
function probeDecorator(kind: string, target: string, options?: ProbeOptions, optionsOf?: (tracer: never) => ProbeOptions): ProbeDecorator {
  const file = callerFile();
  return (value: unknown, context: unknown, descriptor?: PropertyDescriptor): void => {
    const legacy = typeof context === "string" || typeof context === "symbol";
    const fn = legacy ? descriptor?.value : value;
    const method = legacy ? String(context) : String((context as { name: string | symbol }).name);
    if (typeof fn === "function") handlers.set(fn, { method, kind, target, file, ...(options && { options }), ...(optionsOf && { optionsOf }) });
  };
}

/** Attaches the method to a static kernel tracepoint, e.g. `@tracepoint("syscalls:sys_enter_openat")`. */
export function tracepoint(name: string): ProbeDecorator {
  return probeDecorator("tracepoint", name);
}

/** Attaches the method to a tracepoint's raw arguments, e.g. `@rawTracepoint("sched_switch")`. */
export function rawTracepoint(name: string): ProbeDecorator {
  return probeDecorator("rawTracepoint", name);
}

/**
 * Like @rawTracepoint, as a BTF-typed tracing program (tp_btf, Linux 5.5+): the verifier knows
 * each argument's kernel type. Fails where the kernel refuses BPF_PROG_TYPE_TRACING.
 */
export function tpBtf(name: string): ProbeDecorator {
  return probeDecorator("tpBtf", name);
}

/** Attaches the method to a kernel function's entry; its parameters are the function's arguments (fentry where the kernel allows). */
export function kprobe(fn: string): ProbeDecorator {
  return probeDecorator("kprobe", fn);
}

/** Attaches the method to a kernel function's return; its parameter is the return value. */
export function kretprobe(fn: string): ProbeDecorator {
  return probeDecorator("kretprobe", fn);
}

/** Like @kprobe, but only as an fentry program (fails where the kernel cannot load one). */
export function fentry(fn: string): ProbeDecorator {
  return probeDecorator("fentry", fn);
}

/** Like @kretprobe, but only as an fexit program. */
export function fexit(fn: string): ProbeDecorator {
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
 * r8, r9) as user addresses: `str(p)` reads a string; `(p: u64)` or `p as u64` makes a number
 * (declared u64, str(p) still reads through it).
 */
export function uprobe(target: string, options: UprobeOptions = {}): ProbeDecorator {
  return probeDecorator("uprobe", target, { pid: options?.pid });
}

/** Attaches the method to the return of a user-space function; its parameter is the return value (rax). */
export function uretprobe(target: string, options: UprobeOptions = {}): ProbeDecorator {
  return probeDecorator("uretprobe", target, { pid: options?.pid });
}

/**
 * Attaches the method to a USDT probe (a <sys/sdt.h> DTRACE_PROBE site), "path:provider:name";
 * its parameters are the probe's arguments, typed by their size and signedness.
 */
export function usdt(target: string, options: UprobeOptions = {}): ProbeDecorator {
  return probeDecorator("usdt", target, { pid: options?.pid });
}

/**
 * Samples every CPU `hz` times a second (perf cpu-clock): `kstack()`/`ustack()` show what runs.
 * The rate may come from the tracer when it starts: `@profile((t: Profile) => t.frequency)`.
 */
export function profile<T>(hz: number | ((tracer: T) => number)): ProbeDecorator {
  if (typeof hz === "function") return probeDecorator("profile", "", undefined, (t: never) => ({ hz: hz(t) }));
  return probeDecorator("profile", String(hz), { hz });
}

/** Runs the method every `ms` milliseconds, on one CPU. */
export function interval(ms: number): ProbeDecorator {
  return probeDecorator("interval", String(ms), { ms });
}

/** A software perf event, by the name `perf list` gives it. */
export type SoftwareEvent =
  | "cpu-clock" | "task-clock" | "page-faults" | "context-switches" | "cpu-migrations" | "minor-faults"
  | "major-faults" | "alignment-faults" | "emulation-faults" | "dummy";
/** A hardware perf event (a CPU counter), by the name `perf list` gives it. */
export type HardwareEvent =
  | "cpu-cycles" | "instructions" | "cache-references" | "cache-misses" | "branch-instructions"
  | "branch-misses" | "bus-cycles" | "stalled-cycles-frontend" | "stalled-cycles-backend" | "ref-cycles";

/** A perf event to sample, on every CPU: every `period` events, or `freq` times a second. */
export type PerfEventSpec =
  | { type: "software"; config: SoftwareEvent; period?: number; freq?: number }
  | { type: "hardware"; config: HardwareEvent; period?: number; freq?: number };

/** Runs the method on a sampled perf event, e.g. `@perfEvent({ type: "software", config: "page-faults", period: 1 })`. */
export function perfEvent(spec: PerfEventSpec): ProbeDecorator {
  // Not an object (an unset variable): the probe reports the value when the tracer starts.
  if (typeof spec !== "object" || spec === null) return probeDecorator("perfEvent", String(spec));
  return probeDecorator("perfEvent", `${spec.type}:${spec.config}`, { period: spec.period, freq: spec.freq });
}

/**
 * Runs the method for every packet the sockets of a cgroup v2 (and its descendants) receive
 * ("ingress") or send ("egress"); it reads the packet as `SkBuff` and returns whether it may
 * pass (true/1) or is dropped (false/0; a dropped send fails with EPERM). The cgroup: this
 * path (absolute, or under the cgroup v2 mount), else the tracer's start({ cgroup }) or --cgroup.
 */
export function cgroupSkb(direction: "ingress" | "egress", cgroup?: string): ProbeDecorator {
  return probeDecorator("cgroupSkb", direction, cgroup === undefined ? undefined : { cgroup });
}

/**
 * Makes the method a socket filter: once the tracer runs, `tracer.attachSocket(fd)` puts it on a
 * socket of this process. It reads each packet the socket would receive (`SkBuff`, `skbLoad()`
 * from the socket's protocol header on) and returns how many bytes to keep: 0 drops it.
 */
export function socketFilter(): ProbeDecorator {
  return probeDecorator("socketFilter", "");
}

/** Options of @xdp. */
export interface XdpOptions {
  /**
   * "generic": the kernel runs the program on its sk_buff (XDP_FLAGS_SKB_MODE), for any device.
   * Default: the driver's own XDP where it has one, else generic (the kernel's choice).
   */
  mode?: "generic";
}

/**
 * Runs the method for every packet arriving on a network device, before the kernel's network
 * stack sees it (XDP): it reads the packet with xdpLoad(ctx, offset, size) from its Ethernet
 * header and returns XDP_PASS (2, also when it ends without return), XDP_DROP (1), XDP_TX (3),
 * XDP_REDIRECT (4) or XDP_ABORTED (0).
 */
export function xdp(device: string, options: XdpOptions = {}): ProbeDecorator {
  return probeDecorator("xdp", device, options?.mode ? { mode: options.mode } : undefined);
}

/**
 * The handlers of a tracer instance, from its class and every base class. A method a subclass
 * declares again hides the base's, decorated or not, as it does in JavaScript: the override's
 * own decorator (or none) says where it runs.
 */
export function handlersOf(instance: object): HandlerMeta[] {
  const out: HandlerMeta[] = [];
  const hidden = new Set<string>();
  for (let proto = Object.getPrototypeOf(instance); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (hidden.has(key)) continue;
      if (key !== "constructor") hidden.add(key);
      const fn = Object.getOwnPropertyDescriptor(proto, key)?.value;
      const meta = typeof fn === "function" ? handlers.get(fn) : undefined;
      if (meta) out.push(meta);
    }
  }
  return out;
}

/** tsbpf's own modules that sit between a decorator and the user's class on the stack (dist/: the npm package's bundle). */
const INTERNAL = /^(?:(?:runtime|tracer|spec|lang|probes|compiler|btf|dist)\/[^/]+|mod)\.[jt]s$/;

/**
 * The first module on `stack` that is not one of tsbpf's own (under `ownRoot`): the user's
 * script, as a path for a local file, or as the URL it was imported from (`deno run https://…`).
 * Frames are compared as whole URLs: two servers can serve the same path.
 */
export function callerOf(stack: string, ownRoot: string): string {
  const files = [...stack.matchAll(/((?:(?:file|https?):\/\/[^\s()]+?|\/[^\s():]+?)\.[cm]?[jt]sx?):\d+:\d+/g)].map((m) => m[1]);
  return callerOfFiles(files, ownRoot);
}

/** callerOf() for the frames' file names (paths or URLs), innermost first. */
export function callerOfFiles(files: string[], ownRoot: string): string {
  for (const file of files) {
    if (!/^(?:(?:file|https?):\/\/|\/).+\.[cm]?[jt]sx?$/.test(file)) continue;
    const url = file.startsWith("/") ? `file://${encodeURI(file)}` : file;
    if (url.startsWith(ownRoot) && INTERNAL.test(decodeURIComponent(url.slice(ownRoot.length)))) continue;
    return url.startsWith("file://") ? decodeURIComponent(new URL(url).pathname) : url;
  }
  return "";
}

/**
 * This module's own file when it is not one of tsbpf's own modules: it is in a one-file bundle
 * (`tsbpf build`), whose every frame, this one's first, is in that file, which callerFile() would
 * find first on the stack. Said without an Error: on Deno, an error made with the bundle's top
 * level on the stack costs a re-parse of all of the bundle's code to place that frame (≈ 12 ms).
 */
const BUNDLE_FILE = callerOfFiles([import.meta.url], OWN_ROOT);

/**
 * The first file on the stack outside tsbpf's own modules: the user's script. Read from the
 * call sites' file names, not from the text of `new Error().stack`: the text has every frame's
 * line and column, which V8 computes by re-parsing each function on the stack (and Deno maps
 * through the script's source map), ≈ 1 MB of a warm start's peak memory on Deno.
 */
function callerFile(): string {
  if (BUNDLE_FILE) return BUNDLE_FILE;
  const E = Error as ErrorConstructor & { prepareStackTrace?: (e: Error, sites: { getFileName(): string | null | undefined }[]) => unknown };
  const prepare = E.prepareStackTrace;
  try {
    E.prepareStackTrace = (_e, sites) => sites.map((s) => s.getFileName() ?? "");
    const files = new Error().stack as unknown;
    if (Array.isArray(files)) return callerOfFiles(files, OWN_ROOT);
  } catch { /* a runtime without call sites: the text below */ } finally {
    E.prepareStackTrace = prepare;
  }
  return callerOf(new Error().stack ?? "", OWN_ROOT);
}
