// The map and aggregation classes a tracer may declare as fields, and what each becomes in
// the kernel: map type, key and value layout.
import { mapDoc } from "./map_doc.ts";
import { Code, type DiagnosticBag, type SourcePos } from "../spec/diagnostics.ts";
import { type Node, posOf } from "./parse.ts";
import { i64, isScalar, layoutStruct, type Type, u32, u64 } from "../spec/layout.ts";
import { MAX_MAP_ENTRIES, MAX_STACK_DEPTH, type MapKind, type MapSpec } from "../spec/tracer_spec.ts";
import { isPinName, pinNameProblem } from "../spec/pin_name.ts";

/** A map declared as a tracer field: its spec (the kernel map's layout), and where it is declared. */
export interface MapField extends MapSpec {
  pos: SourcePos;
}

type Role = "key" | "value" | "key?";
const CLASSES: Record<string, { kind: MapKind; args: Role[] }> = {
  RingBuf: { kind: "ringbuf", args: ["value"] },
  PerfBuffer: { kind: "perfbuf", args: ["value"] },
  HashMap: { kind: "hash", args: ["key", "value"] },
  LruHashMap: { kind: "lru_hash", args: ["key", "value"] },
  PerCpuHashMap: { kind: "percpu_hash", args: ["key", "value"] },
  ArrayMap: { kind: "array", args: ["value"] },
  PerCpuArrayMap: { kind: "percpu_array", args: ["value"] },
  LpmTrieMap: { kind: "lpm_trie", args: ["key", "value"] },
  QueueMap: { kind: "queue", args: ["value"] },
  StackMap: { kind: "stack", args: ["value"] },
  StackTraceMap: { kind: "stack_trace", args: [] },
  ProgramArray: { kind: "prog_array", args: [] },
  Count: { kind: "count", args: ["key?"] },
  Sum: { kind: "sum", args: ["key?"] },
  Min: { kind: "min", args: ["key?"] },
  Max: { kind: "max", args: ["key?"] },
  Avg: { kind: "avg", args: ["key?"] },
  Stats: { kind: "stats", args: ["key?"] },
  Histogram: { kind: "hist", args: ["key?"] },
  LinearHistogram: { kind: "lhist", args: ["key?"] },
};

export const AGGREGATIONS = new Set<MapKind>(["count", "sum", "min", "max", "avg", "stats", "hist", "lhist"]);

/** The value an aggregation keeps per key and CPU. */
export function aggregationValue(kind: MapKind): Type {
  switch (kind) {
    case "count": return u64;
    case "sum": return i64;
    case "min": case "max": return layoutStruct("extreme", [{ name: "value", type: i64 }, { name: "present", type: u64 }]);
    case "avg": case "stats": return layoutStruct("stats", [{ name: "count", type: u64 }, { name: "total", type: i64 }]);
    default: return u64; // a histogram bucket's count
  }
}

/** An aggregation's kernel key: the user's key (or 0 when not keyed), and the bucket for histograms. */
export function aggregationKey(kind: MapKind, userKey: Type | undefined): Type {
  const fields = [{ name: "key", type: userKey ?? u32 }];
  if (kind === "hist" || kind === "lhist") fields.push({ name: "bucket", type: u64 });
  return layoutStruct("aggregation_key", fields);
}

/** A StackTraceMap's depth (its second argument): the frames its value holds, which is where the kernel cuts a stack. */
function stackDepth(arg: Node | undefined, constants: Map<string, Node> | undefined, diags: DiagnosticBag): number {
  if (!arg) return MAX_STACK_DEPTH;
  const n = constantNumber(arg, constants);
  if (n !== undefined && Number.isInteger(n) && n >= 1 && n <= MAX_STACK_DEPTH) return n;
  diags.error(Code.BadMap, posOf(arg), `a StackTraceMap's depth is a number from 1 to ${MAX_STACK_DEPTH} the compiler can see`, "e.g. new StackTraceMap(16384, 5): the 5 innermost frames");
  return MAX_STACK_DEPTH;
}

/** What is wrong with a constant size given to `className`'s constructor, and what to write; undefined when nothing is. */
function refusedSize(className: string, kind: MapKind, n: number): [string, string] | undefined {
  if (kind === "ringbuf" || kind === "perfbuf") {
    if (Number.isInteger(n) && n >= 4096 && (n & (n - 1)) === 0) return undefined;
    return [`${className} size must be a power of two of at least 4096 bytes${kind === "perfbuf" ? " (per CPU)" : ""}, got ${n}`, `e.g. new ${className}<Event>(256 * 1024): 256 KiB for events in flight`];
  }
  if (AGGREGATIONS.has(kind)) {
    if (Number.isInteger(n) && n >= 1) return undefined;
    return [`an aggregation needs at least one entry, got ${n}`, `the most keys it counts, e.g. new ${className}(10240)`];
  }
  if (Number.isInteger(n) && n >= 1 && n <= MAX_MAP_ENTRIES) return undefined;
  return [`${className} needs between 1 and ${MAX_MAP_ENTRIES} entries, got ${n}`, `the most entries the map holds, e.g. new ${className}(10240)`];
}

