// override(value) in a @kprobe handler: bpf_override_return, which makes the probed function
// return `value` without running. The kernel allows it only on functions marked
// ALLOW_ERROR_INJECTION (listed in debugfs's error_injection/list, with what they may return),
// only from a kprobe at the function's entry, and only when built with CONFIG_BPF_KPROBE_OVERRIDE.
// The rules, decided from the list's text and whether the kernel has the helper (no syscalls
// here: probes/kprobe.ts reads the facts, the fake compile target supplies its own).
import { closest } from "../spec/diagnostics.ts";
import { OverrideRefusedError } from "../spec/target.ts";

export const ERROR_INJECTION_LIST = "/sys/kernel/debug/error_injection/list";

/** What the kernel says about fault injection. */
export interface OverrideFacts {
  /** The kernel has bpf_override_return (CONFIG_BPF_KPROBE_OVERRIDE). */
  helper: boolean;
  /** The text of the error injection list, undefined when the kernel has none (no CONFIG_FUNCTION_ERROR_INJECTION). */
  list: string | undefined;
}

/** The error injection list: function → what it may be made to return (ERRNO, NULL, ERRNO_NULL, TRUE). */
export function parseErrorInjectionList(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const [fn, type] = line.trim().split(/\s+/);
    if (fn) out.set(fn, type ?? "");
  }
  return out;
}

/**
 * The kind of value `target` may be made to return (e.g. "ERRNO"), or an OverrideRefusedError saying
 * why a handler of this flavour on it cannot call override().
 */
export function overrideAllowed(flavour: string, target: string, wildcard: boolean, facts: OverrideFacts): string | OverrideRefusedError {
  if (flavour !== "kprobe") {
    return new OverrideRefusedError(`override() works only in a @kprobe handler, which runs at the function's entry; this is a @${flavour} handler`,
      [`use @kprobe("${target}") to make the function return a value of your choosing`]);
  }
  if (wildcard) {
    return new OverrideRefusedError(`override() needs one function, not a wildcard ("${target}")`, ["name the function: @kprobe(\"__x64_sys_openat\")"]);
  }
  if (!facts.helper) {
    return new OverrideRefusedError(`this kernel cannot override return values: it was built without CONFIG_BPF_KPROBE_OVERRIDE (which needs CONFIG_FUNCTION_ERROR_INJECTION), so bpf_override_return does not exist`,
      ["fault injection needs a kernel built with both options (e.g. Fedora's, Ubuntu's); Debian's stock kernels have neither"]);
  }
  if (facts.list === undefined) {
    return new OverrideRefusedError(`this kernel has no error injection list (${ERROR_INJECTION_LIST}): no function may be made to fail`,
      ["the list needs CONFIG_FUNCTION_ERROR_INJECTION, and debugfs mounted at /sys/kernel/debug"]);
  }
  const list = parseErrorInjectionList(facts.list);
  const type = list.get(target);
  if (type === undefined) {
    const near = closest(target, [...list.keys()]);
    return new OverrideRefusedError(`"${target}" is not in the kernel's error injection list (${ERROR_INJECTION_LIST}): the kernel lets override() change only functions marked ALLOW_ERROR_INJECTION`,
      near.length ? [`did you mean ${near.map((n) => `"${n}"`).join(" or ")}?`] : ["list them: cat /sys/kernel/debug/error_injection/list (system calls are there as __x64_sys_NAME)"]);
  }
  return type || "ERRNO";
}
