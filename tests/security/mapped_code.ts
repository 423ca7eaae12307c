// Shared by the security tests on files a traced process maps (elf_name_work, elf_copy_size):
// nobody's process running code from ELF files of nobody's making, and root's tracer printing
// its user stacks. Each file holds `mov eax, 110 (getppid); syscall; ret` at file offset 0x1000.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { MOD } from "./attacker.ts";

/**
 * Python: maps each file named in its arguments (a private copy, executable) and calls the code of
 * each in turn every 50 ms. `undumpable`: it first makes itself not dumpable (its /proc/PID files are then root's).
 */
export function callerCode(undumpable = false): string {
  return `
import ctypes, mmap, os, sys, time
${undumpable ? "ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)" : ""}
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
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** nobody's process calling the code of each of `files`; throws if it does not start. */
export async function nobodyCalling(files: string[], undumpable = false): Promise<{ pid: number; stop(): void }> {
  const caller = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", callerCode(undumpable), ...files], { stdio: ["ignore", "pipe", "pipe"], cwd: "/" });
  let said = "";
  caller.stdout!.on("data", (d) => (said += d));
  caller.stderr!.on("data", (d) => (said += d));
  for (let i = 0; i < 200 && !/pid \d+/.test(said) && caller.exitCode === null; i++) await wait(50);
  const pid = Number(/pid (\d+)/.exec(said)?.[1]);
  if (!pid) {
    caller.kill("SIGKILL");
    throw new Error(`nobody's process did not start: ${said}`);
  }
  return { pid, stop: () => caller.kill("SIGKILL") };
}

/** Root's tracer script: `pid`'s user stacks at getppid, printed once `count` are counted; then its peak memory (VmHWM). */
export function stacksScript(pid: number, count: number): string {
  return `import { readFileSync } from "node:fs";
import { Count, pid, Tracer, tracepoint, ustack, type UStack } from "${MOD}";
class Stacks extends Tracer {
  stacks = new Count<UStack>();
  @tracepoint("syscalls:sys_enter_getppid")
  on() { if (pid() === ${pid}) this.stacks.add(ustack()); }
}
const t = await new Stacks().start({ reportLoss: false });
while (t.stacks.entries().length < ${count}) await new Promise((r) => setTimeout(r, 100));
await t.stop();
console.log(/VmHWM:.*/.exec(readFileSync("/proc/self/status", "utf8"))![0]);
`;
}

/** How a printed stack shows the frame after the syscall in `file` of process `pid` (file offset 0x1007), by address. */
export function frameIn(pid: number, file: string): string {
  const line = readFileSync(`/proc/${pid}/maps`, "utf8").split("\n").find((l) => l.endsWith(file));
  if (!line) throw new Error(`process ${pid} does not map ${file}`);
  return `0x${(parseInt(line, 16) + 0x1007).toString(16)}`;
}

/** Python: writes ELF file argv[1] of 64 KiB (in place, if argv[3] is given): code at 0x1000 (as above) and a symbol table naming it argv[2]. */
export const MAKE_NAMED_ELF = `
import struct, sys
out, name = sys.argv[1], sys.argv[2].encode()
size, tables = 0x10000, 0x8000
with open(out, "r+b" if len(sys.argv) > 3 else "wb") as f:
    f.truncate(size)
    hdr = b"\\x7fELF" + bytes([2, 1, 1, 0]) + b"\\0" * 8
    hdr += struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0x1000, 64, tables, 0, 64, 56, 1, 64, 5, 4)
    f.write(hdr + struct.pack("<IIQQQQQQ", 1, 5, 0, 0, 0, 0x2000, 0x2000, 0x1000))
    f.seek(0x1000); f.write(b"\\xb8\\x6e\\x00\\x00\\x00\\x0f\\x05\\xc3")
    sh = lambda name, typ, flags, addr, off, size, link, info, align, ent: struct.pack("<IIQQQQIIQQ", name, typ, flags, addr, off, size, link, info, align, ent)
    f.seek(tables)
    f.write(bytes(64) + sh(1, 1, 6, 0x1000, 0x1000, 0x1000, 0, 0, 16, 0)
            + sh(7, 2, 0, 0, tables + 0x1000, 48, 3, 1, 8, 24)
            + sh(15, 3, 0, 0, tables + 0x2000, len(name) + 2, 0, 0, 1, 0)
            + sh(23, 3, 0, 0, tables + 0x3000, 33, 0, 0, 1, 0))
    f.seek(tables + 0x1000); f.write(bytes(24) + struct.pack("<IBBHQQ", 1, 0x12, 0, 1, 0x1000, 8))
    f.seek(tables + 0x2000); f.write(b"\\0" + name + b"\\0")
    f.seek(tables + 0x3000); f.write(b"\\0.text\\0.symtab\\0.strtab\\0.shstrtab\\0")
`;
