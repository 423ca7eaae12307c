// Tracer: the base class of every tsbpf script. `start()` compiles the class's handlers from
// the script's own source, loads and attaches them, and connects its maps to JS; `stop()`
// (or Ctrl-C, SIGTERM, SIGHUP, an uncaught error, or the end of the process) releases every
// kernel object. What the process does around its tracers: process_lifecycle.ts.
import { libc, libcSync, processHooks } from "../runtime/ffi/mod.ts";
import { type HandlerMeta, handlersOf } from "../probes/decorators.ts";
import { loadProbeKinds, probesCacheInput, probesCacheKey } from "../probes/mod.ts";
import type { ProbeRef } from "../spec/target.ts";
import { readTextFile } from "../runtime/files.ts";
import { checkBabelPlace } from "../runtime/package_place.ts";
import { isRemote } from "../runtime/remote.ts";
import { verbose } from "../runtime/verbose.ts";
import { checkProbesMatchSource } from "./source_probes.ts";
import { cacheKey, readCache, writeCache } from "./compile_cache.ts";
import { compilerModule } from "./compiler_module.ts";
import { Loaded, loadPinning, loadTracer, type MapOptions } from "./loader.ts";
import { EventStream } from "../runtime/maps/event_stream.ts";
import { RingBuf } from "../runtime/maps/ringbuf.ts";
import { KernelMap } from "../runtime/maps/kernel_map.ts";
import { Aggregation } from "../runtime/maps/aggregations.ts";
import { defaultCgroup } from "../runtime/cgroup.ts";
import type { MetricsOptions } from "../export/metrics_server.ts";
import { defaultMetrics } from "../export/metrics_default.ts";
import type { HandlerCost, MetricSource } from "../export/prometheus.ts";
import type { OtlpOptions } from "../export/otlp.ts";
import { droppedUpdates, LOSS_WORDING, LossReport, type LossWording, lostEvents } from "./loss_report.ts";
import { CGROUP_MAP, fixedEntries, PARAMS_MAP, STACKS_MAP, type TracerSpec } from "../spec/tracer_spec.ts";
import { setStackTable, setSymbolizer, StackTable } from "../runtime/maps/stacks.ts";
import { makeEncoder } from "../runtime/maps/codec.ts";
import { TracerError } from "../runtime/errors.ts";
import { checkMapArguments } from "./refused_maps.ts";
import { checkShadowedMethods } from "./shadowed_methods.ts";
import { isUserFacing } from "../spec/user_facing.ts";
import { printableLines, setJsonOutput } from "../runtime/output.ts";
import { holdsKernelSymbol, type StructType } from "../spec/layout.ts";
import { finishBeforeExit, tracerStarted, tracerStopped } from "./process_lifecycle.ts";
import { checkPeriodMs } from "../runtime/period.ts";
import { atCaller, callerFrame, fromCallback, methodsAtCaller } from "../runtime/maps/at_caller.ts";
import { EventPump } from "../runtime/maps/event_pump.ts";
import { takeDefaultPin } from "./default_pin.ts";
import { checkPinName } from "../runtime/pin_name.ts";
import { defaultStats } from "./stats_default.ts";
import type { StatsSwitch } from "./handler_stats.ts";

