// A process that has exited is symbolized from the mappings recorded while it ran (mapping_log.ts):
// its files are read by path, taken only if the device and inode are still those it mapped. But
// an inode is reused once its file is deleted (on ext4, by the next file made), and the path is
// the process's owner's: nobody maps a library of theirs, exits, deletes it; a file of root's in
// a directory nobody cannot enter is given its inode; nobody puts a link to it at the library's
// path. Read as root, the link led to root's file, of the recorded device and inode, and its
// symbols named nobody's frames. With no process to take rights from, the path is read with no
// one's rights, as the debug-file search for such a process is (debug_file.ts).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, openSync, closeSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, ROOT, rootDir } from "./attacker.ts";
import { libc } from "../../runtime/ffi/mod.ts";
import { ElfFiles } from "../../runtime/symbolize/elf_files.ts";
import type { Mapping } from "../../runtime/symbolize/proc_maps.ts";

const PYTHON = "/usr/bin/python3";
const FIXTURE = join(ROOT, "tests/security/fixtures/debug_pair.py");
const cleanup: string[] = [];
after(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

test("an exited process's library, read by path, is never root's file given its inode behind nobody's link", { timeout: 120_000, skip: !existsSync(PYTHON) && "no python3" }, async () => {
  await libc();
  const secret = rootDir("gone-inode");
  cleanup.push(secret);
  const dir = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-gone-inode-XXXXXX")]).trim();
  cleanup.push(dir);
  asNobody(["chmod", "755", dir]);
  const lib = join(dir, "libgone.so");
  asNobody([PYTHON, FIXTURE, `${lib}.unused`, lib, "unused", "nobodysOwnFunction"]);
  const mapped = statSync(lib);
  // What the mapping log recorded of nobody's process's mapping of it (the process has exited).
  const major = (mapped.dev >> 8) & 0xfff, minor = (mapped.dev & 0xff) | ((mapped.dev >> 12) & 0xfff00);
  const mapping: Mapping = { start: 0x7f0000000000, end: 0x7f0000010000, perms: "r-xp", offset: 0, dev: `${major.toString(16).padStart(2, "0")}:${minor.toString(16).padStart(2, "0")}`, inode: mapped.ino, path: lib };
  asNobody(["rm", lib]);
  // Root's files, in root's 0700 directory: the first that is given the freed inode holds root's symbols.
  let taken: string | undefined;
  for (let i = 0; i < 200 && !taken; i++) {
    const file = join(secret, `file${i}`);
    closeSync(openSync(file, "w"));
    if (statSync(file).ino === mapped.ino && statSync(file).dev === mapped.dev) taken = file;
  }
  assert.ok(taken, "none of 200 new files was given the freed inode (the test's setup failed: a file system that does not reuse them, such as tmpfs)");
  const made = spawnSync(PYTHON, [FIXTURE, `${taken}.unused`, taken, "unused", "rootsSecretFunction"], { encoding: "utf8" });
  assert.equal(made.status, 0, made.stderr);
  assert.equal(statSync(taken).ino, mapped.ino, "root's file lost the inode (the test's setup failed)");
  chmodSync(secret, 0o700);
  asNobody(["ln", "-s", taken, lib]);
  assert.notEqual(spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "cat", lib]).status, 0, "nobody can read root's file (the test's setup failed)");

  const file = new ElfFiles().forMapping(0x3ffffff, mapping, undefined);
  const names = file && typeof file === "object" ? file.elf.symbols().symbols.map((s) => s.name).join(" ") : "";
  assert.doesNotMatch(names, /rootsSecretFunction/, "the exited process's library was read from root's file, through nobody's link, with root's rights");
});
