// Uprobe wildcards over many functions: one uprobe_multi link per file where the kernel has it
// (6.6+), else one perf uprobe per function; probe() names each function either way (its attach
// cookie). A library of 2000 generated functions, and a program calling three of them a known
// number of times. Before uprobe_multi, a one-liner on such a library loaded one program per
// function and attached one perf uprobe each: minutes to attach, minutes to stop.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasUprobeMulti } from "../../runtime/features.ts";
import { finished, runCommand, started, waitFor } from "./util.ts";

declare const Bun: unknown;
const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const MOD = new URL("../../mod.ts", import.meta.url).pathname;
const FUNCTIONS = 2000, CALLS = 10;
const gcc = spawnSync("gcc", ["--version"]).status === 0;
const skip = !gcc && "needs gcc to build the library";
/** 2000 functions need uprobe_multi: one perf uprobe each is refused past 1000 (minutes to detach). */
const skipMany = skip || (!hasUprobeMulti() && "needs uprobe_multi (6.6+) for 2000 functions");

let made: string | undefined;
after(() => made && rmSync(made, { recursive: true, force: true }));

/**
 * The library (fn_0 .. fn_1999) and `user N`, which calls fn_0 N times, fn_7 2N times and fn_1999
 * once (`user N hold`: then fn_0 every 10 ms until killed).
 */
