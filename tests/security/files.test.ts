// Files root writes or reads in places another user controls. Writes: a predictable temporary
// name planted as a symlink must not redirect root's write. Reads: a FIFO, a device or a huge
// file given to tsbpf (a perf map in /tmp, --btf, a uprobe binary) must get one clear line,
// never a hang or an out-of-memory; each run is bounded in time.
import { test } from "node:test";
import process from "node:process";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asNobody, isBun, MAIN, ROOT, rootDir, script, stickyDir, tsbpf } from "./attacker.ts";

const env = { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" };

test("tsbpf types -o: a symlink planted at the temporary name does not redirect the write", async () => {
  const dir = rootDir("types");
  const victim = join(dir, "precious");
  writeFileSync(victim, "precious\n");
  const shared = stickyDir("types-out");
  const out = join(shared, "types.d.ts");
  // exec keeps the pid, so the attacker knows it (as it could guess or scan for it).
  const argv = isBun ? [process.execPath, MAIN] : [process.execPath, "run", "-A", "--quiet", MAIN];
  const quoted = [...argv, "types", "-o", out].map((a) => `'${a}'`).join(" ");
  const child = spawn("sh", ["-c", `read _ ; exec ${quoted}`], { stdio: ["pipe", "pipe", "pipe"], env });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    asNobody(["ln", "-sf", victim, `${out}.${child.pid}.tmp`]);
    child.stdin!.end("go\n");
    assert.equal(await exited, 0, stderr);
    assert.ok(readFileSync(victim, "utf8") === "precious\n", "root's write followed nobody's symlink");
    assert.match(readFileSync(out, "utf8"), /interface task_struct/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(shared, { recursive: true, force: true });
  }
});

test("tsbpf build -o: a symlink planted at the output name does not redirect the write", async () => {
  const dir = rootDir("build");
  const victim = join(dir, "precious");
  writeFileSync(victim, "precious\n");
  const shared = stickyDir("build-out");
  const out = join(shared, "build.bundle.js");
  asNobody(["ln", "-s", victim, out]);
  try {
    const r = await tsbpf(["build", join(ROOT, "tests/fixtures/first_exec.ts"), "-o", out], { env, timeoutMs: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(readFileSync(victim, "utf8") === "precious\n", "root's bundle was written through nobody's symlink");
    assert.ok(lstatSync(out).isFile(), "the bundle replaced the symlink");
    assert.match(readFileSync(out, "utf8"), /__TSBPF_BUNDLE__/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(shared, { recursive: true, force: true });
  }
});

/** Something nobody made at `path`: a FIFO, a symlink to /dev/zero, a huge sparse file. */
const PLANTS: [string, (path: string) => string[]][] = [
  ["a FIFO", (p) => ["mkfifo", p]],
  ["a symlink to /dev/zero", (p) => ["ln", "-s", "/dev/zero", p]],
  ["a 4 GiB sparse file", (p) => ["truncate", "-s", "4G", p]],
];

for (const [what, plant] of PLANTS) {
  test(`tsbpf types --btf and tsbpf list uprobe: ${what} gets one clear line`, async () => {
    const shared = stickyDir("planted");
    const path = join(shared, "planted");
    asNobody(plant(path));
    try {
      for (const args of [["types", "--btf", path, "-o", "-"], ["list", `uprobe:${path}:*`]]) {
        const r = await tsbpf(args, { env, timeoutMs: 60_000 });
        assert.ok(!r.timedOut, `${args.join(" ")}: still running after a minute`);
        assert.notEqual(r.status, 0);
        assert.ok(r.stderr.includes(`Refusing to read "${path}": it is`) || r.stderr.includes(`Refusing to read "${path}": it has`), r.stderr);
        assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      }
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });
}

/** A process of nobody's, and an address in its anonymous memory (where a JIT's code would be). */
function victim(): { pid: number; address: bigint; stop(): void } {
  const child = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "sleep", "60"], { stdio: "ignore" });
  const pid = child.pid!;
  for (let i = 0; i < 100; i++) {
    const maps = readFileSync(`/proc/${pid}/maps`, "utf8");
    if (maps.includes("sleep")) {
      // Just after exec the loader may not have mapped anonymous memory yet: look again.
      const anon = maps.split("\n").map((l) => l.split(/\s+/)).find((f) => f.length >= 5 && f[4] === "0" && !f[5]);
      if (anon) return { pid, address: BigInt(`0x${anon[0].split("-")[0]}`) + 16n, stop: () => child.kill("SIGKILL") };
    }
    spawnSync("sleep", ["0.02"]);
  }
  child.kill("SIGKILL");
  throw new Error("the victim did not start, or has no anonymous memory");
}

/** Symbolizes `address` of `pid` as root, in a child process (the tracer's side). */
async function symbolize(pid: number, address: bigint) {
  const dir = rootDir("perfmap");
  const file = join(dir, "symbolize.ts");
  writeFileSync(file, `import { libc } from ${JSON.stringify(join(ROOT, "runtime/ffi/mod.ts"))};
import { userSymbols } from ${JSON.stringify(join(ROOT, "runtime/symbolize/user.ts"))};
await libc();
console.log(JSON.stringify({ name: userSymbols().symbolize(${pid}, ${address}n).name ?? null }));
`);
  try {
    return await script(file, { env, timeoutMs: 20_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const [what, plant] of PLANTS) {
  test(`/tmp/perf-PID.map that is ${what}: the symbolizer does not hang, and says so once`, async () => {
    const v = victim();
    const path = `/tmp/perf-${v.pid}.map`;
    try {
      asNobody(plant(path));
      const r = await symbolize(v.pid, v.address);
      assert.ok(!r.timedOut, "the symbolizer hung (still running after 20 s)");
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /"name":null/);
      assert.match(r.stderr, new RegExp(`Refusing to read "${path}`));
    } finally {
      v.stop();
      rmSync(path, { force: true });
    }
  });
}

test("/tmp/perf-PID.map: believed from the process's own user, refused from another", async () => {
  const v = victim();
  const path = `/tmp/perf-${v.pid}.map`;
  try {
    const line = `${v.address.toString(16)} 40 LazyCompile:~planted\n`;
    // Another unprivileged user (daemon) writes the process's perf map: not believed.
    spawnSync("setpriv", ["--reuid=daemon", "--regid=daemon", "--clear-groups", "sh", "-c", `printf '${line}' > ${path}`]);
    assert.ok(existsSync(path));
    let r = await symbolize(v.pid, v.address);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /"name":null/, "a perf map by another user named the process's code");
    assert.match(r.stderr, /owned by uid 1, not by uid 65534 or uid 0/);
    rmSync(path);
    // The process's own user writes it: believed (the check refuses only what it should).
    asNobody(["sh", "-c", `printf '${line}' > ${path}`]);
    r = await symbolize(v.pid, v.address);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /LazyCompile:~planted/);
  } finally {
    v.stop();
    rmSync(path, { force: true });
  }
});


test("readCheckedFile: the size bound holds for files that claim a size and for ones that grow while read", async () => {
  const { libc } = await import("../../runtime/ffi/mod.ts");
  const { readCheckedFile, UnsafeFileError } = await import("../../runtime/files.ts");
  await libc();
  const dir = rootDir("bound");
  try {
    const file = join(dir, "f");
    writeFileSync(file, "x".repeat(100));
    assert.equal(readCheckedFile(file, { maxBytes: 100 })!.length, 100);
    assert.throws(() => readCheckedFile(file, { maxBytes: 99 }), UnsafeFileError);
    assert.equal(readCheckedFile(join(dir, "missing"), { maxBytes: 1 }), undefined);
    // /proc files say 0 bytes and then give more: the bound is on what is read.
    assert.ok(readCheckedFile("/proc/self/maps", { maxBytes: 1 << 20 })!.length > 0);
    assert.throws(() => readCheckedFile("/proc/self/maps", { maxBytes: 16 }), /grew past the 16 bytes/);
    assert.throws(() => readCheckedFile(file, { maxBytes: 100, owners: [65534] }), /owned by uid 0, not by uid 65534/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
