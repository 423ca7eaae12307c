// A process that has exited is symbolized from the mappings recorded while it ran (mapping_log.ts):
// its files are read by path, taken only if the device and inode are still those it mapped. But
// an inode is reused once its file is deleted (on ext4, by the next file made), and the path is
// the process's owner's: nobody maps a library of theirs, exits, deletes it; a file of root's in
// a directory nobody cannot enter is given its inode; nobody puts a link to it at the library's
// path. Read as root, the link led to root's file, of the recorded device and inode, and its
// symbols named nobody's frames. With no process to take rights from, the path is read with no
// one's rights, as the debug-file search for such a process is (debug_file.ts). A tracer run as a
// service (docs/service.md: a user of its own with CAP_DAC_READ_SEARCH, which reads any file,
// and no CAP_SETUID, so it cannot take no one's rights) read root's file the same way: its
// capabilities are set aside for such an open (user_rights.ts).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, openSync, closeSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { tmpdir } from "node:os";
import { asNobody, isBun, ROOT, rootDir } from "./attacker.ts";
import { libc } from "../../runtime/ffi/mod.ts";
import { ElfFiles } from "../../runtime/symbolize/elf_files.ts";
import type { Mapping } from "../../runtime/symbolize/proc_maps.ts";

const PYTHON = "/usr/bin/python3";
const FIXTURE = join(ROOT, "tests/security/fixtures/debug_pair.py");
const cleanup: string[] = [];
after(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * nobody's library, mapped by a process that has exited, deleted; root's file in root's 0700
 * directory given its inode, and nobody's link to it at the library's path: the mapping recorded.
 */
function nobodysLinkToRootsFile(name: string): Mapping {
  const secret = rootDir(name);
  cleanup.push(secret);
  const dir = asNobody(["mktemp", "-d", join(tmpdir(), `tsbpf-sec-${name}-XXXXXX`)]).trim();
  cleanup.push(dir);
  asNobody(["chmod", "755", dir]);
  const lib = join(dir, "libgone.so");
  // Root's files: the first that is given the freed inode holds root's symbols, in root's 0700
  // directory. They are made beside the library, where the file system looks for a free inode
  // first (a directory elsewhere may take its inodes from another group, whose never reach the
  // freed one), and the one given it is moved (the same inode) into root's directory while still
  // empty. Another process creating files at the same time may take the inode first: try again.
  let taken: string | undefined, mapped = statSync(dir);
  for (let attempt = 0; attempt < 5 && !taken; attempt++) {
    asNobody([PYTHON, FIXTURE, `${lib}.unused`, lib, "unused", "nobodysOwnFunction"]);
    mapped = statSync(lib);
    asNobody(["rm", lib]);
    for (let i = 0; i < 200 && !taken; i++) {
      const file = join(dir, `root${attempt}-${i}`);
      closeSync(openSync(file, "w"));
      if (statSync(file).ino !== mapped.ino || statSync(file).dev !== mapped.dev) continue;
      taken = join(secret, "file");
      renameSync(file, taken);
    }
  }
  assert.ok(taken, "in 5 tries, none of 200 new files was given the freed inode (the test's setup failed: a file system that does not reuse them, such as tmpfs)");
  // What the mapping log recorded of nobody's process's mapping of it (the process has exited).
  const major = (mapped.dev >> 8) & 0xfff, minor = (mapped.dev & 0xff) | ((mapped.dev >> 12) & 0xfff00);
  const mapping: Mapping = { start: 0x7f0000000000, end: 0x7f0000010000, perms: "r-xp", offset: 0, dev: `${major.toString(16).padStart(2, "0")}:${minor.toString(16).padStart(2, "0")}`, inode: mapped.ino, path: lib };
  const made = spawnSync(PYTHON, [FIXTURE, `${taken}.unused`, taken, "unused", "rootsSecretFunction"], { encoding: "utf8" });
  assert.equal(made.status, 0, made.stderr);
  assert.equal(statSync(taken).ino, mapped.ino, "root's file lost the inode (the test's setup failed)");
  chmodSync(secret, 0o700);
  asNobody(["ln", "-s", taken, lib]);
  assert.notEqual(spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "cat", lib]).status, 0, "nobody can read root's file (the test's setup failed)");
  return mapping;
}

test("an exited process's library, read by path, is never root's file given its inode behind nobody's link", { timeout: 120_000, skip: !existsSync(PYTHON) && "no python3" }, async () => {
  await libc();
  const mapping = nobodysLinkToRootsFile("gone-inode");
  const file = new ElfFiles().forMapping(0x3ffffff, mapping, undefined);
  const names = file && typeof file === "object" ? file.elf.symbols().symbols.map((s) => s.name).join(" ") : "";
  assert.doesNotMatch(names, /rootsSecretFunction/, "the exited process's library was read from root's file, through nobody's link, with root's rights");
});

test("nor is it root's file for a tracer run as a service, whose CAP_DAC_READ_SEARCH reads any file", { timeout: 120_000, skip: !existsSync(PYTHON) && "no python3" }, () => {
  const mapping = nobodysLinkToRootsFile("gone-inode-service");
  // The service's user: daemon (uid 1), neither root nor nobody, with a home for Deno's cache.
  const home = mkdtempSync(join(tmpdir(), "tsbpf-sec-service-home-"));
  cleanup.push(home);
  chownSync(home, 1, 1);
  const caps = "+bpf,+perfmon,+dac_read_search";
  const fixture = join(ROOT, "tests/security/fixtures/service_for_mapping.ts");
  const runtime = isBun ? [process.execPath, "run", fixture] : [process.execPath, "run", "-A", "--quiet", "--config", join(ROOT, "deno.json"), fixture];
  const r = spawnSync("setpriv", ["--reuid=1", "--regid=1", "--clear-groups", `--inh-caps=${caps}`, `--ambient-caps=${caps}`, ...runtime, JSON.stringify(mapping)], {
    encoding: "utf8",
    cwd: home,
    env: { PATH: "/usr/bin:/bin", HOME: home, DENO_DIR: join(home, "deno"), NO_COLOR: "1", BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^names: /m, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /rootsSecretFunction/, "the service's tracer read root's file through nobody's link, with its CAP_DAC_READ_SEARCH");
});
