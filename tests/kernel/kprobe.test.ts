// kprobes, kretprobes and fentry/fexit. This host's kernel has neither kprobes nor fentry, so
// here these tests are skipped with the reason; the VM lane (Debian's 6.1) must run them.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { openSync, closeSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { libc } from "../../runtime/ffi/mod.ts";
import { hasFentry, hasKprobes } from "../../runtime/features.ts";
import { Count, kprobe, kretprobe, pid, RingBuf, str, Tracer, type i32, type Str, type u32 } from "../../mod.ts";
import { destAddress, TcpConnect } from "../../examples/tcpconnect.ts";
import { runScript, waitFor } from "./util.ts";

// This file's own directory, made once a test needs it (a fixed name in /tmp could be another
// user's): Deno runs no after() hook of a file whose tests all skip.
let made: string | undefined;
const scratch = () => (made ??= mkdtempSync(join(tmpdir(), "tsbpf-kprobe-")));
after(() => made && rmSync(made, { recursive: true, force: true }));

await libc();
const available = hasKprobes() || hasFentry();
const inVm = !!process.env.TSBPF_IN_VM;
const skip = available ? false : "this kernel has neither kprobes (CONFIG_KPROBES) nor fentry; the VM lane runs these tests";

test("kprobes or fentry are available where the VM lane runs", { skip: !inVm && "only checked inside the VM lane" }, () => {
  assert.ok(available, "inside the VM lane, kprobes or fentry must work");
});

interface Open {
  pid: u32;
  path: Str<64>;
}

class OpenProbe extends Tracer {
  events = new RingBuf<Open>();
  fails = new Count<i32>();

  @kprobe("do_sys_openat2")
  onOpen(dfd: i32, filename: unknown) {
    this.events.submit({ pid: pid(), path: str(filename) });
  }

  @kretprobe("do_sys_openat2")
  onReturn(ret: i32) {
    if (pid() === this.self && ret < 0) this.fails.add(ret);
  }
  self: u32 = 0;
}

test("a kprobe's parameters are the function's arguments; a kretprobe's, its return value", { skip }, async () => {
  const tracer = new OpenProbe();
  tracer.self = process.pid;
  tracer.end = () => {};
  await tracer.start({ exitOnError: false });
  try {
    const events: Open[] = [];
    tracer.events.on((e) => events.push(e));
    const path = join(scratch(), "opened");
    closeSync(openSync(path, "w"));
    try {
      openSync(`/nonexistent-tsbpf-${process.pid}`, "r");
    } catch { /* ENOENT is the point */ }
    assert.ok(await waitFor(() => events.some((e) => e.path === path && e.pid === process.pid), 60_000), "no event for the opened path");
    assert.ok(await waitFor(() => (tracer.fails.get(-2) ?? 0n) >= 1n, 60_000), "the failed open (-ENOENT) was not counted by the kretprobe");
  } finally {
    await tracer.stop();
  }
});

async function connectOnce(): Promise<number> {
  const server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const p = (server.address() as { port: number }).port;
  await new Promise<void>((resolve, reject) => {
    const c = connect(p, "127.0.0.1", () => (c.end(), resolve()));
    c.on("error", reject);
  });
  server.close();
  return p;
}

test("tcpconnect shows a loopback connection made by this test, with address and port", { skip }, async () => {
  const tracer = new TcpConnect();
  tracer.targetPid = process.pid;
  await tracer.start({ exitOnError: false });
  try {
    const events: Parameters<typeof destAddress>[0][] = [];
    tracer.events.on((e) => events.push(e));
    const p = await connectOnce();
    assert.ok(await waitFor(() => events.some((e) => e.dport === p), 60_000), `no connection to port ${p} seen`);
    const e = events.find((x) => x.dport === p)!;
    assert.equal(destAddress(e), "127.0.0.1");
    assert.equal(e.family, 2);
    assert.equal(e.pid, process.pid);
    assert.equal(e.uid, process.getuid!());
  } finally {
    await tracer.stop();
  }
});

test("without fentry, the same kprobe attaches through the kprobe PMU and dies with its process", { skip: skip || (!hasKprobes() && "this kernel has no kprobe PMU") }, async () => {
  // Another tracer's kprobes may be there before, and come and go meanwhile: only lines on
  // tcp_connect that appeared while this one ran count.
  const kprobeEvents = () => readFileSync("/sys/kernel/tracing/kprobe_events", "utf8").split("\n").filter(Boolean);
  const before = new Set(kprobeEvents());
  const run = runScript(new URL("../../examples/tcpconnect.ts", import.meta.url).pathname, { TSBPF_NO_FENTRY: "1", TSBPF_NO_CACHE: "1" });
  try {
    // Under TCG, Deno's first start (no module cache in the guest, a cold compile) takes minutes.
    assert.ok(await waitFor(() => run.output().includes("DPORT"), inVm ? 400000 : 120000), `tcpconnect did not start: ${run.output()}`);
    const p = await connectOnce();
    assert.ok(await waitFor(() => run.output().includes(` ${p}\n`), 60_000), `no line for port ${p}:\n${run.output()}`);
    // bcc's columns: PID COMM IP SADDR DADDR DPORT
    assert.match(run.output(), new RegExp(`\\d+ +\\S+ +4 +127\\.0\\.0\\.1 +127\\.0\\.0\\.1 +${p}\\n`));
  } finally {
    run.kill("SIGKILL");
    await run.exited;
  }
  const left = kprobeEvents().filter((line) => !before.has(line) && /\btcp_connect\b/.test(line));
  assert.deepEqual(left, [], "a kprobe on tcp_connect was left in kprobe_events");
});
