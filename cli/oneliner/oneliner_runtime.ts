// The user-space half of a one-liner, imported by the script cli/oneliner/oneliner.ts generates: prints
// what print()/printf() sent, runs begin/end/interval functions, stops on exit(), prints the
// maps as bpftrace does at the end, and reports compile and verifier errors at their place in
// the one-liner (not in the generated file). It loads neither node:process nor node:timers
// (Deno takes ≈ 15 ms for its Node layer) unless a one-liner without probes waits for a signal.
import type { Tracer } from "../../tracer/tracer.ts";
import { finishBeforeExit } from "../../tracer/process_lifecycle.ts";
import { LOSS_WORDING, type LossWording } from "../../tracer/loss_report.ts";
import type { RingBuf } from "../../runtime/maps/ringbuf.ts";
import { formatKey } from "../../runtime/maps/print.ts";
import { isJsonOutput, jsonRecord, printable } from "../../runtime/output.ts";
import { writeStdoutLine } from "../../runtime/stdout.ts";
import { CompileError, type Diagnostic } from "../../spec/diagnostics.ts";
import { VerifierError } from "../../runtime/verifier_error.ts";
import { cliOptions } from "../mod.ts";
export { cliOptions } from "../mod.ts";
import { format, type FormatPart, parseFormat, printedStack, type PrintfValue } from "./printf.ts";
import { Stack } from "../../runtime/maps/stacks.ts";
import { MAX_TIMER_MS } from "../../runtime/period.ts";
import { ignoredAtStart, restoreIgnored } from "../../runtime/ignored_signals.ts";
import { intervalPeriodMs } from "./interval_period.ts";
import type { SourcePosition } from "./source_map.ts";
import { mergeMissingFields, oneLinerHints, toOneLinerSyntax, translateError } from "./hints.ts";
import { PrintOrder } from "./print_order.ts";
import { eventTime, localTime } from "./strftime.ts";
import { WHILE_ROUNDS } from "./transform_state.ts";
import { monotonicNs } from "../../runtime/monotonic.ts";

type Maps = Record<string, unknown>;
type UserFn = ($: Maps) => unknown;
type PrintSpec = { kind: "print"; parts: ({ text: string } | { field: string })[] } | { kind: "printf"; format: string; fields: string[]; strftimes?: Record<number, string> }
  | { kind: "join"; delimiter: string; count: string; fields: string[] };

export interface OneLinerSpec {
  /** One-liner map name ("" for @) → tracer field. */
  maps: Record<string, string>;
  prints: PrintSpec[];
  begin: UserFn[];
  end: UserFn[];
  /** [period (seconds, or "500ms"), function]. */
  intervals: [number | string, UserFn][];
  probes: number;
  /** Maps of plain values used without a key (stored under key 0). */
  unkeyed: string[];
  /** Where each while loop of the handlers is (-e:L:C), by its index in the tracer's _loops. */
  whileLoops?: string[];
}

/** Set by `tsbpf -e` before the generated script runs: the one-liner and where generated positions come from. */
export const ONELINER_SOURCE = Symbol.for("tsbpf.oneliner");

export interface OneLinerSource {
  text: string;
  map: (line: number, column: number, length: number) => SourcePosition;
  /** The command's work for when the tracing has ended (the one-liner cache's prune), kept off the start. */
  ended?: () => void;
  /** The script's run, handed to the command as the script is evaluated (OneLinerRuntime.run). */
  running?: Promise<void>;
  /**
   * The command's work once the tracer has started (or, without probes, the script has run):
   * its script's file is not read again, and a private temporary one is removed then, not at the
   * end, which a SIGKILL never reaches.
   */
  started?: () => void;
  /**
   * The command's work once the tracing has ended (-c's command and what it left running are
   * ended, cli/held_command.ts), which a signal's exit waits for: without it, the process ended
   * first and the command's orphans were left to init.
   */
  settled?: Promise<void>;
}

