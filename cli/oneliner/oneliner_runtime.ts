// The user-space half of a one-liner, imported by the script cli/oneliner/oneliner.ts generates: prints
// what print()/printf() sent, runs begin/end/interval functions, stops on exit(), prints the
// maps as bpftrace does at the end, and reports compile and verifier errors at their place in
// the one-liner (not in the generated file). It loads neither node:process nor node:timers
// (Deno takes ≈ 15 ms for its Node layer) unless a one-liner without probes waits for a signal.
import type { Tracer } from "../../tracer/tracer.ts";
import { LOSS_WORDING, type LossWording } from "../../tracer/loss_report.ts";
import type { RingBuf } from "../../runtime/maps/ringbuf.ts";
import { formatKey } from "../../runtime/maps/print.ts";
import { isJsonOutput, jsonRecord } from "../../runtime/output.ts";
import { CompileError, type Diagnostic } from "../../spec/diagnostics.ts";
import { VerifierError } from "../../runtime/verifier_error.ts";
import { cliOptions } from "../mod.ts";
export { cliOptions } from "../mod.ts";
import { format, type FormatPart, parseFormat, type PrintfValue } from "./printf.ts";
import { MAX_TIMER_MS } from "../../runtime/period.ts";
import { ignoredAtStart, restoreIgnored } from "../../runtime/ignored_signals.ts";
import { intervalPeriodMs } from "./interval_period.ts";
import type { SourcePosition } from "./source_map.ts";
import { toOneLinerSyntax, translateError } from "./hints.ts";
import { PrintOrder } from "./print_order.ts";

type Maps = Record<string, unknown>;
type UserFn = ($: Maps) => unknown;
type PrintSpec = { kind: "print"; parts: ({ text: string } | { field: string })[] } | { kind: "printf"; format: string; fields: string[] };

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
}

/** Set by `tsbpf -e` before the generated script runs: the one-liner and where generated positions come from. */
export const ONELINER_SOURCE = Symbol.for("tsbpf.oneliner");

interface Source {
  text: string;
  map: (line: number, column: number, length: number) => SourcePosition;
}

const MAPS = Symbol("tsbpf.oneliner.maps");
let current: OneLinerRuntime | undefined;
/** printf output waiting for its newline (so lines from print and printf never interleave mid-line). */
let pending = "";

function out(text: string): void {
  if (isJsonOutput()) {
    // bpftrace -f json: each print/printf call is one record, its text as it is.
    console.log(jsonRecord("printf", text));
    return;
  }
  pending += text;
  const nl = pending.lastIndexOf("\n");
  if (nl < 0) return;
  console.log(pending.slice(0, nl));
  pending = pending.slice(nl + 1);
}

function flush(): void {
  if (pending) console.log(pending);
  pending = "";
}

/** In begin/end/interval: values separated by spaces; a map (or $, every map) as bpftrace prints it. */
export function print(...values: unknown[]): void {
  if (values.length === 1 && isMaps(values[0])) return current?.printMaps(false);
  if (values.length === 1 && current?.isMap(values[0])) return current.printMap(values[0]);
  out(values.map((v) => String(v)).join(" ") + "\n");
}

export function printf(fmt: string, ...values: PrintfValue[]): void {
  out(format(parseFormat(fmt), values));
}

/** Stops tracing: the end functions run and the maps are printed. */
export function exit(): void {
  current?.exit();
}

