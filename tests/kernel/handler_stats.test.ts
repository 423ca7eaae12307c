// Per-handler cost: the kernel's BPF statistics (run_cnt, run_time_ns) are on only while a
// tracer with stats runs, and each handler's runs are at least the events it counted.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { chownSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Count, pid, Tracer, tracepoint, type u32 } from "../../mod.ts";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { progIds } from "../../runtime/bpf.ts";
import { useStatsSysctl } from "../../tracer/handler_stats.ts";
import { objectsOf } from "../lifecycle/kernel_objects.ts";
import { tsbpf } from "./cli_run.ts";
import { runCommand, runScript, runtimeCommand, waitFor } from "./util.ts";
import { docSnippet, runSnippet } from "./doc_snippets.ts";
import { holdMachineLock } from "./machine_lock.ts";

const c = await libc();
const N = 1000;
const SYSCTL = "/proc/sys/kernel/bpf_stats_enabled";
// The sysctl is the machine's: tests here see it 0, set it to 1 and put it back; another run of
// this file at the same time (Bun's beside Deno's, another checkout's) would see or undo ours.
after(await holdMachineLock(SYSCTL, 300_000));

class PpidCalls extends Tracer {
  calls = new Count();
  self: u32 = 0;
  @tracepoint("syscalls:sys_enter_getppid")
  onGetppid() {
    if (pid() !== this.self) return;
    this.calls.add();
  }
}

/** File descriptors of this process that keep BPF statistics on (BPF_ENABLE_STATS). */
function statsFds(): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === "anon_inode:bpf-stats";
    } catch {
      return false;
    }
  }).length;
}

async function countedRun(sysctl = false): Promise<{ runs: bigint; avgNs: number; counted: bigint; statsFdsWhileRunning: number; sysctlWhileRunning: string; programId: number }> {
  useStatsSysctl(sysctl);
  const t = new PpidCalls();
  t.self = process.pid;
  try {
    await t.start({ stats: true, exitOnError: false, reportLoss: false });
    t.end = () => {};
    for (let i = 0; i < N; i++) c.syscall(SYS.getppid);
    const [cost] = t.handlerStats();
    const result = {
      runs: cost.runs, avgNs: cost.avgNs, counted: t.calls.get() as bigint, statsFdsWhileRunning: statsFds(),
      sysctlWhileRunning: readFileSync(SYSCTL, "utf8").trim(), programId: objectsOf("self").progs.at(-1)!,
    };
    assert.equal(cost.handler, "PpidCalls.onGetppid");
    assert.equal(cost.probe, "tracepoint:syscalls:sys_enter_getppid");
    return result;
  } finally {
    await t.stop();
    useStatsSysctl(false);
  }
}

test("start({ stats: true }): each handler's runs and average time, stats on only while it runs (BPF_ENABLE_STATS)", async () => {
  assert.equal(readFileSync(SYSCTL, "utf8").trim(), "0", "the test needs kernel.bpf_stats_enabled = 0 to see that tsbpf turns stats on");
  const r = await countedRun();
  assert.equal(r.counted, BigInt(N));
  assert.ok(r.runs >= BigInt(N), `runs ${r.runs} < ${N} getppid() calls`);
  assert.ok(r.avgNs > 0 && r.avgNs < 1e6, `average ${r.avgNs} ns`);
  assert.equal(r.statsFdsWhileRunning, 1, "stats are on through one BPF_ENABLE_STATS fd");
  assert.equal(r.sysctlWhileRunning, "0", "the sysctl is left alone where BPF_ENABLE_STATS works");
  assert.equal(statsFds(), 0, "the stats fd is closed at stop()");
  // Freed after an RCU grace period: late on a loaded machine.
  assert.ok(await waitFor(() => !progIds().includes(r.programId), 60_000), "the program is unloaded");
});

test("start({ stats: true }) without BPF_ENABLE_STATS: kernel.bpf_stats_enabled is set while it runs and restored at stop()", async () => {
  assert.equal(readFileSync(SYSCTL, "utf8").trim(), "0");
  const r = await countedRun(true);
  assert.ok(r.runs >= BigInt(N), `runs ${r.runs} < ${N}`);
  assert.equal(r.sysctlWhileRunning, "1");
  assert.equal(r.statsFdsWhileRunning, 0);
  assert.equal(readFileSync(SYSCTL, "utf8").trim(), "0", "the sysctl is restored");
});

test("a tracer without stats leaves the kernel's statistics off and reports none", async () => {
  const t = new PpidCalls();
  await t.start({ exitOnError: false, reportLoss: false });
  t.end = () => {};
  try {
    assert.equal(statsFds(), 0);
    assert.deepEqual(t.handlerStats(), []);
  } finally {
    await t.stop();
  }
});

const PERL_CALLS = `perl -e 'getppid() for 1..${N}'`;

test("tsbpf --stats -e: a stats record in JSON with the one-liner's handler, runs >= the command's calls", async () => {
  const r = await tsbpf(["--stats", "--json", "-c", PERL_CALLS, "-e", `tracepoint("syscalls:sys_enter_getppid", () => count())`]);
  assert.equal(r.status, 0, r.stderr);
  const records = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const counted = records.find((x) => x.type === "map");
  assert.equal(Object.values(counted.data)[0], N, r.stdout);
  const stats = records.find((x) => x.type === "stats");
  assert.ok(stats, `no stats record in:\n${r.stdout}`);
  assert.equal(stats.data.length, 1);
  assert.match(stats.data[0].handler, /\./);
  assert.equal(stats.data[0].probe, "tracepoint:syscalls:sys_enter_getppid");
  assert.ok(stats.data[0].runs >= N, JSON.stringify(stats));
  assert.ok(stats.data[0].avg_ns > 0, JSON.stringify(stats));
});

