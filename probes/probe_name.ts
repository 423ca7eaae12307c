// A probe's name as bpftrace spells it ("kprobe:tcp_connect", "tracepoint:sched:sched_switch",
// "rawtracepoint:sys_enter", "profile:hz:99"): what probe() shows and funccount prints.
const SPELLING: Record<string, string> = { rawTracepoint: "rawtracepoint", tpBtf: "rawtracepoint" };

export function probeName(kind: string, target: string): string {
  if (kind === "profile") return `profile:hz:${target}`;
  return `${SPELLING[kind] ?? kind}:${target}`;
}
