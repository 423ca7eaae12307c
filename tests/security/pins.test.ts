// Pins are trusted only when root made them (runtime/pin_dir.ts). A bpffs root is sticky and
// world-writable, so `nobody` can create "tsbpf" in it before root does, as a directory or a
// symlink; and a pin or pin directory another user owns, or one others may write, could hand
// root's tracer a map (or a record) of the attacker's making. Each is refused, on a bpffs the
// test mounts for itself.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { HashMap, Tracer, tracepoint, type u32, type u64 } from "../../mod.ts";
import { libc } from "../../runtime/ffi/mod.ts";
import { setPinMount } from "../../runtime/pin_dir.ts";
import { asNobody, rootDir } from "./attacker.ts";

await libc();

class Pinned extends Tracer {
  counts = new HashMap<u32, u64>(16, { pin: "counts" });
  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    this.counts.add(1);
  }
}

async function startRefused(reason: RegExp): Promise<void> {
  const t = new Pinned();
  await assert.rejects(t.start({ exitOnError: false, reportLoss: false }), (e: Error) => reason.test(e.message) || assert.fail(e.message));
}

async function startAndStop(): Promise<void> {
  const t = new Pinned();
  await t.start({ exitOnError: false, reportLoss: false });
  t.end = () => {};
  await t.stop();
}

test("pins: nobody's tsbpf directory, a symlink in its place, a foreign or writable pin or pin directory are refused", async () => {
  const dir = rootDir("pins");
  chmodSync(dir, 0o755);
  const mount = join(dir, "bpf");
  mkdirSync(mount);
  const m = spawnSync("mount", ["-t", "bpf", "bpf", mount], { encoding: "utf8" });
  assert.equal(m.status, 0, m.stderr);
  setPinMount(mount);
  try {
    chmodSync(mount, 0o1777); // as /sys/fs/bpf is on a fresh mount

    // 1. nobody makes "tsbpf" first: a directory of theirs, then a symlink to one.
    asNobody(["mkdir", "-m", "0777", join(mount, "tsbpf")]);
    await startRefused(/owned by uid 65534/);
    asNobody(["rmdir", join(mount, "tsbpf")]);
    mkdirSync(join(dir, "elsewhere"), { mode: 0o700 });
    asNobody(["ln", "-s", join(dir, "elsewhere"), join(mount, "tsbpf")]);
    await startRefused(/symbolic link, not a directory/);
    asNobody(["rm", join(mount, "tsbpf")]);
    assert.ok(!existsSync(join(mount, "tsbpf", "counts")), "nothing was pinned");

    // 2. root's own tsbpf directory, but group- or world-writable (nobody could add pins).
    mkdirSync(join(mount, "tsbpf"), { mode: 0o700 });
    chmodSync(join(mount, "tsbpf"), 0o777);
    await startRefused(/writable by every user/);
    chmodSync(join(mount, "tsbpf"), 0o700);

    // 3. A pinned map made by root, then handed to nobody or opened to the group.
    await startAndStop();
    const pin = join(mount, "tsbpf", "counts", "map");
    assert.ok(existsSync(pin));
    chownSync(pin, 65534, 65534);
    await startRefused(/owned by uid 65534/);
    chownSync(pin, 0, 0);
    chmodSync(pin, 0o620);
    await startRefused(/writable by its group/);
    chmodSync(pin, 0o600);
    chownSync(join(mount, "tsbpf", "counts", "meta"), 65534, 65534);
    await startRefused(/meta: it is owned by uid 65534/);
    chownSync(join(mount, "tsbpf", "counts", "meta"), 0, 0);
    chownSync(join(mount, "tsbpf", "counts"), 65534, 65534);
    await startRefused(/tsbpf\/counts: it is owned by uid 65534/);
    chownSync(join(mount, "tsbpf", "counts"), 0, 0);

    // Restored to root's own: used again.
    await startAndStop();
  } finally {
    setPinMount("/sys/fs/bpf");
    spawnSync("umount", [mount]);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A pin name the compiler cannot see (it refuses a bad literal at its place): start() must refuse it. */
let badPin = "";
class BadPin extends Tracer {
  counts = new HashMap<u32, u64>(16, { pin: badPin });
  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    this.counts.add(1);
  }
}

test("pin names cannot leave /sys/fs/bpf/tsbpf: start() refuses them at the field, before anything is made", async () => {
  const dir = rootDir("pin-names");
  const mount = join(dir, "bpf");
  mkdirSync(mount);
  const m = spawnSync("mount", ["-t", "bpf", "bpf", mount], { encoding: "utf8" });
  assert.equal(m.status, 0, m.stderr);
  setPinMount(mount);
  const made = () => readdirSync(mount).filter((f) => !f.endsWith(".debug")); // a fresh bpffs lists progs.debug, maps.debug
  try {
    for (const bad of ["..", "../x", "a/b", "/etc", ".hidden", "a.b", `x${"y".repeat(64)}`]) {
      badPin = bad;
      const t = new BadPin(); // the constructor keeps the refusal for start(): no throw inside new
      await assert.rejects(t.start({ exitOnError: false, reportLoss: false }), (e: Error) =>
        (/pins\.test\.ts:\d+:\d+: BadPin\.counts: HashMap's pin: .* is not a pin name/.test(e.message)) || assert.fail(e.message));
      assert.deepEqual(made(), [], `${bad}: nothing was made on the bpffs`);
    }
  } finally {
    setPinMount("/sys/fs/bpf");
    spawnSync("umount", [mount]);
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(process.getuid?.(), 0);
});