test("tsbpf --stats -e prints a table after the maps", async () => {
  const r = await tsbpf(["--stats", "-c", PERL_CALLS, "-e", `tracepoint("syscalls:sys_enter_getppid", () => count())`]);
  assert.equal(r.status, 0, r.stderr);
  const row = /^(\S+)\s+tracepoint:syscalls:sys_enter_getppid\s+(\d+)\s+(\d+)\s+([\d.]+)$/m.exec(r.stdout);
  assert.ok(row, r.stdout);
  assert.ok(Number(row[2]) >= N);
  assert.match(r.stdout, /^HANDLER\s+PROBE\s+RUNS\s+AVG_NS\s+TOTAL_MS$/m);
});

test("a tool's --stats: syscount -d reports each of its handlers", async () => {
  const r = await tsbpf(["-d", "1", "run", new URL("../../examples/syscount.ts", import.meta.url).pathname, "--stats", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const stats = r.stdout.trim().split("\n").map((l) => JSON.parse(l)).find((x) => x.type === "stats");
  assert.ok(stats, r.stdout);
  assert.ok(stats.data.length >= 1);
  for (const h of stats.data) assert.ok(h.runs > 0, JSON.stringify(h));
});

test("the Prometheus exposition: tsbpf_handler_runs_total and tsbpf_handler_run_seconds_total by handler", async () => {
  const { exposition } = await import("../../export/prometheus.ts");
  const text = exposition([{
    tracer: "T", prefix: "t", maps: [], lost: () => new Map(), dropped: () => new Map(),
    handlers: () => [{ handler: "T.onCall", probe: "tracepoint:a:b", runs: 10n, runTimeNs: 1500n, avgNs: 150 }],
  }], { maxSeries: 10, host: "h" }).text;
  assert.match(text, /^# TYPE tsbpf_handler_runs_total counter$/m);
  assert.match(text, /^tsbpf_handler_runs_total\{tracer="T",handler="T.onCall",probe="tracepoint:a:b"\} 10$/m);
  assert.match(text, /^tsbpf_handler_run_seconds_total\{tracer="T",handler="T.onCall",probe="tracepoint:a:b"\} 0.0000015$/m);
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`the sysctl is put back when a ${signal} ends the tracer's process`, async () => {
    assert.equal(readFileSync(SYSCTL, "utf8").trim(), "0");
    const run = runScript(new URL("../fixtures/stats_sysctl.ts", import.meta.url).pathname);
    try {
      assert.ok(await waitFor(() => /ready/.test(run.output()), 60_000), run.output());
      assert.equal(readFileSync(SYSCTL, "utf8").trim(), "1");
    } finally {
      run.kill(signal);
      await run.exited;
    }
    assert.match(run.output(), /HANDLER\s+PROBE/);
    assert.equal(readFileSync(SYSCTL, "utf8").trim(), "0");
  });
}

test("start({ stats: true, metrics }): the handler's runs served at /metrics while it runs", async () => {
  const t = new PpidCalls();
  t.self = process.pid;
  await t.start({ stats: true, metrics: "127.0.0.1:0", exitOnError: false, reportLoss: false });
  t.end = () => {};
  try {
    for (let i = 0; i < N; i++) c.syscall(SYS.getppid);
    const text = await (await fetch(`http://127.0.0.1:${t.metricsAddress!.port}/metrics`)).text();
    const runs = /^tsbpf_handler_runs_total\{tracer="PpidCalls",handler="PpidCalls.onGetppid",probe="tracepoint:syscalls:sys_enter_getppid"\} (\d+)$/m.exec(text);
    assert.ok(runs && Number(runs[1]) >= N, text);
    assert.match(text, /^tsbpf_handler_run_seconds_total\{tracer="PpidCalls",handler="PpidCalls.onGetppid",[^}]*\} 0\.\d+$/m);
  } finally {
    await t.stop();
  }
});

test("docs/stats.md's script runs: handlerStats() while it runs, the table at stop()", async () => {
  const r = await runSnippet(docSnippet("stats.md"));
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /^Opens\.onOpen tracepoint:syscalls:sys_enter_openat \d+ \d+ ns\/run$/m);
  assert.match(r.output, /^Opens\.onOpen\s+tracepoint:syscalls:sys_enter_openat\s+\d+\s+\d+\s+[\d.]+$/m);
});

test("stats with CAP_BPF and CAP_PERFMON only (a service's capabilities): a clear error, not an errno", async () => {
  const caps = "+bpf,+perfmon,+dac_read_search";
  const fixture = new URL("../fixtures/stats_sysctl.ts", import.meta.url).pathname;
  const [cmd, ...args] = [...runtimeCommand(fixture), "enable-stats"];
  const home = mkdtempSync(join(tmpdir(), "tsbpf-stats-"));
  chownSync(home, 65534, 65534);
  try {
    const run = runCommand("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", `--inh-caps=${caps}`, `--ambient-caps=${caps}`, cmd, ...args], { HOME: home, DENO_DIR: join(home, "deno") });
    assert.equal(await run.exited, 1, run.output());
    assert.match(run.output(), /Cannot turn on the kernel's BPF statistics for stats: that needs CAP_SYS_ADMIN/);
    assert.doesNotMatch(run.output(), /^\s+at /m);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
