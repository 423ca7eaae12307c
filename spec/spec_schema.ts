// Tracer specs read back from disk (the compile cache; bundles) are data another party may have
// written: each is checked against the shape the compiler produces (types, ranges, names)
// before anything uses it. What passes is a TracerSpec; anything else is a SpecSchemaError
// naming the first wrong field.
import { type MapSpec, type ProgramSpec, type TracerSpec, UNITS } from "./tracer_spec.ts";
import type { StructType, Type } from "./layout.ts";
import { UserFacingError } from "./user_facing.ts";

export class SpecSchemaError extends UserFacingError {
  constructor(readonly where: string, what: string) {
    super(`${where}: ${what}`);
    this.name = "SpecSchemaError";
  }
}

/** A map kind's shape (spec/tracer_spec.ts MapKind); the map code refuses a kind it does not know. */
const MAP_KIND = /^[a-z][a-z0-9_]{0,31}$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]{0,199}$/;
const ASCII_IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Built only for a non-ASCII name: compiling Unicode property classes costs milliseconds. */
let unicodeIdentifier: RegExp | undefined;
/** Names that would reach an object's prototype if used as a key. */
const RESERVED = new Set(["__proto__", "constructor", "prototype"]);
/** Display-only text (C type names, tuple names, probe targets, file names): no control characters (Cc), bounded. */
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
const MAX_TEXT = 4096;
/** Larger than any map value, stack or program the kernel accepts. */
const MAX_SIZE = 1 << 30;
const MAX_DEPTH = 32;
const MAX_INSNS = 1_000_000;

/** `value` as TracerSpec[], or a SpecSchemaError. */
export function validateSpecs(value: unknown): TracerSpec[] {
  const list = array(value, "specs");
  list.forEach((s, i) => tracerSpec(s, `specs[${i}]`));
  return list as TracerSpec[];
}

function tracerSpec(v: unknown, at: string): void {
  const s = object(v, at, ["className", "file", "maps", "programs", "assumptions"]);
  identifier(s.className, `${at}.className`);
  text(s.file, `${at}.file`);
  const maps = array(s.maps, `${at}.maps`);
  maps.forEach((m, i) => mapSpec(m, `${at}.maps[${i}]`));
  const mapNames = new Set((maps as MapSpec[]).map((m) => m.name));
  const programs = array(s.programs, `${at}.programs`);
  programs.forEach((p, i) => programSpec(p, `${at}.programs[${i}]`, mapNames));
  // A ProgramArray's slots name programs of this tracer that are loaded, not attached.
  const targets = new Set((programs as ProgramSpec[]).filter((p) => p.tailCallTarget).map((p) => p.name));
  (maps as MapSpec[]).forEach((m, i) => m.slots?.forEach((slot, j) => {
    if (!targets.has(slot.program)) fail(`${at}.maps[${i}].slots[${j}].program`, "names no tail-call target of this tracer");
  }));
  if (s.assumptions !== undefined) array(s.assumptions, `${at}.assumptions`).forEach((a, i) => text(a, `${at}.assumptions[${i}]`));
}

/** `value` as a MapSpec (a pinned map's record: runtime/pin_meta.ts), or a SpecSchemaError. */
export function validateMapSpec(value: unknown, at: string): MapSpec {
  mapSpec(value, at);
  return value as MapSpec;
}

function mapSpec(v: unknown, at: string): void {
  const m = object(v, at, ["name", "kind", "key", "value", "userKey", "linear", "stackIndex", "size", "runtimeSize", "help", "unit", "metric", "slots"]);
  identifier(m.name, `${at}.name`);
  if (typeof m.kind !== "string" || !MAP_KIND.test(m.kind)) fail(`${at}.kind`, "not a map kind");
  for (const k of ["key", "value", "userKey"] as const) if (m[k] !== undefined) type(m[k], `${at}.${k}`, 0);
  if (m.linear !== undefined) {
    const l = object(m.linear, `${at}.linear`, ["min", "max", "step"]);
    for (const k of ["min", "max", "step"]) integer(l[k], `${at}.linear.${k}`, -(2 ** 53), 2 ** 53);
  }
  if (m.stackIndex !== undefined) integer(m.stackIndex, `${at}.stackIndex`, 0, 1 << 16);
  if (m.size !== undefined) integer(m.size, `${at}.size`, 0, 2 ** 53);
  if (m.runtimeSize !== undefined && m.runtimeSize !== true) fail(`${at}.runtimeSize`, "must be true when present");
  if (m.slots !== undefined) {
    array(m.slots, `${at}.slots`).forEach((slot, i) => {
      const o = object(slot, `${at}.slots[${i}]`, ["index", "program"]);
      integer(o.index, `${at}.slots[${i}].index`, 0, 1 << 16);
      identifier(o.program, `${at}.slots[${i}].program`);
    });
  }
  // What the exporters print: HELP text, and names that become part of a metric's name.
  if (m.help !== undefined) text(m.help, `${at}.help`);
  if (m.unit !== undefined && !(typeof m.unit === "string" && m.unit in UNITS)) fail(`${at}.unit`, "not a unit");
  if (m.metric !== undefined && !(typeof m.metric === "string" && METRIC_NAME.test(m.metric))) fail(`${at}.metric`, "not a metric name");
}

