// Prometheus: a tracer's aggregations served at /metrics in the text exposition format, read
// from the maps at scrape time, checked by Debian's promtool and scraped by a real prometheus
// on loopback, whose PromQL answer must be the tracer's own count.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import process from "node:process";
import { listeningPort, runCommand, runScript, waitFor } from "./util.ts";
import { objectsOf, released } from "../lifecycle/kernel_objects.ts";
import { libc, SYS } from "../../runtime/ffi/mod.ts";

const c = await libc();

declare const Bun: unknown;

const FIXTURE = new URL("../fixtures/metrics.ts", import.meta.url).pathname;
const noPrometheus = existsSync("/usr/bin/prometheus") && existsSync("/usr/bin/promtool") ? false : "Debian's prometheus is not installed (bash tests/references.sh installs it)";

async function startFixture() {
  // Deno needs the network permission to listen.
  const run = typeof Bun !== "undefined" ? runScript(FIXTURE) : runCommand(process.execPath, ["run", "--allow-ffi", "--allow-net", FIXTURE]);
  if (!await waitFor(() => /ready \d+/.test(run.output()), 30_000)) {
    run.kill("SIGKILL");
    assert.fail(`the fixture did not start:\n${run.output()}`);
  }
  const port = Number(/ready (\d+)/.exec(run.output())![1]);
  return { run, port, scrape: async () => await (await fetch(`http://127.0.0.1:${port}/metrics`)).text() };
}

