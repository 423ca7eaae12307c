// `tsbpf build`: a bundle runs with nothing but Bun or Deno, here, and on another kernel (the
// VM lane's 6.1, where task_struct's layout differs: the bundle compiles its handlers again).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { bundle } from "../../build/bundle.ts";

const root = new URL("../../", import.meta.url).pathname;
const inVm = !!process.env.TSBPF_IN_VM;
const out = inVm ? "/tmp/tsbpf-build/first_exec.bundle.js" : `${root}.cache/build/first_exec.bundle.js`;

const RUNTIMES = [["node_modules/.bin/bun"], ["node_modules/.bin/deno", "run", "--allow-ffi"]];

/**
 * Runs the bundle with each runtime in turn, running /bin/true beside it until the bundle exits:
 * each run's exit status and output. `viaVm`: all in one boot of the VM lane's guest (a boot
 * costs as much as a run).
 */
function runWithExecs(runtimes: string[][], bundlePath: string, viaVm: boolean, cwd: string) {
  const each = runtimes.map((runtime) =>
    `${runtime.join(" ")} ${bundlePath} & while kill -0 $! 2>/dev/null; do /bin/true; sleep 0.2; done; wait $!; s=$?; echo; echo "== exited $s"`
  );
  // One stream, in order, so that each run's part ends at its status line.
  const script = ["exec 2>&1", ...each].join("; ");
  const cmd = viaVm ? [`${root}tests/vm/run.sh`, "--timeout", "1100", "--", "sh", "-c", script] : ["sh", "-c", script];
  const r = spawnSync(cmd[0], cmd.slice(1), { cwd, encoding: "utf8", timeout: 1_150_000, env: { ...process.env, TSBPF_NO_CACHE: "1", TSBPF_VERBOSE: "1" } });
  const all = (r.stdout ?? "") + (r.stderr ?? "");
  const parts = all.split(/^== exited (\d+)$/m);
  return runtimes.map((runtime, i) => {
    const status = parts[2 * i + 1];
    return { runtime: runtime[0], status: status === undefined ? `no status line (exit ${r.status ?? r.signal})` : Number(status), output: status === undefined ? all : parts[2 * i] };
  });
}

test("a bundle runs under Bun and Deno outside the repository", { timeout: 300000 }, async () => {
  mkdirSync(out.slice(0, out.lastIndexOf("/")), { recursive: true });
  const b = await bundle(`${root}tests/fixtures/first_exec.ts`, out);
  assert.deepEqual(b.tracers, ["ExecSnoop"]);
  for (const r of runWithExecs(RUNTIMES.map(([bin, ...args]) => [`${root}${bin}`, ...args]), out, false, "/tmp")) {
    assert.equal(r.status, 0, `${r.runtime}: ${r.output}`);
    // Signed with this host's key (or, without a private directory for it, unsigned and compiled again).
    assert.match(r.output, /precompiled programs, signed by this host's own key, load as they are|precompiled programs match its source/, "on the kernel it was built on, the bundle's programs are those of its source");
    assert.match(r.output, /^exec \d+ \d+ \/bin\/true$/m, r.output);
  }
});

test("a bundle built on this kernel runs on Debian's 6.1 kernel", { timeout: 1200000, skip: inVm ? "already inside the VM" : !existsSync("/usr/bin/qemu-system-x86_64") && "QEMU is not installed (tests/vm/run.sh installs it)" }, async () => {
  if (!existsSync(out)) await bundle(`${root}tests/fixtures/first_exec.ts`, out);
  const relative = out.slice(root.length);
  const runs = runWithExecs(RUNTIMES, relative, true, root);
  assert.equal(runs.length, 2);
  for (const r of runs) {
    assert.equal(r.status, 0, `${r.runtime}: ${r.output}`);
    assert.match(r.output, /compil(ing|ed) the handlers again for this kernel \(member struct task_struct/, "task_struct differs on 6.1: the bundle must compile again");
    assert.match(r.output, /^exec \d+ \d+ \/bin\/true$/m, r.output);
  }
});
