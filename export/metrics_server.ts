// The HTTP endpoint Prometheus scrapes: GET /metrics answers with the exposition of every
// tracer registered on that address, read from their maps at that moment (no polling in
// between). One server per address and process; it closes when its last tracer stops, so it
// never keeps the process alive. node:http runs on Bun and Deno alike, and is loaded only by
// tracers that export metrics.
import type { Server } from "node:http";
import type { MetricSource } from "./prometheus.ts";
import { readTextFile } from "../runtime/files.ts";
import { TracerError } from "../runtime/errors.ts";

/** Where and how a tracer serves its aggregations to Prometheus (StartOptions.metrics). */
export interface MetricsOptions {
  /** "127.0.0.1:9435", "[::1]:9435", "0.0.0.0:9435"; port 0 picks a free one. */
  address: string;
  /** Metric names start with it (default: the tracer's class in snake_case). */
  prefix?: string;
  /** Series per metric at most (default 10 000); past it the largest are kept and the rest reported. */
  maxSeries?: number;
}

interface Endpoint {
  server: Server;
  sources: Set<MetricSource>;
  maxSeries: number;
  /** Metrics whose dropped series were already reported on stderr. */
  reported: Set<string>;
  port: number;
  host: string;
}

const endpoints = new Map<string, Promise<Endpoint>>();

/** "host:port" split; IPv6 hosts in brackets. */
export function parseAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(address.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new TracerError(`Cannot serve metrics at "${address}": give HOST:PORT, e.g. 127.0.0.1:9435 or [::1]:9435`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

const hostname = () => readTextFile("/proc/sys/kernel/hostname")?.trim() ?? "unknown";

/** Serves `source` at `options.address` until `unregister` is called; resolves to the bound port. */
export async function registerMetrics(source: MetricSource, options: MetricsOptions): Promise<{ host: string; port: number; unregister: () => void }> {
  const { host, port } = parseAddress(options.address);
  const key = port === 0 ? `${host}:0:${Math.random()}` : `${host}:${port}`;
  let pending = endpoints.get(key);
  if (!pending) {
    pending = listen(host, port, options.maxSeries ?? 10_000);
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
      endpoint.server.closeAllConnections?.();
    },
  };
}

async function listen(host: string, port: number, maxSeries: number): Promise<Endpoint> {
  let http: typeof import("node:http");
  try {
    http = await import("node:http");
  } catch (e) {
    throw new TracerError(`Cannot serve metrics: node:http is not available here (${(e as Error).message})`);
  }
  const host_ = hostname();
  const { exposition } = await import("./prometheus.ts");
  const endpoint: Endpoint = { server: undefined as unknown as Server, sources: new Set(), maxSeries, reported: new Set(), port, host };
  endpoint.server = http.createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "/").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("tsbpf: metrics are at /metrics\n");
      return;
    }
    try {
      const { text, dropped } = exposition([...endpoint.sources], { maxSeries: endpoint.maxSeries, host: host_ });
      for (const [metric, n] of dropped) {
        if (endpoint.reported.has(metric)) continue;
        endpoint.reported.add(metric);
        console.error(`tsbpf: ${metric} has more than ${endpoint.maxSeries} series (${n} more); exporting the largest (raise maxSeries in start({ metrics }))`);
      }
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(text);
    } catch (e) {
      res.writeHead(500, { "content-type": "text/plain" }).end(`tsbpf: ${(e as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    endpoint.server.once("error", (e: NodeJS.ErrnoException) => {
      const why = e.code === "EADDRINUSE" ? "the address is in use" : e.code === "EACCES" || e.name === "PermissionDenied" || e.name === "NotCapable"
        ? "permission denied (Deno needs --allow-net)" : e.message;
      reject(new TracerError(`Cannot serve metrics at ${host}:${port}: ${why}`));
    });
    try {
      endpoint.server.listen(port, host, () => resolve());
    } catch (e) {
      const denied = (e as Error).name === "NotCapable" || (e as Error).name === "PermissionDenied";
      reject(new TracerError(`Cannot serve metrics at ${host}:${port}: ${denied ? "Deno needs --allow-net" : (e as Error).message}`));
    }
  });
  const bound = endpoint.server.address();
  if (bound && typeof bound === "object") endpoint.port = bound.port;
  // Connections must not keep the process alive once the tracers have stopped.
  endpoint.server.unref?.();
  return endpoint;
}

// Where the address comes from without loading this server (tracer.ts reads it at every start).
export { defaultMetrics, setDefaultMetrics } from "./metrics_default.ts";
