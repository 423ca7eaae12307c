// capable needs kprobes or fentry: this host has neither, the VM lane (Debian's 6.1) runs it.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { chownSync, rmSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasFentry, hasKprobes } from "../../runtime/features.ts";
import { Capable, formatCheck, header } from "../../examples/capable.ts";
import { runScript, started, waitFor } from "./util.ts";

// This file's own directory, made once a test needs it (a fixed name in /tmp could be another
// user's): Deno runs no after() hook of a file whose tests all skip.
let made: string | undefined;
const scratch = () => (made ??= mkdtempSync(join(tmpdir(), "tsbpf-capable-")));
after(() => made && rmSync(made, { recursive: true, force: true }));

const skip = hasKprobes() || hasFentry() ? false : "this kernel has neither kprobes (CONFIG_KPROBES) nor fentry; the VM lane runs this test";

test("capable -p -x: a chown by this process checks CAP_CHOWN, audited", { skip }, async () => {
  const tracer = new Capable();
  tracer.targetPid = process.pid;
  await tracer.start({ exitOnError: false });
  const path = join(scratch(), "chowned");
  try {
    const events: Parameters<typeof formatCheck>[0][] = [];
    tracer.events.on((e) => events.push(e));
    writeFileSync(path, "");
    chownSync(path, 1, 1);
    assert.ok(await waitFor(() => events.some((e) => e.cap === 0), 60_000), `checks: ${events.map((e) => formatCheck(e)).join("\n")}`);
    const e = events.find((x) => x.cap === 0)!;
    assert.deepEqual([e.tgid, e.uid, e.audit], [process.pid, 0, 1]);
    assert.ok(events.every((x) => x.tgid === process.pid), "-p let another process through");
    assert.match(formatCheck(e, { extra: true, time: "12:34:56" }), new RegExp(`^12:34:56 {2}0 {6}${process.pid} +${e.tid} +\\S.* 0 {4}CAP_CHOWN {12}1 {6}0$`));
  } finally {
    rmSync(path, { force: true });
    await tracer.stop();
  }
});

test("capable as a command: bcc's columns for a chown", { skip }, async () => {
  const run = runScript(new URL("../../examples/capable.ts", import.meta.url).pathname);
  const path = join(scratch(), "chowned-by-command");
  try {
    assert.ok(await started(run, "AUDIT"), `no header: ${run.output()}`);
    writeFileSync(path, "");
    const chown = spawnSync("chown", ["1:1", path]);
    assert.equal(chown.status, 0);
    assert.ok(await waitFor(() => / chown +0 +CAP_CHOWN +1 *$/m.test(run.output()), 60_000), run.output());
    assert.equal(run.output().split("\n")[0], header());
    assert.match(header(), /^TIME {6}UID {4}PID {4}COMM {13}CAP  NAME {17}AUDIT $/);
  } finally {
    rmSync(path, { force: true });
    run.kill("SIGINT");
    await run.exited;
  }
});
