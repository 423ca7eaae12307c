// A process's mapped files are read through /proc/PID/map_files/START-END, the very file mapped
// there (uprobe_pid_file.test.ts, symbolize_mapped.test.ts). But the process is known by pid and
// start time, which an exec keeps, and a range names whatever the process maps there now: nobody
// maps a library of theirs where a program of root's that nobody may run but not read (0711)
// loads, has root find the library's mapping (-p PID uprobe:LIB, the symbolizer), then execs
// root's program. Root then read root's program through the old range: its functions listed for
// nobody's library, its symbols naming nobody's frames. The entry must be the file the mapping
// named (its device and inode in the maps line). Nor may the path the mapping named lead there
// once nobody's process became root (a setuid program: sudo, for a program nobody may run as
// root but not read), nobody having put a link to root's program at that path before.
import { after, test } from "node:test";
import { chmodSync, existsSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, type NobodyProcess, rootDir } from "./attacker.ts";
import { execSwap } from "./exec_swap.ts";

const skip = (!existsSync("/usr/bin/python3") && "no /usr/bin/python3") || (!existsSync("/usr/bin/gcc") && "no gcc");
const cleanup: string[] = [];
after(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));
let mapper: NobodyProcess | undefined;
after(() => mapper?.stop());

test("a mapped file is read through map_files only if it is still the file the mapping named (not root's program after an exec)", { timeout: 120_000, skip }, async () => {
  const secret = rootDir("mapped-exec");
  cleanup.push(secret);
  const dir = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-mapped-exec-XXXXXX")]).trim();
  cleanup.push(dir);
  asNobody(["chmod", "755", dir]);
  await execSwap(secret, dir, (m) => (mapper = m));
});

test("a mapped file is not read by its path either, where nobody put a link to root's program and became root to run it", { timeout: 120_000, skip }, async () => {
  const secret = rootDir("mapped-exec-root");
  cleanup.push(secret);
  const dir = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-mapped-exec-XXXXXX")]).trim();
  cleanup.push(dir);
  asNobody(["chmod", "755", dir]);
  // What sudo does for a command nobody may run as root (NOPASSWD): root's ids, all of them, then the command.
  const tools = rootDir("mapped-exec-sudo");
  cleanup.push(tools);
  chmodSync(tools, 0o755);
  const sudo = join(tools, "sudo-like");
  const cc = spawnSync("gcc", ["-o", sudo, "-x", "c", "-"], {
    input: "#define _GNU_SOURCE\n#include <unistd.h>\nint main(int argc, char **argv) { if (argc < 2 || setresgid(0, 0, 0) || setresuid(0, 0, 0)) return 1; execv(argv[1], argv + 1); return 1; }\n",
    encoding: "utf8",
  });
  assert.equal(cc.status, 0, cc.stderr);
  chmodSync(sudo, 0o4755);
  await execSwap(secret, dir, (m) => (mapper2 = m), undefined, sudo, true);
});
let mapper2: NobodyProcess | undefined;
after(() => mapper2?.stop());
