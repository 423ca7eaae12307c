// Map methods inside handlers: this.m.get/set/has/delete/add, this.events.submit, and the
// aggregations' add. Keys and values are built on the stack (zeroed first, so padding never
// makes two equal keys differ); lookups are NULL-checked here so the verifier is satisfied.
import { Code, didYouMean } from "../spec/diagnostics.ts";
import type { Base, Operand, VReg } from "./ir.ts";
import { type Node, posOf } from "./parse.ts";
import type { Lower, Value } from "./lower/context.ts";
import type { MapField } from "./map_fields.ts";
import { AGGREGATIONS } from "./map_fields.ts";
import { captureStack } from "./builtins.ts";
import { Helper } from "../spec/bpf/helpers.ts";
import { ProgType } from "../spec/prog_type.ts";
import { i64, isScalar, sizeOf, type StructType, type Type, typeName, u32 } from "../spec/layout.ts";
import { DROPPED_MAP, HISTOGRAM_SUM_BUCKET, LOST_MAP, SCRATCH_MAP } from "../spec/tracer_spec.ts";

const BPF_ANY = 0n, BPF_NOEXIST = 1n, BPF_EXIST = 2n;
/** bpf_perf_event_output's flags: the perf event array's slot of the CPU the handler runs on. */
const BPF_F_CURRENT_CPU = 0xffffffffn;
/** Events up to this size are built on the stack for bpf_perf_event_output; bigger ones in the scratch map. */
export const PERF_EVENT_ON_STACK = 256;
/** A perf record (header, size, event) must fit its u16 size; a per-CPU map value is at most 32 KiB. */
export const PERF_EVENT_MAX = 32 * 1024 - 16;

/** The methods each kind of map has in a handler. */
export const MAP_METHODS: Record<string, string[]> = {
  ringbuf: ["submit"],
  perfbuf: ["submit"],
  hash: ["get", "set", "has", "delete", "add"],
  lru_hash: ["get", "set", "has", "delete", "add"],
  percpu_hash: ["get", "set", "has", "delete", "add"],
  array: ["get", "set", "add"],
  percpu_array: ["get", "set", "add"],
  lpm_trie: ["get", "set", "has", "delete", "add"],
  queue: ["push", "pop", "peek"],
  stack: ["push", "pop", "peek"],
  stack_trace: ["kstack", "ustack"],
  prog_array: ["jump"],
};

/** Program types whose handlers may make tail calls here (the targets are compiled as the same type). */
const TAIL_CALLERS = new Set<number>([ProgType.KPROBE /* kprobe, uprobe */, ProgType.TRACEPOINT, ProgType.PERF_EVENT, ProgType.RAW_TRACEPOINT]);

