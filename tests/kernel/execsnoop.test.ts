import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { assemble, type Exec, ExecSnoop } from "../../examples/execsnoop.ts";
import { runScript, waitFor } from "./util.ts";

const tool = new URL("../../examples/execsnoop.ts", import.meta.url).pathname;

test("execsnoop joins an exec's program, arguments and result: a spawned /bin/true with its pid, parent and comm", async () => {
  const tracer = await new ExecSnoop().start({ exitOnError: false });
  try {
    const execs: Exec[] = [];
    tracer.events.on(assemble((e) => execs.push(e)));
    const tag = `tsbpf-test-${process.pid}`;
    const child = spawn("/bin/true", [tag, "two words"]);
    await new Promise((r) => child.on("exit", r));
    const failed = spawn("/nonexistent/tsbpf-no-such-program", []);
    await new Promise((r) => failed.on("error", r));
    assert.ok(await waitFor(() => execs.some((e) => e.pid === child.pid), 60_000), "no exec of the child");
    const e = execs.find((x) => x.pid === child.pid)!;
    assert.deepEqual(e.args, ["/bin/true", tag, "two words"]);
    assert.equal(e.retval, 0);
    assert.equal(e.ppid, process.pid);
    assert.equal(e.uid, process.getuid!());
    assert.equal(e.comm, "true", "comm at the return: the new program's");
    assert.ok(await waitFor(() => execs.some((x) => x.args[0] === "/nonexistent/tsbpf-no-such-program"), 60_000), "no failed exec");
    assert.equal(execs.find((x) => x.args[0] === "/nonexistent/tsbpf-no-such-program")!.retval, -2, "ENOENT");
  } finally {
    await tracer.stop();
  }
});

test("execsnoop delivers through for await and ends the loop on stop()", async () => {
  const tracer = await new ExecSnoop().start({ exitOnError: false });
  const child = spawn("/bin/true", []);
  const seen: number[] = [];
  let ended = false;
  const loop = (async () => {
    for await (const e of tracer.events) seen.push(e.pid);
    ended = true;
  })();
  await new Promise((r) => child.on("exit", r));
  // The child's event, however late it comes on a loaded machine (a 3 s window once failed there).
  const delivered = await waitFor(() => seen.includes(child.pid!), 60_000);
  await tracer.stop();
  assert.ok(delivered, "the for-await loop did not see the child");
  // stop() ends the loop itself (nothing here breaks out of it).
  await Promise.race([loop, new Promise((r) => setTimeout(r, 60_000))]);
  assert.ok(ended, "the for-await loop did not end on stop()");
});

test("execsnoop as a command: bcc's columns, -x shows a failed exec, --max-args cuts the arguments", async () => {
  const run = runScript(tool, {}, ["-x", "--max-args", "3"]);
  try {
    assert.ok(await waitFor(() => run.output().includes("ARGS"), 60000), `no header: ${run.output()}`);
    assert.match(run.output(), /^PCOMM +PID +PPID +RET ARGS$/m);
    const ok = spawn("/bin/echo", ["one", "two", "three", "four"], { stdio: "ignore" });
    await new Promise((r) => ok.on("exit", r));
    const bad = spawn("/nonexistent/tsbpf-fails", [], { stdio: "ignore" });
    await new Promise((r) => bad.on("error", r));
    assert.ok(await waitFor(() => run.output().includes("tsbpf-fails"), 60_000), run.output());
    assert.match(run.output(), new RegExp(`^echo +${ok.pid} +${process.pid} +0 /bin/echo one two \\.\\.\\.$`, "m"));
    assert.match(run.output(), /^\S+ +\d+ +\d+ +-2 \/nonexistent\/tsbpf-fails$/m);
  } finally {
    run.kill("SIGINT");
    await run.exited;
  }
});

test("execsnoop -u takes a user name as bcc's does (-u daemon is uid 1): only that user's execs; an unknown name is a usage error", async () => {
  const run = runScript(tool, {}, ["-U", "-u", "daemon"]);
  try {
    assert.ok(await waitFor(() => run.output().includes("ARGS"), 60000), `no header: ${run.output()}`);
    const root = spawn("/bin/echo", ["tsbpf-as-root"], { stdio: "ignore" });
    await new Promise((r) => root.on("exit", r));
    const daemon = spawn("setpriv", ["--reuid=1", "--regid=1", "--clear-groups", "/bin/echo", "tsbpf-as-daemon"], { stdio: "ignore" });
    await new Promise((r) => daemon.on("exit", r));
    assert.ok(await waitFor(() => run.output().includes("tsbpf-as-daemon"), 60_000), run.output());
    assert.match(run.output(), /^1 +echo +\d+ +\d+ +0 \/bin\/echo tsbpf-as-daemon$/m);
    assert.doesNotMatch(run.output(), /tsbpf-as-root/, "the filter is the kernel's: root's exec, before daemon's, never arrives");
  } finally {
    run.kill("SIGINT");
    await run.exited;
  }
  const bad = runScript(tool, {}, ["-u", "tsbpf-no-such-user"]);
  assert.equal(await bad.exited, 2);
  assert.match(bad.stderr(), /^execsnoop: error: -u: no user "tsbpf-no-such-user" in \/etc\/passwd; give the numeric uid/m);
});
