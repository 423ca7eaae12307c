// Fault injection on a real kernel: override(-2) in a @kprobe on __x64_sys_openat makes one
// path fail with ENOENT for this test process only, while another process opens it. It needs
// kprobes (the VM lane has them; this host does not) and a kernel built with
// CONFIG_BPF_KPROBE_OVERRIDE and CONFIG_FUNCTION_ERROR_INJECTION (Debian's stock kernels, the
// VM lane's, have neither): where the kernel cannot, start() must refuse with that reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { openSync, closeSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { libc } from "../../runtime/ffi/mod.ts";
import { hasKprobes } from "../../runtime/features.ts";
import { overrideAllowed } from "../../probes/error_injection.ts";
import { overrideFacts } from "../../probes/kprobe.ts";
import { CompileError, Count, kprobe, override, pid, str, Tracer, user, type u32 } from "../../mod.ts";

await libc();
const inVm = !!process.env.TSBPF_IN_VM;
const kprobes = hasKprobes();
/** Whether this kernel lets a kprobe override __x64_sys_openat, read as the compiler reads it (debugfs mounted if it is not). */
function canOverride(): boolean {
  return typeof overrideAllowed("kprobe", "__x64_sys_openat", false, overrideFacts()) === "string";
}
const noKprobes = kprobes ? false : "this kernel has no kprobes (CONFIG_KPROBES); the VM lane runs these tests";

class FailOneOpen extends Tracer {
  victim: u32 = 0;
  failed = new Count();

  @kprobe("__x64_sys_openat")
  onOpenat(regs: { si: bigint }) {
    if (pid() !== this.victim) return;
    if (str(user(regs.si), 16) !== "/proc/version") return;
    this.failed.add();
    override(-2);
  }
}

test("kprobes are available where the VM lane runs", { skip: !inVm && "only checked inside the VM lane" }, () => {
  assert.ok(kprobes, "inside the VM lane, kprobes must work");
});

test("where the kernel cannot override return values, start() refuses at the override() call, saying why", { skip: noKprobes }, async (t) => {
  const tracer = new FailOneOpen();
  tracer.end = () => {};
  try {
    await tracer.start({ exitOnError: false, reportLoss: false });
  } catch (e) {
    assert.ok(e instanceof CompileError, String(e));
    const [d] = e.diagnostics;
    assert.match(d.message, /CONFIG_BPF_KPROBE_OVERRIDE|no error injection list|not in the kernel's error injection list/);
    assert.match(readFileSync(new URL(import.meta.url).pathname, "utf8").split("\n")[d.line - 1], /override\(-2\)/, "at the call");
    return;
  }
  await tracer.stop();
  if (!canOverride()) assert.fail("started although this kernel cannot override __x64_sys_openat");
  t.diagnostic("this kernel allows override(): the next test runs it");
});

test("override(-2) makes this process's openat of one path fail with ENOENT; another process opens it", { skip: noKprobes || (!canOverride() && "this kernel is built without CONFIG_BPF_KPROBE_OVERRIDE/CONFIG_FUNCTION_ERROR_INJECTION or does not list __x64_sys_openat") }, async () => {
  const tracer = new FailOneOpen();
  tracer.victim = process.pid;
  tracer.end = () => {};
  await tracer.start({ exitOnError: false, reportLoss: false });
  try {
    for (let i = 0; i < 3; i++) assert.throws(() => openSync("/proc/version", "r"), { code: "ENOENT" });
    const other = spawnSync("cat", ["/proc/version"], { encoding: "utf8" });
    assert.equal(other.status, 0, other.stderr);
    assert.match(other.stdout, /^Linux version /);
    assert.equal(tracer.failed.get(), 3n);
  } finally {
    await tracer.stop();
  }
  closeSync(openSync("/proc/version", "r"));
});