function build(): string {
  if (made) return made;
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-umulti-"));
  made = dir;
  const fns = Array.from({ length: FUNCTIONS }, (_, i) => `__attribute__((noinline)) int fn_${i}(int x) { __asm__ volatile(""); return x + ${i}; }`);
  writeFileSync(join(dir, "many.c"), fns.join("\n") + "\n");
  writeFileSync(join(dir, "user.c"), `#include <stdlib.h>
#include <unistd.h>
int fn_0(int); int fn_7(int); int fn_1999(int);
int main(int argc, char **argv) {
  int n = atoi(argv[1]), s = 0;
  for (int i = 0; i < n; i++) { s += fn_0(i); s += fn_7(i); s += fn_7(i); }
  s += fn_1999(1);
  if (argc > 2) for (;;) { s += fn_0(s); usleep(10000); } /* "user N hold": fn_0 every 10 ms, until killed */
  return s == 12345;
}
`);
  for (const args of [["-shared", "-fPIC", "-O1", "-o", "libmany.so", "many.c"], ["-o", "user", "user.c", "-L.", "-lmany", `-Wl,-rpath,${dir}`]]) {
    const r = spawnSync("gcc", args, { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  }
  return dir;
}

function tsbpf(args: string[], env: Record<string, string> = {}) {
  const cmd = typeof Bun !== "undefined" ? [MAIN, ...args] : ["run", "-A", "--quiet", MAIN, ...args];
  return runCommand(process.execPath, cmd, { NO_COLOR: "1", TSBPF_NO_CACHE: "1", PATH: process.env.PATH ?? "/usr/bin:/bin", ...env });
}

/** "@[uprobe:.../libmany.so:fn_7]: 20" lines, as function → count. */
function counts(stdout: string): Record<string, number> {
  return Object.fromEntries([...stdout.matchAll(/^@\[uprobe:.*:(\w+)\]: (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
}

const EXPECTED = { fn_0: CALLS, fn_7: 2 * CALLS, fn_1999: 1 };

/** The bpf link and program ids a process holds, from its fdinfo. */
function bpfIds(pid: number): { links: string[]; progs: string[]; linkTypes: string[] } {
  const out = { links: [] as string[], progs: [] as string[], linkTypes: [] as string[] };
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    let info: string;
    try {
      info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8");
    } catch {
      continue;
    }
    const link = /^link_id:\s*(\d+)$/m.exec(info)?.[1], prog = /^prog_id:\s*(\d+)$/m.exec(info)?.[1];
    if (link) {
      out.links.push(link);
      out.linkTypes.push(/^link_type:\s*(\S+)$/m.exec(info)?.[1] ?? "?");
    } else if (prog) out.progs.push(prog);
  }
  return out;
}

/** The ids bpftool still finds: none once the tracer is gone. */
function leftBehind(ids: { links: string[]; progs: string[] }): string[] {
  const left = [];
  for (const id of ids.links) if (spawnSync("bpftool", ["link", "show", "id", id]).status === 0) left.push(`link ${id}`);
  for (const id of ids.progs) if (spawnSync("bpftool", ["prog", "show", "id", id]).status === 0) left.push(`prog ${id}`);
  return left;
}

const uprobeEvents = () => readFileSync("/sys/kernel/tracing/uprobe_events", "utf8");

test("a one-liner's uprobe wildcard over 2000 functions: attached once, counts per function", { timeout: 300_000, skip: skipMany }, async () => {
  const dir = build();
  const run = tsbpf(["-c", `${dir}/user ${CALLS}`, "-e", `uprobe("${dir}/libmany.so:fn_*", () => count(probe()))`], { TSBPF_VERBOSE: "1" });
  const status = await finished(run, 240_000);
  assert.equal(status, 0, run.output());
  assert.match(run.stderr(), /^Attaching 2000 probes\.\.\./m);
  assert.match(run.stderr(), /fn_\*: 2000 functions, attached once: one uprobe_multi link/, run.stderr());
  assert.deepEqual(counts(run.stdout()), EXPECTED, run.output());
});

for (const multi of [true, false]) {
  test(`a uretprobe wildcard ${multi ? "(uprobe_multi where the kernel has it)" : "without uprobe_multi: one perf uprobe per function"}, the same counts`, { timeout: 300_000, skip }, async () => {
    const dir = build();
    // fn_199 and fn_1990 .. fn_1999: 11 functions (each perf uprobe waits for RCU to detach).
    const run = tsbpf(["-c", `${dir}/user ${CALLS}`, "-e", `uretprobe("${dir}/libmany.so:fn_199*", () => count(probe()))`], { TSBPF_VERBOSE: "1", ...(multi ? {} : { TSBPF_NO_UPROBE_MULTI: "1" }) });
    const status = await finished(run, 240_000);
    assert.equal(status, 0, run.output());
    assert.match(run.stderr(), multi && hasUprobeMulti() ? /fn_199\*: 11 functions, attached once: one uprobe_multi link/ : /fn_199\*: 11 functions, one perf uprobe each/, run.stderr());
    assert.deepEqual(counts(run.stdout().replaceAll("uretprobe:", "uprobe:")), { fn_1999: 1 }, run.output());
  });
}

test("without uprobe_multi, a wildcard over more than 1000 functions is refused, saying so", { timeout: 300_000, skip }, async () => {
  const dir = build();
  const run = tsbpf(["-e", `uprobe("${dir}/libmany.so:fn_*", () => count(probe()))`], { TSBPF_NO_UPROBE_MULTI: "1" });
  assert.equal(await finished(run, 240_000), 1, run.output());
  assert.match(run.stderr(), /"fn_\*" matches 2000 functions? of ".*libmany\.so"s? .*tsbpf attaches at most 1000 at once/, run.stderr());
});

test("-p PID: the uprobe_multi link fires in that process only", { timeout: 300_000, skip: skipMany }, async () => {
  const dir = build();
  const held = runCommand(`${dir}/user`, ["1", "hold"]);
  try {
    const run = tsbpf(["-p", String(held.pid), "-d", "2", "-e", `uprobe("${dir}/libmany.so:fn_*", () => count(probe()))`]);
    assert.ok(await started(run, "Attaching 2000 probes", 240_000), run.output());
    // Another process calling fn_7 and fn_1999 meanwhile: not counted.
    for (let i = 0; i < 5; i++) spawnSync(`${dir}/user`, ["3"]);
    assert.equal(await finished(run, 240_000), 0, run.output());
    const c = counts(run.stdout());
    assert.deepEqual(Object.keys(c), ["fn_0"], run.output());
    assert.ok(c.fn_0 > 0, run.output());
  } finally {
    held.kill("SIGKILL");
    await held.exited;
  }
});

test("SIGTERM of a one-liner on 2000 functions: status 143 after the first event, no link or program left", { timeout: 300_000, skip: skipMany }, async () => {
  const dir = build();
  const run = tsbpf(["-e", `uprobe("${dir}/libmany.so:fn_*", () => { count(probe()); printf("hit\\n") })`]);
  try {
    assert.ok(await started(run, "Attaching 2000 probes", 240_000), run.output());
    let ids = { links: [] as string[], progs: [] as string[], linkTypes: [] as string[] };
    // Calls until the first event arrives (the probes are attached once the link exists).
    assert.ok(await waitFor(() => {
      spawnSync(`${dir}/user`, ["1"]);
      return run.stdout().includes("hit");
    }, 120_000), run.output());
    ids = bpfIds(run.pid);
    assert.deepEqual(ids.linkTypes.filter((t) => t !== "perf_event"), ["uprobe_multi"], `links: ${ids.linkTypes.join(", ")}`);
    run.kill("SIGTERM");
    assert.equal(await finished(run, 120_000), 143, run.output());
    // The kernel frees a program after an RCU grace period, not at the process's exit.
    await waitFor(() => leftBehind(ids).length === 0, 60_000);
    assert.deepEqual(leftBehind(ids), []);
    assert.doesNotMatch(uprobeEvents(), /libmany/);
  } finally {
    run.kill("SIGKILL");
  }
});

test("a script's @uprobe wildcard: one uprobe_multi link, probe() names each function, stop() leaves nothing", { timeout: 300_000, skip: skipMany }, async () => {
  const dir = build();
  const script = join(dir, "trace.ts");
  writeFileSync(script, `import { Count, probe, uprobe, Tracer, type ProbeName } from ${JSON.stringify(MOD)};
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
class Calls extends Tracer {
  hits = new Count<[ProbeName]>();
  @uprobe(${JSON.stringify(`${dir}/libmany.so:fn_*`)})
  onCall() { this.hits.add([probe()]); }
}
const t = new Calls();
t.end = () => {};
await t.start({ exitOnError: false });
const types = readdirSync("/proc/self/fdinfo").map((fd) => { try { return /^link_type:\\s*(\\S+)$/m.exec(readFileSync("/proc/self/fdinfo/" + fd, "utf8"))?.[1]; } catch { return undefined; } }).filter(Boolean);
spawnSync(${JSON.stringify(`${dir}/user`)}, ["${CALLS}"]);
await new Promise((r) => setTimeout(r, 500));
const counts = Object.fromEntries(t.hits.entries().map(([[n], c]) => [n.slice(n.lastIndexOf(":") + 1), Number(c)]));
await t.stop();
console.log(JSON.stringify({ types, counts }));
`);
  // It reads its fdinfo and runs the workload: all permissions on Deno.
  const run = runCommand(process.execPath, typeof Bun !== "undefined" ? ["run", script] : ["run", "-A", "--quiet", script], { TSBPF_NO_CACHE: "1" });
  assert.equal(await finished(run, 240_000), 0, run.output());
  const report = JSON.parse(run.stdout().trim().split("\n").pop()!);
  assert.deepEqual(report.types, ["uprobe_multi"], run.output());
  assert.deepEqual(report.counts, EXPECTED, run.output());  // tsbpf plan says how the wildcard is attached.
  const plan = tsbpf(["plan", script]);
  await finished(plan, 240_000);
  assert.match(plan.stdout(), /uprobe .*libmany\.so:fn_\* \(2000 functions, attached once: one uprobe_multi link\)/, plan.output());
});
