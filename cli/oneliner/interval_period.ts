// A one-liner's interval() period: seconds (a number) or a duration ("500ms", "2s"), checked as
// every timer period is (runtime/period.ts). Checked when the one-liner is turned into a script
// (a literal, with its position) and again when it runs (any expression).
import { durationMs } from "../global_options.ts";
import { checkPeriodMs } from "../../runtime/period.ts";

const EXAMPLE = `interval(1, () => print($)) or interval("500ms", ...)`;

export function intervalPeriodMs(period: unknown): number {
  const ms = typeof period === "number" ? period * 1000 : typeof period === "string" ? durationMs(period) ?? period : period;
  const given = typeof period === "number" ? `${period} s` : JSON.stringify(period) ?? String(period);
  return checkPeriodMs(ms, "interval()'s period", EXAMPLE, given);
}
