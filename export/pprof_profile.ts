// A pprof profile (perftools.profiles.Profile, github.com/google/pprof's proto/profile.proto)
// from symbolized samples: the string table, functions, locations and mappings they share, and
// the encoded message (not yet gzipped). Frames are named here, so readers need no binaries:
// every mapping says has_functions. Kernel frames sit in a mapping named as perf names the
// kernel ("[kernel.kallsyms]", a module as "[ext4]"), which is where pprof, Parca and Pyroscope
// users look for them; function names stay as the kernel spells them.
import type { Frame } from "../runtime/symbolize/frame.ts";
import { ProtoWriter } from "./protobuf.ts";
import { showBytes } from "../runtime/maps/byte_strings.ts";

export interface ValueType {
  type: string;
  unit: string;
}

export interface ProfileSample {
  /** Frames innermost first (the leaf is [0]), kernel frames before the user frames they were called from. */
  frames: readonly Frame[];
  /** One value per sample type. */
  values: readonly bigint[];
  /** Sample labels: strings as string labels, integers as numeric ones (pprof -tagfocus, -tags). */
  labels?: Readonly<Record<string, string | number | bigint>>;
}

export interface ProfileInput {
  sampleTypes: ValueType[];
  samples: readonly ProfileSample[];
  /** What one sample stands for (a CPU profile: cpu/nanoseconds, every 1e9/Hz). */
  periodType?: ValueType;
  period?: bigint;
  /** When profiling started (ns since the epoch) and for how long. */
  timeNanos?: bigint;
  durationNanos?: bigint;
  /** Which sample type pprof shows unless told otherwise (default: the last). */
  defaultSampleType?: string;
  comments?: string[];
}

interface Location {
  id: number;
  frame: Frame;
  mapping?: Mapping;
  functionId?: number;
}

interface Mapping {
  id: number;
  file: string;
  start: bigint;
  limit: bigint;
}

const SHARED_OBJECT = /\.so(\.[\d.]+)?( \(deleted\))?$/;

/** The mapping a frame belongs in, by the name perf and pprof users know. */
function mappingName(f: Frame): string | undefined {
  if (f.address === 0n) return undefined; // a marker frame ("[Missed Kernel Stack]"), no code
  if (f.kind === "kernel") return f.module === undefined ? "[kernel.kallsyms]" : `[${f.module}]`;
  return f.module;
}

/** The encoded Profile message (gzip it for a .pb.gz file). */
export function encodeProfile(input: ProfileInput): Uint8Array {
  const strings = new Map<string, number>([["", 0]]);
  // A kernel string's bytes that are not UTF-8 (a process name another user chose) as \xNN:
  // the string table must be UTF-8, and two such names must not read the same.
  const str = (raw: string) => {
    const s = showBytes(raw);
    let i = strings.get(s);
    if (i === undefined) strings.set(s, (i = strings.size));
    return i;
  };
  const functions = new Map<string, number>();
  const mappings = new Map<string, Mapping>();
  const locations: Location[] = [];
  // By address first (bigint keys compare by value), then the few frames sharing one.
  const byAddress = new Map<bigint, Location[]>();

  const locationOf = (f: Frame): number => {
    const file = mappingName(f);
    const same = byAddress.get(f.address);
    const known = same?.find((l) => l.frame.kind === f.kind && l.frame.name === f.name && l.mapping?.file === file);
    if (known) return known.id;
    let mapping: Mapping | undefined;
    if (file !== undefined) {
      mapping = mappings.get(file);
      if (!mapping) mappings.set(file, (mapping = { id: mappings.size + 1, file, start: f.address, limit: f.address + 1n }));
      if (f.address < mapping.start) mapping.start = f.address;
      if (f.address >= mapping.limit) mapping.limit = f.address + 1n;
    }
    let functionId: number | undefined;
    if (f.name !== undefined) {
      functionId = functions.get(f.name);
      if (functionId === undefined) functions.set(f.name, (functionId = functions.size + 1));
    }
    const location = { id: locations.length + 1, frame: f, mapping, functionId };
    locations.push(location);
    if (same) same.push(location);
    else byAddress.set(f.address, [location]);
    return location.id;
  };

  // pprof names a profile after its first mapping ("File: ..."): the executable its samples ran,
  // not the kernel, nor libc where a stack starts (__libc_start_main) or where it was caught.
  // A profile of several executables (the whole machine) has none: its first mapping names no
  // file, so that pprof does not present it as the profile of whichever came first.
  // A stack cut short in a library (no executable frame) counts only when no stack has one.
  const executables = new Map<string, Frame>(), libraries = new Map<string, Frame>();
  for (const s of input.samples) {
    const files = s.frames.filter((f) => f.kind === "user" && f.module !== undefined);
    const executable = files.findLast((f) => !SHARED_OBJECT.test(f.module!));
    const root = executable ?? files[files.length - 1];
    const file = root && mappingName(root);
    const found = executable ? executables : libraries;
    if (file !== undefined && !found.has(file)) found.set(file, root!);
  }
  const main = executables.size ? executables : libraries;
  if (main.size > 1) mappings.set("", { id: 1, file: "", start: 0n, limit: 0n });
  else for (const [file, root] of main) mappings.set(file, { id: 1, file, start: root.address, limit: root.address + 1n });
  const w = new ProtoWriter();
  const valueType = (t: ValueType) => (m: ProtoWriter) => {
    m.int(1, str(t.type));
    m.int(2, str(t.unit));
  };
  for (const t of input.sampleTypes) w.message(1, valueType(t));
  for (const s of input.samples) {
    if (s.values.length !== input.sampleTypes.length) throw new RangeError(`a sample has ${s.values.length} values for ${input.sampleTypes.length} sample types`);
    const ids = s.frames.map(locationOf);
    w.message(2, (m) => {
      m.packed(1, ids);
      m.packed(2, s.values);
      for (const [key, value] of Object.entries(s.labels ?? {})) {
        m.message(3, (l) => {
          l.int(1, str(key));
          if (typeof value === "string") l.int(2, str(value));
          else l.int(3, value);
        });
      }
    });
  }
  for (const m of mappings.values()) {
    w.message(3, (o) => {
      o.int(1, m.id);
      o.int(2, m.start);
      o.int(3, m.limit);
      o.int(5, str(m.file));
      o.int(7, true); // has_functions: named here, nothing for pprof to look up
    });
  }
  for (const l of locations) {
    w.message(4, (o) => {
      o.int(1, l.id);
      if (l.mapping) o.int(2, l.mapping.id);
      o.int(3, l.frame.address);
      if (l.functionId !== undefined) o.message(4, (line) => line.int(1, l.functionId!));
    });
  }
  for (const [name, id] of functions) {
    w.message(5, (o) => {
      o.int(1, id);
      o.int(2, str(name));
      o.int(3, str(name));
    });
  }
  // Everything that names a string is written above: the table is complete.
  const periodType = input.periodType && [str(input.periodType.type), str(input.periodType.unit)];
  const comments = (input.comments ?? []).map(str);
  const defaultType = input.defaultSampleType === undefined ? 0 : str(input.defaultSampleType);
  for (const s of strings.keys()) w.string(6, s);
  w.int(9, input.timeNanos ?? 0n);
  w.int(10, input.durationNanos ?? 0n);
  if (periodType) w.message(11, (m) => (m.int(1, periodType[0]), m.int(2, periodType[1])));
  w.int(12, input.period ?? 0n);
  w.packed(13, comments);
  w.int(14, defaultType);
  return w.finish();
}
