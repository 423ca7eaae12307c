// The libc binding (runtime/ffi/) under the runtime running the tests: every function returns
// what libc returns, and -errno when it fails. On Deno every result is declared as a one-field
// struct (runtime/ffi/deno.ts), so this also checks that those come back as the plain integers.
// And Deno compiles no fast-call trampoline for it: each costs a start ≈ 0.6 ms, and the first
// ≈ 2 MB. Needs no privileges.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cString, libcSync, SYS } from "../../runtime/ffi/mod.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const DENO = join(ROOT, "node_modules/.bin/deno");
const ENOENT = 2, EBADF = 9, ENOTTY = 25, EINVAL = 22;

test("every libc function returns libc's result, or -errno", async () => {
  const c = libcSync();
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-libc-"));
  try {
    assert.equal(c.getpid(), Number(readFileSync("/proc/self/stat", "utf8").split(" ")[0]));
    assert.equal(c.syscall(SYS.getppid), Number(readFileSync("/proc/self/stat", "utf8").split(" ")[3]));
    assert.equal(c.syscall(SYS.bpf, -1n), -EINVAL);

    const file = join(dir, "a");
    assert.equal(c.open(join(dir, "missing"), 0), -ENOENT);
    const fd = c.open(file, 0o101 /* O_WRONLY | O_CREAT */, 0o600);
    assert.ok(fd >= 0, `open: ${fd}`);
    assert.equal(c.write(fd, cString("hello"), 5), 5);
    assert.equal(c.ioctl(fd, 0x5401 /* TCGETS */, 0n), -ENOTTY);
    assert.equal(c.close(fd), 0);
    assert.equal(c.close(fd), -EBADF);
    const back = new Uint8Array(16);
    const rfd = c.open(file, 0);
    assert.equal(c.read(rfd, back), 5);
    assert.equal(new TextDecoder().decode(back.subarray(0, 5)), "hello");
    assert.equal(c.read(-1, back), -EBADF);
    c.close(rfd);

    assert.equal(c.mkdir(join(dir, "d"), 0o700), 0);
    assert.equal(c.mkdir(join(dir, "d"), 0o700), -17 /* EEXIST */);
    assert.equal(c.rename(file, join(dir, "d", "b")), 0);
    assert.equal(c.rename(file, join(dir, "c")), -ENOENT);
    assert.equal(c.mount("none", join(dir, "missing"), "no-such-fs", 0) < 0, true);

    const length = 8192;
    const address = c.mmap(length, 3 /* PROT_READ | PROT_WRITE */, 0x22 /* MAP_PRIVATE | MAP_ANONYMOUS */, -1, 0);
    assert.ok(address > 0n && address % 4096n === 0n, `mmap: ${address}`);
    new Uint8Array(c.view(address, length))[length - 1] = 7;
    assert.equal(new Uint8Array(c.view(address, length))[length - 1], 7);
    assert.equal(c.munmap(address, length), 0);
    assert.equal(c.mmap(4096, 1, 0x01 /* MAP_SHARED */, -1, 0), BigInt(-EBADF));

    const path = c.getenv("PATH");
    assert.equal(path, process.env.PATH);
    assert.equal(c.getenv("TSBPF_SURELY_UNSET_VARIABLE"), undefined);

    const epfd = c.syscall(SYS.epoll_create1, 0n);
    assert.ok(epfd >= 0);
    assert.equal(c.epollWait(epfd, new Uint8Array(96), 8, 0), 0);
    assert.equal(c.epollWait(-1, new Uint8Array(96), 8, 0), -EBADF);
    const waiter = c.epollWaiter(epfd);
    assert.equal(await waiter.wait(1), 0);
    await waiter.close();
    c.close(epfd);
    await new Promise<void>((resolve) => c.process.soon(resolve));
    // after(): fires once its time has passed, unless cancelled first. It keeps nothing alive
    // (on Deno the event loop would end with it pending): a wait in epoll does meanwhile.
    const keepAlive = c.syscall(SYS.epoll_create1, 0n);
    let cancelledRan = false;
    c.process.after(1, () => (cancelledRan = true))();
    const fired = new Promise<void>((resolve) => c.process.after(20, resolve));
    await Promise.all([fired, c.epollWaiter(keepAlive).wait(200)]);
    c.close(keepAlive);
    assert.equal(cancelledRan, false, "a cancelled after() ran");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("read and write use the memory a subarray views, not its buffer's start", () => {
  const c = libcSync();
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-libc-"));
  try {
    const file = join(dir, "a");
    const fd = c.open(file, 0o101 /* O_WRONLY | O_CREAT */, 0o600);
    const text = new TextEncoder().encode("..hello world");
    assert.equal(c.write(fd, text.subarray(2), 11), 11);
    c.close(fd);
    const back = new Uint8Array(16).fill(46);
    const rfd = c.open(file, 0);
    assert.equal(c.read(rfd, back.subarray(1), 5), 5);
    assert.equal(c.read(rfd, back.subarray(6)), 6);
    c.close(rfd);
    assert.equal(new TextDecoder().decode(back.subarray(0, 13)), ".hello world.");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("Deno: the libc binding compiles no fast-call trampoline (no new executable anonymous page)", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-libc-"));
  try {
    const script = join(dir, "binding.ts");
    // Deno maps each trampoline it compiles as an executable anonymous page of its own (V8's
    // code space is one large read-write-execute region).
    writeFileSync(script, `import { cString, libcSync, SYS } from "${join(ROOT, "runtime/ffi/mod.ts")}";
const executable = () => Deno.readTextFileSync("/proc/self/maps").split("\\n").filter((l) => /^\\S+ r-xp 0+ 00:00 0\\s*$/.test(l));
const before = executable();
const c = libcSync();
c.getpid(); c.syscall(SYS.getppid); c.getenv("PATH"); c.close(c.open("/proc/self/status", 0));
c.read(-1, new Uint8Array(1)); c.write(-1, cString("x"), 1); c.ioctl(-1, 0, 0n); c.mkdir("/proc/x", 0o700);
c.rename("/proc/x", "/proc/y"); c.munmap(c.mmap(4096, 1, 0x22, -1, 0), 4096); c.epollWait(-1, new Uint8Array(12), 1, 0);
await new Promise((resolve) => c.process.soon(resolve));
console.log(JSON.stringify(executable().filter((l) => !before.includes(l))));
`);
    const r = spawnSync(DENO, ["run", "--allow-all", script], { encoding: "utf8", env: { NO_COLOR: "1", PATH: "/usr/bin:/bin", HOME: dir } });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