function programSpec(v: unknown, at: string, mapNames: Set<string>): void {
  const p = object(v, at, [
    "name", "probe", "progType", "expectedAttachType", "attachBtfId", "insns", "relocs", "lines", "stackSize", "syscallsRun", "mayDrop", "line", "column", "tailCallTarget",
  ]) as Record<keyof ProgramSpec, unknown>;
  identifier(p.name, `${at}.name`);
  const probe = object(p.probe, `${at}.probe`, ["kind", "target", "method"]);
  identifier(probe.kind, `${at}.probe.kind`);
  text(probe.target, `${at}.probe.target`);
  if (probe.method !== undefined) identifier(probe.method, `${at}.probe.method`);
  integer(p.progType, `${at}.progType`, 0, 1 << 16);
  if (p.expectedAttachType !== undefined) integer(p.expectedAttachType, `${at}.expectedAttachType`, 0, 1 << 16);
  if (p.mayDrop !== undefined && typeof p.mayDrop !== "boolean") fail(`${at}.mayDrop`, "not a boolean");
  if (p.attachBtfId !== undefined) integer(p.attachBtfId, `${at}.attachBtfId`, 0, 2 ** 32 - 1);
  if (typeof p.insns !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(p.insns) || p.insns.length % 4 !== 0) fail(`${at}.insns`, "not base64");
  const count = ((p.insns.length / 4) * 3 - (p.insns.match(/=*$/)![0].length)) / 8;
  if (!Number.isInteger(count) || count < 1 || count > MAX_INSNS) fail(`${at}.insns`, "not a whole number of instructions");
  array(p.relocs, `${at}.relocs`).forEach((r, i) => {
    const o = object(r, `${at}.relocs[${i}]`, ["insn", "map"]);
    integer(o.insn, `${at}.relocs[${i}].insn`, 0, count - 2); // a map load takes two instruction slots
    if (typeof o.map !== "string" || !mapNames.has(o.map)) fail(`${at}.relocs[${i}].map`, "names no map of this tracer");
  });
  array(p.lines, `${at}.lines`).forEach((l, i) => {
    const o = object(l, `${at}.lines[${i}]`, ["insn", "line", "column"]);
    integer(o.insn, `${at}.lines[${i}].insn`, 0, count - 1);
    integer(o.line, `${at}.lines[${i}].line`, 0, 2 ** 31);
    integer(o.column, `${at}.lines[${i}].column`, 0, 2 ** 31);
  });
  integer(p.stackSize, `${at}.stackSize`, 0, 512);
  if (p.syscallsRun !== undefined) integer(p.syscallsRun, `${at}.syscallsRun`, 0, 2 ** 16);
  integer(p.line, `${at}.line`, 0, 2 ** 31);
  integer(p.column, `${at}.column`, 0, 2 ** 31);
  if (p.tailCallTarget !== undefined && p.tailCallTarget !== true) fail(`${at}.tailCallTarget`, "not true");
}

function type(v: unknown, at: string, depth: number): void {
  if (depth > MAX_DEPTH) fail(at, "nested too deeply");
  const kind = (v as { kind?: unknown } | null)?.kind;
  switch (kind) {
    case "int": {
      const t = object(v, at, ["kind", "bits", "signed", "stack", "probeName", "cgroup", "ksym"]);
      if (![8, 16, 32, 64].includes(t.bits as number)) fail(`${at}.bits`, "not 8, 16, 32 or 64");
      boolean(t.signed, `${at}.signed`);
      if (t.stack !== undefined && t.stack !== "kernel" && t.stack !== "user") fail(`${at}.stack`, 'not "kernel" or "user"');
      if (t.probeName !== undefined) boolean(t.probeName, `${at}.probeName`);
      if (t.cgroup !== undefined) boolean(t.cgroup, `${at}.cgroup`);
      if (t.ksym !== undefined) boolean(t.ksym, `${at}.ksym`);
      if ((t.stack !== undefined || t.probeName || t.cgroup || t.ksym) && t.bits !== 64) fail(at, "a stack, probe, cgroup id or kernel address is 64 bits");
      return;
    }
    case "bool": case "void":
      object(v, at, ["kind"]);
      return;
    case "str":
      integer(object(v, at, ["kind", "len"]).len, `${at}.len`, 1, MAX_SIZE);
      return;
    case "ptr": {
      const t = object(v, at, ["kind", "space", "cType", "btfId"]);
      if (!["user", "kernel", "either"].includes(t.space as string)) fail(`${at}.space`, "not a memory space");
      text(t.cType, `${at}.cType`);
      if (t.btfId !== undefined) integer(t.btfId, `${at}.btfId`, 0, 2 ** 32 - 1);
      return;
    }
    case "array": {
      const t = object(v, at, ["kind", "elem", "len"]);
      integer(t.len, `${at}.len`, 0, MAX_SIZE);
      type(t.elem, `${at}.elem`, depth + 1);
      return;
    }
    case "struct": return struct(v, at, depth);
    default: fail(`${at}.kind`, "not a type kind");
  }
}

