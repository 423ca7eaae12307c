// With -p PID, a user-space probe's file is the process's: a library it maps (found by the name
// given), or a path looked up inside its root. The path is its owner's to change: nobody's
// process maps a library of theirs, then puts at its path a link to a file of root's in a
// directory nobody cannot enter. Root's `tsbpf list uprobe:LIB:* -p PID` listed the functions
// of root's file (as `run` would have attached there), read through nobody's link with root's
// rights. The library the process maps is the very file it maps (/proc/PID/map_files), and a
// path inside its root is read with the rights of its user.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, bareEnv, nobodyPython, type NobodyProcess, ROOT, rootDir, tsbpf } from "./attacker.ts";

const PYTHON = "/usr/bin/python3";
const FIXTURE = join(ROOT, "tests/security/fixtures/debug_pair.py");
const skip = !existsSync(PYTHON) && "no /usr/bin/python3";
const cleanup: string[] = [];
after(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** An ELF file at `path` whose .symtab names a function `name` (debug_pair.py's debug file). */
function elfNaming(path: string, name: string, as: (argv: string[]) => unknown = (argv) => spawnSync(argv[0], argv.slice(1))): void {
  as([PYTHON, FIXTURE, `${path}.unused`, path, "unused", name]);
}

let mapper: NobodyProcess | undefined;
after(() => mapper?.stop());

test("-p: a probe's file is the library the process maps, or a path read with its user's rights, never root's file behind nobody's link", { timeout: 120_000, skip }, async () => {
  const secret = rootDir("pid-file");
  cleanup.push(secret);
  elfNaming(join(secret, "secret.so"), "rootsSecretFunction");
  const dir = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-pid-file-XXXXXX")]).trim();
  cleanup.push(dir);
  asNobody(["chmod", "755", dir]);
  elfNaming(join(dir, "libnobodys.so"), "nobodysOwnFunction", asNobody);
  // nobody maps the library, deletes it (as an upgrade does) and puts a link to root's file at its path.
  mapper = await nobodyPython(`
import mmap, os, time
f = open("${dir}/libnobodys.so", "rb")
m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
os.unlink("${dir}/libnobodys.so")
os.symlink("${secret}/secret.so", "${dir}/libnobodys.so")
print("ready", flush=True)
time.sleep(120)
`);
  const pid = String(mapper.pid);
  const byName = await tsbpf(["list", "-p", pid, "uprobe:libnobodys:*"], { env: bareEnv() });
  assert.doesNotMatch(byName.stdout + byName.stderr, /rootsSecretFunction/, `root's file was listed through nobody's link:\n${byName.stdout}${byName.stderr}`);
  assert.match(byName.stdout, /nobodysOwnFunction/, `the library the process maps was not listed:\n${byName.stdout}${byName.stderr}`);
  const byPath = await tsbpf(["list", "-p", pid, `uprobe:${dir}/libnobodys.so:*`], { env: bareEnv() });
  assert.doesNotMatch(byPath.stdout + byPath.stderr, /rootsSecretFunction/, `root's file was listed through nobody's link:\n${byPath.stdout}${byPath.stderr}`);
  assert.match(byPath.stderr, /EACCES/, `the path was not refused as nobody may not read it:\n${byPath.stdout}${byPath.stderr}`);
});
