// A stripped library's separate debug file is looked for where the traced process sees it: its
// .gnu_debuglink name in the library's directory and its .debug/, inside /proc/PID/root, then on
// the host. The names and the directories are nobody's to choose when the process is theirs:
// - its .debug/ a link to a directory of root's that nobody cannot read: root's tracer followed
//   it, as root, and named nobody's frame from root's file;
// - in a container of nobody's (a user and mount namespace with its own root, as any user can
//   make one), .debug/ an absolute link: inside the container it leads to nobody's own debug
//   file, but looked up by name through /proc/PID/root it resolved against root's own root, and
//   root's tracer named the frame from the host's file of that name. So did the container's
//   /tmp, a link, for its perf map.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, nobodyCommand, type NobodyProcess, ROOT, rootDir, script } from "./attacker.ts";
import { callerCode, nobodyCalling, stacksScript } from "./mapped_code.ts";

const env = { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" };
const PYTHON = "/usr/bin/python3";
const FIXTURE = join(ROOT, "tests/security/fixtures/debug_pair.py");
const skip = !existsSync(PYTHON) && "no /usr/bin/python3";

const cleanup: string[] = [];
after(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A directory of root's with the library's debug file, naming its code `name`; readable by all if `open`. */
function rootsDebugFile(name: string, open: boolean): string {
  const dir = rootDir("debug-root");
  cleanup.push(dir);
  if (open) chmodSync(dir, 0o755);
  const made = spawnSync(PYTHON, [FIXTURE, `${dir}/lib.so`, `${dir}/lib.debug`, "lib.debug", name], { encoding: "utf8" });
  assert.equal(made.status, 0, `the fixture was not made: ${made.stderr}`);
  return dir;
}

/** A directory of nobody's, readable by all. */
function nobodysDir(): string {
  const dir = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-debug-XXXXXX")]).trim();
  cleanup.push(dir);
  asNobody(["chmod", "755", dir]);
  return dir;
}

/** Root's tracer's stacks of `pid` (`count` of them), printed. */
async function stacks(pid: number, count: number): Promise<string> {
  const dir = rootDir("debug-tracer");
  cleanup.push(dir);
  writeFileSync(join(dir, "tracer.ts"), stacksScript(pid, count));
  const r = await script(join(dir, "tracer.ts"), { env, timeoutMs: 120_000 });
  assert.equal(r.status, 0, r.stderr.slice(-1000));
  return r.stdout;
}

test("a debug file is opened with the rights of the traced process's owner: nobody's link does not lead root's tracer into root's files", { timeout: 180_000, skip }, async () => {
  const secret = rootsDebugFile("rootsSecretName", false);
  const dir = nobodysDir();
  // Two libraries: the first's .debug/ is root's directory; the second's a directory of nobody's, through a link too.
  asNobody(["sh", "-c", [
    `mkdir ${dir}/a ${dir}/b ${dir}/mine`,
    `ln -s ${secret} ${dir}/a/.debug`,
    `ln -s ${dir}/mine ${dir}/b/.debug`,
    `${PYTHON} ${FIXTURE} ${dir}/a/lib.so ${dir}/unused.debug lib.debug unused`,
    `${PYTHON} ${FIXTURE} ${dir}/b/lib.so ${dir}/mine/lib.debug lib.debug nobodysOwnName`,
  ].join(" && ")]);
  // Not dumpable: its /proc/PID files are root's, not what says whose rights to read with.
  const caller = await nobodyCalling([`${dir}/a/lib.so`, `${dir}/b/lib.so`], true);
  try {
    const out = await stacks(caller.pid, 2);
    assert.doesNotMatch(out, /rootsSecretName/, `root's tracer named nobody's frame from a file nobody cannot read:\n${out}`);
    assert.match(out, /nobodysOwnName\+7/, `the frame is not named from the debug file nobody's link leads to:\n${out}`);
  } finally {
    caller.stop();
  }
});

/**
 * nobody's container in `root` (a user and mount namespace): the host's /usr bound in (for
 * python), its root a mount of its own, the host's tree moved aside, as a container runtime
 * starts one (its maps then name its files as it sees them); running `python` (a file in the
 * container) with `args`.
 */
function container(root: string, python: string, args: string[]): Promise<NobodyProcess> {
  asNobody(["sh", "-c", `mkdir -p ${root}/usr ${root}/old && ln -s usr/lib ${root}/lib && ln -s usr/lib64 ${root}/lib64 && ln -s usr/bin ${root}/bin`]);
  // unshare and sh exec what follows: the pid is python's. It prints "pid N" once it runs its code.
  return nobodyCommand(["unshare", "-r", "-m", "sh", "-c",
    `mount --bind ${root} ${root} && mount --rbind /usr ${root}/usr && cd ${root} && pivot_root . old && exec ${PYTHON} ${python} ${args.join(" ")}`], "pid ");
}

test("a debug file is looked up inside the traced process's root: a container's absolute link does not lead to the host's files", { timeout: 180_000, skip }, async () => {
  const host = rootsDebugFile("hostsName", true);
  const dir = nobodysDir();
  writeFileSync(join(host, "caller.py"), callerCode());
  const root = `${dir}/root`;
  // The library, its .debug/ a link to the path of root's directory, and there, inside the container, nobody's own debug file.
  asNobody(["sh", "-c", [
    `mkdir -p ${root}/code ${root}${host}`,
    `ln -s ${host} ${root}/code/.debug`,
    `cp ${host}/caller.py ${root}/code/`,
    `${PYTHON} ${FIXTURE} ${root}/code/lib.so ${root}${host}/lib.debug lib.debug nobodysOwnName`,
  ].join(" && ")]);
  const inside = await container(root, "/code/caller.py", ["/code/lib.so"]);
  try {
    const out = await stacks(inside.pid, 1);
    assert.doesNotMatch(out, /hostsName/, `root's tracer named the container's frame from the host's file:\n${out}`);
    assert.match(out, /nobodysOwnName\+7/, `the frame is not named from the debug file the container sees:\n${out}`);
  } finally {
    await inside.stop();
  }
});

// Runs getppid from anonymous memory (as a JIT's code) every 50 ms, named in /tmp/perf-PID.map.
const JIT = `
import ctypes, mmap, os, time
m = mmap.mmap(-1, 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
m.write(b"\\xb8\\x6e\\x00\\x00\\x00\\x0f\\x05\\xc3")
at = ctypes.addressof(ctypes.c_char.from_buffer(m))
call = ctypes.CFUNCTYPE(ctypes.c_long)(at)
with open(f"/tmp/perf-{os.getpid()}.map", "w") as f:
    f.write(f"{at:x} 8 containersJit\\n")
print("pid", os.getpid(), "at", hex(at), flush=True)
while True:
    call()
    time.sleep(0.05)
`;

test("a perf map is looked up inside the traced process's root: a container's /tmp, an absolute link, does not lead to the host's files", { timeout: 180_000, skip }, async () => {
  // Root's directory for the host's perf maps. The container's /tmp is a link to
  // /proc/1/root/<its path>: on the host, the host's root and so root's directory; inside the
  // container, with no procfs there, directories of nobody's, where its perf map is.
  const host = rootDir("debug-perf");
  cleanup.push(host);
  chmodSync(host, 0o755);
  writeFileSync(join(host, "jit.py"), JIT);
  const dir = nobodysDir();
  const root = `${dir}/root`;
  const tmp = `/proc/1/root${host}`;
  asNobody(["sh", "-c", `mkdir -p ${root}/code ${root}${tmp} && ln -s ${tmp} ${root}/tmp && cp ${host}/jit.py ${root}/code/`]);
  const inside = await container(root, "/code/jit.py", []);
  try {
    const own = `${root}${tmp}/perf-${inside.pid}.map`;
    assert.ok(existsSync(own), "the container's perf map is not where its /tmp leads inside it");
    // The host's file of that name: root's own, naming the same address.
    writeFileSync(join(host, `perf-${inside.pid}.map`), readFileSync(own, "utf8").replace("containersJit", "hostsJit"));
    const out = await stacks(inside.pid, 1);
    assert.doesNotMatch(out, /hostsJit/, `root's tracer named the container's frame from the host's perf map:\n${out}`);
    assert.match(out, /containersJit\+7/, `the frame is not named from the perf map the container wrote:\n${out}`);
  } finally {
    await inside.stop();
  }
});
