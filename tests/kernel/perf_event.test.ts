// @profile, @interval and @perfEvent on this host's kernel: sampling rates as asked, stacks in a
// sampling handler, software events, and hardware events where the machine has counters (a
// clear error where it has none).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { libc } from "../../runtime/ffi/mod.ts";
import { onlineCpus } from "../../runtime/cpus.ts";
import { fileExists } from "../../runtime/files.ts";
import { Count, cpu, interval, perfEvent, pid, profile, Tracer, type u32, ustack, type UStack } from "../../mod.ts";

await libc();

function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) { /* on the CPU, in user space */ }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Sampler extends Tracer {
  byCpu = new Count<u32>();
  mine = new Count();
  stacks = new Count<UStack>();
  ticks = new Count();
  self: u32 = 0;

  @profile(99)
  onSample() {
    this.byCpu.add(cpu());
    if (pid() === this.self) {
      this.mine.add();
      this.stacks.add(ustack());
    }
  }

  @interval(100)
  onTick() {
    this.ticks.add();
  }
}

test("@profile samples every CPU about hz times a second, with stacks; @interval ticks every ms", async () => {
  const tracer = new Sampler();
  tracer.self = process.pid;
  tracer.end = () => {};
  // The events may start counting any time from `before`; surely from `started`.
  const before = Date.now(), cpuBefore = process.cpuUsage();
  await tracer.start({ exitOnError: false });
  const started = Date.now(), cpuStarted = process.cpuUsage();
  // A busy loop on every CPU meanwhile: a CPU idle in a virtual machine may not run its sampling
  // timer for a whole second (seen once on a quiet host: 0 samples on CPU 1).
  const loops = onlineCpus().map((c) => spawn("taskset", ["-c", String(c), "sh", "-c", "while :; do :; done"], { stdio: "ignore" }));
  try {
    busy(1000);
    const mine = tracer.mine.get() ?? 0n;
    const end = Date.now(), cpuEnd = process.cpuUsage();
    const least = (end - started) / 1000, most = (end - before) / 1000;
    const within = (n: bigint, perSecond: number, low: number, high: number) => Number(n) >= Math.floor(perSecond * least * low) && Number(n) <= Math.ceil(perSecond * most * high);
    // This process is sampled for the CPU time it used (however loaded the machine is): about
    // 99 samples per CPU second, counted with the clock's 10 ms granularity.
    const seconds = (from: { user: number; system: number }) => (cpuEnd.user + cpuEnd.system - from.user - from.system) / 1e6;
    const [cpuLeast, cpuMost] = [seconds(cpuStarted), seconds(cpuBefore)];
    assert.ok(Number(mine) >= 99 * cpuLeast * 0.6 - 3 && Number(mine) <= 99 * cpuMost * 1.3 + 3, `${mine} samples of this process for ${cpuLeast.toFixed(3)}-${cpuMost.toFixed(3)} s of CPU time at 99 Hz`);
    // Every online CPU is sampled, at most 99 times a second (fewer when a virtual machine's CPU
    // is not running: samples are taken on the CPU itself).
    for (const c of onlineCpus()) {
      const n = tracer.byCpu.get(c) ?? 0n;
      assert.ok(n >= 1n && within(n, 99, 0, 1.2), `CPU ${c}: ${n} samples in ${least}-${most} s`);
    }
    const stacks = tracer.stacks.entries();
    assert.ok(stacks.some(([s]) => !s.failed && s.addresses.length > 0), "no user stack was captured in a sample");
    const ticks = tracer.ticks.get() ?? 0n;
    assert.ok(Number(ticks) >= Math.floor(least * 10) - 1 && Number(ticks) <= Math.ceil(most * 10) + 1, `${ticks} ticks of 100 ms in ${least}-${most} s`);
  } finally {
    for (const l of loops) l.kill("SIGKILL");
    await tracer.stop();
  }
});

class Switches extends Tracer {
  switches = new Count();
  self: u32 = 0;

  @perfEvent({ type: "software", config: "context-switches", period: 1 })
  onSwitch() {
    if (pid() === this.self) this.switches.add();
  }
}

test("@perfEvent on a software event: a sample per context switch of this process", async () => {
  const tracer = new Switches();
  tracer.self = process.pid;
  tracer.end = () => {};
  await tracer.start({ exitOnError: false });
  try {
    for (let i = 0; i < 20; i++) await sleep(5); // each sleep leaves the CPU
    const n = tracer.switches.get() ?? 0n;
    assert.ok(n >= 20n, `counted ${n} context switches for 20 sleeps`);
  } finally {
    await tracer.stop();
  }
});

class Cycles extends Tracer {
  cycles = new Count();

  @perfEvent({ type: "hardware", config: "cpu-cycles", period: 1000000 })
  onCycles() {
    this.cycles.add();
  }
}

const hasCounters = ["cpu", "cpu_core", "cpu_atom"].some((p) => fileExists(`/sys/bus/event_source/devices/${p}`));

test("@perfEvent on a hardware event: sampled where the CPU has counters, a clear error where not", async () => {
  const tracer = new Cycles();
  tracer.end = () => {};
  if (!hasCounters) {
    await assert.rejects(tracer.start({ exitOnError: false }), (e: Error) => {
      assert.equal(e.name, "TracerError");
      assert.match(e.message, /Cannot attach perf event hardware:cpu-cycles: this machine has no hardware performance counters/);
      assert.match(e.message, /hint: use a software event/);
      return true;
    });
    return;
  }
  await tracer.start({ exitOnError: false });
  try {
    busy(200);
    assert.ok((tracer.cycles.get() ?? 0n) > 0n, "no cycle samples");
  } finally {
    await tracer.stop();
  }
});

class RatedSampler extends Tracer {
  mine = new Count();
  self: u32 = 0;
  frequency = 99;

  @profile((t: RatedSampler) => t.frequency)
  onSample() {
    if (pid() === this.self) this.mine.add();
  }
}

test("@profile's rate read from the tracer at start(): samples at that rate, and a rate too high is refused", async () => {
  const fast = new RatedSampler();
  fast.self = process.pid;
  fast.frequency = 700;
  fast.end = () => {};
  await fast.start({ exitOnError: false });
  const before = process.cpuUsage();
  try {
    busy(500);
    const used = process.cpuUsage(before);
    const seconds = (used.user + used.system) / 1e6;
    const n = Number(fast.mine.get() ?? 0n);
    // 99 Hz would give about 50 samples for half a second of CPU: 700 Hz gives about 350.
    assert.ok(n >= 700 * seconds * 0.5 && n <= 700 * seconds * 1.3 + 10, `${n} samples for ${seconds.toFixed(3)} s of CPU at 700 Hz`);
  } finally {
    await fast.stop();
  }
  const tooFast = new RatedSampler();
  tooFast.frequency = 100_000_000;
  await assert.rejects(tooFast.start({ exitOnError: false }), /@profile\(100000000\) asks for more samples per second than this kernel allows/);
});
