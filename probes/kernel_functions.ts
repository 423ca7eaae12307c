// Which kernel functions a kprobe can name: the kernel's text symbols (/proc/kallsyms), narrowed
// to what ftrace can trace (available_filter_functions: no notrace, no inlined copies) and what
// kprobes allow (the kprobe blacklist), where those files are readable. Read once per process.
import { readTextFile } from "../runtime/files.ts";
import { tracefs } from "./tracefs.ts";

let symbols: Set<string> | undefined;
let traceable: string[] | undefined;

/** Names of the kernel's own (vmlinux) functions in /proc/kallsyms, `.isra.0` copies included. */
export function kernelTextSymbols(): Set<string> {
  if (symbols) return symbols;
  symbols = new Set();
  for (const m of (readTextFile("/proc/kallsyms") ?? "").matchAll(/^[0-9a-f]+ [tTwW] ([^\s]+)$/gm)) symbols.add(m[1]);
  return symbols;
}

/** The kernel's own functions a wildcard may attach to (modules' functions are left out). */
export function traceableFunctions(): string[] {
  if (traceable) return traceable;
  const blacklist = new Set((readTextFile("/sys/kernel/debug/kprobes/blacklist") ?? "").split("\n").map((l) => l.split(/\s+/)[1]).filter(Boolean));
  let ftrace: string | undefined;
  try {
    ftrace = readTextFile(`${tracefs()}/available_filter_functions`);
  } catch { /* no tracefs: kallsyms alone */ }
  const names = ftrace !== undefined
    ? ftrace.split("\n").filter((l) => l && !l.includes("[")).map((l) => l.trim())
    : [...kernelTextSymbols()];
  // __pfx_ symbols are padding before functions, not functions.
  traceable = names.filter((n) => !blacklist.has(n) && !n.startsWith("__pfx_"));
  return traceable;
}

/** The compiler's specialised copies of a function (`tcp_foo.isra.0`, `.constprop.0`, `.part.0`). */
export function specialisedCopies(name: string): string[] {
  const prefix = `${name}.`;
  return [...kernelTextSymbols()].filter((s) => s.startsWith(prefix) && /^\.(isra|constprop|part|lto_priv)\.\d+(\.(isra|constprop|part)\.\d+)*$/.test(s.slice(name.length))).sort();
}
