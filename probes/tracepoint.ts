// @tracepoint("category:name"): static kernel tracepoints, attached through perf_event_open
// and a BPF link, so the attachment dies with the process.
import { ProbeLookupError, type ProbeContext } from "../compiler/target.ts";
import { closest } from "../compiler/diagnostics.ts";
import { ProgType, AttachType, linkCreate } from "../runtime/bpf.ts";
import { perfEventOpen, PerfType } from "../runtime/perf.ts";
import { readTextFile } from "../runtime/files.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { tracefs } from "./tracefs.ts";
import { FormatError, parseFormat, type TracepointFormat } from "./tracepoint_format.ts";

const formats = new Map<string, TracepointFormat>();

function split(target: string): [string, string] {
  const parts = target.split(":");
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new ProbeLookupError(`"${target}" is not a tracepoint name`, [`write it as "category:name", e.g. "syscalls:sys_enter_openat"`]);
  }
  return [parts[0], parts[1]];
}

export function tracepointFormat(target: string): TracepointFormat {
  const cached = formats.get(target);
  if (cached) return cached;
  const [category, name] = split(target);
  const text = readTextFile(`${tracefs()}/events/${category}/${name}/format`);
  if (text === undefined) {
    throw new ProbeLookupError(`unknown tracepoint "${target}"`, suggestions(target));
  }
  let format: TracepointFormat;
  try {
    format = parseFormat(text, category === "syscalls");
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    throw new ProbeLookupError(`the format file of tracepoint "${target}" cannot be read: ${e.message}`, [`check ${tracefs()}/events/${category}/${name}/format`]);
  }
  formats.set(target, format);
  return format;
}

/** Every tracepoint of this kernel, as "category:name". */
export function listTracepoints(): string[] {
  const text = readTextFile(`${tracefs()}/available_events`) ?? "";
  return text.split("\n").filter(Boolean);
}

function suggestions(target: string): string[] {
  const near = closest(target, listTracepoints());
  const hints = near.length ? [`did you mean ${near.map((n) => `"${n}"`).join(" or ")}?`] : [];
  return [...hints, "list them with: tsbpf list 'syscalls:*'"];
}

export const tracepointProbe = {
  kind: "tracepoint",
  context(target: string): ProbeContext {
    return { progType: ProgType.TRACEPOINT, fields: tracepointFormat(target).fields, describe: `tracepoint ${target}` };
  },
  /** Opens the tracepoint's perf event and links the program to it; the link owns the attachment. */
  attach(progFd: number, target: string): OwnedFd[] {
    const { id } = tracepointFormat(target);
    const event = perfEventOpen({ type: PerfType.TRACEPOINT, config: BigInt(id), label: target });
    try {
      return [linkCreate(progFd, event.fd, AttachType.PERF_EVENT, target), event];
    } catch (e) {
      event.close();
      throw e;
    }
  },
};
