/**
 * tsbpf: tracing scripts for Linux eBPF, written in TypeScript, run by Bun or Deno.
 *
 * ```ts
 * import { Tracer, tracepoint, RingBuf, pid, comm, str, type u32, type Str, type TracepointArgs } from "tsbpf";
 *
 * interface Open { pid: u32; comm: Str<16>; file: Str<256> }
 *
 * class OpenSnoop extends Tracer {
 *   events = new RingBuf<Open>();
 *   @tracepoint("syscalls:sys_enter_openat")
 *   onOpen(args: TracepointArgs) {
 *     this.events.submit({ pid: pid(), comm: comm(), file: str(args.filename) });
 *   }
 * }
 *
 * const t = await new OpenSnoop().start();
 * for await (const e of t.events) console.log(e.pid, e.comm, e.file);
 * ```
 * @module
 */
export { Tracer, type StartOptions } from "./tracer/tracer.ts";
export { RingBuf } from "./runtime/maps/ringbuf.ts";
export { PerfBuffer } from "./runtime/maps/perf_buffer.ts";
export { ArrayMap, HashMap, LruHashMap, PerCpuArrayMap, PerCpuHashMap } from "./runtime/maps/hash_map.ts";
export { LpmTrieMap, type LpmKey } from "./runtime/maps/lpm_trie_map.ts";
export { QueueMap, StackMap } from "./runtime/maps/queue_map.ts";
export { StackTraceMap } from "./runtime/maps/stack_trace_map.ts";
export { ProgramArray, type TailCallTarget } from "./runtime/maps/program_array.ts";
export { Avg, type Bucket, Count, Histogram, LinearHistogram, Max, Min, type PrintOptions, Stats, type StatsValue, Sum } from "./runtime/maps/aggregations.ts";
export { cgroupSkb, fentry, socketFilter, xdp, type XdpOptions, fexit, interval, kprobe, kretprobe, perfEvent, type PerfEventSpec, type ProbeDecorator, profile, rawTracepoint, tpBtf, tracepoint, uprobe, type UprobeOptions, uretprobe, usdt } from "./probes/decorators.ts";
export { cgroup, cgroupName, comm, cpu, curtask, gid, kernel, ksym, kstack, ktime, ntop, override, pid, ppid, probe, reg, skbCgroup, skbLoad, str, tid, uid, user, ustack, usym, xdpLoad } from "./lang/helpers.ts";
export { Stack } from "./runtime/maps/stacks.ts";
export { openPinned, type PinnedMaps } from "./runtime/open_pinned.ts";
export { cgroup2Mount, cgroupId, cgroupPathOf, containerOf } from "./runtime/cgroup.ts";
export { isJsonOutput, printable, printEvent, setJsonOutput } from "./runtime/output.ts";
export { type PprofOptions, toPprof, writePprof } from "./export/pprof.ts";
export type { bool, Cgroup, i16, i32, i64, i8, Inet, Ipv4Key, Ipv6Key, KStack, KSym, ProbeName, SkBuff, Str, XdpMd, TracepointArgs, u16, u32, u64, u8, UStack, USym } from "./lang/handler_types.ts";
export { CompileError } from "./spec/diagnostics.ts";
export { VerifierError } from "./runtime/verifier_error.ts";
export { PermissionError, SyscallError } from "./runtime/errors.ts";
export { MapValueError } from "./runtime/maps/fit.ts";
// The types the public classes above are built on (their base classes, argument and option types), for documentation and editors.
export type { Aggregation, Extreme, HistogramBase, Keyed, RawKey, Scalar, Value } from "./runtime/maps/aggregations.ts";
export type { KernelMap } from "./runtime/maps/kernel_map.ts";
export type { EventStream } from "./runtime/maps/event_stream.ts";
export type { ValueList } from "./runtime/maps/queue_map.ts";
export type { CgroupName } from "./runtime/cgroup.ts";
export type { KernelSymbol } from "./runtime/maps/kernel_symbol.ts";
export type { UserSymbol } from "./runtime/maps/user_symbol.ts";
export type { Diagnostic, SourcePos } from "./spec/diagnostics.ts";
export type { MetricsOptions } from "./export/metrics_server.ts";
export type { OtlpOptions } from "./export/otlp.ts";
export type { HardwareEvent, SoftwareEvent } from "./probes/decorators.ts";
export type { UserFacingError } from "./spec/user_facing.ts";
export type { HandlerCost } from "./export/prometheus.ts";
export type { PinnedMapRecord, PinnedProgramRecord, PinRecord } from "./runtime/pin_meta.ts";
export type { MapFieldOptions } from "./runtime/maps/kernel_map.ts";