/** What Tracer.start() may be told; every option has a default. */
export interface StartOptions {
  /** Print lost-event counts to stderr as they grow and at the end (default true). */
  reportLoss?: boolean;
  /**
   * On a compile error, verifier rejection or missing privilege, print the explanation and
   * exit with status 1 (default true, what a command-line tool wants). False: throw it.
   */
  exitOnError?: boolean;
  /** Print maps (and events given to printEvent) as JSON lines in bpftrace's `-f json` shape (default: as set by setJsonOutput or --json). */
  json?: boolean;
  /**
   * Trace only the tasks of this cgroup v2 and its descendants (a container, a systemd unit):
   * an absolute path, or one relative to the cgroup v2 mount ("system.slice/nginx.service").
   * Default: the tsbpf command's --cgroup, else every task.
   */
  cgroup?: string;
  /**
   * Stop on SIGINT, SIGTERM and SIGHUP, then end the process with 130, 143 or 129 even if
   * timers or servers are still open (default true). False, for a service that manages its
   * own shutdown: signals are left to the script, which calls `stop()` (docs/lifecycle.md).
   */
  handleSignals?: boolean;
  /**
   * Serve the tracer's aggregations to Prometheus at http://ADDRESS/metrics ("127.0.0.1:9435"),
   * read from the maps at each scrape. Default: the tsbpf command's --metrics, else none.
   */
  metrics?: string | MetricsOptions;
  /**
   * Push the tracer's aggregations to an OpenTelemetry collector over OTLP/HTTP (JSON) every
   * `intervalMs`, and once more at stop(): `{ endpoint: "http://127.0.0.1:4318" }`. Default: as
   * the standard OTEL_EXPORTER_OTLP_ENDPOINT (and other OTEL_*) variables say, else none; false: none.
   */
  otlp?: OtlpOptions | false;
  /**
   * Turn the kernel's BPF statistics on while the tracer runs and print each handler's run
   * count and average time per run at stop() (and export them with `metrics`). Default: the
   * tsbpf command's --stats, else off (the statistics cost every BPF program two clock reads a run).
   */
  stats?: boolean;
  /**
   * Leave the handlers attached after this process ends: the tracer's links and maps are pinned
   * in /sys/fs/bpf/tsbpf/NAME until `tsbpf pinned rm NAME` (`tsbpf pinned show NAME` reads the
   * maps meanwhile). Default: the tsbpf command's --pin, else none.
   */
  pin?: string;
}

/**
 * The base of every tracer: a class whose decorated methods are compiled to BPF and run in the
 * kernel, and whose map fields (RingBuf, HashMap, Count, ...) user space reads.
 *
 * ```ts ignore
 * class Opens extends Tracer {
 *   opens = new Count<Str<16>>();
 *   @tracepoint("syscalls:sys_enter_openat")
 *   onOpen() { this.opens.add(comm()); }
 * }
 * const t = await new Opens().start();
 * ```
 */
export class Tracer {
  #loaded?: Loaded;
  #spec?: TracerSpec;
  #buffers: EventStream<unknown>[] = [];
  // deno-lint-ignore no-explicit-any
  #maps: KernelMap<any, any>[] = [];
  /** Drains the event streams (on a timer while events flow, woken by the kernel when quiet) and runs the loss check. */
  #pump?: EventPump;
  #lossReport?: LossReport;
  #reportLoss = true;
  #stopped?: Promise<void>;
  #stopping = false;
  #metrics?: { host: string; port: number; unregister(): void };
  #otlp?: { stop(): Promise<void> };
  #resolveStopped?: () => void;
  /** The start in progress or done: a second start() (even a concurrent one) gets the same. */
  #starting?: Promise<this>;
  #timers = new Set<ReturnType<typeof setInterval>>();
  #stats?: StatsSwitch;
  /** handler_stats.ts, loaded by start() only for a tracer that reports its cost. */
  #statsCode?: typeof import("./handler_stats.ts");
  /** Takes back the pins of start({ pin }) while start() can still fail; cleared once started. */
  #unpin?: () => void;
  #probes = new Map<string, ProbeRef>();

  constructor() {
    checkShadowedMethods(this);
  }

