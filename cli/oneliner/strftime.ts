// bpftrace's strftime(format, nsecs) in a one-liner's printf: `strftime("%H:%M:%S", ktime())`.
// Every printed event carries its ktime() already (_t, for the order of lines), so the value
// sent is that time; user space turns it into the local wall-clock time and formats it (the
// kernel has no calendar). time() in begin/end/interval formats the present the same way.
import type { Node } from "../../compiler/parse.ts";
import { monotonicNs } from "../../runtime/monotonic.ts";

/** strftime's conversions tsbpf has: bpftrace users' common ones, and %f (microseconds, bpftrace's). */
const CONVERSIONS = "%Y %y %m %d %H %M %S %f %%";

/** The format of `strftime("...", ktime())`, reported where it is malformed; undefined for any other value. */
export function strftimeFormat(node: Node, t: { error(node: Node, message: string, ...hints: string[]): void }): string | undefined {
  if (node.type !== "CallExpression" || node.callee.type !== "Identifier" || node.callee.name !== "strftime") return undefined;
  const [format, when] = node.arguments;
  const now = when?.type === "CallExpression" && when.callee.type === "Identifier" && when.callee.name === "ktime" && !when.arguments.length;
  if (node.arguments.length !== 2 || format.type !== "StringLiteral" || !now) {
    t.error(node, `strftime() takes a format literal and ktime(): strftime("%H:%M:%S", ktime()), the time of the event`, "the time of another moment is not kept: print it as a number of nanoseconds");
    return "";
  }
  const bad = /%([^YymdHMSf%])/.exec(format.value);
  if (bad) t.error(format, `%${bad[1]} is not one of strftime()'s conversions in tsbpf (${CONVERSIONS})`);
  return format.value;
}

/**
 * bpftrace's time(format) in a probe as a printf of the event's time: each conversion a value of
 * its own, the rest the format's text (a newline in it is printed, not escaped as in a %s value).
 * Undefined when the call is malformed (reported).
 */
export function timeInProbe(node: Node, t: { error(node: Node, message: string, ...hints: string[]): void }) {
  const [format, ...more] = node.arguments;
  if (more.length || (format && format.type !== "StringLiteral")) {
    t.error(node, `time() takes a format literal, or none: time("%H:%M:%S ") (its default is "%H:%M:%S\\n")`);
    return undefined;
  }
  const text: string = format?.value ?? "%H:%M:%S\n";
  const conversions: string[] = [];
  const printfFormat = text.replace(/%(.?)/gs, (all: string, c: string) => {
    if (c === "%") return all;
    if (!c || !"YymdHMSf".includes(c)) t.error(format, `%${c} is not one of time()'s conversions in tsbpf (${CONVERSIONS})`);
    conversions.push(all);
    return "%s";
  });
  return { kind: "printf" as const, format: printfFormat, fields: conversions.map(() => "_t"), strftimes: Object.fromEntries(conversions.map((c, i) => [i, c])) };
}

/** The local time as `format` has it (`what`: the function, for the error of a conversion it lacks). */
export function localTime(format: string, d: Date, what = "strftime", micros = d.getMilliseconds() * 1000): string {
  const two = (n: number) => String(n).padStart(2, "0");
  const parts: Record<string, string> = {
    Y: String(d.getFullYear()), y: two(d.getFullYear() % 100), m: two(d.getMonth() + 1), d: two(d.getDate()),
    H: two(d.getHours()), M: two(d.getMinutes()), S: two(d.getSeconds()), f: String(micros).padStart(6, "0"), "%": "%",
  };
  return format.replace(/%(.)/g, (_all, c: string) => {
    if (parts[c] === undefined) throw new Error(`${what}("${format}"): %${c} is not one of tsbpf's conversions (${CONVERSIONS})`);
    return parts[c];
  });
}

/** An event's ktime() (CLOCK_MONOTONIC nanoseconds) as the local time `format` has it. */
export function eventTime(format: string, ktimeNs: bigint): string {
  const agoNs = monotonicNs() - ktimeNs;
  const wallNs = BigInt(Date.now()) * 1_000_000n - agoNs;
  return localTime(format, new Date(Number(wallNs / 1_000_000n)), "strftime", Number((wallNs / 1000n) % 1_000_000n));
}
