// A name another user chooses (a file they open, a symbol of their library, the directory their
// library is in) reaches root's terminal inside tsbpf's lines. Control characters in it were shown
// escaped, but a line feed was kept as the line break it is: nobody's open of a file named
// "x\n4242   sshd ... /etc/shadow" printed, in root's opensnoop, a line saying sshd opened
// /etc/shadow; a symbol with a line feed listed a probe nobody's library does not have, and a
// section's name a line in the error about that library. And the notes of --verbose printed a
// library's directory raw, terminal escapes included.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { asNobody, bareEnv, nobodyCommand, replaceAll, rootDir, ROOT, tsbpf } from "./attacker.ts";
import { runScript, waitFor } from "../kernel/util.ts";

/** Any control character but the newline ending each line. */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

test("opensnoop shows a line feed in another user's file name escaped, not as a line of its own", { timeout: 120_000 }, async () => {
  const dir = rootDir("line-feed");
  chmodSync(dir, 0o755);
  const run = runScript(`${ROOT}examples/opensnoop.ts`, {}, ["-n", "python3"]);
  try {
    assert.ok(await waitFor(() => run.output().includes("PATH"), 60_000), run.output());
    // The file does not exist: the failed open is traced all the same.
    asNobody(["/usr/bin/python3", "-c", "import sys\ntry: open(sys.argv[1])\nexcept OSError: pass", `${dir}/x\n4242   sshd               3   0 /etc/shadow`]);
    assert.ok(await waitFor(() => run.stdout().includes(`${dir}/x`), 60_000), run.output());
  } finally {
    run.kill("SIGINT");
    await run.exited;
    rmSync(dir, { recursive: true, force: true });
  }
  const forged = run.stdout().split("\n").find((l) => l.startsWith("4242"));
  assert.equal(forged, undefined, `nobody's file name made a line of its own:\n${run.stdout()}`);
  assert.ok(run.stdout().includes(`${dir}/x\\x0a4242`), run.stdout());
});

test("tsbpf list shows a line feed in a symbol of another user's library escaped", async () => {
  // nobody's copy of libc whose getppid is named "get\nFOO".
  const dir = rootDir("line-feed-elf");
  chmodSync(dir, 0o777);
  try {
    const libc = new Uint8Array(readFileSync("/lib/x86_64-linux-gnu/libc.so.6"));
    const patched = replaceAll(libc, "\0getppid\0", "\0get\nFOO\0");
    assert.ok(patched.some((x, i) => x !== libc[i]), "libc has no getppid symbol to rename");
    writeFileSync(`${dir}/patched`, patched, { mode: 0o644 });
    asNobody(["cp", `${dir}/patched`, `${dir}/libnobody.so`]);
    const r = await tsbpf(["list", `uprobe:${dir}/libnobody.so:get*`], { env: bareEnv() });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes(`uprobe:${dir}/libnobody.so:get\\x0aFOO\n`), `the symbol is not listed escaped:\n${r.stdout}`);
    assert.ok(!r.stdout.split("\n").includes("FOO"), `nobody's symbol made a line of its own:\n${r.stdout}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tsbpf list's error about another user's library shows a line feed in a section's name escaped", async () => {
  // nobody's copy of libc whose .dynsym is named "x\nFORGE" and has a wrong entry size, an ElfError quoting that name.
  const dir = rootDir("line-feed-section");
  chmodSync(dir, 0o777);
  try {
    writeFileSync(`${dir}/patched`, brokenDynsym(new Uint8Array(readFileSync("/lib/x86_64-linux-gnu/libc.so.6")), "x\nFORGE"), { mode: 0o644 });
    asNobody(["cp", `${dir}/patched`, `${dir}/libnobody.so`]);
    const r = await tsbpf(["list", `uprobe:${dir}/libnobody.so:*`], { env: bareEnv() });
    assert.notEqual(r.status, 0, r.stdout);
    assert.ok(r.stderr.includes("(x\\x0aFORGE)"), `the section's name is not shown escaped:\n${r.stderr}`);
    assert.ok(!r.stderr.split("\n").some((l) => l.startsWith("FORGE")), `nobody's section name made a line of its own:\n${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** `elf` with its SHT_DYNSYM section renamed `name` (as long as ".dynsym") and given entry size 23, which the reader refuses. */
function brokenDynsym(elf: Uint8Array, name: string): Uint8Array {
  const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const shoff = Number(v.getBigUint64(0x28, true)), shnum = v.getUint16(0x3c, true), shstrndx = v.getUint16(0x3e, true);
  const names = Number(v.getBigUint64(shoff + shstrndx * 64 + 24, true));
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * 64;
    if (v.getUint32(h + 4, true) !== 11) continue; // SHT_DYNSYM
    const at = names + v.getUint32(h, true);
    assert.equal(new TextDecoder().decode(elf.subarray(at, at + 7)), ".dynsym");
    elf.set(new TextEncoder().encode(name), at);
    v.setBigUint64(h + 56, 23n, true);
    return elf;
  }
  throw new Error("no SHT_DYNSYM section");
}

test("--verbose shows the directory of another user's library with its control characters escaped", { timeout: 180_000 }, async () => {
  // nobody's library (two functions and an IFUNC, which a wildcard leaves out with a note) in a
  // directory named with terminal escapes, mapped by nobody's process that root traces with -p.
  const dir = rootDir("verbose-escapes");
  chmodSync(dir, 0o755);
  const lib = `${dir}/\x1b]0;owned\x07\x1b[2J`;
  let nobody;
  try {
    writeFileSync(`${dir}/evil.c`, "int fa(int x) { return x + 1; }\nint fb(int x) { return x + 2; }\nstatic int impl(int x) { return x; }\nstatic void *pick(void) { return (void *)impl; }\nint fc(int x) __attribute__((ifunc(\"pick\")));\n");
    execFileSync("mkdir", ["-m", "0755", lib]);
    execFileSync("gcc", ["-shared", "-fPIC", "-O1", "-o", `${lib}/libevil.so`, `${dir}/evil.c`]);
    nobody = await nobodyCommand(["/usr/bin/python3", "-c", "import ctypes, sys, time\nctypes.CDLL(sys.argv[1])\nprint('ready', flush=True)\ntime.sleep(600)", `${lib}/libevil.so`]);
    const r = await tsbpf(["--verbose", "-d", "200ms", "-p", String(nobody.pid), "-e", 'uprobe("libevil.so:f*", () => count(probe()))'], { env: bareEnv({ TSBPF_NO_CACHE: "1" }), timeoutMs: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stderr.includes("IFUNC"), `no note of the IFUNC left out:\n${r.stderr}`);
    const line = (r.stdout + r.stderr).split("\n").find((l) => RAW_CONTROL.test(l));
    assert.equal(line, undefined, `a raw control character reached the terminal: ${JSON.stringify(line)}`);
    assert.ok(r.stderr.includes("\\x1b]0;owned\\x07"), `the directory is not shown escaped:\n${JSON.stringify(r.stderr)}`);
  } finally {
    await nobody?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