  /** Compiles, loads and attaches every handler; resolves once all probes are live. Once: later calls get the same. */
  start(options: StartOptions = {}): Promise<this> {
    this.#starting ??= notTheTracer(this, this.#startOnce(options).catch((e) => {
      this.#starting = undefined;
      throw e;
    }));
    return this.#starting;
  }

  async #startOnce(options: StartOptions): Promise<this> {
    this.#reportLoss = options.reportLoss ?? true;
    if (options.json !== undefined) setJsonOutput(options.json);
    try {
      await libc();
    } catch (e) {
      if ((options.exitOnError ?? true) && isUserFacing(e)) {
        console.error(printableLines((e as Error).message));
        (await processHooks()).exit(1);
      }
      throw e;
    }
    try {
      await this.#start(options);
    } catch (e) {
      // Failed after loading (a map field replaced, the symbolizer missing, begin() threw): nothing
      // stays loaded, nor pinned (a pin would keep the handlers attached).
      try {
        this.#unpin?.();
      } catch (unpinError) {
        console.error(printableLines((unpinError as Error).message));
      }
      this.#unpin = undefined;
      for (const rb of this.#buffers) rb.end();
      for (const m of this.#maps) m.unbind();
      this.#loaded?.close();
      this.#loaded = undefined;
      this.#stats?.off();
      this.#stats = undefined;
      this.#buffers = [];
      this.#maps = [];
      if ((options.exitOnError ?? true) && isUserFacing(e)) {
        console.error(printableLines((e as Error).message));
        libcSync().process.exit(1);
      }
      throw e;
    }
    this.#unpin = undefined;
    // A listener may have stopped it already, in the first delivery (a one-liner's exit()).
    if (this.#loaded) tracerStarted(this, options.handleSignals ?? true);
    return this;
  }

  async #start(options: StartOptions): Promise<void> {
    const pin = options.pin !== undefined ? checkPinName(options.pin, "start({ pin })") : takeDefaultPin(this.constructor.name);
    const cgroup = options.cgroup ?? defaultCgroup();
    const metrics = options.metrics ?? defaultMetrics();
    const otlp = options.otlp === false ? undefined : options.otlp ?? await otlpFromEnvironment();
    const { spec, source } = await compileTracer(this, { cgroupFilter: cgroup !== undefined, histogramSums: metrics !== undefined || otlp !== undefined });
    const fields = mapFields(this, spec);
    checkMapArguments(fields, spec.className, handlersOf(this)[0]?.file, source);
    const mapOptions = new Map<string, MapOptions>();
    for (const [name, field] of fields) {
      const mapSpec = spec.maps.find((m) => m.name === name);
      const perf = mapSpec?.kind === "perfbuf";
      mapOptions.set(name, field instanceof EventStream ? { size: perf ? field.perfBufferSize : field.size } : { maxEntries: (mapSpec ? fixedEntries(mapSpec) : undefined) ?? field.maxEntries, pin: field.pin });
    }
    const params = spec.maps.find((m) => m.name === PARAMS_MAP);
    if (params) mapOptions.set(PARAMS_MAP, { value: encodeParams(this, params.value as StructType) });
    if (cgroup !== undefined) mapOptions.set(CGROUP_MAP, { cgroup });
    const probes = new Map(handlersOf(this).map((h) => [h.method, attachedToCgroup(runtimeProbe(h, this), cgroup)]));
    this.#probes = probes;
    if (options.stats ?? defaultStats()) {
      this.#statsCode = await import("./handler_stats.ts");
      this.#stats = this.#statsCode.StatsSwitch.on();
    }
    const loaded = loadTracer(spec, mapOptions, source, probes, await loadPinning(mapOptions));
    this.#loaded = loaded;
    this.#spec = spec;
    this.#lossReport = new LossReport(spec, loaded, (name) => {
      const f = fields.get(name);
      return f instanceof KernelMap ? f.maxEntries : 0;
    }, (this as unknown as Record<symbol, LossWording | undefined>)[LOSS_WORDING]);
    for (const m of spec.maps) {
      const field = fields.get(m.name);
      const map = loaded.maps.get(m.name)!, fd = map.fd;
      if (field instanceof EventStream) {
        if (field instanceof RingBuf && m.kind === "perfbuf") verbose(`${spec.className}.${m.name}: this kernel has no BPF ring buffers (or TSBPF_NO_RINGBUF is set): the RingBuf runs as per-CPU perf buffers of ${field.size} bytes`);
        field.attach(map, m.value as StructType, loaded.probeNames);
        this.#buffers.push(field);
      } else if (field) {
        if (field instanceof Aggregation) field.keyed = m.userKey !== undefined;
        field.bind({ fd, spec: m, probeNames: loaded.probeNames });
        this.#maps.push(field);
      }
    }
    if (pin !== undefined) {
      const { pinTracer } = await import("./pinned_tracer.ts");
      const mapPins = new Map([...mapOptions].flatMap(([name, o]) => (o.pin ? [[name, o.pin] as [string, string]] : [])));
      const pinned = pinTracer(pin, spec, loaded, probes, (name) => mapOptions.get(name)?.maxEntries ?? 0, mapPins);
      this.#unpin = pinned.unpin;
      const at = pinned.path;
      console.error(`tsbpf: ${spec.className} stays attached after this process ends: pinned at ${at} (read it: tsbpf pinned show ${pin}; detach it: sudo tsbpf pinned rm ${pin})${this.#buffers.length ? "; its events are not read once this process ends, only its maps keep counting" : ""}`);
    }
    const stacks = loaded.maps.get(STACKS_MAP);
    if (stacks) setStackTable(new StackTable(stacks.fd));
    if (spec.maps.some((m) => m.kind === "stacks" || m.kind === "stack_trace" || holdsKernelSymbol(m.key) || holdsKernelSymbol(m.value))) {
      // Symbol tables are loaded only by tracers that capture stacks or ksym() addresses.
      setSymbolizer((await import("../runtime/symbolize/mod.ts")).bpftraceFrameNames);
    }
    if (metrics !== undefined) await this.#serveMetrics(typeof metrics === "string" ? { address: metrics } : metrics);
    if (otlp) await this.#exportOtlp(otlp);
    this.#stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
    const lossReport = this.#lossReport;
    this.#pump = new EventPump(this.#buffers, (eventsCame) => this.#reportLoss && (this.#lossReport?.print(eventsCame) ?? false), this.#reportLoss && lossReport.watchesMaps);
    this.begin();
    this.#pump.start();
  }

  /** The tracer's aggregations, as the exporters (export/) read them. */
  async #metricSource(prefix: string | undefined): Promise<MetricSource> {
    const { snakeCase } = await import("../export/prometheus.ts");
    const spec = this.#spec!;
    const maps = spec.maps.flatMap((m) => {
      const field = this.#maps.find((f) => f.name === m.name);
      return field instanceof Aggregation ? [{ spec: m, field }] : [];
    });
    return { tracer: spec.className, prefix: prefix ?? snakeCase(spec.className), maps, lost: () => this.lost(), dropped: () => this.dropped(), handlers: () => this.handlerStats() };
  }

  async #exportOtlp(options: OtlpOptions): Promise<void> {
    try {
      const { startOtlp } = await import("../export/otlp.ts");
      this.#otlp = startOtlp(await this.#metricSource(options.prefix), options);
    } catch (e) {
      this.#metrics?.unregister();
      this.#metrics = undefined;
      this.#loaded?.close();
      this.#loaded = undefined;
      throw e;
    }
  }

  async #serveMetrics(options: MetricsOptions): Promise<void> {
    const { registerMetrics } = await import("../export/metrics_server.ts");
    try {
      const served = await registerMetrics(await this.#metricSource(options.prefix), options);
      this.#metrics = served;
    } catch (e) {
      this.#loaded?.close();
      this.#loaded = undefined;
      throw e;
    }
  }

  /** Where the tracer's metrics are served (start({ metrics })), once started. */
  get metricsAddress(): { host: string; port: number } | undefined {
    return this.#metrics && { host: this.#metrics.host, port: this.#metrics.port };
  }

  /**
   * Resolves when the tracer has stopped (a signal, `stop()`, a one-liner's exit(), -d, the end
   * of -c's command), after end() ran. `await tracer.stopped` is how a script waits for the end.
   */
  get stopped(): Promise<void> {
    return this.#stopped ?? Promise.resolve();
  }

  /**
   * Runs `f` every `ms` milliseconds while the tracer runs: the way to print periodically
   * (in user space; `@interval` is the in-kernel probe). Stops with the tracer; returns what
   * cancels it sooner. An exception in `f` is fatal, as anywhere in the script.
   */
  every(ms: number, f: () => void): () => void {
    checkPeriodMs(ms, "every()'s period", "tracer.every(1000, () => tracer.counts.print())");
    if (!this.#loaded || this.#stopping) throw new TracerError(`${this.constructor.name}.every() runs only while the tracer runs: call it after start()`);
    const given = callerFrame(publicEvery());
    const timer = setInterval(() => {
      try {
        f();
      } catch (e) {
        throw fromCallback(e, given, "the function every() runs");
      }
    }, ms);
    this.#timers.add(timer);
    return () => {
      clearInterval(timer);
      this.#timers.delete(timer);
    };
  }

  /**
   * Puts a `@socketFilter()` handler on socket `fd` of this process (SO_ATTACH_BPF): it decides
   * what the socket receives until the tracer stops (which takes it off) or the socket closes.
   * `handler` names it when the tracer has several.
   */
  attachSocket(fd: number, handler?: string): void {
    if (!this.#loaded || !this.#spec || this.#stopping) throw new TracerError(`${this.constructor.name}.attachSocket() works only while the tracer runs: call it after start()`);
    const filters = this.#spec.programs.filter((p) => p.probe.kind === "socketFilter");
    const chosen = filters.filter((p) => handler === undefined || p.name === handler);
    if (chosen.length !== 1) {
      throw new TracerError(filters.length === 0 ? `${this.constructor.name} has no @socketFilter() handler to attach to a socket`
        : `${this.constructor.name}.attachSocket(fd${handler === undefined ? "" : `, "${handler}"`}): name one of its socket filters: ${filters.map((p) => `"${p.name}"`).join(", ")}`);
    }
    this.#loaded.attachSocket(fd, chosen[0].name);
  }

  /** Events each handler could not submit because its ring buffer or perf buffer was full. */
  lost(): Map<string, bigint> {
    return this.#spec && this.#loaded ? lostEvents(this.#spec, this.#loaded) : new Map();
  }

  /** Updates each map refused because it was full (maps that never refused one are absent or 0). */
  dropped(): Map<string, bigint> {
    return this.#spec && this.#loaded ? droppedUpdates(this.#spec, this.#loaded) : new Map();
  }

  /** Each handler's runs and time in them so far, with start({ stats: true }) (else none). */
  handlerStats(): HandlerCost[] {
    return this.#stats && this.#statsCode && this.#spec && this.#loaded ? this.#statsCode.handlerCosts(this.#spec, this.#loaded, this.#probes) : [];
  }

  #printLoss(): void {
    this.#lossReport?.print(true, true);
  }

  /**
   * Runs once the maps are connected, before start() resolves: the place to fill maps the
   * handlers read (tables, settings) before anything start() gates, such as the release of the
   * `tsbpf -c` command. The probes are already attached; events wait in their buffers until it returns.
   */
  begin(): void {}

  /**
   * Runs when the tracer stops, before its maps are released: the place to print results.
   * By default it prints every aggregation (Count, Histogram, ...) as bpftrace would.
   */
  end(): void {
    for (const m of this.#maps) if (m instanceof Aggregation) m.print();
  }

  /**
   * Detaches the probes, delivers the events the kernel holds, runs `end()` (on maps no handler
   * changes any more), ends the event streams and releases every kernel object; no listener or `every()` function runs after it. Called from an event
   * listener (a one-liner's exit()), that stream delivers nothing after the event being handled.
   */
  stop(): Promise<void> {
    // Stopped during start(): stop once started.
    if (!this.#loaded && this.#starting) return this.#starting.then(() => this.stop(), () => {});
    // A listener may call stop() while stop() delivers the last events (a one-liner's exit()
    // arriving from every CPU): once is enough.
    if (!this.#loaded || this.#stopping) return Promise.resolve();
    this.#stopping = true;
    const pumpStopped = this.#pump?.stop();
    for (const t of this.#timers) clearInterval(t);
    this.#timers.clear();
    // The stream whose listener asked to stop delivers nothing more (bpftrace's exit()).
    for (const rb of this.#buffers) if (rb.delivering) rb.halt();
    // Detach first, as bpftrace detaches before END: end() then reads maps no handler changes, so
    // a total it prints is the map printed under it, and two maps it reads agree. Closing each
    // probe's link and perf event waits for two grace periods (about 50 ms, bench/NOTES.md), so
    // the output of a tracer of many probes comes that much later, as bpftrace's does.
    this.#loaded.detach();
    for (const rb of this.#buffers) rb.end();
    // The last export reads the maps as the probes left them, before end(), which may clear them
    // (syscount prints its table and starts again from zero, as bcc's does); the request finishes
    // (or times out) after.
    const lastPush = this.#otlp?.stop();
    if (lastPush) finishBeforeExit(lastPush);
    this.#otlp = undefined;
    try {
      this.end();
    } finally {
      if (this.#reportLoss) this.#printLoss();
      if (this.#stats) this.#statsCode?.printHandlerCosts(this.handlerStats());
      this.#metrics?.unregister();
      this.#metrics = undefined;
      for (const m of this.#maps) m.unbind();
      setStackTable(undefined);
      this.#loaded.close();
      this.#loaded = undefined;
      this.#stats?.off();
      this.#stats = undefined;
      this.#buffers = [];
      this.#maps = [];
      this.#stopping = false;
      this.#starting = undefined;
      tracerStopped(this);
    }
    this.#resolveStopped?.();
    return Promise.all([lastPush, pumpStopped]).then(() => {});
  }

  /** Releases kernel objects synchronously, for process exit; no end(). */
  closeNow(): void {
    void this.#pump?.stop();
    for (const t of this.#timers) clearInterval(t);
    this.#timers.clear();
    this.#loaded?.close();
    this.#loaded = undefined;
    this.#stats?.off();
    this.#stats = undefined;
    this.#starting = undefined;
    tracerStopped(this);
  }

  /** stop(), for `await using t = await new T().start()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** every() as scripts call it (wrapped below): outside the class, whose name a bundler keeps only without self-references. */
function publicEvery(): unknown {
  return Tracer.prototype.every;
}

// every()'s period or timing is the caller's mistake: reported at its line.
methodsAtCaller(Tracer.prototype, ["every"], (e) => e instanceof RangeError || e instanceof TracerError);

/** The tracer's integer fields as the handlers will see them, fixed for this run. */
function encodeParams(tracer: Tracer, layout: StructType): Uint8Array {
  const bytes = new Uint8Array(layout.size);
  const values: Record<string, unknown> = {};
  for (const f of layout.fields) {
    const v = (tracer as unknown as Record<string, unknown>)[f.name];
    if (typeof v !== "number" && typeof v !== "bigint" && typeof v !== "boolean") {
      throw new TracerError(`${tracer.constructor.name}.${f.name} must be a number, bigint or boolean for its handlers, got ${typeof v}`);
    }
    values[f.name] = v;
  }
  makeEncoder(layout, undefined, tracer.constructor.name)(values, new DataView(bytes.buffer), bytes, 0);
  return bytes;
}

/** The tracer's map fields by name, checked against what the compiler found. */
// deno-lint-ignore no-explicit-any
function mapFields(tracer: Tracer, spec: TracerSpec): Map<string, EventStream<unknown> | KernelMap<any, any>> {
  // deno-lint-ignore no-explicit-any
  const out = new Map<string, EventStream<unknown> | KernelMap<any, any>>();
  for (const m of spec.maps) {
    if (m.kind === "lost" || m.kind === "dropped" || m.kind === "cgroup" || m.kind === "params" || m.kind === "stacks" || m.kind === "scratch" || m.kind === "prog_array") continue;
    const field = (tracer as unknown as Record<string, unknown>)[m.name];
    const ok = m.kind === "ringbuf" || m.kind === "perfbuf" ? field instanceof EventStream : field instanceof KernelMap;
    if (!ok) throw new TracerError(`${spec.className}.${m.name} must be the map created in the class body (new ...(...)), not replaced at run time`);
    out.set(m.name, field as EventStream<unknown>);
  }
  return out;
}

/** A decorator as recorded at run time, with the options the source cannot show. */
function runtimeProbe(h: HandlerMeta, tracer: Tracer): ProbeRef {
  return { kind: h.kind, target: h.target, options: h.optionsOf ? h.optionsOf(tracer as never) : h.options, method: h.method };
}

/** A cgroup program without a cgroup of its own is attached to the tracer's (start({ cgroup }), --cgroup). */
function attachedToCgroup(p: ProbeRef, cgroup: string | undefined): ProbeRef {
  return p.kind === "cgroupSkb" && p.options?.cgroup === undefined && cgroup !== undefined ? { ...p, options: { ...p.options, cgroup } } : p;
}

/**
 * The compiler, loaded only when the cache misses, ready to parse `source` (Babel loads only if
 * the lean parser gives up on it), and this kernel as its target.
 */
async function loadCompiler(probes: ProbeRef[], source: string) {
  const [{ compile, prepareParse }, { hostTarget }] = await Promise.all([compilerModule(), import("./compile_target.ts")]);
  await prepareParse(source, checkBabelPlace);
  return { compile, target: await hostTarget(probes, source) };
}

/** The tracer's compiled spec, and the source it came from (for the programs' line info). */
async function compileTracer(tracer: Tracer, options: { cgroupFilter: boolean; histogramSums: boolean }): Promise<{ spec: TracerSpec; source: string }> {
  const { cgroupFilter, histogramSums } = options;
  const handlers = handlersOf(tracer);
  const className = tracer.constructor.name;
  const probes = handlers.map((h) => runtimeProbe(h, tracer));
  // Only the kinds this tracer uses: what the cache key, the assumptions and attaching need.
  await loadProbeKinds(probes.map((p) => p.kind));
  const bundle = (globalThis as { __TSBPF_BUNDLE__?: unknown }).__TSBPF_BUNDLE__;
  if (bundle) {
    // What runs is compiled from the source the bundle embeds (what plan reviews): tracer/bundled.ts.
    const { bundledEntry, bundledSpec } = await import("./bundled.ts");
    const bundled = bundledEntry(bundle, className);
    if (bundled) {
      const variant = [cgroupFilter ? "a cgroup filter" : "", histogramSums ? "histogram sums" : ""].filter(Boolean).join(" and ");
      return bundledSpec(bundled, className, probes, variant, async (source, file, name) => {
        const { compile, target } = await loadCompiler(probes, source);
        return compile(source, file, target, { className: name, cgroupFilter, histogramSums })[0];
      });
    }
  }
  if (!handlers.length) throw new TracerError(`${className} has no probe handlers: decorate a method with @tracepoint("category:name")`);
  const file = handlers[0].file;
  const source = isRemote(file) ? await remoteSource(className, file) : readTextFile(file);
  if (source === undefined) throw new TracerError(`Cannot read the source of ${className} at "${file}"; tsbpf compiles handlers from the script's own .ts file`);
  const key = await cacheKey(source, file, `${className}\0${probesCacheKey(probes)}\0${cgroupFilter ? "cgroup" : ""}\0${histogramSums ? "sums" : ""}`, probesCacheInput(probes));
  let specs = readCache(key);
  if (!specs) {
    // Only this class: another may have targets computed at run time that only its own start() knows.
    const { compile, target } = await loadCompiler(probes, source);
    specs = compile(source, file, target, { className, orEveryClass: true, cgroupFilter, histogramSums });
    writeCache(key, specs);
  }
  const spec = specs.find((s) => s.className === className) ?? (specs.length === 1 ? specs[0] : undefined);
  if (!spec) throw new TracerError(`No tracer class named ${className} in ${file}`);
  checkProbesMatchSource(spec, probes, className, `is there another class named ${className} in ${file}? Rename one`);
  return { spec, source };
}

/** The source of a tracer imported from a URL, read again from there (the runtime keeps its copy to itself). */
async function remoteSource(className: string, url: string): Promise<string> {
  const { DownloadError, downloadScript } = await import("../runtime/download.ts");
  try {
    return (await downloadScript(url)).text;
  } catch (e) {
    if (e instanceof DownloadError) throw new TracerError(`Cannot read the source of ${className}, which tsbpf compiles the handlers from: ${e.message}`);
    throw e;
  }
}

/**
 * The OTLP export the environment asks for (export/otlp_env.ts). That module is loaded only when
 * an endpoint is set: without one it answers undefined whatever else is set.
 */
async function otlpFromEnvironment(): Promise<OtlpOptions | undefined> {
  const get = (name: string) => libcSync().getenv(name)?.trim();
  if (!get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") && !get("OTEL_EXPORTER_OTLP_ENDPOINT")) return undefined;
  return (await import("../export/otlp_env.ts")).otlpFromEnvironment();
}

/**
 * `starting`, with each field and method of the tracer a getter that says to await start(): the
 * mistake `const t = new T().start()` then `t.events` otherwise fails in JavaScript's words
 * ("undefined is not an object", "t.stop is not a function") about a field the user declared.
 */
function notTheTracer<T extends Tracer>(tracer: T, starting: Promise<T>): Promise<T> {
  const names = new Set(Object.keys(tracer));
  for (let p = Object.getPrototypeOf(tracer); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) names.add(name);
  }
  const className = tracer.constructor.name;
  for (const name of names) {
    if (name === "constructor" || name in starting) continue;
    // Thrown from the user's line (atCaller): Bun shows the source of the first frame.
    const notStarted = (): never => {
      throw atCaller(new TracerError(`${className}.start() gives a Promise: .${name} is on the tracer it resolves to; write const t = await new ${className}().start()`), notStarted);
    };
    Object.defineProperty(starting, name, { get: notStarted });
  }
  return starting;
}
