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
