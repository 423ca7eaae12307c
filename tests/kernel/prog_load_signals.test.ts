// A signal that arrives while the verifier works makes BPF_PROG_LOAD fail with EAGAIN and an
// empty log (the verifier checks for pending signals between instructions). The runtimes send
// their own signals (a garbage collector stopping threads, a child's SIGCHLD), so under load a
// handler's load could fail as "verifier rejected ... no reason given". A load is repeated then.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { libc } from "../../runtime/ffi/mod.ts";
import { progLoad, ProgType } from "../../runtime/bpf.ts";

await libc();

/** `r1 = 0; do r1 += 1 while (r1 < n); return 0`: the verifier walks every iteration (about 1.3 µs each here). */
function countingLoop(n: number): Uint8Array {
  const insns = new Uint8Array(5 * 8), v = new DataView(insns.buffer);
  insns.set([0xb7, 0x01], 0); // mov64 r1, 0
  insns.set([0x07, 0x01], 8), v.setInt32(12, 1, true); // add64 r1, 1
  insns.set([0xa5, 0x01], 16), v.setInt16(18, -2, true), v.setInt32(20, n, true); // if r1 < n goto -2
  insns.set([0xb7, 0x00], 24); // mov64 r0, 0
  insns.set([0x95], 32); // exit
  return insns;
}

/** Loads while another process sends this one SIGUSR2 `count` times, `gapMs` apart. */
async function loadWhileSignalled(logLevel: number | undefined, count: number, gapMs: number) {
  const sleep = (gapMs / 1000).toFixed(3);
  // A first signal says the sender runs (under load its start can take longer than the load).
  const sends = [`kill -USR2 ${process.pid}`, ...Array.from({ length: count }, () => `sleep ${sleep}; kill -USR2 ${process.pid}`)].join("; ");
  let senderRuns: () => void = () => {};
  const running = new Promise<void>((r) => (senderRuns = r));
  const onSignal = () => senderRuns();
  process.on("SIGUSR2", onSignal);
  const sender = spawn("/bin/sh", ["-c", sends], { stdio: "ignore" });
  const senderDone = new Promise((r) => sender.on("exit", r));
  await running;
  try {
    const started = Date.now();
    const result = progLoad({ type: ProgType.SOCKET_FILTER, insns: countingLoop(150000), name: "tsbpf_signals", logLevel });
    const took = Date.now() - started;
    await senderDone;
    await new Promise((r) => setTimeout(r, 50)); // the last signal's listener runs
    return { result, took };
  } finally {
    process.off("SIGUSR2", onSignal);
  }
}

test("a load interrupted by signals is repeated, with or without a verifier log", async () => {
  // The signals come within the first half of an undisturbed load (87 ms on one machine, 200 on another).
  const started = Date.now();
  const quiet = progLoad({ type: ProgType.SOCKET_FILTER, insns: countingLoop(150000), name: "tsbpf_signals" });
  const undisturbed = Date.now() - started;
  assert.ok(quiet.ok, `the undisturbed load failed with errno ${quiet.ok ? "" : quiet.errno}`);
  quiet.fd.close();
  const count = 3, gapMs = Math.max(5, Math.floor(undisturbed / (2 * count)));
  for (const logLevel of [undefined, 1]) {
    // Every load must succeed. One whose signals all came after it (a busy machine delays the
    // sender's sleeps) proves nothing, and is tried again.
    for (let tries = 1; ; tries++) {
      const { result, took } = await loadWhileSignalled(logLevel, count, gapMs);
      assert.ok(result.ok, `log level ${logLevel ?? 0}: the load failed with errno ${result.ok ? "" : result.errno} after ${took} ms, log ending ${JSON.stringify(result.log.slice(-120))}`);
      result.fd.close();
      if (took > count * gapMs) break;
      assert.ok(tries < 10, `in ${tries} tries no load lasted until the signals (${gapMs} ms apart) came: the last took ${took} ms`);
    }
  }
});
