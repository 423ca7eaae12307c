// How many CPUs per-CPU maps hold values for: /sys/devices/system/cpu/possible ("0-1" or "0,2-3").
import { readTextFile } from "./files.ts";

let cached: number | undefined;

export function possibleCpus(): number {
  if (cached) return cached;
  const text = readTextFile("/sys/devices/system/cpu/possible")?.trim() ?? "0";
  let max = 0;
  for (const part of text.split(",")) {
    const [, hi] = part.split("-");
    max = Math.max(max, Number(hi ?? part));
  }
  return (cached = max + 1);
}

/** The CPUs that are online now (/sys/devices/system/cpu/online): where per-CPU events are opened. */
export function onlineCpus(): number[] {
  const text = readTextFile("/sys/devices/system/cpu/online")?.trim() || "0";
  const out: number[] = [];
  for (const part of text.split(",")) {
    const [lo, hi] = part.split("-").map(Number);
    for (let c = lo; c <= (hi ?? lo); c++) out.push(c);
  }
  return out;
}