/**
 * The map a class field declares, or undefined when the field is not a map or its declaration
 * was refused (with an error).
 * `constants`: the module's top-level consts, for a class no function encloses (inside one, a
 * parameter or local could hide them); a size the compiler cannot evaluate is the script's to
 * decide when it runs (`runtimeSize`).
 */
export function mapFieldOf(member: Node, types: { resolve(node: Node): Type | undefined }, diags: DiagnosticBag, constants?: Map<string, Node>): MapField | undefined {
  const init = member.value;
  if (member.type !== "ClassProperty" || init?.type !== "NewExpression" || init.callee.type !== "Identifier") return undefined;
  const cls = CLASSES[init.callee.name];
  if (!cls) return undefined;
  const name: string = member.key.name;
  const typeArgs: Node[] = init.typeParameters?.params ?? init.typeArguments?.params ?? [];
  const className = init.callee.name;
  const sizeArg = cls.kind === "lhist" ? init.arguments[3] : init.arguments[0];
  const evaluated = sizeArg ? constantNumber(sizeArg, constants) : undefined;
  const size = evaluated !== undefined && Number.isSafeInteger(evaluated) && evaluated >= 0 ? evaluated : undefined; // else the constructor refuses it
  const field: MapField = { name, kind: cls.kind, pos: posOf(member), size, ...(sizeArg && size === undefined ? { runtimeSize: true as const } : {}), ...mapDoc(member, diags) };
  const required = cls.args.filter((r) => r !== "key?").length;
  if (typeArgs.length < required || typeArgs.length > cls.args.length) {
    const form = cls.args.map((r) => (r === "key?" ? "Key?" : r === "key" ? "Key" : "Value")).join(", ");
    diags.error(Code.BadMap, posOf(init), `${className} takes ${required === cls.args.length ? "" : "up to "}${cls.args.length} type argument${cls.args.length > 1 ? "s" : ""}: new ${className}<${form}>()`);
    return undefined;
  }
  const badSize = evaluated === undefined || cls.kind === "prog_array" ? undefined : refusedSize(className, cls.kind, evaluated);
  if (badSize) {
    diags.error(Code.BadMap, posOf(sizeArg), badSize[0], badSize[1]);
    return undefined;
  }
  // A type argument refused (reported) refuses the map: it would otherwise be a map of another shape.
  let refused = false;
  cls.args.forEach((role, i) => {
    if (!typeArgs[i]) return;
    const t = types.resolve(typeArgs[i]);
    if (!t) {
      refused = true;
      return;
    }
    if (role === "value") field.value = t;
    else if (role === "key") field.key = t;
    else field.userKey = t;
  });
  if (refused) return undefined;
  if ((cls.kind === "ringbuf" || cls.kind === "perfbuf") && field.value && field.value.kind !== "struct") {
    diags.error(Code.BadMap, posOf(typeArgs[0]), `a ${className}'s event type must be an interface, not ${field.value.kind}`);
  }
  if (cls.kind === "array" || cls.kind === "percpu_array") field.key = u32;
  if (cls.kind === "queue" || cls.kind === "stack") field.key = { kind: "void" };
  // Its slots (the tracer's methods) are read by collect.ts (program_array.ts); the kernel keeps program ids.
  if (cls.kind === "prog_array") {
    field.key = u32;
    field.value = u32;
    field.size = undefined;
    delete field.runtimeSize;
  }
  if (cls.kind === "stack_trace") {
    field.key = u32;
    field.value = { kind: "array", elem: u64, len: stackDepth(init.arguments[1], constants, diags) };
  }
  if (cls.kind === "lpm_trie" && field.key && !lpmKeyOk(field.key)) {
    diags.error(Code.BadMap, posOf(typeArgs[0]), `an LpmTrieMap's key must be an interface starting with "prefixlen: u32", then the address fields (no padding after prefixlen)`,
      "use Ipv4Key or Ipv6Key, or e.g. interface Subnet { prefixlen: u32; addr: u32 }");
  }
  if ((cls.kind === "percpu_hash" || cls.kind === "percpu_array") && field.value && !isScalar(field.value)) {
    diags.error(Code.BadMap, posOf(typeArgs[typeArgs.length - 1]), `per-CPU maps hold numbers here; use a HashMap for ${field.value.kind} values`);
  }
  if (AGGREGATIONS.has(cls.kind)) {
    field.key = aggregationKey(cls.kind, field.userKey);
    field.value = aggregationValue(cls.kind);
  }
  if (cls.kind === "lhist") {
    const linear = linearBounds(init, constants, diags);
    if (!linear) return undefined;
    field.linear = linear;
  }
  const pin = pinArgument(init);
  if (pin && !isPinName(pin.value)) {
    diags.error(Code.BadMap, posOf(pin), pinNameProblem(pin.value), "the map is pinned in /sys/fs/bpf/tsbpf/NAME: e.g. { pin: \"tcp_bytes\" }");
    return undefined;
  }
  return field;
}

