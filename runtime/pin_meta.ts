// What tsbpf records beside its pins (NAME/meta): who pinned what and when, each map's layout
// (the key and value types, so `tsbpf pinned show` prints a map as its tracer would, and a
// tracer reopening it can check it holds what it declares) and each handler's links. bpffs holds
// only BPF objects, so the record is itself one: a frozen one-element array map whose value is
// the record's JSON. It is read back as data and checked field by field before use.
import type { MapSpec } from "../spec/tracer_spec.ts";
import { type Type, typeName } from "../spec/layout.ts";
import { mapCreate, mapFreeze, mapInfo, mapLookup, MapType, mapUpdate, objGet, objPin } from "./bpf.ts";
import { readlink } from "./file_stat.ts";
import { TracerError } from "./errors.ts";
import { checkedPin } from "./pin_dir.ts";
import { isPinName } from "./pin_name.ts";
import { validateMapSpec } from "../spec/spec_schema.ts";

export const META_FILE = "meta";
/** A map pinned under its own name: NAME/map. */
export const MAP_FILE = "map";
const MAX_META_BYTES = 1 << 20;
/** Text `tsbpf pinned` prints must not carry terminal controls. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
// bpffs refuses names with dots: "map-FIELD", "link-N".
const PIN_FILE = /^(map|map-[A-Za-z_$][A-Za-z0-9_$]*|link-\d{1,6})$/;

/** One pinned map in a pin record: where it is pinned and its layout. */
export interface PinnedMapRecord {
  /** The map's pin in this directory ("map", "map-FIELD"), or absent when it has its own pin name. */
  file?: string;
  /** The map's own pin name (a field declared `{ pin }` inside a pinned tracer). */
  pin?: string;
  /** @internal The map's compiled spec: key and value layouts. */
  spec: MapSpec;
  /** The entries the kernel map was created with. */
  maxEntries: number;
  /** layoutFingerprint() of spec and maxEntries. */
  fingerprint: string;
}

/** One pinned handler in a pin record: its probe and its links' pins. */
export interface PinnedProgramRecord {
  /** Class.method */
  handler: string;
  /** The probe as bpftrace names it. */
  probe: string;
  /** The pins of its links in this directory ("link-N"). */
  links: string[];
}

/** What a pin directory records: what was pinned, by which tracer and process, when, with which maps and handlers. */
export interface PinRecord {
  /** A single map's pin, or a whole tracer's. */
  kind: "map" | "tracer";
  /** When it was pinned (ISO 8601, UTC). */
  created: string;
  /** The tracer class and script that pinned it, and its process. */
  tracer: string;
  /** The script that pinned it. */
  file: string;
  /** The process that pinned it. */
  pid: number;
  /** The maps pinned. */
  maps: PinnedMapRecord[];
  /** The handlers pinned (a tracer's pin). */
  programs: PinnedProgramRecord[];
}

/** Pins `record` as NAME/meta. */
export function writeMeta(dir: string, record: PinRecord): void {
  const json = new TextEncoder().encode(JSON.stringify(record));
  if (json.length >= MAX_META_BYTES) throw new TracerError(`The pin record of ${dir} is too large (${json.length} bytes)`);
  const value = new Uint8Array(Math.ceil((json.length + 1) / 8) * 8);
  value.set(json);
  const fd = mapCreate({ type: MapType.ARRAY, keySize: 4, valueSize: value.length, maxEntries: 1, name: "tsbpf_pin_meta" });
  try {
    mapUpdate(fd.fd, new Uint8Array(4), value);
    mapFreeze(fd.fd);
    objPin(fd.fd, `${dir}/${META_FILE}`);
  } finally {
    fd.close();
  }
}

/** NAME/meta, checked; a TracerError saying what is wrong otherwise. */
export function readMeta(dir: string): PinRecord {
  const path = checkedPin(dir, META_FILE);
  const fd = openPinnedMap(path, "pin record");
  try {
    const info = mapInfo(fd.fd);
    if (info.type !== MapType.ARRAY || info.keySize !== 4 || info.maxEntries !== 1 || info.valueSize > MAX_META_BYTES) throw new TracerError(`${path} is not a tsbpf pin record`);
    const value = new Uint8Array(info.valueSize);
    if (!mapLookup(fd.fd, new Uint8Array(4), value)) throw new TracerError(`${path} is empty`);
    const end = value.indexOf(0);
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(end < 0 ? value : value.subarray(0, end)));
    } catch {
      throw new TracerError(`${path} is not a tsbpf pin record (not JSON)`);
    }
    return checkRecord(parsed, path);
  } finally {
    fd.close();
  }
}

