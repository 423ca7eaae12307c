import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { runScript, waitFor } from "./util.ts";

const script = new URL("../../examples/who-calls-execve.ts", import.meta.url).pathname;

/** A shell that, once told, replaces itself with /bin/true: its execve is made by comm "sh" at a known pid. */
async function shellThatExecs(): Promise<number> {
  const sh = spawn("/bin/sh", ["-c", "read x; exec /bin/true"], { stdio: ["pipe", "ignore", "ignore"] });
  await new Promise((r) => sh.on("spawn", r));
  sh.stdin!.end("go\n"); // read once its own execve is done, whenever the line was written
  await new Promise((r) => sh.on("exit", r));
  return sh.pid!;
}

test("who-calls-execve -a prints the time, comm, pid and path of an execve, as the seed does", async () => {
  const run = runScript(script, {}, ["-a"]);
  try {
    assert.ok(await waitFor(() => run.output().includes("PATH"), 60_000), `no header: ${run.output()}`);
    const pid = await shellThatExecs();
    const line = new RegExp(`^\\d+\\.\\d{9} +sh {15}${pid} +/bin/true$`, "m");
    assert.ok(await waitFor(() => line.test(run.output()), 60_000), `no line for sh ${pid}:\n${run.output()}`);
    assert.match(run.output(), /^TIME\(s\) {12}COMM {13}PID    PATH$/m);
    assert.match(run.output(), /^0\.000000000 /m, "the first call is at 0");
  } finally {
    run.kill("SIGINT");
    assert.equal(await run.exited, 130);
  }
});

test("who-calls-execve -p -a --json: only the process asked for", async () => {
  // A shell that runs itself again (execve, same pid) for each line it reads, and becomes
  // /bin/true on "last": its calls come when the test asks, after the tracer has started.
  const again = 'read x || exit; [ "$x" = last ] && exec /bin/true; exec /bin/sh -c "$0" "$0"';
  const sh = spawn("/bin/sh", ["-c", again, again], { stdio: ["pipe", "ignore", "ignore"] });
  await new Promise((r) => sh.on("spawn", r));
  const run = runScript(script, {}, ["-p", String(sh.pid), "-a", "--json"]);
  const lines = () => run.output().trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  try {
    // A line every half second until the tracer sees one: a line written each time waitFor looks
    // queued hundreds while a slow tracer started (the VM lane), and each is an exec the shell
    // still had to make, 0.1-0.2 s apiece there, before it read "last".
    let wroteAt = 0;
    assert.ok(await waitFor(() => {
      if (Date.now() - wroteAt >= 500) {
        sh.stdin!.write("\n");
        wroteAt = Date.now();
      }
      return run.output().includes(`"pid":${sh.pid}`);
    }, 60_000), run.output());
    await shellThatExecs(); // another process: not reported
    // The target's last execve comes after the other's: once it is printed, so would the other's
    // be (one ring buffer, in order), however late events come.
    sh.stdin!.end("last\n");
    assert.ok(await waitFor(() => lines().some((l) => l.path === "/bin/true"), 60_000), `no execve of /bin/true by ${sh.pid}:\n${run.output()}`);
    assert.ok(lines().every((l) => l.comm === "sh" && l.pid === sh.pid && typeof l.time === "number"), run.output());
  } finally {
    run.kill("SIGINT");
    await run.exited;
    sh.kill("SIGKILL");
  }
});
