// Symbolizing reads the files a traced process maps. One that another user can write is not
// mmapped (they could truncate it under the mapping: SIGBUS) but copied, the parts symbolizing
// reads: the section table says which, and its owner writes the section table. A sparse file of
// 1 GiB (16 KB on disk) whose symbol table is all of it cost root's tracer 1 GB, and every such
// file more, kept for as long as the tracer ran. Here nobody's process runs code from one such
// file and six of 150 MiB; root's tracer prints its stacks: its peak memory must stay below
// 1.25 GiB (it reached 1.98 GB; 0.83 GB now, of which 256 MiB of copies held and one more read).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asNobody, MOD, rootDir, script } from "./attacker.ts";

const env = { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" };
const shared = asNobody(["mktemp", "-d", "/tmp/tsbpf-sec-elf-copy-XXXXXX"]).trim();
const own = rootDir("elf-copy");
after(() => {
  rmSync(shared, { recursive: true, force: true });
  rmSync(own, { recursive: true, force: true });
});

// nobody's files: sparse, SIZE bytes, code at 0x1000 (`mov eax, 110 (getppid); syscall; ret`),
// and a symbol table from 64 KiB to the end (all zeros: no symbol in it).
const MAKE = `
import struct, sys
out, size = sys.argv[1], int(sys.argv[2])
with open(out, "wb") as f:
    f.truncate(size)
    hdr = b"\\x7fELF" + bytes([2, 1, 1, 0]) + b"\\0" * 8
    hdr += struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0x1000, 64, 0x2000, 0, 64, 56, 1, 64, 4, 3)
    f.write(hdr + struct.pack("<IIQQQQQQ", 1, 5, 0, 0, 0, 0x2000, 0x2000, 0x1000))
    f.seek(0x1000); f.write(b"\\xb8\\x6e\\x00\\x00\\x00\\x0f\\x05\\xc3")
    symtab = ((size - 0x20000) // 24) * 24
    f.seek(0x2000)
    f.write(bytes(64) + struct.pack("<IIQQQQIIQQ", 1, 2, 0, 0, 0x10000, symtab, 2, 0, 8, 24)
            + struct.pack("<IIQQQQIIQQ", 9, 3, 0, 0, 0x3000, 2, 0, 0, 1, 0)
            + struct.pack("<IIQQQQIIQQ", 0, 3, 0, 0, 0x3100, 32, 0, 0, 1, 0))
    f.seek(0x3100); f.write(b"\\0.symtab\\0.strtab\\0")
`;

// nobody's process: maps each file (a private copy, executable) and calls the code of each in turn.
const CALLER = `
import ctypes, mmap, os, sys, time
maps, calls = [], []
for path in sys.argv[1:]:
    f = open(path, "rb")
    maps.append(mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC))
    calls.append(ctypes.CFUNCTYPE(ctypes.c_long)(ctypes.addressof(ctypes.c_char.from_buffer(maps[-1])) + 0x1000))
print("pid", os.getpid(), flush=True)
while True:
    for call in calls:
        call()
    time.sleep(0.05)
`;

// Root's tracer: nobody's user stacks at getppid, printed once each file's is counted.
const TRACER = (target: number, files: number) => `import { readFileSync } from "node:fs";
import { Count, pid, Tracer, tracepoint, ustack, type UStack } from "${MOD}";
class Stacks extends Tracer {
  stacks = new Count<UStack>();
  @tracepoint("syscalls:sys_enter_getppid")
  on() { if (pid() === ${target}) this.stacks.add(ustack()); }
}
const t = await new Stacks().start({ reportLoss: false });
while (t.stacks.entries().length < ${files}) await new Promise((r) => setTimeout(r, 100));
await t.stop();
console.log(/VmHWM:.*/.exec(readFileSync("/proc/self/status", "utf8"))![0]);
`;

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("nobody's sparse ELF files with huge symbol tables cost root's symbolizer bounded memory", { timeout: 300_000 }, async () => {
  const files = [[join(shared, "huge.so"), 1 << 30], ...Array.from({ length: 6 }, (_, i) => [join(shared, `large${i}.so`), 150 << 20])] as [string, number][];
  for (const [file, size] of files) {
    const made = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", MAKE, file, String(size)], { encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
  }
  const caller = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", CALLER, ...files.map(([f]) => f)], { stdio: ["ignore", "pipe", "pipe"], cwd: "/" });
  let said = "";
  caller.stdout!.on("data", (d) => (said += d));
  caller.stderr!.on("data", (d) => (said += d));
  try {
    for (let i = 0; i < 200 && !/pid \d+/.test(said) && caller.exitCode === null; i++) await wait(50);
    const pid = Number(/pid (\d+)/.exec(said)?.[1]);
    assert.ok(pid, `nobody's process did not start: ${said}`);
    const tracer = join(own, "stacks.ts");
    writeFileSync(tracer, TRACER(pid, files.length));
    const r = await script(tracer, { env, timeoutMs: 240_000 });
    assert.ok(!r.timedOut, "root's tracer did not finish in 240 s");
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    // Each file's frame (after its syscall, at file offset 0x1007) is printed.
    const maps = readFileSync(`/proc/${pid}/maps`, "utf8").split("\n");
    for (const [file] of files) {
      const line = maps.find((l) => l.endsWith(file));
      assert.ok(line, `nobody's process does not map ${file}`);
      assert.ok(r.stdout.includes(`0x${(parseInt(line, 16) + 0x1007).toString(16)}\n`), `no frame in ${file}:\n${r.stdout.slice(0, 2000)}`);
    }
    const hwm = Number(/VmHWM:\s*(\d+) kB/.exec(r.stdout)?.[1]);
    assert.ok(hwm > 0, r.stdout.slice(-500));
    assert.ok(hwm < 1.25 * (1 << 20), `root's tracer peaked at ${Math.round(hwm / 1024)} MB for nobody's files`);
  } finally {
    caller.kill("SIGKILL");
  }
});
