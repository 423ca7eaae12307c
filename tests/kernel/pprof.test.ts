// pprof profiles of real stacks, read by the real pprof (`go tool pprof`, Debian's golang-go):
// profile -o and offcputime -o on small C programs whose hot and waiting functions are known,
// and writePprof() of any Count keyed by a UStack.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { gunzipSync } from "node:zlib";
import process from "node:process";
import { buildC, cannotBuild, importScript, removeMade } from "./user_programs.ts";
import { runScript, waitFor } from "./util.ts";

const dir = mkdtempSync(`${tmpdir()}/tsbpf-pprof-`);
after(() => {
  removeMade();
  rmSync(dir, { recursive: true, force: true });
});

/** `go tool pprof ARGS file`, with a throwaway HOME and build cache (it needs no network for a local file). */
function pprof(file: string, args: string[]): string {
  const r = spawnSync("go", ["tool", "pprof", ...args, file], { encoding: "utf8", timeout: 60_000, env: { PATH: process.env.PATH, HOME: dir, GOCACHE: `${dir}/gocache`, PPROF_TMPDIR: dir } });
  assert.equal(r.status, 0, `go tool pprof ${args.join(" ")} ${file}: ${r.stderr}`);
  return r.stdout;
}

/** The function of the first row of `pprof -top` (the largest flat value). */
function topFunction(top: string): string | undefined {
  const rows = top.split("\n");
  const header = rows.findIndex((l) => /^\s+flat\s+flat%/.test(l));
  return rows[header + 1]?.trim().split(/\s+/).pop();
}

const noGo = spawnSync("go", ["version"]).status === 0 ? undefined : "go is not installed (apt-get install golang-go): go tool pprof reads the profiles";
const skip = noGo ?? cannotBuild(["unistd.h"]) ?? false;

// Built with frame pointers so the user stacks can be walked.
const SPIN = `
#include <unistd.h>
__attribute__((noinline)) void spin_here(volatile unsigned long *n) { for (;;) (*n)++; }
int main(void) { volatile unsigned long n = 0; spin_here(&n); return 0; }
`;
// The sleep is its own system call instruction: libc's functions keep no frame pointer, so a
// wait inside them would hide the caller's frame from the walk.
const WAIT = `
#include <time.h>
__attribute__((noinline)) void wait_here(void) {
  struct timespec ts = { 0, 2000000 };
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(35 /* nanosleep */), "D"(&ts), "S"(0) : "rcx", "r11", "memory");
}
int main(void) { for (;;) wait_here(); return 0; }
`;
const spinner = skip ? "" : buildC("spinner", SPIN, ["-O1", "-fno-omit-frame-pointer"]);
const waiter = skip ? "" : buildC("waiter", WAIT, ["-O1", "-fno-omit-frame-pointer"]);
// The same busy loop under another name: a profile of the whole machine holds two executables.
const otherSpinner = skip ? "" : buildC("otherspinner", SPIN, ["-O1", "-fno-omit-frame-pointer"]);

async function started(program: string) {
  const child = spawn(program, [], { stdio: "ignore" });
  await new Promise((r) => child.on("spawn", r));
  return child;
}

test("profile -o: pprof -top names the busy loop's function, as CPU time at the sampling period", { skip }, async () => {
  const child = await started(spinner);
  const out = `${dir}/cpu.pb.gz`;
  try {
    const run = runScript(new URL("../../examples/profile.ts", import.meta.url).pathname, {}, ["-F", "99", "-p", String(child.pid), "-o", out, "1"]);
    assert.equal(await run.exited, 0, run.output());
    assert.doesNotMatch(run.output(), /spin_here/, "-o writes the stacks to the file, not to the terminal");
    const top = pprof(out, ["-top"]);
    assert.match(top, /^File: spinner$/m, top);
    assert.match(top, /^Type: cpu$/m, top);
    assert.equal(topFunction(top), "spin_here", top);
    // 99 Hz: each sample stands for 1/99 s of CPU.
    const raw = pprof(out, ["-raw"]);
    assert.match(raw, /^PeriodType: cpu nanoseconds$/m);
    assert.match(raw, /^Period: 10101010$/m);
    assert.match(raw, /^samples\/count cpu\/nanoseconds$/m);
    const counts = [...raw.matchAll(/^ +(\d+) +(\d+): /gm)];
    assert.ok(counts.length > 0 && counts.every((m) => BigInt(m[2]) === BigInt(m[1]) * 10101010n), raw);
    assert.match(pprof(out, ["-tags"]), /^ comm: Total [\d.]+m?s\n +[\d.]+m?s \( {2}100%\): spinner$/m);
  } finally {
    child.kill("SIGKILL");
  }
});