export function mapMethod(l: Lower, map: MapField, method: string, e: Node): Value {
  if (AGGREGATIONS.has(map.kind)) {
    if (method !== "add") l.fail(e.callee.property, Code.BadCall, `${map.name} is an aggregation: its only method in a handler is add()`, ...didYouMean(method, ["add"]));
    aggregate(l, map, e);
    return { kind: "void" };
  }
  const methods = MAP_METHODS[map.kind] ?? [];
  if (!methods.includes(method)) {
    l.fail(e.callee.property, Code.BadCall, `map "${map.name}" has no method "${method}" in a handler`, ...didYouMean(method, methods), `its methods are: ${methods.join(", ")}`);
  }
  const args: Node[] = e.arguments;
  const arity: Record<string, [number, number]> = {
    submit: [1, 1], get: [1, 1], has: [1, 1], delete: [1, 1], set: [2, 2], add: [1, 2], push: [1, 2], pop: [0, 0], peek: [0, 0], kstack: [0, 0], ustack: [0, 0], jump: [1, 1],
  };
  const [lo, hi] = arity[method];
  if (args.length < lo || args.length > hi) l.fail(e, Code.BadCall, `${method}() takes ${lo === hi ? lo : `${lo} or ${hi}`} argument${hi > 1 ? "s" : ""}`);
  if (map.kind === "ringbuf" || map.kind === "perfbuf") {
    if (map.kind === "ringbuf") submit(l, map, args[0]);
    else perfOutput(l, map, args[0]);
    return { kind: "void" };
  }
  if (map.kind === "queue" || map.kind === "stack") return queueOp(l, map, method, args);
  if (map.kind === "prog_array") return tailCall(l, map, args[0], e);
  if (map.kind === "stack_trace") return captureStack(l, method === "kstack" ? "kernel" : "user", map.name, map.stackIndex!);
  const mapReg = () => mapAddress(l, map.name);
  const key = localInPlace(l, map.key!, args[0]) ?? buildOnStack(l, map.key!, args[0]);
  switch (method) {
    case "has": {
      const p = l.b.call(Helper.map_lookup_elem, [mapReg(), l.b.frame(key)]);
      return l.materializeCond((label) => l.b.emit({ op: "br", cond: "jne", a: p, b: 0n, target: label }));
    }
    case "delete":
      l.b.emit({ op: "call", helper: Helper.map_delete_elem, args: [mapReg(), l.b.frame(key)] });
      return { kind: "void" };
    case "set": {
      const value = buildOnStack(l, map.value!, args[1]);
      const r = l.b.call(Helper.map_update_elem, [mapReg(), l.b.frame(key), l.b.frame(value), BPF_ANY]);
      countDroppedUnless(l, map.name, r);
      return { kind: "void" };
    }
    case "get": return get(l, map, key);
    case "add": {
      const t = map.value!;
      if (t.kind !== "int") l.fail(e, Code.TypeMismatch, `add() needs a map of integers; "${map.name}" holds ${typeName(t)}`);
      const n = args[1] ? l.convert(l.intScalar(args[1]), t, args[1]).op : 1n;
      // On an LPM trie the lookup finds the longest matching prefix: the count goes to that entry.
      const shared = map.kind === "hash" || map.kind === "lru_hash" || map.kind === "array" || map.kind === "lpm_trie";
      lookupOrInit(l, map.name, key, t, (base, off) => l.b.emit({ op: "store", base, off, size: sizeOf(t) as 8, value: n }), (p) => {
        if (shared && sizeOf(t) === 8) l.b.emit({ op: "atomic_add", base: p, off: 0, value: l.b.mov(n) });
        else l.b.emit({ op: "store", base: p, off: 0, size: sizeOf(t) as 8, value: l.convert({ type: t, op: l.b.alu("add", l.b.load(p, 0, sizeOf(t) as 8), n) }, t, e).op });
      });
      return { kind: "void" };
    }
  }
  return l.fail(e, Code.BadCall, `unknown method ${method}`);
}

/**
 * `this.table.jump(i)`: bpf_tail_call. When slot i holds a program, that program runs in place of
 * this one and nothing after the jump runs; when the slot is empty (or i is out of range, or the
 * chain already made 33 tail calls) the call returns and the handler goes on.
 */
function tailCall(l: Lower, map: MapField, arg: Node, e: Node): Value {
  const probe = l.input.probe;
  if (!TAIL_CALLERS.has(probe.progType)) {
    l.fail(e, Code.Unsupported, `a ${probe.describe} handler cannot make tail calls here: jump() works in kprobe, uprobe, tracepoint, raw tracepoint and perf event handlers`,
      "call a plain method instead (it is inlined): this.method(args)");
  }
  const index = l.convert(l.intScalar(arg), u32, arg).op;
  if (!l.tailCalls.has(map.name)) l.tailCalls.set(map.name, posOf(e));
  l.b.emit({ op: "call", helper: Helper.tail_call, args: [l.ctx, mapAddress(l, map.name), index] });
  return { kind: "void" };
}

