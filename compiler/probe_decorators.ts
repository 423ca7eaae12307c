// The probe decorators by name: what the parser-free parts of tsbpf (the runtime choosing which
// probe kinds to load, the one-liner hints) need to know of them without loading the parser.

/** Decorator name → probe kind. */
export const PROBE_DECORATORS: Record<string, string> = {
  tracepoint: "tracepoint", rawTracepoint: "rawTracepoint", tpBtf: "tpBtf", kprobe: "kprobe", kretprobe: "kretprobe", fentry: "fentry", fexit: "fexit",
  uprobe: "uprobe", uretprobe: "uretprobe", usdt: "usdt", profile: "profile", perfEvent: "perfEvent", interval: "interval",
  cgroupSkb: "cgroupSkb", socketFilter: "socketFilter", xdp: "xdp",
};
/**
 * Decorators with more than one string literal. "options": the string, then options such as a
 * pid that only exist at run time. "value": a number or object the handler's code does not
 * depend on (`@profile(hz)`); the runtime takes both from the decorator call itself.
 */
export const RUNTIME_ARGUMENTS: Record<string, "options" | "value"> = {
  uprobe: "options", uretprobe: "options", usdt: "options", profile: "value", perfEvent: "value", interval: "value",
  cgroupSkb: "options", xdp: "options",
};