test("a profile of the whole machine names no one executable as its File: (profile -p PID names that process's, above)", { skip }, async () => {
  // pprof prints its first mapping as the profile's "File:": for a system-wide profile that was
  // whichever process's executable the first sample read came from.
  const children = [await started(spinner), await started(otherSpinner)];
  const out = `${dir}/system.pb.gz`;
  try {
    const run = runScript(new URL("../../examples/profile.ts", import.meta.url).pathname, {}, ["-F", "99", "-o", out, "1"]);
    assert.equal(await run.exited, 0, run.output());
    const top = pprof(out, ["-top"]);
    const traces = pprof(out, ["-traces"]);
    assert.match(traces, /spin_here/, "both loops were sampled");
    assert.match(pprof(out, ["-tags"]), /: otherspinner$/m, top);
    assert.match(pprof(out, ["-tags"]), /: spinner$/m, top);
    assert.doesNotMatch(top, /^File:/m, top);
  } finally {
    for (const c of children) c.kill("SIGKILL");
  }
});

test("profile -o on a full disk says so in words, names the file asked for, and leaves no partial file", { skip }, async () => {
  // A file system of 8 KiB, filled: every write to it fails with ENOSPC, as on a full disk.
  const full = mkdtempSync(`${dir}/full-`);
  const mount = spawnSync("mount", ["-t", "tmpfs", "-o", "size=8k,mode=0755", "tsbpf-test-full", full], { encoding: "utf8" });
  assert.equal(mount.status, 0, `mount: ${mount.stderr}`);
  const child = await started(spinner);
  try {
    spawnSync("dd", ["if=/dev/zero", `of=${full}/filler`, "bs=4096", "count=16"], { stdio: "ignore" });
    const out = `${full}/cpu.pb.gz`;
    const run = runScript(new URL("../../examples/profile.ts", import.meta.url).pathname, {}, ["-F", "99", "-p", String(child.pid), "-o", out, "1"]);
    assert.equal(await run.exited, 1, run.output());
    const said = run.stderr();
    assert.match(said, new RegExp(`cannot write "?${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"?: no space left on the file system`, "i"), said);
    assert.doesNotMatch(said, /\.tmp/, "the message names the file asked for, not tsbpf's temporary one");
    assert.deepEqual(spawnSync("ls", ["-A", full], { encoding: "utf8" }).stdout.split("\n").filter(Boolean), ["filler"], "nothing half-written is left");
  } finally {
    child.kill("SIGKILL");
    spawnSync("umount", [full]);
  }
});

test("offcputime -o: pprof shows off-CPU nanoseconds, the waiting function among them", { skip }, async () => {
  const child = await started(waiter);
  const out = `${dir}/offcpu.pb.gz`;
  try {
    const run = runScript(new URL("../../examples/offcputime.ts", import.meta.url).pathname, {}, ["-p", String(child.pid), "-o", out, "1"]);
    assert.equal(await run.exited, 0, run.output());
    const raw = pprof(out, ["-raw"]);
    assert.match(raw, /^off_cpu\/nanoseconds$/m, raw);
    // Kernel frames in the kernel's mapping, as perf names it; the tracing's own frames left out.
    assert.match(raw, /^\d+: 0xffff[0-9a-f]+\/0xffff[0-9a-f]+\/0x0 \[kernel\.kallsyms\] +\[FN\]$/m, raw);
    assert.match(raw, / M=\d+ __schedule /, raw);
    assert.doesNotMatch(raw, /bpf_prog_|__traceiter_|__bpf_trace_|bpf_trace_run/, raw);
    const top = pprof(out, ["-top", "-nodecount=200"]);
    assert.match(top, /^File: waiter$/m, top);
    assert.match(top, /^Type: off_cpu$/m, top);
    assert.match(top, /\swait_here$/m, top);
    // Microseconds summed in the kernel, exported in nanoseconds: a process asleep nearly all of
    // a 1 s trace is off the CPU for about a second, not a millisecond.
    const total = /of ([\d.]+)(ms|s) total/.exec(top);
    assert.ok(total, top);
    const seconds = Number(total[1]) / (total[2] === "ms" ? 1000 : 1);
    assert.ok(seconds > 0.3 && seconds < 3, `${seconds} s off the CPU in 1 s of tracing:\n${top}`);
  } finally {
    child.kill("SIGKILL");
  }
});