/** push(v, overwrite?) gives true when pushed; pop() and peek() give the value, zero when empty. */
function queueOp(l: Lower, map: MapField, method: string, args: Node[]): Value {
  const t = map.value!;
  if (method === "push") {
    const overwrite = args[1];
    if (overwrite && overwrite.type !== "BooleanLiteral") l.fail(overwrite, Code.NotConstant, `push()'s second argument must be true or false: true pushes out the oldest value when ${map.name} is full`);
    const value = buildOnStack(l, t, args[0]);
    const r = l.b.call(Helper.map_push_elem, [mapAddress(l, map.name), l.b.frame(value), overwrite?.value ? BPF_EXIST : BPF_ANY]);
    countDroppedUnless(l, map.name, r);
    return l.materializeCond((label) => l.b.emit({ op: "br", cond: "jeq", a: r, b: 0n, target: label }));
  }
  const copy = l.b.allocStack(sizeOf(t), 8);
  l.zero("fp", copy, sizeOf(t));
  l.b.emit({ op: "call", helper: method === "pop" ? Helper.map_pop_elem : Helper.map_peek_elem, args: [mapAddress(l, map.name), l.b.frame(copy)] });
  return l.memValue(t, "fp", copy);
}

function mapAddress(l: Lower, name: string): VReg {
  const r = l.b.reg();
  l.b.emit({ op: "map", dst: r, map: name });
  return r;
}

/**
 * The stack offset of the local `e` names when it holds a value of type `t` (not a number) already:
 * a map helper reads the key there, with no copy (a str() local is 256 bytes, half the stack).
 */
function localInPlace(l: Lower, t: Type, e: Node | undefined): number | undefined {
  if (e?.type !== "Identifier" || isScalar(t)) return undefined;
  const b = l.lookup(e.name);
  return b?.kind === "mem" && typeName(b.type) === typeName(t) ? b.off : undefined;
}

/** Writes `e` as a value of type `t` into fresh stack memory; returns its offset. */
function buildOnStack(l: Lower, t: Type, e: Node | undefined): number {
  const off = l.b.allocStack(sizeOf(t), 8);
  if (!isScalar(t)) l.zero("fp", off, sizeOf(t));
  if (e) l.into(e, t, "fp", off);
  else l.b.emit({ op: "store", base: "fp", off, size: sizeOf(t) as 8, value: 0n });
  return off;
}

/** The value for a key, or zero when the key is absent. */
function get(l: Lower, map: MapField, key: number): Value {
  const t = map.value!;
  const p = l.b.call(Helper.map_lookup_elem, [mapAddress(l, map.name), l.b.frame(key)]);
  const absent = l.b.label(), done = l.b.label();
  if (isScalar(t)) {
    const r = l.b.mov(0n);
    l.b.emit({ op: "br", cond: "jeq", a: p, b: 0n, target: done });
    const v = l.memValue(t, p, 0);
    l.b.emit({ op: "mov", dst: r, src: (v as { op: Operand }).op });
    l.b.place(done);
    return { kind: "scalar", type: t as never, op: r };
  }
  const copy = l.b.allocStack(sizeOf(t), 8);
  l.b.emit({ op: "br", cond: "jeq", a: p, b: 0n, target: absent });
  l.copy({ kind: "mem", type: t, base: p, off: 0 }, "fp", copy);
  l.b.emit({ op: "jmp", target: done });
  l.b.place(absent);
  l.zero("fp", copy, sizeOf(t));
  l.b.place(done);
  return { kind: "mem", type: t, base: "fp", off: copy };
}

/**
 * Finds the value for the key at `key`, creating it with `init` when absent; then `update`
 * changes an existing value in place. A race with another CPU creating the same key falls
 * back to updating the value that CPU created.
 */
