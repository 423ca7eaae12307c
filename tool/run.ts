// Running a tool until Ctrl-C, a duration, or a number of intervals, with a report per interval.
import type { Tracer } from "../tracer/tracer.ts";

/**
 * Runs a started tracer until Ctrl-C, `duration` seconds, or `count` intervals of `interval`
 * seconds; `report` runs after each interval and at the end (a tool's own printing).
 */
export async function runTool(tracer: Tracer, o: { interval?: number; count?: number; duration?: number; report?: () => void }): Promise<void> {
  const timers: ReturnType<typeof setTimeout>[] = [];
  let left = o.count || Infinity; // 0: no limit
  if (o.report) tracer.end = o.report;
  if (o.interval) {
    timers.push(setInterval(() => {
      if (--left <= 0) tracer.stop(); // stop() runs end(): the last report
      else o.report?.();
    }, o.interval * 1000));
  }
  if (o.duration) timers.push(setTimeout(() => tracer.stop(), o.duration * 1000));
  await tracer.stopped;
  timers.forEach(clearTimeout);
}

