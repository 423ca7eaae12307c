// The probe decorators. At run time they only record which method handles which probe, and
// in which file the class is written: the compiler reads that file's source itself.

export interface HandlerMeta {
  method: string;
  kind: string;
  target: string;
  /** Absolute path of the script that declares the handler. */
  file: string;
}

const handlers = new WeakMap<object, HandlerMeta>();

/** A TC39 method decorator, tolerant of TypeScript's legacy (experimentalDecorators) form too. */
function probeDecorator(kind: string, target: string) {
  const file = callerFile();
  return (value: unknown, context: unknown, descriptor?: PropertyDescriptor): void => {
    const legacy = typeof context === "string" || typeof context === "symbol";
    const fn = legacy ? descriptor?.value : value;
    const method = legacy ? String(context) : String((context as { name: string | symbol }).name);
    if (typeof fn === "function") handlers.set(fn, { method, kind, target, file });
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
const INTERNAL = /\/(runtime|probes|compiler|btf)\/[^/]+\.ts$|\/mod\.ts$/;

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
