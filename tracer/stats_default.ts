// Whether every tracer of this process reports its cost unless start() says otherwise: set by
// the tsbpf command's --stats. Apart from handler_stats.ts so that a tracer's start reads it
// without loading the statistics code. On globalThis so a second copy of tsbpf's modules sees it.
const DEFAULT_STATS = Symbol.for("tsbpf.stats");

export function setDefaultStats(on: boolean): void {
  (globalThis as Record<symbol, unknown>)[DEFAULT_STATS] = on;
}

export function defaultStats(): boolean {
  return (globalThis as Record<symbol, unknown>)[DEFAULT_STATS] === true;
}
