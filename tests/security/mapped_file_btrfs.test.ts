// On btrfs, a maps line names a file by the file system's device (its superblock's, as mountinfo
// shows it) while stat gives each subvolume a device of its own: a library in a subvolume never
// matched the device its maps line named, and -p PID uprobe:LIB said "No such file". The device
// and inode a maps line names fit a file in every subvolume (each one's first file is inode 257),
// so they alone cannot tell nobody's library from root's program after an exec (mapped_file_exec):
// that swap, on two subvolumes and with the two files' inodes alike, must still be refused.
// Needs btrfs (the kernel's and mkfs.btrfs, btrfs from btrfs-progs) and a loop device.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { bareEnv, type NobodyProcess, tsbpf } from "./attacker.ts";
import { execSwap, sudoLike } from "./exec_swap.ts";
import { libc } from "../../runtime/ffi/mod.ts";
import { parseProcMaps } from "../../runtime/symbolize/proc_maps.ts";
import { ElfFiles } from "../../runtime/symbolize/elf_files.ts";

const work = mkdtempSync(join(tmpdir(), "tsbpf-sec-btrfs-"));
const mnt = join(work, "mnt");
let mounted = false;
const mapper: { process?: NobodyProcess } = {};
const holder: { stop?: () => void } = {};
// Also when the tests are skipped (the file system could not be made), at once.
after(cleanUp);
function cleanUp() {
  holder.stop?.();
  void mapper.process?.stop();
  // Lazily, not waiting for the processes killed (they may still map its files): the file system and
  // its loop device (autoclear) go once they have ended. A plain umount here found them still busy.
  if (mounted) spawnSync("umount", ["-l", mnt]);
  mounted = false;
  rmSync(work, { recursive: true, force: true });
}

/** A btrfs file system on a loop device, mounted at `mnt` with subvolumes lib, nobodys and roots; or why not. */
function makeBtrfs(): string | undefined {
  if (!readFileSync("/proc/filesystems", "utf8").includes("\tbtrfs\n") && spawnSync("modprobe", ["btrfs"]).status !== 0) return "no btrfs in this kernel";
  for (const tool of ["mkfs.btrfs", "btrfs", "gcc", "python3"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `no ${tool} (btrfs-progs, gcc, python3)`;
  }
  const img = join(work, "fs.img");
  writeFileSync(img, "");
  spawnSync("truncate", ["-s", "256M", img]);
  const mkfs = spawnSync("mkfs.btrfs", ["-q", "-f", img], { encoding: "utf8" });
  if (mkfs.status !== 0) return `mkfs.btrfs failed: ${mkfs.stderr}`;
  mkdirSync(mnt);
  const mount = spawnSync("mount", ["-o", "loop", img, mnt], { encoding: "utf8" });
  if (mount.status !== 0) return `cannot mount a btrfs loop file: ${mount.stderr}`;
  mounted = true;
  chmodSync(work, 0o755);
  chmodSync(mnt, 0o755);
  for (const sub of ["lib", "nobodys", "roots"]) {
    const r = spawnSync("btrfs", ["subvolume", "create", join(mnt, sub)], { encoding: "utf8" });
    if (r.status !== 0) return `btrfs subvolume create failed: ${r.stderr}`;
  }
  spawnSync("chown", ["nobody", join(mnt, "nobodys")]);
  return undefined;
}

const skip = makeBtrfs();
if (skip) cleanUp();

test("-p PID uprobe:LIB and the symbolizer read a library the process maps from a btrfs subvolume", { timeout: 120_000, skip }, async () => {
  await libc();
  const lib = join(mnt, "lib", "libbtrfsmapped.so");
  const cc = spawnSync("gcc", ["-shared", "-fPIC", "-o", lib, "-x", "c", "-"], { input: "int btrfsMappedFunction(int x) { return x + 1; }\n", encoding: "utf8" });
  assert.equal(cc.status, 0, cc.stderr);
  const child = spawn("python3", ["-c", `import ctypes, sys\nctypes.CDLL("${lib}")\nprint("ready", flush=True)\nsys.stdin.read()`], { stdio: ["pipe", "pipe", "inherit"] });
  holder.stop = () => child.kill("SIGKILL");
  await new Promise((resolve) => child.stdout!.once("data", resolve));
  const pid = child.pid!;
  const mapping = parseProcMaps(readFileSync(`/proc/${pid}/maps`, "utf8")).find((m) => m.path === lib);
  assert.ok(mapping, "the library is not mapped (the test's setup failed)");
  const st = statSync(lib);
  assert.notEqual(mapping.dev, `${(st.dev >> 8).toString(16).padStart(2, "0")}:${(st.dev & 0xff).toString(16).padStart(2, "0")}`, "maps shows the subvolume's device (the test's premise does not hold)");

  const listed = await tsbpf(["list", "-p", String(pid), "uprobe:libbtrfsmapped:*"], { env: bareEnv() });
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /btrfsMappedFunction/);

  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const file = new ElfFiles().forMapping(pid, mapping, stat.slice(stat.lastIndexOf(")") + 2).split(" ")[22 - 3]);
  const names = file && typeof file === "object" ? file.elf.symbols().symbols.map((s) => s.name).join(" ") : String(file);
  assert.match(names, /btrfsMappedFunction/, "the symbolizer did not read the library through map_files nor its path");
});

test("on btrfs, root's program after an exec is not read for nobody's library of the same inode in another subvolume", { timeout: 120_000, skip }, async () => {
  const nobodys = join(mnt, "nobodys"), roots = join(mnt, "roots");
  await execSwap(roots, nobodys, (m) => (mapper.process = m), () => {
    assert.equal(statSync(join(nobodys, "libnobodys.so")).ino, statSync(join(roots, "secret")).ino, "the two files' inodes differ (the test's premise does not hold)");
  });
});

test("on btrfs, root's program is not read for nobody's library of the same inode after the process became root (a setuid program, sudo) and exec'd it", { timeout: 120_000, skip }, async () => {
  // Subvolumes of their own, so that the two files' inodes are alike again.
  for (const sub of ["nobodys2", "roots2"]) assert.equal(spawnSync("btrfs", ["subvolume", "create", join(mnt, sub)]).status, 0);
  spawnSync("chown", ["nobody", join(mnt, "nobodys2")]);
  const nobodys = join(mnt, "nobodys2"), roots = join(mnt, "roots2");
  const sudo = sudoLike(join(mnt, "lib"));
  await execSwap(roots, nobodys, (m) => (mapper.process = m), () => {
    assert.equal(statSync(join(nobodys, "libnobodys.so")).ino, statSync(join(roots, "secret")).ino, "the two files' inodes differ (the test's premise does not hold)");
  }, sudo);
});
