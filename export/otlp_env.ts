// OTLP export configured the way every OpenTelemetry SDK is: by the standard environment
// variables, so `tsbpf run`, `-e` and every tool push to a collector without an option of their
// own. A tracer's start({ otlp }) takes precedence; start({ otlp: false }) turns it off.
//
//   OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 OTEL_SERVICE_NAME=node-tracing sudo -E tsbpf run ...
//
// Read through libc's getenv (Deno then needs no --allow-env). Only what applies to an OTLP/HTTP
// JSON metrics exporter is read; what tsbpf cannot follow (gRPC) is an error, not ignored.
import { libcSync } from "../runtime/ffi/mod.ts";
import { TracerError } from "../runtime/errors.ts";
import type { OtlpOptions } from "./otlp.ts";

type Getenv = (name: string) => string | undefined;

/** "k=v,k2=v2" with percent-encoded values (the W3C Baggage-like format the spec uses). */
function pairs(variable: string, text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (text ?? "").split(",")) {
    if (!item.trim()) continue;
    const eq = item.indexOf("=");
    if (eq <= 0) throw new TracerError(`${variable}: "${item.trim()}" is not key=value (write e.g. ${variable}=key=value,other=value)`);
    let value = item.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      throw new TracerError(`${variable}: the value of "${item.slice(0, eq).trim()}" is not valid percent-encoding`);
    }
    out[item.slice(0, eq).trim()] = value;
  }
  return out;
}

/** The OTLP options the environment asks for, or undefined when it names no collector (or disables export). */
export function otlpFromEnvironment(getenv: Getenv = (name) => libcSync().getenv(name)): OtlpOptions | undefined {
  const get = (name: string) => getenv(name)?.trim() || undefined;
  if (get("OTEL_SDK_DISABLED")?.toLowerCase() === "true") return undefined;
  const exporters = get("OTEL_METRICS_EXPORTER");
  if (exporters && !exporters.split(",").map((e) => e.trim()).includes("otlp")) return undefined;
  // The metrics endpoint is used as given; the general one is a base that /v1/metrics is added to.
  const endpoint = get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") ?? get("OTEL_EXPORTER_OTLP_ENDPOINT");
  if (!endpoint) return undefined;
  const protocolVariable = get("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL") ? "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL" : "OTEL_EXPORTER_OTLP_PROTOCOL";
  const protocol = get(protocolVariable);
  if (protocol && protocol !== "http/json" && protocol !== "http/protobuf") {
    throw new TracerError(`${protocolVariable} is "${protocol}": tsbpf sends OTLP over HTTP (JSON); set it to http/json and point the endpoint at the collector's HTTP port (4318)`);
  }
  const intervalText = get("OTEL_METRIC_EXPORT_INTERVAL");
  const intervalMs = intervalText === undefined ? 60_000 : Number(intervalText);
  if (!Number.isInteger(intervalMs) || intervalMs < 10) throw new TracerError(`OTEL_METRIC_EXPORT_INTERVAL is "${intervalText}": give milliseconds between exports, at least 10`);
  const compressionVariable = get("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION") ? "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION" : "OTEL_EXPORTER_OTLP_COMPRESSION";
  const compression = get(compressionVariable);
  if (compression && compression !== "gzip" && compression !== "none") {
    throw new TracerError(`${compressionVariable} is "${compression}": tsbpf compresses with gzip or not at all (gzip, none)`);
  }
  return {
    endpoint,
    intervalMs,
    serviceName: get("OTEL_SERVICE_NAME"),
    attributes: pairs("OTEL_RESOURCE_ATTRIBUTES", get("OTEL_RESOURCE_ATTRIBUTES")),
    headers: { ...pairs("OTEL_EXPORTER_OTLP_HEADERS", get("OTEL_EXPORTER_OTLP_HEADERS")), ...pairs("OTEL_EXPORTER_OTLP_METRICS_HEADERS", get("OTEL_EXPORTER_OTLP_METRICS_HEADERS")) },
    compression: compression === "gzip" ? "gzip" : undefined,
  };
}
