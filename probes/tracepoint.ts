// @tracepoint("category:name"): static kernel tracepoints, attached through perf_event_open
// and a BPF link, so the attachment dies with the process.
//
// A wildcard ("syscalls:sys_enter_*") attaches one program to every match, each link with its
// own attach cookie for probe(). The records of different tracepoints differ, so its handler
// reads only the fields every match has alike (same name, offset, size and type): the common_*
// header, and for syscalls:sys_enter_* also __syscall_nr (sys_exit_*: ret). Many syscall
// tracepoints are attached once instead, through raw_syscalls (./tracepoint_syscalls.ts).
import { type ContextField, ProbeLookupError, type ProbeContext, SYSCALL_EXIT_INDEX } from "../spec/target.ts";
import { closest } from "../spec/diagnostics.ts";
import { ProgType, AttachType, linkCreate } from "../runtime/bpf.ts";
import { perfEventOpen, PerfType } from "../runtime/perf.ts";
import { readTextFile } from "../runtime/files.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { tracefs } from "./tracefs.ts";
import { tracepointName } from "./names.ts";
import { attachEach, expandWildcard, isWildcard } from "./wildcard.ts";
import { verbose } from "../runtime/verbose.ts";
import { SyscallError } from "../runtime/errors.ts";
import { attachError } from "./errors.ts";
import { type DynamicEvent, dynamicEvents, notATracepoint } from "./dynamic_event.ts";
import { rawSyscalls, syscallArguments } from "./tracepoint_syscalls.ts";

/** Attachments per wildcard: one perf event and link each, and detaching takes milliseconds each. */
const MAX_TRACEPOINTS = 1000;
import { TracepointFormatError, parseFormat, type TracepointFormat } from "./tracepoint_format.ts";

const formats = new Map<string, TracepointFormat>();


/** `made`: the dynamic events (dynamicEvents()), when the caller read them once for several tracepoints. */
export function tracepointFormat(target: string, made?: Map<string, DynamicEvent>): TracepointFormat {
  const cached = formats.get(target);
  if (cached) return cached;
  // Checked before the path is built: a name with "/" or ".." would read another tracepoint.
  const [category, name] = tracepointName(target);
  const text = takeFormatText(target) || readTextFile(`${tracefs()}/events/${category}/${name}/format`);
  if (text === undefined) {
    throw new ProbeLookupError(`unknown tracepoint "${target}"`, suggestions(target));
  }
  const event = (made ?? dynamicEvents()).get(`${category}:${name}`);
  if (event) throw notATracepoint(target, event);
  let format: TracepointFormat;
  try {
    format = parseFormat(text, category === "syscalls");
  } catch (e) {
    if (!(e instanceof TracepointFormatError)) throw e;
    throw new ProbeLookupError(`the format file of tracepoint "${target}" cannot be read: ${e.message}`, [`check ${tracefs()}/events/${category}/${name}/format`]);
  }
  formats.set(target, format);
  return format;
}

/**
 * The format files read for the compile cache (formatFields), kept until the compile parses them
 * or the attach takes their id: each tracepoint's files are read once per start, and a compile
 * works from the text its cache entry is checked against.
 */
const formatTexts = new Map<string, string>();

/** The format text formatFields read for `target`, if it is still kept: the compile or the attach uses it once. */
function takeFormatText(target: string): string | undefined {
  const text = formatTexts.get(target);
  formatTexts.delete(target);
  return text;
}

/**
 * The field lines of the format of each tracepoint `target` names, unparsed: what a compiled
 * program reads at which offsets. A module's tracepoints change with the module, not with the
 * kernel's build (a DKMS module loaded again at another version), so the compile cache compares
 * them at every start. syscalls:* come from the kernel's own syscall table (no module adds to
 * it), so its build ID covers them, and a wildcard over them reads none of their 300-odd formats.
 */
export function formatFields(target: string): string {
  // A syscall wildcard's program is compiled for raw_syscalls or for one attachment per match,
  // and attached the way rawSyscallsOf decides then: what it reads outside the build goes in too.
  if (target.startsWith("syscalls:")) {
    try {
      return isWildcard(target) ? rawSyscallsShown() : "";
    } catch {
      return ""; // no tracefs: the compile reports it, at the decorator
    }
  }
  try {
    return tracepointTargets(target).filter((name) => !name.startsWith("syscalls:")).map((name) => {
      const [category, event] = tracepointName(name);
      const text = readTextFile(`${tracefs()}/events/${category}/${event}/format`) ?? "";
      formatTexts.set(name, text);
      const start = text.indexOf("\nformat:"), end = text.indexOf("\nprint fmt:");
      return `${name}${start < 0 ? text : text.slice(start, end < start ? undefined : end)}`;
    }).join("\n");
  } catch {
    return ""; // a name or tracefs the compile reports, at the decorator
  }
}

