// With -p, a library named without a path ("libz") is the one that process has loaded, wherever
// from (bpftrace resolves it through /proc/PID/maps too), also where a wildcard is expanded;
// `tsbpf list` finds a library by name as the probes do. A Python that calls zlib.crc32 every
// 20 ms loads a copy of libz from a directory of its own (LD_LIBRARY_PATH): the system's libz
// never fires for it.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { runCommand, waitFor } from "./util.ts";

declare const Bun: unknown;
const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const python = spawnSync("python3", ["-c", "import sys, zlib; print(sys.executable)"], { encoding: "utf8" }).stdout?.trim();
const systemLibz = spawnSync("sh", ["-c", "ldconfig -p | sed -n 's/.*libz.so.1 (libc6,x86-64) => //p' | head -1"], { encoding: "utf8" }).stdout?.trim();
const skip = !python ? "needs python3 with zlib" : !systemLibz ? "needs libz.so.1 in ld.so.cache" : false;

function tsbpf(args: string[]) {
  const cmd = typeof Bun !== "undefined" ? [MAIN, ...args] : ["run", "-A", "--quiet", MAIN, ...args];
  return runCommand(process.execPath, cmd, { NO_COLOR: "1", TSBPF_NO_CACHE: "1", PATH: process.env.PATH ?? "/usr/bin:/bin" });
}

/**
 * A Python calling zlib.crc32 in a loop with its own copy of libz in `dir`: as libz.so.1 through
 * LD_LIBRARY_PATH, or under a name only that process knows (`file`, preloaded: its crc32 is
 * the one called).
 */
async function pythonWithOwnLibz(dir: string, file = "libz.so.1") {
  copyFileSync(realpathSync(systemLibz), join(dir, file));
  const env = file === "libz.so.1" ? { LD_LIBRARY_PATH: dir } : { LD_PRELOAD: join(dir, file) };
  const child = spawn(python!, ["-c", "import zlib, time\nwhile True:\n    zlib.crc32(b'x'); time.sleep(0.02)"], { stdio: "ignore", env: { ...process.env, ...env } });
  const loaded = await waitFor(() => {
    try {
      return readFileSync(`/proc/${child.pid}/maps`, "utf8").includes(`${dir}/${file}`);
    } catch {
      return false;
    }
  }, 60_000);
  assert.ok(loaded, "python did not load the copy of libz");
  return child;
}

const CASES = [
  ["libz:crc32", "libz.so.1"],
  ["libz:crc3*", "libz.so.1"],
  ["libtsbpftestz:crc32", "libtsbpftestz.so.1"],
  ["libtsbpftestz:crc3*", "libtsbpftestz.so.1"],
] as const;

for (const [probe, file] of CASES) {
  test(`-p PID: uprobe("${probe}") attaches to the library that process loaded (${file}, from its own directory) and counts its calls`, { timeout: 120_000, skip }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tsbpf-test-libz-"));
    const py = await pythonWithOwnLibz(dir, file);
    try {
      const run = tsbpf(["-p", String(py.pid), "-d", "1", "-e", `uprobe("${probe}", () => count())`]);
      const status = await run.exited;
      assert.equal(status, 0, run.output());
      const n = Number(/^@: (\d+)$/m.exec(run.stdout())?.[1] ?? 0);
      assert.ok(n >= 5, `counted ${n} calls: ${run.output()}`);
    } finally {
      py.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("tsbpf list finds a library by name, as uprobes do", { timeout: 60_000, skip }, async () => {
  const run = tsbpf(["list", "uprobe:libz:crc32"]);
  assert.equal(await run.exited, 0, run.output());
  assert.match(run.stdout(), /^uprobe:\/.*libz\.so[^:]*:crc32$/m, run.output());
});

test("tsbpf list -p PID: a library by name is the one that process loaded, as with -e -p", { timeout: 60_000, skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-test-libz-"));
  const py = await pythonWithOwnLibz(dir, "libtsbpftestz.so.1");
  try {
    const run = tsbpf(["list", "-p", String(py.pid), "uprobe:libtsbpftestz:crc3*"]);
    assert.equal(await run.exited, 0, run.output());
    // Through the process's own root (/proc/PID/root), as attaching reaches it.
    assert.match(run.stdout(), new RegExp(`^uprobe:(/proc/${py.pid}/root)?${dir}/libtsbpftestz\\.so\\.1:crc32$`, "m"), run.output());
    const bad = tsbpf(["list", "-p", "notapid", "uprobe:libz:crc32"]);
    assert.notEqual(await bad.exited, 0);
    assert.match(bad.stderr(), /-p/, bad.output());
  } finally {
    py.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tsbpf list -p PID: a library the process loaded from a path with spaces is that one, also once unlinked", { timeout: 60_000, skip }, async () => {
  const top = mkdtempSync(join(tmpdir(), "tsbpf-test-libz-"));
  const dir = join(top, "my libs");
  mkdirSync(dir);
  const py = await pythonWithOwnLibz(dir);
  try {
    const listed = (what: string) => new RegExp(`^uprobe:(/proc/${py.pid}/root)?${what}:crc32$`, "m");
    const run = tsbpf(["list", "-p", String(py.pid), "uprobe:libz:crc32"]);
    assert.equal(await run.exited, 0, run.output());
    assert.match(run.stdout(), listed(`${dir}/libz\\.so\\.1`), run.output());
    rmSync(join(dir, "libz.so.1"));
    const gone = tsbpf(["list", "-p", String(py.pid), "uprobe:libz:crc32"]);
    await gone.exited;
    assert.doesNotMatch(gone.stdout(), listed(realpathSync(systemLibz).replace(/\./g, "\\.")), `the system's libz, not the one the process loaded: ${gone.output()}`);
  } finally {
    py.kill("SIGKILL");
    rmSync(top, { recursive: true, force: true });
  }
});

test("tsbpf list -p PID: a program that process runs, not PIE (maps prints its range as 00400000-…, map_files names it 400000-…)", { timeout: 60_000, skip: spawnSync("sh", ["-c", "command -v gcc"]).status !== 0 && "needs gcc" }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-test-nopie-"));
  const program = join(dir, "tsbpfnopie");
  const cc = spawnSync("gcc", ["-O0", "-no-pie", "-o", program, "-x", "c", "-"], { input: "#include <unistd.h>\nint noPieFunction(int x) { return x + 1; }\nint main(void) { for (;;) pause(); return noPieFunction(1); }\n", encoding: "utf8" });
  assert.equal(cc.status, 0, cc.stderr);
  const child = spawn(program, [], { stdio: "ignore" });
  try {
    const mapped = await waitFor(() => {
      try {
        return readFileSync(`/proc/${child.pid}/maps`, "utf8").startsWith("00400000-");
      } catch {
        return false;
      }
    }, 60_000);
    assert.ok(mapped, "the program is not mapped at 0x400000 (the test's setup failed)");
    const run = tsbpf(["list", "-p", String(child.pid), "uprobe:tsbpfnopie:noPie*"]);
    assert.equal(await run.exited, 0, run.output());
    assert.match(run.stdout(), new RegExp(`^uprobe:(/proc/${child.pid}/root)?${program}:noPieFunction$`, "m"), run.output());
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
