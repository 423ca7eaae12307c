// Attach and stop times of a tracer on many syscall tracepoints (bench/NOTES.md, "Stopping many
// probes"): one-liners counting by probe on `syscalls:sys_enter_*` for each tsbpf checkout given
// (on Bun and on Deno) and bpftrace, interleaved round by round. Per run: wall time from the spawn
// until the probes are attached (tsbpf's "Attaching" line, printed once start() returned;
// bpftrace's perf event fds all open), SIGTERM 1.5 s later (again each second, for bpftrace
// 0.17, which may miss one), wall time until the process is reaped, and the CPU time (user+sys) of the whole run from /usr/bin/time.
//   bun bench/stop_many.ts ROUNDS NAME=CHECKOUT... (e.g. main=/tmp/main branch=.)
// PATTERN=sys_enter_ti* (10 matches) for another wildcard; NO_BPFTRACE=1 leaves bpftrace out.
// ONE (tsbpf's one-liner), BPFTRACE_ONE (bpftrace's program) and MATCHES (how many probes that is)
// for another kind of probe, e.g. a uprobe wildcard (bench/NOTES.md, "Uprobe wildcards"); ONELINER
// a one-liner of tsbpf's only (bpftrace left out), SCRIPT a script (bench/stop_many_script.ts).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";

const [roundsArg = "3", ...checkouts] = process.argv.slice(2);
const PATTERN = process.env.PATTERN ?? "sys_enter_*";
const ONE = process.env.ONE ?? process.env.ONELINER ?? `tracepoint("syscalls:${PATTERN}", () => count(probe()))`;
const BPFTRACE_ONE = process.env.BPFTRACE_ONE ?? `tracepoint:syscalls:${PATTERN} { @[probe] = count(); }`;
const matches = process.env.MATCHES ? Number(process.env.MATCHES) : readdirSync("/sys/kernel/tracing/events/syscalls").filter((n) => new RegExp(`^${PATTERN.replace(/\*/g, ".*")}$`).test(n)).length;

interface Variant { name: string; argv: string[]; env?: Record<string, string>; bpftrace?: boolean }
const variants: Variant[] = [];
const tmp = mkdtempSync(`${tmpdir()}/tsbpf-stop-many-`);
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));
for (const c of checkouts) {
  const [name, dir] = c.split("=");
  // SCRIPT: a script instead (it prints "Attaching" once started), run with tsbpf run.
  const argv = process.env.SCRIPT ? [`${dir}/bin/tsbpf`, "run", scriptFor(dir, process.env.SCRIPT)] : [`${dir}/bin/tsbpf`, "-e", ONE];
  for (const rt of ["bun", "deno"]) variants.push({ name: `${name}, ${rt}`, argv, env: { TSBPF_RUNTIME: rt } });
}
if (!process.env.NO_BPFTRACE && !process.env.ONELINER && !process.env.SCRIPT) variants.push({ name: "bpftrace", argv: ["bpftrace", "-e", BPFTRACE_ONE], bpftrace: true });

/** A copy of `script` importing the checkout `dir`'s tsbpf (each checkout's compiler compiles its own). */
function scriptFor(dir: string, script: string): string {
  const copy = `${tmp}/${variants.length}.ts`;
  writeFileSync(copy, readFileSync(script, "utf8").replace(/from "\.\.\/mod\.ts"/, `from ${JSON.stringify(`${realpathSync(dir)}/mod.ts`)}`));
  return copy;
}

const perfFds = (pid: number): number => {
  let n = 0;
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === "anon_inode:[perf_event]") n++;
      } catch { /* closed meanwhile */ }
    }
  } catch { /* gone */ }
  return n;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function once(v: Variant): Promise<{ attach: number; stop: number; cpu: number }> {
  const t0 = performance.now();
  const child = spawn("/usr/bin/time", ["-f", "CPU %U %S", ...v.argv], { env: { ...process.env, ...v.env }, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  let attached: number | undefined;
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  child.stderr!.on("data", (d) => {
    err += d;
    if (!v.bpftrace && attached === undefined && err.includes("Attaching")) attached = performance.now();
  });
  // bpftrace prints its line before attaching: its probes are attached once it holds their perf events.
  while (attached === undefined) {
    await sleep(20);
    if (v.bpftrace) {
      const kids = readdirSync("/proc").filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => {
        try { return readlinkSync(`/proc/${p}/exe`).endsWith("/bpftrace"); } catch { return false; }
      });
      if (kids.some((p) => perfFds(p) >= matches)) attached = performance.now();
    }
    if (child.exitCode !== null) throw new Error(`${v.name} ended: ${err}`);
  }
  await sleep(1500);
  const t2 = performance.now();
  // The tracer itself, not /usr/bin/time: its child.
  const tracer = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim().split(/\s+/)[0]);
  process.kill(tracer, "SIGTERM");
  // bpftrace 0.17 may miss a signal that comes while it prints: sent again each second until it ends.
  const again = v.bpftrace ? setInterval(() => { try { process.kill(tracer, "SIGTERM"); } catch { /* gone */ } }, 1000) : undefined;
  await exited;
  clearInterval(again);
  const t3 = performance.now();
  const m = /CPU ([\d.]+) ([\d.]+)/.exec(err);
  return { attach: attached - t0, stop: t3 - t2, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN };
}

const results = new Map<string, { attach: number[]; stop: number[]; cpu: number[] }>();
// A first round unrecorded: each checkout's compile caches are warm after it.
for (let r = -1; r < Number(roundsArg); r++) {
  for (const v of variants) {
    const x = await once(v);
    if (r < 0) continue;
    const slot = results.get(v.name) ?? { attach: [], stop: [], cpu: [] };
    slot.attach.push(x.attach); slot.stop.push(x.stop); slot.cpu.push(x.cpu);
    results.set(v.name, slot);
    console.error(`round ${r + 1} ${v.name}: attached ${x.attach.toFixed(0)} ms, stop ${x.stop.toFixed(0)} ms, CPU ${x.cpu.toFixed(0)} ms`);
  }
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
const range = (a: number[]) => `${Math.min(...a).toFixed(0)}-${Math.max(...a).toFixed(0)}`;
console.log(`| ${matches} ${process.env.ONE ? "probes" : "tracepoints"} | attached after (ms) | stop (ms) | CPU of the run (ms) |\n|---|---|---|---|`);
for (const [name, s] of results) console.log(`| ${name} | ${med(s.attach).toFixed(0)} (${range(s.attach)}) | ${med(s.stop).toFixed(0)} (${range(s.stop)}) | ${med(s.cpu).toFixed(0)} (${range(s.cpu)}) |`);