/**
 * The tracepoint's id, which is all perf_event_open needs: read from its one-line id file, so a
 * start whose program is compiled already (a cache hit) does not parse the format.
 */
export function tracepointId(target: string): number {
  const known = formats.get(target);
  if (known) return known.id;
  const read = takeFormatText(target);
  const id = read === undefined ? undefined : /^ID: (\d{1,9})$/m.exec(read);
  if (id) return Number(id[1]);
  const [category, name] = tracepointName(target);
  const text = readTextFile(`${tracefs()}/events/${category}/${name}/id`)?.trim();
  // Missing or odd: the format says why (unknown tracepoint, with suggestions).
  return text !== undefined && /^\d{1,9}$/.test(text) ? Number(text) : tracepointFormat(target).id;
}

/** Every tracepoint of this kernel, as "category:name". */
export function listTracepoints(): string[] {
  const text = readTextFile(`${tracefs()}/available_events`) ?? "";
  return text.split("\n").filter(Boolean);
}

function suggestions(target: string): string[] {
  const all = listTracepoints();
  const near = closest(target, all);
  const hints = near.length ? [`did you mean ${near.map((n) => `"${n}"`).join(" or ")}?`] : [];
  return [...hints, listHint(target, all)];
}

/** Where to look: the tracepoints of the category the target names, or every category when there is no such one. */
function listHint(target: string, all: string[]): string {
  const category = target.split(":")[0];
  const categories = new Set(all.map((t) => t.split(":")[0]));
  if (categories.has(category)) return `list them with: tsbpf list '${category}:*'`;
  const near = closest(category, [...categories]);
  return `there is no category "${category}"${near.length ? ` (did you mean ${near.map((n) => `"${n}"`).join(" or ")}?)` : ""}; list every tracepoint with: tsbpf list 'tracepoint:*'`;
}

/** The tracepoints a target names: itself, or a wildcard's matches. */
export function tracepointTargets(target: string): string[] {
  if (!isWildcard(target)) return [tracepointName(target).join(":")];
  tracepointName(target, true);
  const all = listTracepoints();
  // Events made through tracefs match too, and no tracepoint program runs on them.
  const made = dynamicEvents();
  const tracepoints = all.filter((t) => !made.has(t));
  return expandWildcard(target, tracepoints, "tracepoint", MAX_TRACEPOINTS, listHint(target, all));
}

/** The fields every one of these tracepoints has at the same place with the same type. */
function sharedFields(targets: string[]): ContextField[] {
  const key = (f: ContextField) => `${f.name}/${f.offset}/${f.size}/${f.kind}/${f.cType}/${f.space}/${f.signed}`;
  const made = dynamicEvents();
  let shared = tracepointFormat(targets[0], made).fields;
  for (const t of targets.slice(1)) {
    const keys = new Set(tracepointFormat(t, made).fields.map(key));
    shared = shared.filter((f) => keys.has(key(f)));
  }
  return shared;
}