test("writePprof: any Count keyed by a UStack; labels from the key; no writing through a symbolic link", { skip }, async () => {
  const { Hot } = await importScript("hot", ["Tracer", "Count", "profile", "pid", "ustack", "type UStack", "type u32"], `
    export class Hot extends Tracer {
      samples = new Count<[u32, UStack]>();
      target: u32 = 0;
      @profile(199)
      onSample() {
        if (pid() === this.target) this.samples.add([pid(), ustack()]);
      }
    }`);
  const { writePprof, toPprof } = await import("../../mod.ts");
  const child = await started(spinner);
  const tracer = new Hot();
  tracer.target = child.pid;
  tracer.end = () => {};
  try {
    await tracer.start({ exitOnError: false });
    const total = () => tracer.samples.entries().reduce((a: bigint, [, n]: [unknown, bigint]) => a + n, 0n);
    assert.ok(await waitFor(() => total() >= 40n, 60_000), `only ${total()} samples`);
    const out = `${dir}/hot.pb.gz`;
    await writePprof(tracer.samples, out);
    const top = pprof(out, ["-top"]);
    assert.match(top, /^Type: samples$/m, top);
    assert.equal(topFunction(top), "spin_here", top);
    assert.match(pprof(out, ["-tags"]), new RegExp(`^ key0: Total [\\d.]+\\n +[\\d.]+ \\(  100%\\): ${child.pid}$`, "m"));
    // Gzip's magic first; the same bytes as toPprof gives.
    assert.deepEqual([...readFileSync(out).subarray(0, 2)], [0x1f, 0x8b]);
    assert.ok((await toPprof(tracer.samples)).length > 20);
    // Root writes where the user said, but not through a link someone planted there: the
    // profile replaces the link (a new file renamed into place), the link's target is untouched.
    const target = `${dir}/victim`;
    writeFileSync(target, "keep");
    symlinkSync(target, `${dir}/link.pb.gz`);
    await writePprof(tracer.samples, `${dir}/link.pb.gz`);
    assert.equal(readFileSync(target, "utf8"), "keep");
    assert.ok(!lstatSync(`${dir}/link.pb.gz`).isSymbolicLink());
    assert.ok(existsSync(out));
  } finally {
    await tracer.stop();
    child.kill("SIGKILL");
  }
});

test("writePprof refuses a map whose key holds no stack, and an aggregation that does not add up", { skip }, async () => {
  const { Plain } = await importScript("plain", ["Tracer", "Count", "Max", "profile", "pid", "type u32"], `
    export class Plain extends Tracer {
      calls = new Count<u32>();
      most = new Max<u32>();
      @profile(99)
      onSample() { this.calls.add(pid()); this.most.add(pid(), 1); }
    }`);
  const { writePprof } = await import("../../mod.ts");
  const tracer = new Plain();
  tracer.end = () => {};
  try {
    await tracer.start({ exitOnError: false });
    assert.ok(await waitFor(() => tracer.calls.entries().length > 0, 60_000), "no samples");
    await assert.rejects(writePprof(tracer.calls, `${dir}/plain.pb.gz`), /"calls" as a pprof profile: its key holds no KStack or UStack/);
    await assert.rejects(writePprof(tracer.most, `${dir}/plain.pb.gz`), /"most" as a pprof profile: only a Count or a Sum/);
  } finally {
    await tracer.stop();
  }
});

/** A Profile message's top-level varint field (time_nanos is 9, duration_nanos 10), read from the gzipped bytes. */
function profileVarint(gzipped: Uint8Array, field: number): bigint | undefined {
  const b = gunzipSync(gzipped);
  let i = 0, found: bigint | undefined;
  const varint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      const byte = b[i++];
      v |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return v;
      shift += 7n;
    }
  };
  while (i < b.length) {
    const tag = Number(varint());
    const wire = tag & 7;
    if (wire === 0) {
      const v = varint();
      if (tag >> 3 === field) found = v;
    } else if (wire === 2) {
      const length = Number(varint());
      i += length;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`wire type ${wire} at ${i}`);
  }
  return found;
}

test("a profile ends when its map was read, not when it was encoded: naming the frames of a busy machine takes seconds", { skip }, async () => {
  const { Hot2 } = await importScript("hot2", ["Tracer", "Count", "profile", "ustack", "type UStack"], `
    export class Hot2 extends Tracer {
      samples = new Count<UStack>();
      @profile(99)
      onSample() { this.samples.add(ustack()); }
    }`);
  const { toPprof } = await import("../../mod.ts");
  const tracer = new Hot2();
  tracer.end = () => {};
  try {
    const start = new Date();
    await tracer.start({ exitOnError: false });
    assert.ok(await waitFor(() => tracer.samples.entries().length > 0, 60_000), "no samples");
    const encoded = toPprof(tracer.samples, { start });
    // The map has been read when toPprof returns; the encoding goes on after. Block this thread a
    // few milliseconds (no timer can run first) so that a profile stamped at encoding shows it.
    const read = Date.now();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    const bytes = await encoded;
    const time = profileVarint(bytes, 9)!, duration = profileVarint(bytes, 10)!;
    assert.equal(time, BigInt(start.getTime()) * 1_000_000n);
    const endMs = Number((time + duration) / 1_000_000n);
    assert.ok(endMs <= read, `the profile ends ${endMs - read} ms after its map was read`);
  } finally {
    await tracer.stop();
  }
});
