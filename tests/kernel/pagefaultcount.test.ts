// examples/pagefaultcount.ts: minor and major faults of this process, counted exactly (a sample
// per fault) from software perf events; and the script's table.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { accessSync, constants, readFileSync, rmSync, writeFileSync } from "node:fs";
import { libc, libcSync } from "../../runtime/ffi/mod.ts";
import { PageFaultCount } from "../../examples/pagefaultcount.ts";
import { runtimeCommand } from "./util.ts";
import { spawnSync } from "node:child_process";

await libc();

const PAGE = 4096;
const SYS_FSYNC = 74, SYS_MADVISE = 28, SYS_FADVISE64 = 221;
const POSIX_FADV_DONTNEED = 4n, MADV_RANDOM = 1n, MADV_NOHUGEPAGE = 14n, PROT_READ = 1, PROT_WRITE = 2, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20;

/**
 * A writable directory on a disk, where a file's pages can be dropped from memory (not on a
 * tmpfs, where memory is the file), or undefined.
 */
function diskDirectory(): string | undefined {
  const mounts = readFileSync("/proc/mounts", "utf8").trim().split("\n").map((l) => l.split(" "));
  for (const dir of ["/var/tmp", "/tmp"]) {
    const mount = mounts.filter(([, at]) => dir === at || dir.startsWith(at === "/" ? "/" : `${at}/`)).sort((a, b) => b[1].length - a[1].length)[0];
    if (!mount || ["tmpfs", "ramfs"].includes(mount[2]) || mount[3].split(",").includes("ro")) continue;
    try {
      accessSync(dir, constants.W_OK);
      return dir;
    } catch { /* not writable */ }
  }
  return undefined;
}
const disk = diskDirectory();

/** Reads `pages` pages of a file through a mapping, after dropping them from the page cache: one major fault each. */
function majorFaults(pages: number): void {
  const path = `${disk}/tsbpf-pagefault-${process.pid}`;
  writeFileSync(path, new Uint8Array(pages * PAGE).fill(1));
  const c = libcSync();
  const fd = c.open(path, 0);
  try {
    c.syscall(SYS_FSYNC, BigInt(fd)); // only clean pages can be dropped
    assert.equal(c.syscall(SYS_FADVISE64, BigInt(fd), 0n, 0n, POSIX_FADV_DONTNEED), 0);
    const addr = c.mmap(pages * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    assert.ok(addr > 0n, "mmap failed");
    c.syscall(SYS_MADVISE, addr, BigInt(pages * PAGE), MADV_RANDOM); // no readahead: every page is read on its own fault
    const view = new Uint8Array(c.view(addr, pages * PAGE));
    let sum = 0;
    for (let i = 0; i < view.length; i += PAGE) sum += view[i];
    assert.equal(sum, pages);
    c.munmap(addr, pages * PAGE);
  } finally {
    c.close(fd);
    rmSync(path);
  }
}

// The kernel counts each fault once for the task (min_flt/maj_flt, which /proc/PID/stat sums
// over the process's threads) and once as the perf event, at the same place: the tracer's counts
// for this process must lie between the kernel's over the time it was surely attached and read
// (up to just before the map read) and over the time it may have been (up to just after it).
// Reading the map faults too (the runtime's heap grows, other threads run): those faults may or
// may not be in what the read returns (Bun: up to 20 of them here).
test("pagefaultcount counts this process's minor faults as the kernel does, per pid and command", async () => {
  const tracer = new PageFaultCount();
  tracer.end = () => {};
  const before = faults();
  await tracer.start({ exitOnError: false });
  try {
    const started = faults();
    minorFaults(8192);
    const read = faults();
    const minor = mine(tracer.minorFaults.entries());
    const end = faults();
    assert.ok(read.minor - started.minor >= 16n, `touching 8192 pages made only ${read.minor - started.minor} minor faults`);
    // The kernel also counts faults it takes on the process's behalf (get_user_pages, e.g. for
    // io_uring): those have no user registers and raise no perf event. A few, at most.
    assert.ok(minor >= read.minor - started.minor - 4n && minor <= end.minor - before.minor, `counted ${minor} minor faults; the kernel counted ${read.minor - started.minor} to ${end.minor - before.minor}`);
    // Every row: on a busy machine, other processes fault more than this one in the same second.
    assert.match(tracer.table(tracer.rows().length), new RegExp(`^${process.pid} +\\S+ +\\d+ +\\d+$`, "m"));
  } finally {
    await tracer.stop();
  }
});

test("pagefaultcount counts this process's major faults as the kernel does", { skip: disk ? false : "no writable disk-backed directory (/var/tmp, /tmp) to read a file back from" }, async () => {
  const tracer = new PageFaultCount();
  tracer.end = () => {};
  const before = faults();
  await tracer.start({ exitOnError: false });
  try {
    const started = faults();
    majorFaults(256);
    const read = faults();
    const major = mine(tracer.majorFaults.entries());
    const end = faults();
    assert.ok(read.major - started.major >= 1n, "reading dropped pages made no major fault");
    assert.ok(major >= read.major - started.major - 4n && major <= end.major - before.major, `counted ${major} major faults; the kernel counted ${read.major - started.major} to ${end.major - before.major}`);
  } finally {
    await tracer.stop();
  }
});

/** This process's fault counts so far, from /proc/self/stat (fields 10 and 12). */
function faults(): { minor: bigint; major: bigint } {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return { minor: BigInt(fields[7]), major: BigInt(fields[9]) };
}

/** Touches `pages` fresh pages of anonymous memory (the kernel may map several per fault). */
function minorFaults(pages: number): void {
  const c = libcSync();
  const addr = c.mmap(pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert.ok(addr > 0n, "mmap failed");
  c.syscall(SYS_MADVISE, addr, BigInt(pages * PAGE), MADV_NOHUGEPAGE); // not 512 pages per fault
  const view = new Uint8Array(c.view(addr, pages * PAGE));
  for (let i = 0; i < view.length; i += PAGE) view[i] = 1;
  c.munmap(addr, pages * PAGE);
}

/** This process's count, over its threads' commands. */
function mine(rows: [[number, string], bigint][]): bigint {
  return rows.filter(([[p]]) => p === process.pid).reduce((sum, [, n]) => sum + n, 0n);
}

test("pagefaultcount -d 1 prints the table and exits", () => {
  const [cmd, ...args] = runtimeCommand(new URL("../../examples/pagefaultcount.ts", import.meta.url).pathname);
  const run = spawnSync(cmd, [...args, "-d", "1"], { encoding: "utf8", env: { ...process.env, TSBPF_NO_CACHE: "1" }, timeout: 60000 });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^PID +NAME +MIN_FLT +MAJ_FLT\n\d+ +\S.* +\d+ +\d+$/m);
});