/** What the command handed this one-liner's script (undefined when it is run as a plain script). */
function oneLinerSource(): OneLinerSource | undefined {
  return (globalThis as Record<symbol, OneLinerSource | undefined>)[ONELINER_SOURCE];
}

const MAPS = Symbol("tsbpf.oneliner.maps");
let current: OneLinerRuntime | undefined;
/**
 * A value of a print() or join() in a probe: a stack as bpftrace's print shows it, anything else
 * as its text, printable() as printf's %s (a name or an argument is whoever made it's to choose).
 */
function printedValue(v: PrintfValue): string {
  return v instanceof Stack ? printedStack(v) : printable(String(v));
}

/** printf output waiting for its newline (so lines from print and printf never interleave mid-line). */
let pending = "";

function out(text: string): void {
  if (isJsonOutput()) {
    // bpftrace -f json: each print/printf call is one record, its text as it is.
    writeStdoutLine(jsonRecord("printf", text));
    return;
  }
  pending += text;
  const nl = pending.lastIndexOf("\n");
  if (nl < 0) return;
  writeStdoutLine(pending.slice(0, nl));
  pending = pending.slice(nl + 1);
}

function flush(): void {
  if (pending) writeStdoutLine(pending);
  pending = "";
}

/** A map's lines, the first after the text a printf left without its newline (bpftrace's `time("... "); print(@)`). */
function printLines(lines: string[]): void {
  if (pending && lines.length) lines = [pending + lines[0], ...lines.slice(1)];
  if (lines.length) pending = "";
  for (const line of lines) writeStdoutLine(line);
}

/**
 * In begin/end/interval: values separated by spaces, printable() (a map's entry holds what the
 * kernel reported: a process or file name); a map (or $, every map) as bpftrace prints it,
 * `print(map, N)` only its N largest entries (bpftrace's print(@x, top)).
 */
export function print(...values: unknown[]): void {
  const [first, top] = values;
  if (isMaps(first) || current?.isMap(first)) {
    if (values.length > 2 || (top !== undefined && (typeof top !== "number" || !Number.isInteger(top) || top < 0))) {
      throw new Error(`print() takes a map and, optionally, how many of its largest entries to show: print($.name, 10) (tsbpf's print has no divisor)`);
    }
    const n = top as number | undefined;
    return isMaps(first) ? current?.printMaps(false, n) : current?.printMap(first, n);
  }
  out(values.map((v) => printedValue(v as PrintfValue)).join(" ") + "\n");
}

export function printf(fmt: string, ...values: PrintfValue[]): void {
  // A plain value's map ($.c) as its number.
  const primitive = (v: unknown) => (typeof v === "object" && v !== null && Symbol.toPrimitive in v ? (v as { [Symbol.toPrimitive](h: string): PrintfValue })[Symbol.toPrimitive]("default") : v);
  out(format(parseFormat(fmt), values.map(primitive) as PrintfValue[]));
}

/**
 * str() in begin, end and interval: a positional parameter's word (`str($1)`) as a string, cut as
 * the kernel's str(p, size) cuts it, to size - 1 bytes (the NUL is the last).
 */
export function userString(value: unknown, size?: number): string {
  if (size !== undefined && (!Number.isInteger(size) || size < 1 || size > 4096)) throw new Error(`str()'s length is a whole number from 1 to 4096, not ${String(size)}`);
  const text = typeof value === "string" || typeof value === "number" || typeof value === "bigint" ? String(value) : undefined;
  if (text === undefined) throw new Error(`str() in begin, end and interval takes a positional parameter (str($1)); a pointer is read in a probe`);
  if (size === undefined) return text;
  const bytes = new TextEncoder().encode(text);
  return bytes.length < size ? text : new TextDecoder().decode(bytes.slice(0, size - 1));
}

/** The local time as strftime's `format` has it (bpftrace's time(), whose default this is). */
export function time(format = "%H:%M:%S\n"): void {
  out(localTime(format, new Date(), "time"));
}

