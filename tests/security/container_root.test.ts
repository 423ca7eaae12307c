// With -p PID, a user-space probe's file is named as that process sees it: tsbpf looks it up
// through /proc/PID/root. But an absolute symlink met on the way there resolves against root's
// own root, not the process's: the user of a container (here nobody, in a user namespace with a
// chroot, as any user can make one) points /usr/lib/x86_64-linux-gnu inside it at
// "/lib/x86_64-linux-gnu", which for their processes is their own copy of libc and for root's
// lookup the host's libc. Root's tracer then listed and attached to the host's file, silently:
// the symbols of a file the process does not run, a probe that never fires in it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asNobody, bareEnv, replaceAll, tsbpf } from "./attacker.ts";

const HOST_LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";

test("-p looks a probe's file up inside the process's root: a container's absolute link does not lead to the host's files", { timeout: 120_000, skip: !existsSync(HOST_LIBC) }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-sec-ctr-"));
  chownSync(dir, 65534, 65534);
  // The container's libc: the host's with getppid renamed getpXYZ, so the two tell apart.
  const libc = new Uint8Array(readFileSync(HOST_LIBC));
  const patched = replaceAll(libc, "\0getppid\0", "\0getpXYZ\0");
  assert.ok(patched.some((x, i) => x !== libc[i]), "libc has no getppid symbol to rename");
  writeFileSync(`${dir}/libc.patched`, patched, { mode: 0o644 });
  const root = `${dir}/root`;
  asNobody(["sh", "-c", [
    `mkdir -p ${root}/bin ${root}/lib/x86_64-linux-gnu ${root}/lib64 ${root}/usr/lib`,
    `cp /bin/sleep ${root}/bin/`,
    `cp ${dir}/libc.patched ${root}/lib/x86_64-linux-gnu/libc.so.6`,
    `cp /lib64/ld-linux-x86-64.so.2 ${root}/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2`,
    `ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 ${root}/lib64/ld-linux-x86-64.so.2`,
    `ln -s /lib/x86_64-linux-gnu ${root}/usr/lib/x86_64-linux-gnu`,
  ].join(" && ")]);
  const container = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "unshare", "-r", "chroot", root, "/bin/sleep", "60"], { stdio: "ignore" });
  try {
    const pid = container.pid!;
    for (let i = 0; i < 100 && readlinkSync(`/proc/${pid}/root`) !== root; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(readlinkSync(`/proc/${pid}/root`), root, "the container did not start");
    const list = await tsbpf(["list", "-p", String(pid), `uprobe:${HOST_LIBC}:getp*`], { env: bareEnv() });
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /:getpXYZ$/m, `root listed the host's libc, not the one the process sees:\n${list.stdout}`);
    assert.doesNotMatch(list.stdout, /:getppid$/m);
    const run = await tsbpf(["-e", `uprobe("${HOST_LIBC}:getpXYZ", () => count())`, "-p", String(pid), "-d", "1"], { env: bareEnv(), timeoutMs: 60_000 });
    assert.equal(run.status, 0, `the probe on the process's own libc did not attach: ${run.stdout}${run.stderr}`);
  } finally {
    container.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
