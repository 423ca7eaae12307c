// OpenTelemetry: a tracer's aggregations pushed over OTLP/HTTP (JSON) to a collector, here a
// loopback receiver in the test that decodes each ExportMetricsServiceRequest and checks the
// values against the tracer's own counts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import process from "node:process";
import { Buffer } from "node:buffer";
import { Count, Histogram, Max, pid, Stats, Sum, Tracer, tracepoint, comm, ktime, type Str, type u32 } from "../../mod.ts";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { runCommand, runScript, waitFor } from "./util.ts";

declare const Bun: unknown;

class Calls extends Tracer {
  /** getppid() calls made by the test. */
  calls = new Count();
  /** getppid() calls, by command. */
  byComm = new Count<Str<16>>();
  /**
   * Time spent, in nanoseconds (2 per call).
   * @unit ns
   */
  spent = new Sum();
  /**
   * When the calls were made, nanoseconds modulo a millisecond.
   * @unit ns
   */
  phase = new Histogram();
  /** The largest process id seen. */
  biggest = new Max<u32>();
  /** Sizes: 3 per call. */
  sizes = new Stats();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.calls.add();
    this.byComm.add(comm());
    this.spent.add(2);
    this.phase.add(ktime() % 1000000n);
    this.biggest.add(pid(), pid());
    this.sizes.add(3);
  }
}

// deno-lint-ignore no-explicit-any
type Json = any;