/** Stops tracing: the end functions run and the maps are printed. */
/** When the probes were attached, on ktime()'s clock (CLOCK_MONOTONIC): elapsed() counts from here, in probes and user space alike. */
let startedNs = 0n;

/** bpftrace's elapsed: nanoseconds since the probes were attached (in begin, end and interval; a probe's is the kernel's). */
export function elapsed(): number {
  return Number(monotonicNs() - startedNs);
}

export function exit(): void {
  current?.exit();
}

/** Empties a map; `clear($)` every map (as `print($)` prints every map). */
export function clear(map: unknown): void {
  if (isMaps(map)) return current?.clearMaps();
  (map as { clear?: () => void })?.clear?.();
}

type ValueMap = { get(key?: number): unknown; set(key: number, value: bigint): void; keyed?: boolean };

/**
 * `$` in begin/end/interval: each map by its name. A map without a key, a plain value (`$.c++` in a
 * probe) or an aggregation of one number (count, sum, min, max, avg), reads as its number
 * (`printf("%d", $.c)`, `$.c + 1`), as bpftrace's @c does in its interval and END probes; a plain
 * value also takes one (`$.c = 0`). print($.c) still prints it as a map.
 */
function userSpaceMaps(spec: OneLinerSpec, fields: Record<string, unknown> | undefined): Maps {
  const maps = Object.defineProperty({}, MAPS, { value: true }) as Maps;
  for (const [name, field] of Object.entries(spec.maps)) maps[name] = fields?.[field];
  const plain = new Set(spec.unkeyed.filter((n) => maps[n]));
  for (const [name, map] of Object.entries(maps)) {
    const m = map as ValueMap | undefined;
    if (!m || !(plain.has(name) || m.keyed === false)) continue;
    const read = () => numberOf(plain.has(name) ? m.get(0) : m.get(), name);
    Object.defineProperty(m, Symbol.toPrimitive, { value: (hint: string) => (hint === "string" ? String(read()) : read()) });
  }
  return new Proxy(maps, {
    set(target, name, value) {
      if (typeof name !== "string" || !Object.hasOwn(spec.maps, name)) return Reflect.set(target, name, value);
      if (!plain.has(name)) throw new Error(`$.${name} is an aggregation: clear($.${name}) empties it; only a plain value ($.${name}++ in a probe) takes a value here`);
      if (typeof value !== "bigint" && !Number.isInteger(value)) throw new Error(`$.${name} holds an integer: ${String(value)} cannot be stored in it`);
      (target[name] as ValueMap).set(0, BigInt(value));
      return true;
    },
  });
}

