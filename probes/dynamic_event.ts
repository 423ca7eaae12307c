// Events made at run time through tracefs (uprobe_events, kprobe_events, synthetic events,
// eprobes, fprobes) sit beside the kernel's tracepoints in events/, with a format file of their
// own, but the kernel runs no tracepoint program on them: a uprobe or kprobe event takes only
// kprobe-type programs and the others none (perf_event_set_bpf_prog), so a link to one fails
// with a bare EINVAL. dynamic_events lists every one of them, whichever file made it.
import { ProbeLookupError } from "../spec/target.ts";
import { readTextFile } from "../runtime/files.ts";
import { tracefs } from "./tracefs.ts";

/** A dynamic_events line: "p:group/event /path:0xOFFSET args", "r:group/event function", "s:group/event fields"... */
export interface DynamicEvent {
  type: string;
  /** What it probes: "/path:0xOFFSET" (a uprobe), a kernel function (a kprobe), another event... */
  at: string;
}

/**
 * Every dynamic event, "category:name" to what it is: read again at each call, since events are
 * made and removed while a process runs (a service, a test runner) and only compiles and
 * wildcard expansions ask.
 */
export function dynamicEvents(): Map<string, DynamicEvent> {
  const events = new Map<string, DynamicEvent>();
  // Kernels before 5.0 have no dynamic_events; their tracefs events are kernel tracepoints or
  // fail at the link as before.
  for (const line of (readTextFile(`${tracefs()}/dynamic_events`) ?? "").split("\n")) {
    const m = /^(\w+):([^/\s]+)\/(\S+)\s*(\S*)/.exec(line);
    if (m) events.set(`${m[2]}:${m[3]}`, { type: m[1], at: m[4] });
  }
  return events;
}

/** Why a tracepoint handler cannot run on this dynamic event, and what to write instead. */
export function notATracepoint(target: string, event: DynamicEvent): ProbeLookupError {
  const ret = event.type.startsWith("r");
  if (event.type.startsWith("p") || ret) {
    const uprobe = /^(\/.*):(0x[0-9a-f]+)(?:\([^)]*\))?$/i.exec(event.at);
    const kind = uprobe ? (ret ? "uretprobe" : "uprobe") : (ret ? "kretprobe" : "kprobe");
    const file = uprobe ? "uprobe_events" : "kprobe_events";
    const hint = uprobe
      ? `put a @${kind} on ${uprobe[1]} at file offset ${uprobe[2]} instead: @${kind}("${uprobe[1]}:FUNCTION"), naming the function there`
      : `put a @${kind} on the same kernel function instead: @${kind}("${event.at}")`;
    return new ProbeLookupError(`"${target}" is a ${kind} event made through ${tracefs()}/${file}, not a kernel tracepoint: the kernel runs no tracepoint program on it`, [hint]);
  }
  return new ProbeLookupError(`"${target}" is an event made through ${tracefs()}/dynamic_events ("${event.type}:"), not a kernel tracepoint: the kernel runs no BPF program on it`,
    [event.at ? `attach to what it is made from instead (${event.at})` : "attach to the tracepoint or function it is made from instead"]);
}
