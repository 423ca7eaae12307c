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
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, type NobodyProcess, rootDir } from "./attacker.ts";
import { execSwap, sudoLike } from "./exec_swap.ts";

const skip = (!existsSync("/usr/bin/python3") && "no /usr/bin/python3") || (!existsSync("/usr/bin/gcc") && "no gcc");
const cleanup: string[] = [];
after(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));
let mapper: NobodyProcess | undefined, mapper2: NobodyProcess | undefined;
after(() => mapper?.stop());
after(() => mapper2?.stop());

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
  const tools = rootDir("mapped-exec-sudo");
  cleanup.push(tools);
  chmodSync(tools, 0o755);
  await execSwap(secret, dir, (m) => (mapper2 = m), undefined, sudoLike(tools), true);
});