/** Empties a map. */
export function clear(map: unknown): void {
  (map as { clear?: () => void })?.clear?.();
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

  constructor(readonly spec: OneLinerSpec) {
    this.#formats = spec.prints.map((p) => (p.kind === "printf" ? parseFormat(p.format) : undefined));
  }

  async run(tracer: Tracer | undefined): Promise<void> {
    current = this;
    const periods = this.spec.intervals.map(([period]) => intervalPeriodMs(period));
    const fields = tracer as unknown as Record<string, unknown> | undefined;
    this.#maps = Object.defineProperty({}, MAPS, { value: true }) as Maps;
    for (const [name, field] of Object.entries(this.spec.maps)) this.#maps[name] = fields?.[field];
    if (tracer) {
      if (cliOptions.pid !== undefined && "_pid" in tracer) (fields!._pid as number) = cliOptions.pid;
      // One print site has one buffer, in order already; several are merged by time.
      const ordered = this.spec.prints.length > 1;
      this.spec.prints.forEach((p, i) => (fields![`_p${i}`] as RingBuf<Record<string, PrintfValue>>).on((e) => ordered ? this.#order.add(e._t as bigint, () => this.#print(i, e)) : this.#print(i, e)));
      (fields!._exit as RingBuf<unknown> | undefined)?.on(() => this.exit());
      (tracer as unknown as Record<symbol, LossWording>)[LOSS_WORDING] = this.#lossWording();
      // exit() may arrive in the first delivery, before start() returns.
      this.#tracer = tracer;
      try {
        await tracer.start({ exitOnError: false });
      } catch (e) {
        throw remap(e);
      }
      // --json: every line of stdout is a record, this one too (bpftrace's attached_probes), and none is text.
      if (isJsonOutput()) console.log(jsonRecord("attached_probes", { probes: this.spec.probes }));
      else console.error(`Attaching ${this.spec.probes} probe${this.spec.probes === 1 ? "" : "s"}...`);
    }
    for (const f of this.spec.begin) f(this.#maps);
    // With a tracer, the interval functions stop with it: none runs after exit() or a signal.
    const every = (ms: number, f: () => void) => tracer ? tracer.every(ms, f) : ((t) => () => clearInterval(t))(setInterval(f, ms));
    const cancels = this.#exited ? [] : this.spec.intervals.map(([, f], i) => every(periods[i], () => f(this.#maps)));
    if (tracer) await tracer.stopped;
    else if (!this.#exited) await this.#idle((await import("node:process")).default, (await import("../long_timer.ts")).after); // begin() may have called exit()
    cancels.forEach((cancel) => cancel());
    if (!tracer) this.end();
    flush();
  }

  /** Runs when the tracer stops (its end()): the end functions, then every map. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#order.flush(true);
    for (const f of this.spec.end) f(this.#maps);
    flush();
    this.printMaps(true);
  }

  exit(): void {
    this.#exited = true;
    if (this.#tracer) void this.#tracer.stop();
    else this.#stopIdle?.();
  }

  isMap(v: unknown): boolean {
    return Object.values(this.#maps).includes(v);
  }

  printMaps(atExit: boolean): void {
    // Sorted by name (byte order, "@" first), as bpftrace prints them.
    const names = Object.keys(this.spec.maps).sort().filter((n) => this.#lines(n).length);
    if (!names.length) return;
    // bpftrace leaves an empty line after the ^C before the maps.
    if (atExit && !isJsonOutput()) console.log("");
    for (const n of names) for (const line of this.#lines(n)) console.log(line);
  }

  printMap(map: unknown): void {
    const name = Object.keys(this.#maps).find((n) => this.#maps[n] === map);
    if (name !== undefined) for (const line of this.#lines(name)) console.log(line);
  }

  #lines(name: string): string[] {
    const m = this.#maps[name] as { format?: () => string[]; json?: () => string | undefined; entries?: () => [unknown, unknown][]; name?: string } | undefined;
    if (!m?.entries) return [];
    const field = this.spec.maps[name];
    if (isJsonOutput()) return this.#json(name, m);
    if (m.format) return m.format().map((l) => (l.startsWith(`@${field}`) ? `@${name}${l.slice(field.length + 1)}` : l));
    // A map of plain values: one line per key, smallest value first, as bpftrace sorts.
    const rows = m.entries().sort((a, b) => compare(a[1], b[1]));
    const unkeyed = this.spec.unkeyed.includes(name);
    return rows.map(([k, v]) => (unkeyed ? `@${name}: ${v}` : `@${name}[${formatKey(k)}]: ${v}`));
  }

  /** The map as one bpftrace -f json line (none when empty). */
  #json(name: string, m: { json?: () => string | undefined; entries?: () => [unknown, unknown][] }): string[] {
    const field = this.spec.maps[name];
    if (m.json) {
      const line = m.json();
      return line === undefined ? [] : [line.replace(JSON.stringify(`@${field}`), JSON.stringify(`@${name}`))];
    }
    const rows = m.entries!().sort((a, b) => compare(a[1], b[1]));
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

  #print(site: number, e: Record<string, PrintfValue>): void {
    const spec = this.spec.prints[site];
    if (spec.kind === "printf") out(format(this.#formats[site]!, spec.fields.map((f) => e[f])));
    else out(spec.parts.map((p) => ("text" in p ? p.text : String(e[p.field]))).join(" ") + "\n");
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
  const source = (globalThis as Record<symbol, Source | undefined>)[ONELINER_SOURCE];
  if (!source || !(e instanceof Error)) return e;
  const move = (d: Diagnostic): Diagnostic => ({
    ...d, file: "-e", ...source.map(d.line, d.column, d.length), message: toOneLinerSyntax(d.message), hints: d.hints.map(toOneLinerSyntax),
  });
  if (e.name === "CompileError") return new CompileError((e as CompileError).diagnostics.map(move), source.text);
  if (e.name === "VerifierError") {
    const v = e as VerifierError;
    return v.diagnostic ? new VerifierError(v.program, v.errno, v.log, move(v.diagnostic), v.reason, source.text) : e;
  }
  return translateError(e);
}
