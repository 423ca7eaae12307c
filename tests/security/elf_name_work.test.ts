// Symbolizing a user stack parses the ELF files the traced process has mapped, and a uprobe on
// another user's program parses that program: files whose owner chose every byte. Reading their
// names cost work far beyond their size: each symbol's (and section's) name was scanned to its
// NUL, so names starting at successive bytes of one long run were each read whole; every
// version requirement walked its own chain of auxiliary records to the section's end; and each
// static symbol walked every dynamic one of the same name. A 24 MB file held root's profiler
// for hours. Here nobody runs code from each such file, and root's tracer prints nobody's user
// stacks: it must finish (the frames unnamed), not hang.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asNobody, MOD, ROOT, rootDir, script } from "./attacker.ts";

const env = { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" };
const shared = asNobody(["mktemp", "-d", "/tmp/tsbpf-sec-elf-XXXXXX"]).trim();
const own = rootDir("elf-work");
after(() => {
  rmSync(shared, { recursive: true, force: true });
  rmSync(own, { recursive: true, force: true });
});

// nobody's process: maps FILE (a private copy, executable) and calls its code every 50 ms.
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

// Root's tracer: nobody's user stacks at getppid, printed once one is counted.
const TRACER = (target: number) => `import { Count, pid, Tracer, tracepoint, ustack, type UStack } from "${MOD}";
class Stacks extends Tracer {
  stacks = new Count<UStack>();
  @tracepoint("syscalls:sys_enter_getppid")
  on() { if (pid() === ${target}) this.stacks.add(ustack()); }
}
const t = await new Stacks().start({ reportLoss: false });
while (t.stacks.entries().length === 0) await new Promise((r) => setTimeout(r, 100));
await t.stop();
`;

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const variant of ["names", "sections", "versions", "twins"]) {
  test(`nobody's ELF file with crafted ${variant} does not hold root's symbolizer`, { timeout: 240_000 }, async () => {
    const file = join(shared, `${variant}.so`);
    const made = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", join(ROOT, "tests/security/fixtures/crafted_elf.py"), variant, file], { encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
    const caller = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", CALLER, file], { stdio: ["ignore", "pipe", "pipe"], cwd: "/" });
    let said = "";
    caller.stdout!.on("data", (d) => (said += d));
    caller.stderr!.on("data", (d) => (said += d));
    try {
      for (let i = 0; i < 200 && !/pid \d+/.test(said) && caller.exitCode === null; i++) await wait(50);
      const pid = Number(/pid (\d+)/.exec(said)?.[1]);
      assert.ok(pid, `nobody's process did not start: ${said}`);
      const tracer = join(own, `${variant}.ts`);
      writeFileSync(tracer, TRACER(pid));
      const r = await script(tracer, { env, timeoutMs: 120_000 });
      assert.ok(!r.timedOut, `root's tracer was still symbolizing nobody's ${variant} file after 120 s`);
      assert.equal(r.status, 0, r.stderr.slice(-2000));
      // The frame in nobody's file (after its syscall, at file offset 0x1007) is printed, by
      // its address alone: the file was read, and refused.
      const mapped = readFileSync(`/proc/${pid}/maps`, "utf8").split("\n").find((l) => l.endsWith(file));
      assert.ok(mapped, `nobody's process does not map ${file}`);
      const frame = `0x${(parseInt(mapped, 16) + 0x1007).toString(16)}`;
      assert.match(r.stdout, new RegExp(`^@stacks\\[\\n\\s+${frame}\\n`, "m"), `no frame in nobody's file (${frame}):\n${r.stdout.slice(0, 2000)}`);
    } finally {
      caller.kill("SIGKILL");
    }
  });
}
