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
    const told = performance.now();
    sh.stdin!.end("go\n");
    assert.equal(await exited, 0, "the shell did not wait for the go-ahead (its stdin ended early)");
    // The sleep's wait lies between the go-ahead and the exit this process saw: its upper bound.
    const afterUs = BigInt(Math.ceil((performance.now() - told) * 1000)) + 1000n;
    const all = rows(tracer);
    assert.ok(all.length > 0, "no off-CPU time recorded");
    assert.ok(all.every((r) => r.pid === sh.pid && r.tgid === sh.pid), "-p let another thread through");
    // The sleep's own wait, under nanosleep. Not simply the largest: on a loaded machine the
    // exiting sleep can wait longer than 0.3 s for a lock (seen: down_write in exit_mmap).
    const symbols = all.some((r) => r.kernel?.length && !r.kernel[0].startsWith("0x"));
    const slept = symbols ? all.find((r) => r.comm === "sleep" && (r.kernel ?? []).some((f) => /nanosleep/.test(f))) : all[all.length - 1];
    assert.ok(slept, `no row under nanosleep:\n${all.map((r) => formatRow(r).join("\n")).join("")}`);
    assert.equal(slept.comm, "sleep");
    assert.ok(slept.us >= 280_000n && slept.us <= afterUs, `${slept.us} us off CPU for a 0.3 s sleep, in ${afterUs} us from the go-ahead to the exit`);
    const kernel = slept.kernel ?? [];
    assert.ok(kernel.length >= 3, `kernel stack: ${kernel}`);
    assert.ok(!/^(bpf_prog_|bpf_trace_run|__traceiter_)/.test(kernel[0]), `the tracing frames were not dropped: ${kernel[0]}`);
    const text = formatRow(slept).join("\n");
    assert.match(text, new RegExp(`\\n    -                sleep \\(${sh.pid}\\)\\n        ${slept.us}\\n$`));
    const folded = formatRow(slept, { folded: true, kernelOnly: true }).join("\n");
    assert.equal(folded, `sleep;${[...kernel].reverse().join(";")} ${slept.us}`);
  } finally {
    await tracer.stop();
  }
});

/** offcputime -p -m -M's rows for a shell that becomes sleep(0.4) once told to go. */
async function sleepRows(minBlockUs: bigint, maxBlockUs: bigint) {
  const sh = spawn("sh", ["-c", "read x && exec sleep 0.4"], { stdio: ["pipe", "ignore", "ignore"] });
  const exited = new Promise<number | null>((r) => sh.on("exit", r));
  const tracer = new OffCpuTime();
  tracer.targetPid = sh.pid!;
  tracer.minBlockUs = minBlockUs;
  tracer.maxBlockUs = maxBlockUs;
  tracer.end = () => {};
  try {
    await tracer.start({ exitOnError: false });
    sh.stdin!.end("go\n");
    assert.equal(await exited, 0, "the shell did not wait for the go-ahead (its stdin ended early)");
    return rows(tracer);
  } finally {
    await tracer.stop();
  }
}

const underNanosleep = (r: ReturnType<typeof rows>[number]) => r.comm === "sleep" && (r.kernel ?? []).some((f) => /nanosleep/.test(f));

test("offcputime -m -M: a wait longer than -M is left out; one within the bounds is summed; none shorter than -m", async () => {
  // Only a wait's lower bound holds on a busy machine: the sleep waits 0.4 s or longer, never
  // less (were it preempted as it began to sleep, one of its two waits would still be 0.2 s or
  // more). So the wait to leave out is the one past -M, and -M is otherwise far away.
  const listed = (all: ReturnType<typeof rows>) => all.map((r) => formatRow(r).join("\n")).join("");
  const within = await sleepRows(150_000n, 3_600_000_000n);
  assert.ok(within.some((r) => r.kernel?.length && !r.kernel[0].startsWith("0x")), `no kernel symbols: which row is the sleep's cannot be told:\n${listed(within)}`);
  const slept = within.find(underNanosleep);
  assert.ok(slept, `no row under nanosleep with -m 0.15 s:\n${listed(within)}`);
  const over = await sleepRows(0n, 100_000n);
  assert.ok(!over.some(underNanosleep), `the 0.4 s sleep was summed with -M 0.1 s:\n${listed(over)}`);
  // Each row sums waits of at least -m each
  assert.ok(within.every((r) => r.us >= 150_000n), listed(within));
});
