import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeCall, joinCalls, MountSnoop, mountFlags, umountFlags } from "../../examples/mountsnoop.ts";
import { waitFor } from "./util.ts";

test("mountsnoop shows mount(8) and umount(8) as calls with their results and mount namespace", async () => {
  const tracer = await new MountSnoop().start({ exitOnError: false });
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-mountsnoop-"));
  try {
    const lines: { comm: string; pcomm: string; ppid: number; mntns: number; call: string }[] = [];
    tracer.events.on(joinCalls((c, ret) => lines.push({ comm: c.comm, pcomm: c.pcomm, ppid: c.ppid, mntns: c.mntns, call: describeCall(c, ret) })));
    const run = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { stdio: "ignore" });
    assert.equal(run("mount", "-t", "tmpfs", "-o", "size=1m,mode=700", "tsbpf-test", dir).status, 0, "mount failed");
    run("umount", dir);
    run("umount", dir); // not mounted any more: EINVAL
    assert.equal(run("mount", "-t", "tmpfs", "-o", "ro,nosuid,nodev", "tsbpf-test2", dir).status, 0, "mount -o ro failed");
    run("umount", "-l", dir);
    // As bcc's mountsnoop prints them: no flags is 0x0, not an empty field.
    const want = [
      `mount("tsbpf-test", "${dir}", "tmpfs", 0x0, "size=1m,mode=700") = 0`,
      `umount("${dir}", 0x0) = 0`,
      `umount("${dir}", 0x0) = -EINVAL`,
      `mount("tsbpf-test2", "${dir}", "tmpfs", MS_RDONLY|MS_NOSUID|MS_NODEV, "") = 0`,
      `umount("${dir}", MNT_DETACH) = 0`,
    ];
    assert.ok(await waitFor(() => want.every((w) => lines.some((l) => l.call === w)), 60_000), `calls: ${lines.map((l) => l.call).join("\n")}`);
    const mine = lines.filter((l) => want.includes(l.call));
    const ns = statSync("/proc/self/ns/mnt").ino;
    for (const l of mine) {
      assert.equal(l.mntns, ns);
      assert.equal(l.ppid, process.pid);
      assert.match(l.comm, /^u?mount$/);
    }
  } finally {
    spawnSync("umount", [dir], { stdio: "ignore" });
    rmdirSync(dir);
    await tracer.stop();
  }
});

test("mountsnoop -p shows the process's calls and ignores other processes", async () => {
  // The target execs umount when told, so its call comes after another process's: seeing the
  // target's call means the other's was filtered, not missed.
  const target = spawn("sh", ["-c", "read _; exec umount /nonexistent/tsbpf-mountsnoop-target"], { stdio: ["pipe", "ignore", "ignore"] });
  const exited = new Promise((resolve) => target.on("exit", resolve));
  const tracer = new MountSnoop();
  tracer.targetPid = target.pid!;
  await tracer.start({ exitOnError: false });
  try {
    const calls: string[] = [];
    tracer.events.on(joinCalls((c, ret) => calls.push(describeCall(c, ret))));
    spawnSync("umount", ["/nonexistent/tsbpf-mountsnoop-other"], { stdio: "ignore" });
    target.stdin!.end("go\n");
    await exited;
    assert.ok(await waitFor(() => calls.some((c) => c.includes("tsbpf-mountsnoop-target")), 60_000), `calls: ${calls.join("\n")}`);
    assert.deepEqual(calls.filter((c) => c.includes("tsbpf-mountsnoop-other")), []);
  } finally {
    target.kill();
    await tracer.stop();
  }
});

test("mount and umount flags are decoded as bcc's mountsnoop decodes them", () => {
  assert.equal(mountFlags(0n), "0x0");
  assert.equal(mountFlags(0xc0ed0000n | 4096n), "MS_MGC_VAL|MS_BIND");
  assert.equal(mountFlags(0xc0ed0000n), "MS_MGC_VAL|0x0");
  assert.equal(mountFlags(16384n | (1n << 18n)), "MS_REC|MS_PRIVATE");
  assert.equal(mountFlags(1n | (1n << 29n)), "MS_RDONLY|0x20000000");
  assert.equal(umountFlags(0n), "0x0");
  assert.equal(umountFlags(2n | 8n), "MNT_DETACH|UMOUNT_NOFOLLOW");
});
