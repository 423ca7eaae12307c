// The metrics address every tracer of this process uses unless start() says otherwise: set by
// the tsbpf command's --metrics. Apart from metrics_server.ts so that a tracer's start reads it
// without loading the server. Kept on globalThis so a second copy of tsbpf's modules sees it.
const DEFAULT_METRICS = Symbol.for("tsbpf.metrics");

export function setDefaultMetrics(address: string | undefined): void {
  (globalThis as Record<symbol, unknown>)[DEFAULT_METRICS] = address;
}

export function defaultMetrics(): string | undefined {
  return (globalThis as Record<symbol, string | undefined>)[DEFAULT_METRICS];
}