/** compiler/collect.ts's name for an object type written inline. */
const ANONYMOUS_STRUCT = "(anonymous)";

function struct(v: unknown, at: string, depth: number): void {
  const t = object(v, at, ["kind", "name", "fields", "size", "align", "tuple", "usym", "inet"]) as Record<keyof StructType, unknown>;
  if (t.tuple !== undefined) boolean(t.tuple, `${at}.tuple`);
  if (t.usym !== undefined) boolean(t.usym, `${at}.usym`);
  if (t.inet !== undefined) boolean(t.inet, `${at}.inet`);
  if (t.tuple) text(t.name, `${at}.name`);
  // An inline object type (RingBuf<{ pid: u32 }>) is named by the compiler, not the script.
  else if (t.name !== ANONYMOUS_STRUCT) identifier(t.name, `${at}.name`);
  integer(t.size, `${at}.size`, 1, MAX_SIZE);
  if (![1, 2, 4, 8].includes(t.align as number)) fail(`${at}.align`, "not 1, 2, 4 or 8");
  const seen = new Set<string>();
  array(t.fields, `${at}.fields`).forEach((f, i) => {
    const where = `${at}.fields[${i}]`;
    const o = object(f, where, ["name", "type", "offset"]);
    if (t.tuple ? o.name !== String(i) : !isIdentifier(o.name)) fail(`${where}.name`, t.tuple ? `not "${i}"` : "not an identifier");
    if (seen.has(o.name as string)) fail(`${where}.name`, "repeated");
    seen.add(o.name as string);
    type(o.type, `${where}.type`, depth + 1);
    integer(o.offset, `${where}.offset`, 0, (t.size as number) - sizeOfChecked(o.type as Type));
  });
}

/** The size of a type already checked (the compiler's sizeOf, restated so this file stands alone). */
function sizeOfChecked(t: Type): number {
  switch (t.kind) {
    case "int": return t.bits / 8;
    case "bool": return 1;
    case "ptr": return 8;
    case "str": return t.len;
    case "array": return sizeOfChecked(t.elem) * t.len;
    case "struct": return t.size;
    case "void": return 0;
  }
}

function isIdentifier(v: unknown): boolean {
  if (typeof v !== "string" || v.length > 256 || RESERVED.has(v)) return false;
  if (ASCII_IDENTIFIER.test(v)) return true;
  unicodeIdentifier ??= new RegExp("^[\\p{ID_Start}_$][\\p{ID_Continue}$\\u200c\\u200d]*$", "u");
  return /[^\x00-\x7f]/.test(v) && unicodeIdentifier.test(v);
}

function identifier(v: unknown, at: string): void {
  if (!isIdentifier(v)) fail(at, "not an identifier");
}

function text(v: unknown, at: string): void {
  if (typeof v !== "string" || v.length > MAX_TEXT || CONTROL.test(v)) fail(at, "not a printable string");
}

function boolean(v: unknown, at: string): void {
  if (typeof v !== "boolean") fail(at, "not true or false");
}

function integer(v: unknown, at: string, min: number, max: number): void {
  if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max) fail(at, `not an integer in ${min}..${max}`);
}

function array(v: unknown, at: string): unknown[] {
  if (!Array.isArray(v)) fail(at, "not an array");
  return v as unknown[];
}

/** A plain object with no keys but `allowed`. */
function object(v: unknown, at: string, allowed: string[]): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(at, "not an object");
  for (const k of Object.keys(v as object)) if (!allowed.includes(k)) fail(`${at}.${k}`, "unexpected field");
  return v as Record<string, unknown>;
}

function fail(at: string, what: string): never {
  throw new SpecSchemaError(at, what);
}
