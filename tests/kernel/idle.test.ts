// An idle tracer sleeps in the kernel's notification instead of polling its buffers on a timer:
// once no event has come for a while, a thread of the process waits in epoll_wait on a set that
// watches the tracer's ring buffer (or each CPU's perf event); an event then wakes it and is
// delivered; stop() ends that wait and closes the set. Checked by what the process is doing
// (/proc/self/task/*/syscall, /proc/self/fdinfo), never by how long anything took.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { PerfBuffer, pid, RingBuf, Tracer, tracepoint, type u32 } from "../../mod.ts";
import { runCommand, runScript, runtimeCommand, waitFor } from "./util.ts";

const c = await libc();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SYS_EPOLL_WAIT = 232, SYS_EPOLL_PWAIT = 281, SYS_EPOLL_PWAIT2 = 441;

interface Call {
  pid: u32;
}

class RingCalls extends Tracer {
  events = new RingBuf<Call>();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ pid: pid() });
  }
}

class PerfCalls extends Tracer {
  events = new PerfBuffer<Call>(8192);
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ pid: pid() });
  }
}

function link(fd: string): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return "";
  }
}

/** This process's fds of one kind: "ringbuf" (BPF ring buffer maps), "perf" (perf events) or "epoll". */
function fdsOf(kind: "ringbuf" | "perf" | "epoll"): Set<number> {
  const out = new Set<number>();
  for (const fd of readdirSync("/proc/self/fd")) {
    const target = link(fd);
    if (kind === "epoll" && target === "anon_inode:[eventpoll]") out.add(Number(fd));
    if (kind === "perf" && target === "anon_inode:[perf_event]") out.add(Number(fd));
    if (kind === "ringbuf" && target === "anon_inode:bpf-map") {
      try {
        if (/^map_type:\s*27$/m.test(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))) out.add(Number(fd));
      } catch { /* closed meanwhile */ }
    }
  }
  return out;
}

/** The fds an epoll set watches (its fdinfo's "tfd:" lines). */
function watched(epfd: number): number[] {
  try {
    return [...readFileSync(`/proc/self/fdinfo/${epfd}`, "utf8").matchAll(/^tfd:\s*(\d+)/gm)].map((m) => Number(m[1]));
  } catch {
    return [];
  }
}

/** Threads of this process blocked in epoll_wait, by the epoll fd each waits on. */
function epollWaiters(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    let line = "";
    try {
      line = readFileSync(`/proc/self/task/${tid}/syscall`, "utf8");
    } catch {
      continue;
    }
    const [nr, arg0] = line.trim().split(" ");
    if ([SYS_EPOLL_WAIT, SYS_EPOLL_PWAIT, SYS_EPOLL_PWAIT2].includes(Number(nr))) out.set(Number(arg0), Number(tid));
  }
  return out;
}

function isEventfd(fd: number): boolean {
  return link(String(fd)) === "anon_inode:[eventfd]";
}

/**
 * The epoll fd a thread waits on that watches some of `fds` and nothing else but an eventfd,
 * once one does (polled for up to 10 s). (A perf buffer's fds are among the tracer's new perf
 * event fds, with the tracepoint's.)
 */
async function waiterOn(fds: Set<number>): Promise<number | undefined> {
  for (let i = 0; i < 200; i++) {
    for (const epfd of epollWaiters().keys()) {
      const set = watched(epfd);
      if (set.some((fd) => fds.has(fd)) && set.every((fd) => fds.has(fd) || isEventfd(fd))) return epfd;
    }
    await sleep(50);
  }
  return undefined;
}

for (const [name, Kind, kind] of [["RingBuf", RingCalls, "ringbuf"], ["PerfBuffer", PerfCalls, "perf"]] as const) {
  test(`an idle tracer with a ${name} waits in epoll_wait on its buffer, is woken by an event, and stop() ends the wait`, async () => {
    const epollsBefore = fdsOf("epoll"), buffersBefore = fdsOf(kind);
    const tracer = new Kind();
    tracer.self = process.pid;
    await tracer.start({ exitOnError: false, reportLoss: false });
    const got: Call[] = [];
    tracer.events.on((e) => got.push(e));
    const buffers = new Set([...fdsOf(kind)].filter((fd) => !buffersBefore.has(fd)));
    try {
      const epfd = await waiterOn(buffers);
      assert.ok(epfd !== undefined, `no thread waits in epoll_wait on the ${name}'s fds ${[...buffers]} (waiters: ${JSON.stringify([...epollWaiters()])})`);

      // Asleep in the kernel: one event wakes it and is delivered.
      c.syscall(SYS.getppid);
      for (let i = 0; i < 200 && got.length < 1; i++) await sleep(50);
      assert.equal(got.length, 1, "the event that came while the tracer waited was not delivered");
      assert.equal(got[0].pid, process.pid);

      // Quiet again: back to waiting, and the next event is delivered too.
      assert.equal(await waiterOn(buffers), epfd, "the tracer did not go back to waiting on the same set");
      c.syscall(SYS.getppid);
      for (let i = 0; i < 200 && got.length < 2; i++) await sleep(50);
      assert.equal(got.length, 2, "the second event after a quiet spell was not delivered");
    } finally {
      await tracer.stop();
    }
    // Once stop() resolved: no thread waits on the set any more, and it is closed.
    assert.deepEqual(fdsOf("epoll"), epollsBefore, "stop() left an epoll fd open");
    for (const [waitedOn] of epollWaiters()) assert.ok(epollsBefore.has(waitedOn), `a thread still waits on epoll fd ${waitedOn}`);
  });
}