/** A map's one number: a number where it is exact, so `$.c + 1` works; else a bigint. */
function numberOf(v: unknown, name: string): number | bigint {
  if (v === undefined) return 0;
  if (typeof v === "number") return v;
  if (typeof v !== "bigint") throw new Error(`$.${name} holds more than one number: print($.${name}) shows it`);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function isMaps(v: unknown): boolean {
  return typeof v === "object" && v !== null && MAPS in v;
}

export class OneLinerRuntime {
  #tracer?: Tracer;
  #maps: Maps = {};
  #formats: (FormatPart[] | undefined)[];
  #stopIdle?: () => void;
  #ended = false;
  readonly #order = new PrintOrder();
  #exited = false;
  /**
   * What arrives before begin() has run (the first deliveries, inside start()), and an exit() then:
   * run after begin(), so its lines come first and end's last, as bpftrace runs BEGIN before any probe.
   */
  #held?: (() => void)[];
  /** What an end or interval function threw. */
  #failure?: { error: unknown };

  constructor(readonly spec: OneLinerSpec) {
    this.#formats = spec.prints.map((p) => (p.kind === "printf" ? parseFormat(p.format) : undefined));
  }

  /**
   * Traces until the tracing ends. Under the command (ONELINER_SOURCE set), the run is handed to it
   * and this returns at once, so the script's top-level await ends with its evaluation: Bun can then
   * require the script (runtime/ffi/host.ts runModule), and the command awaits the run.
   */
  run(tracer: Tracer | undefined): Promise<void> {
    const running = this.#run(tracer);
    const source = oneLinerSource();
    if (!source) return running;
    source.running = running;
    // Once the tracing has ended (process_lifecycle.ts): a signal then waits for the command's end.
    const settled = source.settled;
    if (settled) running.finally(() => finishBeforeExit(settled)).catch(() => {});
    running.catch(() => {}); // not a stray rejection: the command awaits it once the script is evaluated
    return Promise.resolve();
  }

  async #run(tracer: Tracer | undefined): Promise<void> {
    current = this;
    const periods = this.spec.intervals.map(([period]) => intervalPeriodMs(period));
    const fields = tracer as unknown as Record<string, unknown> | undefined;
    this.#maps = userSpaceMaps(this.spec, fields);
    if (tracer) {
      if (cliOptions.pid !== undefined && "_pid" in tracer) (fields!._pid as number) = cliOptions.pid;
      // One print site has one buffer, in order already; several are merged by time.
      const ordered = this.spec.prints.length > 1;
      this.#held = [];
      this.spec.prints.forEach((p, i) => (fields![`_p${i}`] as RingBuf<Record<string, PrintfValue>>).on((e) => this.#deliver(() => ordered ? this.#order.add(e._t as bigint, () => this.#print(i, e)) : this.#print(i, e))));
      (fields!._exit as RingBuf<unknown> | undefined)?.on(() => this.exit());
      (tracer as unknown as Record<symbol, LossWording>)[LOSS_WORDING] = this.#lossWording();
      // exit() may arrive in the first delivery, before start() returns.
      this.#tracer = tracer;
      try {
        await tracer.start({ exitOnError: false });
      } catch (e) {
        throw remap(e);
      }
      oneLinerSource()?.started?.();
      // --json: every line of stdout is a record, this one too (bpftrace's attached_probes), and none is text.
      if (isJsonOutput()) writeStdoutLine(jsonRecord("attached_probes", { probes: this.spec.probes }));
      else console.error(`Attaching ${this.spec.probes} probe${this.spec.probes === 1 ? "" : "s"}...`);
    }
    if (!tracer) {
      oneLinerSource()?.started?.();
      this.attached();
    }
    for (const f of this.spec.begin) f(this.#maps);
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const f of held) f();
    // With a tracer, the interval functions stop with it: none runs after exit() or a signal.
    const every = (ms: number, f: () => void) => tracer ? tracer.every(ms, f) : ((t) => () => clearInterval(t))(setInterval(f, ms));
    const cancels = this.#exited ? [] : this.spec.intervals.map(([, f], i) => every(periods[i], () => this.#userCode(() => f(this.#maps), true)));
    if (tracer) await tracer.stopped;
    else if (!this.#exited) await this.#idle((await import("node:process")).default, (await import("../long_timer.ts")).after); // begin() may have called exit()
    cancels.forEach((cancel) => cancel());
    if (!tracer) this.end();
    flush();
    // Thrown here, out of the run the command awaits, it is shown as the one-liner's own error, at its place.
    if (this.#failure) throw this.#failure.error;
  }

  /**
   * Runs an end or interval function, which the tracer calls from its stop and its timers: what it
   * throws is kept for run() to throw (the first only), and an interval's stops the tracing.
   */
  #userCode(f: () => void, stop: boolean): void {
    try {
      f();
    } catch (error) {
      this.#failure ??= { error };
      if (stop) this.exit();
    }
  }

  /**
   * Runs once the probes are attached (the tracer's begin(), before any event is read), or before
   * begin() without probes: elapsed counts from here, as bpftrace's counts from BEGIN.
   */
  attached(): void {
    startedNs = monotonicNs();
    (this.#tracer as unknown as { _start?: { set(key: number, value: bigint): void } } | undefined)?._start?.set(0, startedNs);
  }

  /** Runs when the tracer stops (its end()): the end functions, then every map. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#order.flush(true);
    for (const f of this.spec.end) this.#userCode(() => f(this.#maps), false);
    flush();
    this.printMaps(true);
    this.#reportCutLoops();
    oneLinerSource()?.ended?.();
  }

  /** The while loops that were left with their condition still true: how often, and where. */
  #reportCutLoops(): void {
    const loops = (this.#tracer as unknown as { _loops?: { get(key: number): bigint | number } } | undefined)?._loops;
    (this.spec.whileLoops ?? []).forEach((at, i) => {
      const cut = loops?.get(i) ?? 0;
      if (cut) console.error(`tsbpf: ${at}: the while loop stopped ${cut} time${cut === 1 || cut === 1n ? "" : "s"} after ${WHILE_ROUNDS} rounds with its condition still true: a loop in a probe needs a bound the kernel's verifier can see, and a one-liner's while has ${WHILE_ROUNDS}; for more, write a for loop with its own bound (at most 65536)`);
    });
  }

  exit(): void {
    if (this.#held) return void this.#held.push(() => this.exit());
    this.#exited = true;
    if (this.#tracer) void this.#tracer.stop();
    else this.#stopIdle?.();
  }

  isMap(v: unknown): boolean {
    return Object.keys(this.spec.maps).some((n) => this.#maps[n] === v);
  }

  printMaps(atExit: boolean, top?: number): void {
    // Sorted by name (byte order, "@" first), as bpftrace prints them.
    const maps = Object.keys(this.spec.maps).sort().map((n) => this.#lines(n, top)).filter((lines) => lines.length);
    if (!maps.length) return;
    // bpftrace leaves an empty line after the ^C before the maps.
    if (atExit && !isJsonOutput()) writeStdoutLine("");
    printLines(maps.flat());
  }

  printMap(map: unknown, top?: number): void {
    const name = Object.keys(this.#maps).find((n) => this.#maps[n] === map);
    if (name !== undefined) printLines(this.#lines(name, top));
  }

  clearMaps(): void {
    for (const map of Object.values(this.#maps)) clear(map);
  }

  /** The map's lines as bpftrace prints them; `top`: only its largest entries. */
  #lines(name: string, top?: number): string[] {
    const m = this.#maps[name] as { format?: (o?: { top?: number }) => string[]; json?: (o?: { top?: number }) => string | undefined; entries?: () => [unknown, unknown][]; name?: string } | undefined;
    if (!m?.entries) return [];
    const field = this.spec.maps[name];
    if (isJsonOutput()) return this.#json(name, m, top);
    if (m.format) return m.format({ top }).map((l) => (l.startsWith(`@${field}`) ? `@${name}${l.slice(field.length + 1)}` : l));
    // A map of plain values: one line per key, smallest value first, as bpftrace sorts.
    const rows = m.entries().sort((a, b) => compare(a[1], b[1])).slice(top ? -top : 0);
    const unkeyed = this.spec.unkeyed.includes(name);
    // A value may be a string from the kernel (a name), shown as its key would be.
    return rows.map(([k, v]) => (unkeyed ? `@${name}: ${formatKey(v)}` : `@${name}[${formatKey(k)}]: ${formatKey(v)}`));
  }

  /** The map as one bpftrace -f json line (none when empty). */
  #json(name: string, m: { json?: (o?: { top?: number }) => string | undefined; entries?: () => [unknown, unknown][] }, top?: number): string[] {
    const field = this.spec.maps[name];
    if (m.json) {
      const line = m.json({ top });
      return line === undefined ? [] : [line.replace(JSON.stringify(`@${field}`), JSON.stringify(`@${name}`))];
    }
    const rows = m.entries!().sort((a, b) => compare(a[1], b[1])).slice(top ? -top : 0);
    if (!rows.length) return [];
    const value = this.spec.unkeyed.includes(name) ? rows[0][1] : Object.fromEntries(rows.map(([k, v]) => [Array.isArray(k) ? k.map((e) => formatKey(e, true)).join(",") : formatKey(k, true), v]));
    return [jsonRecord("map", { [`@${name}`]: value })];
  }

  /** The loss report in the one-liner's terms: its maps as @name, and no maxEntries it could set. */
  #lossWording(): LossWording {
    const names = new Map(Object.entries(this.spec.maps).map(([name, field]) => [field, `@${name}`]));
    return {
      map: (field) => names.get(field) ?? field,
      // A one-liner cannot size its maps (no option does); the script it becomes can.
      fullMap: (field) => `for more keys: tsbpf --emit -e '…' > t.ts, give ${field} a size in t.ts (e.g. new Count<u64>(100_000)), tsbpf run t.ts`,
      handler: (program) => `the handler of ${program.probe.kind}("${program.probe.target}")`,
      fullBuffer: "print less, or only when it matters (an if in the handler)",
    };
  }

  #deliver(show: () => void): void {
    if (this.#held) this.#held.push(show);
    else show();
  }

  #print(site: number, e: Record<string, PrintfValue>): void {
    const spec = this.spec.prints[site];
    if (spec.kind === "printf") out(format(this.#formats[site]!, spec.fields.map((f, i) => (spec.strftimes?.[i] !== undefined ? eventTime(spec.strftimes[i], e._t as bigint) : e[f]))));
    else if (spec.kind === "join") out(spec.fields.slice(0, Number(e[spec.count])).map((f) => printedValue(e[f])).join(spec.delimiter) + "\n");
    else out(spec.parts.map((p) => ("text" in p ? p.text : printedValue(e[p.field]))).join(" ") + "\n");
  }

  /** No probes (only begin/end/interval): wait for a signal, exit() or -d, as a tracer would (docs/lifecycle.md). */
  #idle(process: NodeJS.Process, after: typeof import("../long_timer.ts").after): Promise<void> {
    return new Promise((resolve) => {
      // Something must hold the event loop while we wait: with only signal listeners and a
      // pending top-level await, Bun spins on a whole core instead of sleeping (oven-sh/bun#14951).
      const keepAlive = setInterval(() => {}, MAX_TIMER_MS);
      const cancelDuration = cliOptions.durationMs === undefined ? () => {} : after(cliOptions.durationMs, () => done());
      const signals = ([["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const).filter(([signal]) => !ignoredAtStart(signal)).map(([signal, status]) => {
        const f = () => ((process.exitCode = status), done());
        process.on(signal, f);
        return () => process.off(signal, f);
      });
      restoreIgnored();
      const done = () => {
        clearInterval(keepAlive);
        cancelDuration();
        signals.forEach((off) => off());
        resolve();
      };
      this.#stopIdle = done;
    });
  }
}

function compare(a: unknown, b: unknown): number {
  return typeof a === "bigint" || typeof a === "number" ? (a < (b as bigint) ? -1 : a > (b as bigint) ? 1 : 0) : 0;
}


/** A compile or verifier error of the generated script, re-pointed at the one-liner. */
export function remap(e: unknown): unknown {
  const source = oneLinerSource();
  if (!source || !(e instanceof Error)) return e;
  const move = (d: Diagnostic): Diagnostic => ({
    ...d, file: "-e", ...source.map(d.line, d.column, d.length), message: toOneLinerSyntax(d.message), hints: oneLinerHints(d.message, d.hints),
  });
  if (e.name === "CompileError") return new CompileError(mergeMissingFields((e as CompileError).diagnostics.map(move)), source.text);
  if (e.name === "VerifierError") {
    const v = e as VerifierError;
    return v.diagnostic ? new VerifierError(v.program, v.errno, v.log, move(v.diagnostic), v.reason, source.text) : e;
  }
  return translateError(e);
}