test("/metrics: counters, gauges and histograms from the maps, in the text format promtool accepts", { skip: noPrometheus }, async () => {
  const { run, scrape } = await startFixture();
  try {
    const text = await scrape();
    assert.match(text, /^# HELP calls_calls_total getppid\(\) calls made by the test fixture\.$/m);
    assert.match(text, /^# TYPE calls_calls_total counter$/m);
    assert.match(text, /^calls_calls_total 1234$/m);
    assert.match(text, /^calls_by_comm_total\{key="[^"]+"\} 1234$/m);
    assert.match(text, /^calls_total_total 2468$/m);
    assert.match(text, /^# TYPE calls_biggest gauge$/m);
    // Nanoseconds are exported in seconds; the buckets are cumulative up to +Inf, which is the count.
    assert.match(text, /^# TYPE calls_phase_seconds histogram$/m);
    assert.match(text, /^calls_phase_seconds_bucket\{le="\+Inf"\} 1234$/m);
    assert.match(text, /^calls_phase_seconds_count 1234$/m);
    assert.match(text, /^calls_phase_seconds_sum [0-9.e+-]+$/m);
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    assert.equal(check.status, 0, `promtool check metrics:\n${check.stdout}${check.stderr}\n${text}`);
  } finally {
    run.kill("SIGTERM");
    await run.exited;
  }
});

test("a real prometheus scrapes it: its PromQL answer is the tracer's count", { skip: noPrometheus }, async () => {
  const { run, port } = await startFixture();
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-prometheus-"));
  writeFileSync(join(dir, "prometheus.yml"), `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: tsbpf\n    static_configs:\n      - targets: ["127.0.0.1:${port}"]\n`);
  const prom = spawn("prometheus", [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, "--web.listen-address=127.0.0.1:0"], { stdio: ["ignore", "ignore", "pipe"] });
  let promLog = "";
  prom.stderr!.on("data", (d) => (promLog += d));
  const promExited = new Promise((r) => prom.on("exit", r));
  try {
    let answer: string | undefined;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && answer === undefined && prom.exitCode === null) {
      await new Promise((r) => setTimeout(r, 500));
      // Port 0: the port it took is read from its own listening socket.
      const promPort = listeningPort(prom.pid!);
      if (promPort === undefined) continue;
      try {
        const r = await (await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=calls_calls_total`)).json();
        answer = r?.data?.result?.[0]?.value?.[1];
      } catch { /* not up yet */ }
    }
    assert.equal(answer, "1234", `prometheus did not report the tracer's count within 30 s:\n${promLog.slice(-2000)}`);
  } finally {
    prom.kill("SIGTERM");
    run.kill("SIGTERM");
    await run.exited;
    await promExited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test("SIGTERM of a tracer serving metrics: gone though a scraper holds a request open, status 143, none of its kernel objects left", async () => {
  const { run, port } = await startFixture();
  const held = objectsOf(run.pid);
  assert.ok(held.progs.length && held.maps.length, `the tracer holds no programs or maps: ${JSON.stringify(held)}`);
  // A request whose headers never end: a server that waited for its connections to close would
  // never exit (the runner's timeout would fail the test).
  const scraper = connect(port, "127.0.0.1");
  await new Promise<void>((r) => scraper.once("connect", () => r()));
  scraper.write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  scraper.on("error", () => {});
  try {
    run.kill("SIGTERM");
    assert.equal(await run.exited, 143, run.output());
    assert.deepEqual(await released(held), [], "left in the kernel");
  } finally {
    scraper.destroy();
  }
});

test("docs/service.md's systemd unit counts the stop it asks for as a success, not a failed unit", async () => {
  // systemd calls a stop clean when the process exits 0, is killed by SIGHUP, SIGINT, SIGTERM or
  // SIGPIPE, or exits with a status listed in SuccessExitStatus=; any other status leaves the unit
  // "failed" after every `systemctl stop` (and alerts on it).
  const doc = readFileSync(new URL("../../docs/service.md", import.meta.url), "utf8");
  const unit = /```ini\n([\s\S]*?)```/.exec(doc)?.[1] ?? assert.fail("docs/service.md has no systemd unit");
  const setting = (name: string) => new RegExp(`^${name}=(.*)$`, "m").exec(unit)?.[1].trim() ?? "";
  const killSignal = (setting("KillSignal") || "SIGTERM") as "SIGINT" | "SIGTERM" | "SIGHUP";
  const success = setting("SuccessExitStatus").split(/\s+/).filter(Boolean);
  const { run } = await startFixture();
  run.kill(killSignal);
  const status = String(await run.exited);
  const clean = status === "0" || ["SIGHUP", "SIGINT", "SIGTERM", "SIGPIPE"].includes(status) || success.includes(status);
  assert.ok(clean, `on ${killSignal} the tracer ends with ${status}, which the unit's SuccessExitStatus=${success.join(" ")} does not list:\n${run.output()}`);
});

test("every tool takes --metrics ADDR: syscount's counts are served while it runs", async () => {
  // Port 0: no other process can hold the port it takes, which is read from its socket.
  const tool = new URL("../../examples/syscount.ts", import.meta.url).pathname;
  const run = typeof Bun !== "undefined" ? runCommand(process.execPath, [tool, "--metrics", "127.0.0.1:0"]) : runCommand(process.execPath, ["run", "--allow-ffi", "--allow-net", "--allow-env", "--allow-read", tool, "--metrics", "127.0.0.1:0"]);
  try {
    let text = "";
    const ok = await waitFor(() => {
      const port = listeningPort(run.pid);
      if (port === undefined) return false;
      fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).then((t) => (text = t), () => {});
      return /^sys_count_by_\w+_total\{[^}]*\} \d+$/m.test(text);
    }, 30_000);
    assert.ok(ok, `no syscount counter at /metrics:\n${text}\n${run.output()}`);
  } finally {
    run.kill("SIGINT");
    await run.exited;
  }
});

test("as a service: an unprivileged user with CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH only (docs/service.md) serves metrics", async () => {
  // The capabilities docs/service.md gives its systemd unit and DaemonSet, and nothing more.
  const home = mkdtempSync(join(tmpdir(), "tsbpf-service-"));
  chownSync(home, 65534, 65534);
  const caps = "+bpf,+perfmon,+dac_read_search";
  const runtime = typeof Bun !== "undefined" ? [process.execPath, "run", FIXTURE] : [process.execPath, "run", "--allow-ffi", "--allow-net", FIXTURE];
  const run = runCommand("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", `--inh-caps=${caps}`, `--ambient-caps=${caps}`, ...runtime], { HOME: home, DENO_DIR: join(home, "deno") });
  try {
    if (!await waitFor(() => /ready \d+/.test(run.output()), 30_000)) assert.fail(`the service did not start:\n${run.output()}`);
    const port = Number(/ready (\d+)/.exec(run.output())![1]);
    assert.match(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /^calls_calls_total 1234$/m);
    run.kill("SIGTERM");
    assert.equal(await run.exited, 143, run.output());
  } finally {
    run.kill("SIGKILL");
    rmSync(home, { recursive: true, force: true });
  }
});

test("tsbpf --metrics ADDR -e: a one-liner's maps are served while it runs", async () => {
  const main = new URL("../../cli/main.ts", import.meta.url).pathname;
  const cmd = typeof Bun !== "undefined" ? [process.execPath, main] : [process.execPath, "run", "-A", "--quiet", main];
  const run = runCommand(cmd[0], [...cmd.slice(1), "--metrics", "127.0.0.1:0", "-e", 'tracepoint("syscalls:sys_enter_getppid", () => count())']);
  try {
    let text = "";
    const ok = await waitFor(() => {
      c.syscall(SYS.getppid); // one of our own, so the count is not empty
      const port = listeningPort(run.pid);
      if (port === undefined) return false;
      fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).then((t) => (text = t), () => {});
      return /^\w+_total \d+$/m.test(text.replace(/^tsbpf_.*$/gm, ""));
    }, 30_000);
    assert.ok(ok, `no one-liner counter at /metrics:\n${text}\n${run.output()}`);
  } finally {
    run.kill("SIGINT");
    await run.exited;
  }
});