function lookupOrInit(l: Lower, mapName: string, key: number, valueType: Type, init: (base: Base, off: number) => void, update: (p: VReg) => void): void {
  const done = l.b.label(), found = l.b.label();
  const p = l.b.call(Helper.map_lookup_elem, [mapAddress(l, mapName), l.b.frame(key)]);
  l.b.emit({ op: "br", cond: "jne", a: p, b: 0n, target: found });
  const fresh = l.b.allocStack(sizeOf(valueType), 8);
  if (!isScalar(valueType)) l.zero("fp", fresh, sizeOf(valueType));
  init("fp", fresh);
  const r = l.b.call(Helper.map_update_elem, [mapAddress(l, mapName), l.b.frame(key), l.b.frame(fresh), BPF_NOEXIST]);
  l.b.emit({ op: "br", cond: "jeq", a: r, b: 0n, target: done });
  const again = l.b.call(Helper.map_lookup_elem, [mapAddress(l, mapName), l.b.frame(key)]);
  const dropped = l.b.label();
  l.b.emit({ op: "br", cond: "jeq", a: again, b: 0n, target: dropped });
  l.b.emit({ op: "mov", dst: p, src: again });
  l.b.place(found);
  update(p);
  l.b.emit({ op: "jmp", target: done });
  // Neither created nor there: the map is full.
  l.b.place(dropped);
  countDropped(l, mapName);
  l.b.place(done);
}

/** Counts a refused update (result `r` not 0) of map `mapName`. */
function countDroppedUnless(l: Lower, mapName: string, r: Operand): void {
  const ok = l.b.label();
  l.b.emit({ op: "br", cond: "jeq", a: r, b: 0n, target: ok });
  countDropped(l, mapName);
  l.b.place(ok);
}

function countDropped(l: Lower, mapName: string): void {
  l.countsDrops = true;
  countIn(l, DROPPED_MAP, [...l.input.tracer.maps.keys()].indexOf(mapName));
}

/** The class that declares each kind of aggregation, for hints. */
const AGGREGATION_CLASS: Record<string, string> = {
  count: "Count", sum: "Sum", min: "Min", max: "Max", avg: "Avg", stats: "Stats", hist: "Histogram", lhist: "LinearHistogram",
};

/** count.add(key?), sum.add(key?, v), hist.add(key?, v), ... */
function aggregate(l: Lower, map: MapField, e: Node): void {
  const args: Node[] = e.arguments;
  const takesValue = map.kind !== "count";
  const want = (map.userKey ? 1 : 0) + (takesValue ? 1 : 0);
  if (args.length !== want) {
    const form = [map.userKey ? "key" : "", takesValue ? "value" : ""].filter(Boolean).join(", ");
    l.fail(e, Code.BadCall, `${map.name}.add takes ${want} argument${want === 1 ? "" : "s"}: add(${form})`,
      map.userKey ? `it is keyed by ${typeName(map.userKey)}` : `declare a key type to key it, e.g. new ${AGGREGATION_CLASS[map.kind] ?? "Count"}<Str<16>>(${map.kind === "lhist" ? "min, max, step" : ""})`);
  }
  const keyType = map.key as StructType;
  const bucketField = keyType.fields.find((f) => f.name === "bucket");
  // A local that holds the whole key (no bucket beside it) is the key where it is.
  let key = map.userKey && !bucketField && sizeOf(map.userKey) === keyType.size ? localInPlace(l, map.userKey, args[0]) : undefined;
  if (key === undefined) {
    key = l.b.allocStack(keyType.size, 8);
    // A key that is one integer is written whole; any other may have padding, which must be zero.
    const wholeKey = map.userKey !== undefined && isScalar(map.userKey) && sizeOf(map.userKey) === keyType.size;
    if (!wholeKey) l.zero("fp", key, keyType.size);
    if (map.userKey) l.into(args[0], map.userKey, "fp", key);
  }
  const value = takesValue ? l.convert(l.intScalar(args[args.length - 1]), i64, args[args.length - 1]).op : 1n;
  if (bucketField) {
    const bucket = map.kind === "hist" ? log2Bucket(l, value) : linearBucket(l, value, map.linear!);
    l.b.emit({ op: "store", base: "fp", off: key + bucketField.offset, size: 8, value: bucket });
  }
  const vt = map.value!;
  switch (map.kind) {
    case "count": case "sum": case "hist": case "lhist": {
      const n = map.kind === "sum" ? value : 1n;
      const addN = (n: Operand) => lookupOrInit(l, map.name, key, vt, (b, o) => l.b.emit({ op: "store", base: b, off: o, size: 8, value: n }),
        (p) => l.b.emit({ op: "store", base: p, off: 0, size: 8, value: l.b.alu("add", l.b.load(p, 0, 8), n) }));
      addN(n);
      if (bucketField && l.input.histogramSums) {
        // The same key in the sum's bucket: -1 stored as a 32-bit immediate is u64 max.
        l.b.emit({ op: "store", base: "fp", off: key + bucketField.offset, size: 8, value: BigInt.asIntN(64, HISTOGRAM_SUM_BUCKET) });
        addN(value);
      }
      return;
    }
    case "min": case "max": {
      lookupOrInit(l, map.name, key, vt, (b, o) => {
        l.b.emit({ op: "store", base: b, off: o, size: 8, value });
        l.b.emit({ op: "store", base: b, off: o + 8, size: 8, value: 1n });
      }, (p) => {
        const skip = l.b.label(), write = l.b.label();
        l.b.emit({ op: "br", cond: "jeq", a: l.b.load(p, 8, 8), b: 0n, target: write });
        l.b.emit({ op: "br", cond: map.kind === "min" ? "jsge" : "jsle", a: value, b: l.b.load(p, 0, 8), target: skip });
        l.b.place(write);
        l.b.emit({ op: "store", base: p, off: 0, size: 8, value });
        l.b.emit({ op: "store", base: p, off: 8, size: 8, value: 1n });
        l.b.place(skip);
      });
      return;
    }
    case "avg": case "stats": {
      lookupOrInit(l, map.name, key, vt, (b, o) => {
        l.b.emit({ op: "store", base: b, off: o, size: 8, value: 1n });
        l.b.emit({ op: "store", base: b, off: o + 8, size: 8, value });
      }, (p) => {
        l.b.emit({ op: "store", base: p, off: 0, size: 8, value: l.b.alu("add", l.b.load(p, 0, 8), 1n) });
        l.b.emit({ op: "store", base: p, off: 8, size: 8, value: l.b.alu("add", l.b.load(p, 8, 8), value) });
      });
      return;
    }
  }
}