/** A pinned object that must be a map (a program or link pinned in its place is refused). */
export function openPinnedMap(path: string, label: string) {
  const fd = objGet(path, label);
  if (readlink(`/proc/self/fd/${fd.fd}`) !== "anon_inode:bpf-map") {
    fd.close();
    throw new TracerError(`${path} is not a BPF map`);
  }
  return fd;
}

function checkRecord(v: unknown, path: string): PinRecord {
  const bad = (what: string): never => {
    throw new TracerError(`${path} is not a tsbpf pin record: ${what}`);
  };
  const r = v as PinRecord;
  if (typeof r !== "object" || r === null) bad("not an object");
  if (r.kind !== "map" && r.kind !== "tracer") bad("kind");
  for (const k of ["created", "tracer", "file"] as const) if (typeof r[k] !== "string" || CONTROL.test(r[k]) || r[k].length > 4096) bad(k);
  if (!Number.isSafeInteger(r.pid)) bad("pid");
  if (!Array.isArray(r.maps) || !Array.isArray(r.programs)) bad("maps or programs");
  r.maps.forEach((m, i) => {
    if (m.file !== undefined && !(typeof m.file === "string" && PIN_FILE.test(m.file))) bad(`maps[${i}].file`);
    if (m.pin !== undefined && !isPinName(m.pin)) bad(`maps[${i}].pin`);
    if (!Number.isSafeInteger(m.maxEntries) || typeof m.fingerprint !== "string") bad(`maps[${i}]`);
    try {
      validateMapSpec(m.spec, `maps[${i}].spec`);
    } catch (e) {
      bad((e as Error).message);
    }
  });
  r.programs.forEach((p, i) => {
    if (typeof p.handler !== "string" || typeof p.probe !== "string" || CONTROL.test(p.handler + p.probe) || !Array.isArray(p.links)) bad(`programs[${i}]`);
    for (const l of p.links) if (typeof l !== "string" || !PIN_FILE.test(l)) bad(`programs[${i}].links`);
  });
  return r;
}

/** The pins a record names in its directory (not the record itself). */
export function pinFiles(r: PinRecord): string[] {
  return [...r.maps.flatMap((m) => (m.file ? [m.file] : [])), ...r.programs.flatMap((p) => p.links)];
}

/** What must match for a pinned map to be reused: its kind, key and value types, and entries. */
export function layoutFingerprint(spec: MapSpec, maxEntries: number): string {
  const text = JSON.stringify([spec.kind, spec.key ?? null, spec.value ?? null, spec.userKey ?? null, spec.linear ?? null, maxEntries]);
  // FNV-1a, 64 bits: a short name for the layout (the layouts themselves are compared in full).
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(text)) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, "0");
}

/** A layout as a reader would write it: `hash<{ pid: u32, comm: Str<16> }, u64>, 10240 entries`. */
export function layoutText(spec: MapSpec, maxEntries: number): string {
  const types = (spec.userKey ? [spec.userKey] : spec.key && spec.key.kind !== "void" && !isAggregation(spec) ? [spec.key] : []).concat(isAggregation(spec) ? [] : spec.value ? [spec.value] : []);
  const linear = spec.linear ? `(${spec.linear.min}, ${spec.linear.max}, ${spec.linear.step})` : "";
  return `${spec.kind}${linear}${types.length ? `<${types.map(typeText).join(", ")}>` : ""}, ${maxEntries} entries`;
}

function isAggregation(spec: MapSpec): boolean {
  return ["count", "sum", "min", "max", "avg", "stats", "hist", "lhist"].includes(spec.kind);
}

function typeText(t: Type): string {
  if (t.kind === "struct" && !t.tuple) return `{ ${t.fields.map((f) => `${f.name}: ${typeText(f.type)}`).join(", ")} }`;
  if (t.kind === "struct") return `[${t.fields.map((f) => typeText(f.type)).join(", ")}]`;
  return typeName(t);
}
