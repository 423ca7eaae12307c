// The exec swap of mapped_file_exec.test.ts, shared with mapped_file_btrfs.test.ts (where it
// runs on btrfs subvolumes, whose files a maps line does not tell apart by device and inode).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asNobody, nobodyPython, type NobodyProcess, ROOT } from "./attacker.ts";
import { libc } from "../../runtime/ffi/mod.ts";
import { openUserBinary, userFile } from "../../probes/user_binary.ts";
import { parseProcMaps } from "../../runtime/symbolize/proc_maps.ts";
import { ElfFiles } from "../../runtime/symbolize/elf_files.ts";

const PYTHON = "/usr/bin/python3";

/**
 * A setuid-root program made in `dir` (root's, on a file system without nosuid) that does what sudo
 * does for a command nobody may run as root (NOPASSWD): takes root's ids, all of them, and runs
 * its argument. Its path, for execSwap's `via`.
 */
export function sudoLike(dir: string): string {
  const sudo = join(dir, "sudo-like");
  const cc = spawnSync("gcc", ["-o", sudo, "-x", "c", "-"], {
    input: "#define _GNU_SOURCE\n#include <unistd.h>\nint main(int argc, char **argv) { if (argc < 2 || setresgid(0, 0, 0) || setresuid(0, 0, 0)) return 1; execv(argv[1], argv + 1); return 1; }\n",
    encoding: "utf8",
  });
  assert.equal(cc.status, 0, cc.stderr);
  chmodSync(sudo, 0o4755);
  return sudo;
}
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const startOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[22 - 3];
};

/**
 * Root's program (0711) built in `secret` (a directory of root's), nobody's library written in
 * `dir` (one nobody may write): nobody maps its library where root's program will load, root
 * finds it, nobody execs root's program; neither -p PID uprobe:LIB nor the symbolizer may then
 * read root's program. `setUp` runs once both files are made (mapped_file_btrfs checks their inodes). With
 * `via` (a setuid-root program that makes the process root, ids and all, and execs its argument,
 * as sudo does for a command nobody may run as root), root's program runs as root; with `link`,
 * nobody first puts a symlink to root's program where its library was.
 */
export async function execSwap(secret: string, dir: string, started: (mapper: NobodyProcess) => void, setUp?: () => void, via?: string, link = false): Promise<void> {
  await libc();
  // Root's program, at a fixed address (not PIE, where nobody's python3 leaves room), that nobody may run but not read.
  chmodSync(secret, 0o755);
  writeFileSync(join(secret, "secret.c"), "#include <unistd.h>\nint rootsSecretFunction(int x) { return x * 7; }\nint main(void) { for (;;) pause(); return rootsSecretFunction(1); }\n");
  const cc = spawnSync("gcc", ["-O0", "-no-pie", "-Wl,-Ttext-segment=0x10000000", "-o", join(secret, "secret"), join(secret, "secret.c")], { encoding: "utf8" });
  assert.equal(cc.status, 0, cc.stderr);
  chmodSync(join(secret, "secret"), 0o711);
  asNobody([PYTHON, join(ROOT, "tests/security/fixtures/debug_pair.py"), `${dir}/libnobodys.so.unused`, `${dir}/libnobodys.so`, "unused", "nobodysOwnFunction"]);
  setUp?.();
  // nobody maps its library where root's program's first mapping will be (0x10000000, a page), then
  // execs root's program when told (SIGUSR1).
  const mapper = await nobodyPython(`
import ctypes, os, signal
c = ctypes.CDLL(None, use_errno=True)
c.mmap.restype = ctypes.c_void_p
c.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
fd = os.open("${dir}/libnobodys.so", os.O_RDONLY)
if c.mmap(0x10000000, 0x1000, 1, 0x2 | 0x100000, fd, 0) != 0x10000000:
    raise SystemExit("mmap failed")
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
print("ready", flush=True)
signal.sigwait([signal.SIGUSR1])
${link ? `os.rename("${dir}/libnobodys.so", "${dir}/libnobodys.so.old")\nos.symlink("${secret}/secret", "${dir}/libnobodys.so")` : ""}
${via ? `os.execv("${via}", ["via", "${secret}/secret"])` : `os.execv("${secret}/secret", ["secret"])`}
`);
  started(mapper);
  const pid = mapper.pid;
  const mapping = parseProcMaps(readFileSync(`/proc/${pid}/maps`, "utf8")).find((m) => m.path.endsWith("libnobodys.so"));
  assert.ok(mapping && mapping.start === 0x10000000, "nobody's library is not mapped at 0x10000000 (the test's setup failed)");
  const start = startOf(pid);
  // Root finds the library the process maps (as -p PID uprobe:libnobodys resolves it)...
  const found = userFile("libnobodys", pid);
  // ... and nobody execs root's program before root reads it.
  process.kill(pid, "SIGUSR1");
  let execed = false;
  for (let i = 0; i < 400 && !execed; i++) {
    await wait(25);
    try {
      execed = readlinkSync(`/proc/${pid}/exe`) === `${secret}/secret` && readFileSync(`/proc/${pid}/maps`, "utf8").startsWith("10000000-10001000 ");
    } catch { /* not yet */ }
  }
  assert.ok(execed, `nobody's process did not exec root's program with its first page at 0x10000000 (the test's setup failed)`);
  assert.equal(startOf(pid), start, "the exec changed the start time (the test's setup failed)");
  assert.equal(spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "cat", `${secret}/secret`]).status !== 0, true, "nobody can read root's program (the test's setup failed)");

  let listed = "";
  try {
    const held = openUserBinary(found);
    held.close();
    listed = held.elf.symbols().symbols.map((s) => s.name).join(" ");
  } catch (e) {
    listed = (e as Error).message;
  }
  assert.doesNotMatch(listed, /rootsSecretFunction/, "root's program was read for nobody's library, through the range nobody mapped it at before the exec");

  // The symbolizer, with the mapping read before the exec.
  const file = new ElfFiles().forMapping(pid, mapping, start);
  const names = file && typeof file === "object" ? file.elf.symbols().symbols.map((s) => s.name).join(" ") : "";
  assert.doesNotMatch(names, /rootsSecretFunction/, "the symbolizer read root's program for nobody's library's mapping, after the exec");
}