/** bpftrace's power-of-two bucket: 0 for negatives, 1 for zero, 2 + floor(log2(v)) otherwise. */
function log2Bucket(l: Lower, value: Operand): Operand {
  if (typeof value === "bigint") return value < 0n ? 0n : value === 0n ? 1n : BigInt(2 + value.toString(2).length - 1);
  const bucket = l.b.mov(0n);
  const done = l.b.label();
  l.b.emit({ op: "br", cond: "jslt", a: value, b: 0n, target: done });
  l.b.emit({ op: "mov", dst: bucket, src: 1n });
  l.b.emit({ op: "br", cond: "jeq", a: value, b: 0n, target: done });
  const v = l.b.mov(value);
  l.b.emit({ op: "mov", dst: bucket, src: 2n });
  for (const step of [32n, 16n, 8n, 4n, 2n, 1n]) {
    const skip = l.b.label();
    l.b.emit({ op: "br", cond: "jlt", a: v, b: 1n << step, target: skip });
    l.b.emit({ op: "alu", alu: "rsh", dst: v, a: v, b: step });
    l.b.emit({ op: "alu", alu: "add", dst: bucket, a: bucket, b: step });
    l.b.place(skip);
  }
  l.b.place(done);
  return bucket;
}

/** 0 below min, 1 + (v - min) / step inside, the last bucket at or above max. */
function linearBucket(l: Lower, value: Operand, { min, max, step }: { min: number; max: number; step: number }): Operand {
  const last = BigInt(Math.ceil((max - min) / step) + 1);
  if (typeof value === "bigint") {
    return value < BigInt(min) ? 0n : value >= BigInt(max) ? last : 1n + (value - BigInt(min)) / BigInt(step);
  }
  const bucket = l.b.mov(0n);
  const done = l.b.label();
  l.b.emit({ op: "br", cond: "jslt", a: value, b: BigInt(min), target: done });
  l.b.emit({ op: "mov", dst: bucket, src: last });
  l.b.emit({ op: "br", cond: "jsge", a: value, b: BigInt(max), target: done });
  l.b.emit({ op: "alu", alu: "add", dst: bucket, a: l.b.alu("div", l.b.alu("sub", value, BigInt(min)), BigInt(step)), b: 1n });
  l.b.place(done);
  return bucket;
}

