import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { formatRow, OffCpuTime, rows } from "../../examples/offcputime.ts";

test("offcputime -p: a sleep(1) is off the CPU for its whole sleep, under the kernel's sleep stack", async () => {
  // The shell waits for a line, then becomes sleep(1): the pid to trace is known before it sleeps.
  // `&&`: were its stdin to end early, it would exit without sleeping rather than sleep before
  // the tracer is attached (which would look like a wait the tool missed).
  const sh = spawn("sh", ["-c", "read x && exec sleep 0.3"], { stdio: ["pipe", "ignore", "ignore"] });
  const exited = new Promise<number | null>((r) => sh.on("exit", r));
  const tracer = new OffCpuTime();
  tracer.targetPid = sh.pid!;
  tracer.end = () => {};
  try {
    await tracer.start({ exitOnError: false });
    sh.stdin!.end("go\n");
    assert.equal(await exited, 0, "the shell did not wait for the go-ahead (its stdin ended early)");
    const all = rows(tracer);
    assert.ok(all.length > 0, "no off-CPU time recorded");
    assert.ok(all.every((r) => r.pid === sh.pid && r.tgid === sh.pid), "-p let another thread through");
    // The sleep's own wait, under nanosleep. Not simply the largest: on a loaded machine the
    // exiting sleep can wait longer than 0.3 s for a lock (seen: down_write in exit_mmap).
    const symbols = all.some((r) => r.kernel?.length && !r.kernel[0].startsWith("0x"));
    const slept = symbols ? all.find((r) => r.comm === "sleep" && (r.kernel ?? []).some((f) => /nanosleep/.test(f))) : all[all.length - 1];
    assert.ok(slept, `no row under nanosleep:\n${all.map((r) => formatRow(r)).join("")}`);
    assert.equal(slept.comm, "sleep");
    assert.ok(slept.us >= 280_000n && slept.us < 2_000_000n, `${slept.us} us off CPU for a 0.3 s sleep`);
    const kernel = slept.kernel ?? [];
    assert.ok(kernel.length >= 3, `kernel stack: ${kernel}`);
    assert.ok(!/^(bpf_prog_|bpf_trace_run|__traceiter_)/.test(kernel[0]), `the tracing frames were not dropped: ${kernel[0]}`);
    const text = formatRow(slept);
    assert.match(text, new RegExp(`\\n    -                sleep \\(${sh.pid}\\)\\n        ${slept.us}\\n$`));
    const folded = formatRow(slept, { folded: true, kernelOnly: true });
    assert.equal(folded, `sleep;${[...kernel].reverse().join(";")} ${slept.us}`);
  } finally {
    await tracer.stop();
  }
});

test("offcputime -m -M: only waits within the bounds are summed", async () => {
  const sh = spawn("sh", ["-c", "read x; sleep 0.02; sleep 0.2"], { stdio: ["pipe", "ignore", "ignore"] });
  const tracer = new OffCpuTime();
  tracer.targetPid = sh.pid!;
  tracer.minBlockUs = 100_000n;
  tracer.maxBlockUs = 1_000_000n;
  tracer.end = () => {};
  try {
    await tracer.start({ exitOnError: false });
    sh.stdin!.end("go\n");
    await new Promise((r) => sh.on("exit", r));
    const all = rows(tracer, { kernelOnly: true });
    const total = all.reduce((a, r) => a + r.us, 0n);
    // Only the shell's wait for the 0.2 s sleep counts: not the 0.02 s one, nor its short waits.
    // A loaded machine can split the wait in two, one part under the -m bound: allow some slack.
    assert.ok(total >= 150_000n && total < 400_000n, `${total} us summed`);
    assert.ok(all.every((r) => r.us >= 100_000n));
  } finally {
    await tracer.stop();
  }
});