test("stop() while the tracer waits in epoll_wait returns promptly and leaves no waiting thread", async () => {
  const epollsBefore = fdsOf("epoll");
  for (let round = 0; round < 3; round++) {
    const tracer = new RingCalls();
    tracer.self = process.pid;
    await tracer.start({ exitOnError: false, reportLoss: false });
    tracer.events.on(() => {});
    const buffers = new Set([...fdsOf("ringbuf")]);
    assert.ok(await waiterOn(buffers) !== undefined, "the tracer never went quiet");
    await tracer.stop();
    assert.deepEqual(fdsOf("epoll"), epollsBefore, `round ${round}: stop() left an epoll fd open`);
  }
});

test("a tracer stopped by its own begin() leaves nothing running: the process ends by itself", async () => {
  const run = runScript(new URL("../fixtures/begin_stops.ts", import.meta.url).pathname, { TSBPF_NO_CACHE: "1" });
  let exited = false;
  run.exited.then(() => (exited = true));
  // Generous: a compile and a start; a process kept alive by a leftover timer never ends.
  if (!(await waitFor(() => exited, 60000))) run.kill("SIGKILL");
  assert.equal(await run.exited, 0, `the process did not end by itself: ${run.output()}`);
  assert.match(run.output(), /started and stopped/);
});

for (const how of ["stop()", "SIGINT"]) {
  test(`on Deno a tracer never reads the global timers: it starts, wakes from quiet, runs its heartbeat and ends by ${how} without them (the exit after the signal too)`, async () => {
    const script = new URL("../fixtures/pump_no_timers.ts", import.meta.url).pathname;
    // It lists its own fds: on Deno, reading the links in /proc/self/fd needs every permission.
    const [cmd, ...args] = c.runtime === "deno" ? [process.execPath, "run", "-A", script] : runtimeCommand(script);
    const run = runCommand(cmd, how === "SIGINT" ? [...args, "--signal"] : args);
    let exited = false;
    run.exited.then(() => (exited = true));
    // Generous: a compile and a start; a process kept alive by a leftover wait never ends.
    if (!(await waitFor(() => exited, 60000))) run.kill("SIGKILL");
    assert.equal(await run.exited, how === "SIGINT" ? 130 : 0, `the process did not end by itself: ${run.output()}`);
    const report = JSON.parse(run.stdout().trim().split("\n").at(-1)!);
    assert.equal(report.got, 2, "an event was not delivered");
    assert.deepEqual(report.bpf, [], "the tracer left a BPF object open");
    // A signal ends the process while the epoll thread returns: the kernel closes that set.
    if (how === "stop()") assert.deepEqual(report.wait, [], "stop() left an epoll set or eventfd open");
    // Bun's timers cost nothing to load: there the pump keeps using them.
    if (c.runtime === "deno") assert.deepEqual(report.touched, [], "the tracer read the global timers");
  });
}

for (const name of ["RingBuf", "PerfBuffer"]) {
  test(`a quiet tracer with a ${name} whose heartbeat has nothing to watch schedules no wakeup: no timer comes due, the epoll wait has no timeout; an event still wakes it`, async () => {
    const script = new URL("../fixtures/quiet_heartbeat.ts", import.meta.url).pathname;
    const flags = name === "PerfBuffer" ? ["--perf"] : [];
    // It reads /proc/self/fdinfo: on Deno that needs more than --allow-ffi.
    const [cmd, ...args] = c.runtime === "deno" ? [process.execPath, "run", "-A", script] : runtimeCommand(script);
    const run = runCommand(cmd, [...args, ...flags]);
    let exited = false;
    run.exited.then(() => (exited = true));
    // Generous: a compile and a start; a process kept alive by a leftover timer never ends.
    if (!(await waitFor(() => exited, 60000))) run.kill("SIGKILL");
    assert.equal(await run.exited, 0, `the process did not end by itself: ${run.output()}`);
    const report = JSON.parse(run.stdout().trim().split("\n").at(-1)!);
    assert.equal(report.got, 2, "an event was not delivered");
    assert.equal(report.quiet.waitTimeout, -1, "while quiet, the wait on the buffer has a timeout (a heartbeat that has nothing to check)");
    assert.deepEqual(report.quiet.soonTimers, [], "while quiet, a timer of the tracer's comes due within a minute (a heartbeat that has nothing to check)");
    assert.deepEqual(report.afterStop, [], "stop() left a timer set");
  });
}