/** A loopback OTLP/HTTP receiver: every request's path, content type and decoded body. */
async function receiver(status: number | "never" = 200): Promise<{ server: Server; port: number; requests: { path: string; type: string; encoding?: string; authorization?: string; body: Json }[]; closed: number[] }> {
  const requests: { path: string; type: string; encoding?: string; authorization?: string; body: Json }[] = [];
  /** The requests (their index in `requests`) whose connection the client closed, in that order. */
  const closed: number[] = [];
  const server = createServer((req, res) => {
    const index = requests.length;
    req.socket.once("close", () => closed.push(index));
    const chunks: Uint8Array[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const encoding = req.headers["content-encoding"];
      const raw = Buffer.concat(chunks);
      const text = (encoding === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
      requests.push({ path: req.url ?? "", type: String(req.headers["content-type"]), encoding, authorization: req.headers.authorization, body: JSON.parse(text) });
      if (status !== "never") res.writeHead(status, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, port: (server.address() as { port: number }).port, requests, closed };
}

const metric = (body: Json, name: string) => body.resourceMetrics[0].scopeMetrics.flatMap((s: Json) => s.metrics).find((m: Json) => m.name === name);
const attribute = (attrs: Json[], key: string) => attrs.find((a) => a.key === key)?.value;

test("start({ otlp }): counters, gauges, histograms and summaries pushed as OTLP/HTTP JSON, with host and service", async () => {
  const c = await libc();
  const { server, port, requests } = await receiver();
  const tracer = new Calls();
  tracer.self = process.pid;
  tracer.end = () => {};
  try {
    await tracer.start({ exitOnError: false, otlp: { endpoint: `http://127.0.0.1:${port}`, intervalMs: 100, serviceName: "calls-test" } });
    for (let i = 0; i < 1234; i++) c.syscall(SYS.getppid);
    const counted = (r: { body: Json }) => metric(r.body, "calls_calls")?.sum.dataPoints[0].asInt === "1234";
    assert.ok(await waitFor(() => requests.some(counted), 60_000), `no export with the 1234 calls: ${JSON.stringify(requests.at(-1)?.body)}`);
    const { path, type, body } = requests.find(counted)!;
    assert.equal(path, "/v1/metrics");
    assert.match(type, /^application\/json/);
    assert.equal(requests[0].encoding, undefined, "compressed without being asked");
    const resource = body.resourceMetrics[0].resource.attributes;
    assert.deepEqual(attribute(resource, "host.name"), { stringValue: readFileSync("/proc/sys/kernel/hostname", "utf8").trim() });
    assert.deepEqual(attribute(resource, "service.name"), { stringValue: "calls-test" });
    const calls = metric(body, "calls_calls");
    assert.equal(calls.description, "getppid() calls made by the test.");
    assert.equal(calls.sum.isMonotonic, true);
    assert.equal(calls.sum.aggregationTemporality, 2); // cumulative
    const point = calls.sum.dataPoints[0];
    assert.ok(BigInt(point.startTimeUnixNano) > 0n && BigInt(point.startTimeUnixNano) <= BigInt(point.timeUnixNano));
    // Keys as attributes; nanoseconds in seconds.
    const byComm = metric(body, "calls_by_comm").sum.dataPoints;
    assert.equal(byComm.length, 1);
    assert.equal(byComm[0].asInt, "1234");
    assert.equal(attribute(byComm[0].attributes, "key").stringValue.length > 0, true);
    const spent = metric(body, "calls_spent");
    assert.equal(spent.unit, "s");
    assert.equal(spent.sum.dataPoints[0].asDouble, 2468e-9);
    const biggest = metric(body, "calls_biggest").gauge.dataPoints;
    assert.deepEqual(biggest.map((p: Json) => [attribute(p.attributes, "key"), p.asInt]), [[{ intValue: String(process.pid) }, String(process.pid)]]);
    const phase = metric(body, "calls_phase");
    assert.equal(phase.unit, "s");
    assert.equal(phase.histogram.aggregationTemporality, 2);
    const h = phase.histogram.dataPoints[0];
    assert.equal(h.count, "1234");
    assert.equal(h.bucketCounts.length, h.explicitBounds.length + 1);
    assert.equal(h.bucketCounts.reduce((a: bigint, b: string) => a + BigInt(b), 0n), 1234n);
    assert.ok(h.explicitBounds.every((b: number, i: number) => i === 0 || b > h.explicitBounds[i - 1]), `bounds not increasing: ${h.explicitBounds}`);
    assert.ok(h.sum > 0 && h.sum < 1234 * 1e-3, `sum ${h.sum} s of 1234 values under 1 ms`);
    const sizes = metric(body, "calls_sizes").summary.dataPoints[0];
    assert.deepEqual([sizes.count, sizes.sum], ["1234", 3702]);
    // tsbpf's own counters are there, at zero.
    const dropped = metric(body, "tsbpf_dropped_updates").sum.dataPoints.find((p: Json) => attribute(p.attributes, "map")?.stringValue === "calls");
    assert.equal(dropped?.asInt, "0");
    // The last values are pushed when the tracer stops, before its maps go.
    const before = requests.length;
    for (let i = 0; i < 10; i++) c.syscall(SYS.getppid);
    await tracer.stop();
    assert.ok(requests.length > before, "no export at stop()");
    assert.equal(metric(requests.at(-1)!.body, "calls_calls").sum.dataPoints[0].asInt, "1244");
  } finally {
    await tracer.stop();
    server.close();
  }
});

test("otlp: a counter the script clears (as syscount does each interval) starts again with its start time at the clear: an OTLP reset, not a cumulative sum going down", async () => {
  const c = await libc();
  const { server, port, requests } = await receiver();
  const tracer = new Calls();
  tracer.self = process.pid;
  tracer.end = () => {};
  const point = (r: { body: Json }, name: string) => metric(r.body, name)?.sum.dataPoints[0];
  const pushed = async (name: string, count: string) => {
    assert.ok(await waitFor(() => requests.some((r) => point(r, name)?.asInt === count), 60_000), `no export with ${name} at ${count}: ${JSON.stringify(requests.at(-1)?.body)}`);
    return point(requests.find((r) => point(r, name)?.asInt === count)!, name);
  };
  try {
    await tracer.start({ exitOnError: false, otlp: { endpoint: `http://127.0.0.1:${port}`, intervalMs: 100 } });
    for (let i = 0; i < 50; i++) c.syscall(SYS.getppid);
    const before = await pushed("calls_calls", "50");
    const clearing = BigInt(Date.now()) * 1_000_000n;
    tracer.calls.clear();
    for (let i = 0; i < 7; i++) c.syscall(SYS.getppid);
    const after = await pushed("calls_calls", "7");
    assert.ok(BigInt(after.startTimeUnixNano) >= clearing, `the count went from 50 to 7 with its start time still ${after.startTimeUnixNano}, before the clear at ${clearing}`);
    assert.ok(BigInt(after.startTimeUnixNano) <= BigInt(after.timeUnixNano));
    // A map not cleared keeps the tracer's start.
    assert.equal((await pushed("calls_by_comm", "57")).startTimeUnixNano, before.startTimeUnixNano);
  } finally {
    await tracer.stop();
    server.close();
  }
});

test("otlp: a collector that refuses is reported once on stderr, the tracer keeps running, and stop() says the last values are lost; a bad endpoint is a clear error", async () => {
  const { server, port, requests } = await receiver(503);
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(" "));
  const tracer = new Calls();
  tracer.end = () => {};
  try {
    await tracer.start({ exitOnError: false, otlp: { endpoint: `http://127.0.0.1:${port}/v1/metrics`, intervalMs: 50 } });
    assert.ok(await waitFor(() => requests.length >= 3, 60_000), `${requests.length} export attempts`);
    assert.equal(requests[0].path, "/v1/metrics");
    const reports = errors.filter((e) => /OTLP/.test(e));
    assert.equal(reports.length, 1, errors.join("\n"));
    assert.match(reports[0], new RegExp(`Cannot export metrics to http://127\\.0\\.0\\.1:${port}/v1/metrics: HTTP 503.* \\(OTLP; trying again every 50 ms\\)`));
    // No push follows the last: its loss is said although the outage already was (a journal
    // whose last word is "trying again" would hide that the last values never arrived).
    await tracer.stop();
    const after = errors.filter((e) => /OTLP/.test(e));
    assert.equal(after.length, 2, errors.join("\n"));
    assert.match(after[1], /HTTP 503.* \(OTLP; the last values are lost\)/, errors.join("\n"));
  } finally {
    console.error = original;
    await tracer.stop();
    server.close();
  }
  const bad = new Calls();
  await assert.rejects(bad.start({ exitOnError: false, otlp: { endpoint: "127.0.0.1:4318" } }), /Cannot export metrics to "127\.0\.0\.1:4318": give an http:\/\/ or https:\/\/ URL/);
});

test("OTEL_EXPORTER_OTLP_ENDPOINT and the other standard variables make any tool export, as every OpenTelemetry SDK does", async () => {
  const { server, port, requests } = await receiver();
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_SERVICE_NAME: "syscount-test",
    OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=ci,team=tracing%2Cperf",
    OTEL_METRIC_EXPORT_INTERVAL: "100",
    OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20t0ken",
    OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
  };
  const tool = new URL("../../examples/syscount.ts", import.meta.url).pathname;
  // Deno needs the network permission to push.
  const run = typeof Bun !== "undefined" ? runScript(tool, env, ["-d", "1"]) : runCommand(process.execPath, ["run", "--allow-ffi", "--allow-net", tool, "-d", "1"], env);
  try {
    assert.equal(await run.exited, 0, run.output());
    assert.ok(requests.length >= 2, `${requests.length} exports in 1 s at 100 ms:\n${run.output()}`);
    const { body, authorization, path, encoding } = requests.at(-1)!;
    assert.equal(path, "/v1/metrics");
    assert.equal(encoding, "gzip");
    assert.equal(authorization, "Bearer t0ken");
    const resource = body.resourceMetrics[0].resource.attributes;
    assert.deepEqual(attribute(resource, "service.name"), { stringValue: "syscount-test" });
    assert.deepEqual(attribute(resource, "deployment.environment"), { stringValue: "ci" });
    assert.deepEqual(attribute(resource, "team"), { stringValue: "tracing,perf" });
    const points = metric(body, "sys_count_by_syscall").sum.dataPoints;
    assert.ok(points.length > 0 && points.every((p: Json) => BigInt(p.asInt) > 0n), JSON.stringify(points));
  } finally {
    run.kill("SIGKILL");
    server.close();
  }
});

/** syscount pushing to `port` every 100 ms by the OTEL_* variables, until a signal. */
function exportingTool(port: number, intervalMs = 100) {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_METRIC_EXPORT_INTERVAL: String(intervalMs) };
  const tool = new URL("../../examples/syscount.ts", import.meta.url).pathname;
  return typeof Bun !== "undefined" ? runScript(tool, env) : runCommand(process.execPath, ["run", "--allow-ffi", "--allow-net", tool], env);
}

test("SIGTERM of an exporting tool: the last values pushed, the process gone", async () => {
  const { server, port, requests } = await receiver();
  const run = exportingTool(port);
  try {
    assert.ok(await waitFor(() => requests.length >= 1, 30_000), `no export:\n${run.output()}`);
    const before = requests.length;
    run.kill("SIGTERM");
    assert.equal(await run.exited, 143, run.output());
    // The tool may be gone before this process has read the push it made on its way out.
    assert.ok(await waitFor(() => requests.length > before, 30_000), "no push at SIGTERM");
  } finally {
    run.kill("SIGKILL");
    server.close();
  }
});

test("SIGTERM with a collector that never answers: still gone, with SIGTERM's status, waiting for no answer", async () => {
  // Every 8 s: a push made while the tool runs waits up to 8 s for its answer, the last one at
  // SIGTERM 400 ms (export/otlp.ts). The exit must not wait for the push in flight: stop()
  // cancels it once the last push is under way, so the collector sees the push in flight given
  // up first and the last push's connection close 400 ms later, when it times out. An exit that
  // waited for the push in flight, or left it open until the process ended, closes it last.
  // (Ordered by the code's own 400 ms, not by a guess at how long an exit takes.)
  const { server, port, requests, closed } = await receiver("never");
  const run = exportingTool(port, 8000);
  try {
    // A push the tool is still waiting on (on a machine too busy to look within 8 s, the first
    // may have timed out and the next begun: then that one).
    assert.ok(await waitFor(() => requests.length > closed.length, 60_000), `no export attempt:\n${run.output()}`);
    const inFlight = requests.length - 1;
    run.kill("SIGTERM");
    assert.equal(await run.exited, 143, run.output());
    const last = inFlight + 1;
    assert.ok(await waitFor(() => closed.includes(inFlight) && closed.includes(last), 60_000), `no last push at SIGTERM: ${requests.length} pushes, closed ${closed}`);
    assert.ok(closed.indexOf(inFlight) < closed.indexOf(last), `the push in flight was not given up when the last push began: closed in the order ${closed}`);
    assert.match(run.output(), /no answer within 400 ms \(OTLP; the last values are lost\)/);
  } finally {
    run.kill("SIGKILL");
    server.closeAllConnections?.();
    server.close();
  }
});