/** Reserves the event in the ring buffer, writes it in place, submits it; counts a loss when full. */
function submit(l: Lower, map: MapField, arg: Node): void {
  const t = map.value as StructType;
  const rec = l.b.call(Helper.ringbuf_reserve, [mapAddress(l, map.name), BigInt(t.size), 0n]);
  const lost = l.b.label(), done = l.b.label();
  l.b.emit({ op: "br", cond: "jeq", a: rec, b: 0n, target: lost });
  l.into(arg, t, rec, 0);
  l.b.emit({ op: "call", helper: Helper.ringbuf_submit, args: [rec, 0n] });
  l.b.emit({ op: "jmp", target: done });
  l.b.place(lost);
  countLost(l);
  l.b.place(done);
}

/**
 * Builds the event, then copies it into the current CPU's perf buffer; counts a loss when the
 * kernel refuses it (the buffer is full). Small events are built on the stack (zeroed first:
 * kernels before 5.11 refuse helpers reading uninitialised stack, and padding must not leak);
 * big ones in this handler's slot of the per-CPU scratch map.
 */
function perfOutput(l: Lower, map: MapField, arg: Node): void {
  const t = map.value as StructType;
  if (t.size > PERF_EVENT_MAX) l.fail(arg, Code.Unsupported, `${typeName(t)} takes ${t.size} bytes; a perf buffer event can take at most ${PERF_EVENT_MAX}`);
  const lost = l.b.label(), done = l.b.label();
  let data: Operand;
  if (t.size <= PERF_EVENT_ON_STACK && !l.input.perfEventsInScratch) {
    const off = l.b.allocStack(t.size, 8);
    l.stackUse.push({ name: `${map.name} event`, bytes: t.size });
    l.perfEventOnStack = true;
    l.zero("fp", off, t.size);
    l.into(arg, t, "fp", off);
    data = l.b.frame(off);
  } else {
    l.perfScratchBytes = Math.max(l.perfScratchBytes, t.size);
    const keyOff = l.b.allocStack(4, 4);
    l.b.emit({ op: "store", base: "fp", off: keyOff, size: 4, value: BigInt(l.input.programIndex) });
    const slot = l.b.call(Helper.map_lookup_elem, [mapAddress(l, SCRATCH_MAP), l.b.frame(keyOff)]);
    l.b.emit({ op: "br", cond: "jeq", a: slot, b: 0n, target: lost });
    l.into(arg, t, slot, 0);
    data = slot;
  }
  const r = l.b.call(Helper.perf_event_output, [l.ctx, mapAddress(l, map.name), BPF_F_CURRENT_CPU, data, BigInt(t.size)]);
  l.b.emit({ op: "br", cond: "jne", a: r, b: 0n, target: lost });
  l.b.emit({ op: "jmp", target: done });
  l.b.place(lost);
  countLost(l);
  l.b.place(done);
}

function countLost(l: Lower): void {
  countIn(l, LOST_MAP, l.input.programIndex);
}

/**
 * Adds one to slot `index` of the counter map `mapName`: atomically, since the loader makes it one
 * array shared by the CPUs (mmapped, so the loss check reads memory instead of making a syscall) where
 * the kernel can, a per-CPU array elsewhere. Only failures count, so the CPUs rarely contend.
 */
function countIn(l: Lower, mapName: string, index: number): void {
  const keyOff = l.b.allocStack(4, 4);
  l.b.emit({ op: "store", base: "fp", off: keyOff, size: 4, value: BigInt(index) });
  const slot = l.b.call(Helper.map_lookup_elem, [mapAddress(l, mapName), l.b.frame(keyOff)]);
  const skip = l.b.label();
  l.b.emit({ op: "br", cond: "jeq", a: slot, b: 0n, target: skip });
  l.b.emit({ op: "atomic_add", base: slot, off: 0, value: l.b.mov(1n) });
  l.b.place(skip);
}
