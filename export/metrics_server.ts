// The HTTP endpoint Prometheus scrapes: GET /metrics answers with the exposition of every
// tracer registered on that address, read from their maps at that moment (no polling in
// between). One server per address and process; it closes when its last tracer stops, so it
// never keeps the process alive. Its HTTP side (scrape_endpoint.ts, on node:net, which runs on
// Bun and Deno alike) bounds what any local user's connections can hold; it is loaded only by
// tracers that export metrics.
import type { MetricSource } from "./prometheus.ts";
import type { ScrapeServer } from "./scrape_endpoint.ts";
import { readTextFile } from "../runtime/files.ts";
import { TracerError } from "../runtime/errors.ts";
import { hasPermission } from "../runtime/ffi/host.ts";

/** Where and how a tracer serves its aggregations to Prometheus (StartOptions.metrics). */
export interface MetricsOptions {
  /** "127.0.0.1:9435", "[::1]:9435", "0.0.0.0:9435" (every interface); port 0 picks a free one. The host is required. */
  address: string;
  /** Metric names start with it (default: the tracer's class in snake_case). */
  prefix?: string;
  /** Series per metric at most (default 10 000); past it the largest are kept and the rest reported. */
  maxSeries?: number;
  /** The answer's bytes at most (default 32 MiB); series past it are left out, counted and reported. */
  maxBytes?: number;
}

interface Endpoint {
  server: ScrapeServer;
  sources: Set<MetricSource>;
  maxSeries: number;
  maxBytes?: number;
  /** Metrics whose dropped series were already reported on stderr. */
  reported: Set<string>;
  port: number;
  host: string;
}

const endpoints = new Map<string, Promise<Endpoint>>();

/**
 * "host:port" split; IPv6 hosts in brackets. The host must be given: a bare ":9435" listens on
 * every interface in Go's programs and on none in particular in the docs, and a tracer's maps
 * (process names, paths, stacks) should reach the network only when asked for by name.
 */
export function parseAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(address.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new TracerError(`Cannot serve metrics at "${address}": give HOST:PORT, e.g. 127.0.0.1:9435 or [::1]:9435`);
  if (!m[1] && !m[2]) {
    throw new TracerError(`Cannot serve metrics at "${address}": give the host too: 127.0.0.1:${port} for this machine only, 0.0.0.0:${port} (or [::]:${port}) for every interface`);
  }
  return { host: m[1] ?? m[2], port };
}

const hostname = () => readTextFile("/proc/sys/kernel/hostname")?.trim() ?? "unknown";

/** Serves `source` at `options.address` until `unregister` is called; resolves to the bound port. */
export async function registerMetrics(source: MetricSource, options: MetricsOptions): Promise<{ host: string; port: number; unregister: () => void }> {
  const { host, port } = parseAddress(options.address);
  const key = port === 0 ? `${host}:0:${Math.random()}` : `${host}:${port}`;
  let pending = endpoints.get(key);
  if (!pending) {
    pending = listen(host, port, options.maxSeries ?? 10_000, options.maxBytes);
    endpoints.set(key, pending);
    pending.catch(() => endpoints.delete(key));
  }
  const endpoint = await pending;
  endpoint.sources.add(source);
  return {
    host: endpoint.host,
    port: endpoint.port,
    unregister: () => {
      endpoint.sources.delete(source);
      if (endpoint.sources.size) return;
      endpoints.delete(key);
      endpoint.server.close();
    },
  };
}

async function listen(host: string, port: number, maxSeries: number, maxBytes: number | undefined): Promise<Endpoint> {
  let endpoint: Endpoint;
  const answer = (method: string, path: string) => {
    if (method !== "GET" || path.split("?")[0] !== "/metrics") return { status: 404, contentType: "text/plain", body: "tsbpf: metrics are at /metrics\n" };
    try {
      const { text, dropped, cut } = exposition([...endpoint.sources], { maxSeries: endpoint.maxSeries, maxBytes: endpoint.maxBytes, host: host_ });
      for (const [metric, n] of dropped) {
        if (endpoint.reported.has(metric)) continue;
        endpoint.reported.add(metric);
        console.error(`tsbpf: ${metric} has more than ${endpoint.maxSeries} series (${n} more); exporting the largest (raise maxSeries in start({ metrics }))`);
      }
      for (const [metric, n] of cut) {
        if (endpoint.reported.has(`size ${metric}`)) continue;
        endpoint.reported.add(`size ${metric}`);
        console.error(`tsbpf: /metrics reached its size limit; ${n} series of ${metric} left out (counted in tsbpf_metrics_series_cut; raise maxBytes in start({ metrics }))`);
      }
      return { status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: text };
    } catch (e) {
      return { status: 500, contentType: "text/plain", body: `tsbpf: ${(e as Error).message}\n` };
    }
  };
  // Deno refuses the listen in a later tick, as an uncaught error rather than the server's
  // "error" event: asked first, a missing --allow-net is a message, not a crash.
  if (!hasPermission("net", `${host}:${port}`)) throw new TracerError(`Cannot serve metrics at ${host}:${port}: Deno needs --allow-net`);
  let server: ScrapeServer;
  try {
    server = await (await import("./scrape_endpoint.ts")).scrapeServer(answer);
  } catch (e) {
    throw new TracerError(`Cannot serve metrics: node:net is not available here (${(e as Error).message})`);
  }
  const host_ = hostname();
  const { exposition } = await import("./prometheus.ts");
  endpoint = { server, sources: new Set(), maxSeries, maxBytes, reported: new Set(), port, host };
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", (e: NodeJS.ErrnoException) => {
      const why = e.code === "EADDRINUSE" ? "the address is in use" : e.code === "EACCES" || e.name === "PermissionDenied" || e.name === "NotCapable"
        ? "permission denied (Deno needs --allow-net)" : e.message;
      reject(new TracerError(`Cannot serve metrics at ${host}:${port}: ${why}`));
    });
    try {
      server.server.listen(port, host, () => resolve());
    } catch (e) {
      const denied = (e as Error).name === "NotCapable" || (e as Error).name === "PermissionDenied";
      reject(new TracerError(`Cannot serve metrics at ${host}:${port}: ${denied ? "Deno needs --allow-net" : (e as Error).message}`));
    }
  });
  const bound = server.server.address();
  if (bound && typeof bound === "object") endpoint.port = bound.port;
  // Connections must not keep the process alive once the tracers have stopped.
  server.server.unref?.();
  return endpoint;
}

// Where the address comes from without loading this server (tracer.ts reads it at every start).
export { defaultMetrics, setDefaultMetrics } from "./metrics_default.ts";
