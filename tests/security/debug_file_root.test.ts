// A stripped library's separate debug file is looked for where the traced process sees it:
// /proc/PID/root, then the library's directory, its .debug/ and /usr/lib/debug. Looked up by name
// through /proc/PID/root, an absolute symlink met on the way resolves against root's own root,
// not the process's: nobody, in a chroot of their own (a user namespace, as any user can make
// one), makes the library's .debug/ a link to "/" + a directory of root's that nobody cannot
// read. For nobody's processes that link leads into their own tree; root's symbolizer followed
// it to the host's directory and named nobody's frame from root's file. The frame is to be named
// from the debug file nobody put at that path inside the container, as gdb in it would.
import process from "node:process";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, isBun, ROOT, rootDir, script } from "./attacker.ts";
import { stacksScript } from "./mapped_code.ts";

const env = { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" };
const PYTHON = "/usr/bin/python3";
const FIXTURE = join(ROOT, "tests/security/fixtures/debug_pair.py");
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Maps the library and calls its code (getppid) every 50 ms.
const CALLER = `
import ctypes, mmap, os, sys, time
f = open(sys.argv[1], "rb")
m = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
call = ctypes.CFUNCTYPE(ctypes.c_long)(ctypes.addressof(ctypes.c_char.from_buffer(m)) + 0x1000)
print("pid", os.getpid(), flush=True)
while True:
    call()
    time.sleep(0.05)
`;

const cleanup: string[] = [];
after(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

test("a debug file is looked up inside the traced process's root: a chroot's absolute link does not lead root's symbolizer to the host's files", { timeout: 180_000, skip: !existsSync(PYTHON) && "no /usr/bin/python3" }, async () => {
  // Root's own directory (0700): the library's debug file, which only root can read.
  const secret = rootDir("debug-secret");
  cleanup.push(secret);
  const own = rootDir("debug-own");
  cleanup.push(own);
  chmodSync(own, 0o755); // nobody copies the library and the caller from here
  const made = spawnSync(PYTHON, [FIXTURE, `${own}/lib.so`, `${secret}/lib.debug`, "lib.debug", "rootsSecretName"]);
  assert.equal(made.status, 0, `the fixture was not made: ${made.stderr}`);
  writeFileSync(`${own}/caller.py`, CALLER);
  const dir = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-debugroot-XXXXXX")]).trim();
  cleanup.push(dir);
  asNobody(["chmod", "755", dir]);
  const root = `${dir}/root`;
  // nobody's container: the host's /usr bound in (for python); the library, its .debug/ a link
  // to the path of root's directory, and there, inside the container, nobody's own debug file.
  asNobody(["sh", "-c", [
    `mkdir -p ${root}/usr ${root}/code ${root}${secret}`,
    `ln -s usr/lib ${root}/lib`,
    `ln -s usr/lib64 ${root}/lib64`,
    `ln -s usr/bin ${root}/bin`,
    `ln -s ${secret} ${root}/code/.debug`,
    `cp ${own}/caller.py ${root}/code/`,
    `${PYTHON} ${FIXTURE} ${root}/code/lib.so ${root}${secret}/lib.debug lib.debug nobodysOwnName`,
  ].join(" && ")]);
  const container = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "unshare", "-r", "-m", "sh", "-c",
    `mount --rbind /usr ${root}/usr && exec chroot ${root} ${PYTHON} /code/caller.py /code/lib.so`], { stdio: ["ignore", "pipe", "pipe"], detached: true });
  let said = "";
  container.stdout!.on("data", (d) => (said += d));
  container.stderr!.on("data", (d) => (said += d));
  const exited = new Promise((r) => container.on("exit", r));
  try {
    for (let i = 0; i < 400 && !/pid \d+/.test(said) && container.exitCode === null; i++) await wait(50);
    const pid = Number(/pid (\d+)/.exec(said)?.[1]);
    assert.ok(pid > 0, `nobody's container did not start: ${said}`);
    const tracer = join(own, "tracer.ts");
    writeFileSync(tracer, stacksScript(pid, 1));
    const r = await script(tracer, { env, timeoutMs: 120_000 });
    assert.equal(r.status, 0, `${isBun ? "Bun" : "Deno"}: ${r.stderr.slice(-1000)}`);
    assert.match(r.stdout, /0x[0-9a-f]+/, `no stack printed:\n${r.stdout}`);
    assert.doesNotMatch(r.stdout, /rootsSecretName/, `root's symbolizer named nobody's frame from a file outside nobody's root:\n${r.stdout}`);
    assert.match(r.stdout, /nobodysOwnName\+7/, `the frame is not named from the debug file the process sees:\n${r.stdout}`);
  } finally {
    try {
      process.kill(-container.pid!, "SIGKILL");
    } catch { /* gone */ }
    await exited;
  }
});