export const tracepointProbe = {
  kind: "tracepoint",
  context(target: string): ProbeContext {
    if (!isWildcard(target)) return { progType: ProgType.TRACEPOINT, fields: tracepointFormat(target).fields, describe: `tracepoint ${target}` };
    const targets = tracepointTargets(target);
    const raw = rawSyscallsOf(targets);
    const shared = sharedFields(targets);
    // Arguments by the syscall's number: on one side (an entry's and an exit's records differ).
    const fields = raw?.events.length === 1 ? [...shared, ...syscallArguments(targets.map((t) => tracepointFormat(t).fields), raw.numbers, shared)] : shared;
    verbose(`tracepoint ${target}: ${targets.length} tracepoints, one program${raw ? `, attached once to ${attachedTo(raw.events)}` : ""}; the fields they share: ${shared.map((f) => f.name).join(", ")}`);
    const matchesWith = (field: string) => targets.filter((t) => tracepointFormat(t).fields.some((f) => f.name === field));
    return { progType: ProgType.TRACEPOINT, fields, multi: true, syscalls: raw?.numbers, matchesWith, describe: `tracepoint ${target} (${targets.length} tracepoints${raw ? `, attached once to ${attachedTo(raw.events)}` : ""})` };
  },
  targets: tracepointTargets,
  probeIndexes: (target: string, targets: string[]) => (isWildcard(target) ? rawSyscallsOf(targets)?.numbers : undefined),
  cacheInput: formatFields,
  /**
   * Opens each tracepoint's perf event and links the program to it; the link owns the attachment.
   * A wildcard's i-th match gets the attach cookie `cookie + i`.
   */
  attach(progFd: number, target: string, _progType?: number, _options?: unknown, cookie = 0n): OwnedFd[] {
    const multi = isWildcard(target);
    const targets = tracepointTargets(target);
    // One attachment for a syscall wildcard's matches; the program tells them apart by number.
    const raw = multi ? rawSyscallsOf(targets) : undefined;
    if (raw) {
      verbose(`tracepoint ${target}: ${targets.length} tracepoints attached once, to ${attachedTo(raw.events)}`);
      // Entries and exits: the exit's attachment says so in its cookie (probe() and the filter read it).
      return raw.events.flatMap((event) => attachOne(progFd, event, event.endsWith("_exit") && raw.events.length === 2 ? cookie + BigInt(SYSCALL_EXIT_INDEX) : cookie));
    }
    return attachEach(targets, (name, i) => attachOne(progFd, name, multi ? cookie + BigInt(i) : undefined));
  },
};

function attachOne(progFd: number, name: string, cookie: bigint | undefined): OwnedFd[] {
  const id = tracepointId(name);
  const event = perfEventOpen({ type: PerfType.TRACEPOINT, config: BigInt(id), label: name });
  try {
    return [linkCreate(progFd, event.fd, AttachType.PERF_EVENT, name, cookie), event];
  } catch (e) {
    event.close();
    throw e instanceof SyscallError && e.errno === E2BIG ? tooManyPrograms(name) : e;
  }
}

/** The running kernel's architecture: what it is for as long as it runs. */
let arch: string | undefined;

/** A syscall wildcard's one attachment (probes/tracepoint_syscalls.ts), on an x86-64 kernel with raw_syscalls. */
function rawSyscallsOf(targets: string[]): { events: string[]; numbers: number[] } | undefined {
  const raw = rawSyscalls(targets);
  if (!raw || (arch ??= readTextFile("/proc/sys/kernel/arch")?.trim()) !== "x86_64") return undefined;
  return raw.events.every((event) => readTextFile(`${tracefs()}/events/${event.replace(":", "/")}/id`) !== undefined) ? raw : undefined;
}

/**
 * What rawSyscallsOf reads that the kernel's build does not fix: whether tracefs shows
 * raw_syscalls' two events here (a container's tracefs, a mount over it), and the architecture.
 */
function rawSyscallsShown(): string {
  arch ??= readTextFile("/proc/sys/kernel/arch")?.trim();
  const shown = ["sys_enter", "sys_exit"].filter((e) => readTextFile(`${tracefs()}/events/raw_syscalls/${e}/id`) !== undefined);
  return `raw_syscalls ${arch} ${shown.join(",")}`;
}

/** "raw_syscalls:sys_exit", or both sides: "raw_syscalls:sys_enter and raw_syscalls:sys_exit". */
function attachedTo(events: string[]): string {
  return events.join(" and ");
}

const E2BIG = 7;
/** The kernel's limit on programs per tracepoint (BPF_TRACE_MAX_PROGS), shared by every process. */
const MAX_PROGRAMS_PER_TRACEPOINT = 64;

function tooManyPrograms(name: string): unknown {
  return attachError(`tracepoint ${name}`, new ProbeLookupError(
    `the kernel runs at most ${MAX_PROGRAMS_PER_TRACEPOINT} BPF programs on one tracepoint (BPF_TRACE_MAX_PROGS), and ${name} has that many already (BPF_LINK_CREATE: E2BIG)`,
    [`the limit counts every process's programs: see them with \`bpftool perf list\`, and stop tracers you no longer need`,
      "handlers of one tracer on the same tracepoint are one program each: merge them into one method"],
  ));
}