const LINEAR_ARGUMENTS = ["min", "max", "step"] as const;

/** `new LinearHistogram(min, max, step)`'s bounds, or undefined after an error at the argument that is wrong. */
function linearBounds(init: Node, constants: Map<string, Node> | undefined, diags: DiagnosticBag): { min: number; max: number; step: number } | undefined {
  const form = "new LinearHistogram(min, max, step)";
  const missing = LINEAR_ARGUMENTS.slice(init.arguments.length);
  if (missing.length) {
    diags.error(Code.BadMap, posOf(init), `${form} is missing its ${missing.join(" and ")}`, "e.g. new LinearHistogram(0, 2000, 200): buckets of 200 from 0 to 2000");
    return undefined;
  }
  const values: number[] = [];
  for (const [i, name] of LINEAR_ARGUMENTS.entries()) {
    const arg = init.arguments[i];
    const n = constantNumber(arg, constants);
    if (n === undefined) {
      diags.error(Code.BadMap, posOf(arg), `LinearHistogram's ${name} must be a whole number the compiler can see (a literal or a top-level const)`, `its buckets are compiled into the handlers: ${form}`);
      return undefined;
    }
    if (!Number.isSafeInteger(n) || (name === "step" && n < 1)) {
      diags.error(Code.BadMap, posOf(arg), `LinearHistogram's ${name} must be a whole number${name === "step" ? " of at least 1" : ""}, got ${n}`, form);
      return undefined;
    }
    values.push(n);
  }
  const [min, max, step] = values;
  if (max <= min) {
    diags.error(Code.BadMap, posOf(init.arguments[1]), `LinearHistogram's max (${max}) must be larger than its min (${min})`, form);
    return undefined;
  }
  return { min, max, step };
}

/** The `pin: "name"` string literal of a map constructor's options, if it has one. */
function pinArgument(init: Node): (Node & { value: string }) | undefined {
  for (const arg of init.arguments) {
    if (arg.type !== "ObjectExpression") continue;
    const p = arg.properties.find((x: Node) => x.type === "ObjectProperty" && !x.computed && (x.key.name ?? x.key.value) === "pin");
    if (p?.value.type === "StringLiteral") return p.value;
  }
  return undefined;
}

/** An IPv4 prefix: `addr` holds the address as the kernel stores it (network byte order in memory). */
export const ipv4Key = layoutStruct("Ipv4Key", [{ name: "prefixlen", type: u32 }, { name: "addr", type: u32 }]);
/** An IPv6 prefix: the address as four 32-bit words, as `in6_addr.in6_u.u6_addr32` holds it. */
export const ipv6Key = layoutStruct("Ipv6Key", [
  { name: "prefixlen", type: u32 },
  { name: "addr", type: { ...layoutStruct("[u32, u32, u32, u32]", [0, 1, 2, 3].map((i) => ({ name: String(i), type: u32 }))), tuple: true } },
]);

/** The kernel's LPM key: a u32 prefix length in bits, then the data it applies to, from offset 4. */
function lpmKeyOk(t: Type): boolean {
  if (t.kind !== "struct" || t.fields.length < 2) return false;
  const [len, first] = t.fields;
  return len.name === "prefixlen" && len.type.kind === "int" && len.type.bits === 32 && !len.type.signed && first.offset === 4 && t.size - 4 <= 256;
}

/** The value of a constant arithmetic expression of number literals (`256 * 1024`), if it is one. */
export function constantNumber(e: Node, constants?: Map<string, Node>, depth = 0): number | undefined {
  const inner = (n: Node) => depth < 32 ? constantNumber(n, constants, depth + 1) : undefined;
  switch (e.type) {
    case "NumericLiteral": return e.value;
    case "ParenthesizedExpression": case "TSAsExpression": case "TSSatisfiesExpression": case "TSNonNullExpression": return inner(e.expression);
    // A top-level const, where the caller knows no nearer declaration can hide it.
    case "Identifier": return constants?.has(e.name) ? inner(constants.get(e.name)!) : undefined;
    case "UnaryExpression": {
      const v = e.operator === "-" ? inner(e.argument) : undefined;
      return v === undefined ? undefined : -v;
    }
    case "BinaryExpression": {
      const a = inner(e.left), b = inner(e.right);
      if (a === undefined || b === undefined) return undefined;
      switch (e.operator) {
        case "*": return a * b;
        case "+": return a + b;
        case "-": return a - b;
        case "<<": return a << b;
        case "/": return a / b;
      }
    }
  }
  return undefined;
}
