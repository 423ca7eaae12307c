// Root's symbolizer caches what it read of each process (its mappings, the frames it named, its
// owner, whose perf map alone is believed), known by pid and start time. exec() keeps both, and
// a process of nobody's can exec a setuid program (passwd) and go on as root's: its stacks were
// then named from the mappings nobody's program had made before the exec, and its anonymous
// memory from nobody's /tmp/perf-PID.map, believed as the map of nobody's process. Here nobody
// covers the addresses where passwd's code will load with anonymous memory of its own, named
// PWNED by its perf map, has root name one of its addresses, then execs passwd, which waits for
// a password; root names an address of passwd's code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, readlinkSync, rmSync } from "node:fs";
import { libc } from "../../runtime/ffi/mod.ts";
import { findMapping, parseProcMaps, UserSymbols } from "../../runtime/symbolize/mod.ts";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const maps = (pid: number) => parseProcMaps(readFileSync(`/proc/${pid}/maps`, "utf8"));

// Where a PIE program loads (ELF_ET_DYN_BASE plus up to 2^40 of randomization), wherever nobody's
// own mappings leave room: reserved (PROT_NONE, costing no memory) and named by its perf map.
const LOW = 0x550000000000, HIGH = 0x570000000000;
const ATTACKER = `
import ctypes, os, sys
c = ctypes.CDLL(None, use_errno=True)
c.mmap.restype = ctypes.c_void_p
c.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
MAP_PRIVATE, MAP_ANONYMOUS, MAP_NORESERVE, MAP_FIXED_NOREPLACE = 0x2, 0x20, 0x4000, 0x100000
used = []
for line in open("/proc/self/maps"):
    s, e = (int(x, 16) for x in line.split()[0].split("-"))
    if e > ${LOW} and s < ${HIGH}:
        used.append((max(s, ${LOW}), min(e, ${HIGH})))
at = ${LOW}
for s, e in sorted(used) + [(${HIGH}, ${HIGH})]:
    if s > at and c.mmap(at, s - at, 0, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0) != at:
        sys.exit("mmap failed")
    at = max(at, e)
with open("/tmp/perf-%d.map" % os.getpid(), "w") as f:
    f.write("%x %x PWNED\\n" % (${LOW}, ${HIGH} - ${LOW}))
print("ready", flush=True)
sys.stdin.readline()
os.execv("/usr/bin/passwd", ["passwd"])
`;

test("a process that execs a setuid program is named from its new mappings, not from what its old program mapped", async () => {
  await libc();
  const child = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", ATTACKER], { stdio: ["pipe", "pipe", "pipe"], cwd: "/" });
  const pid = child.pid!;
  let said = "";
  child.stdout!.on("data", (d) => (said += d));
  child.stderr!.on("data", (d) => (said += d));
  const exited = new Promise((r) => child.on("exit", r));
  try {
    for (let i = 0; i < 400 && !said.includes("ready") && child.exitCode === null; i++) await wait(25);
    assert.ok(said.includes("ready"), `nobody's process did not get ready: ${said}`);
    const u = new UserSymbols();
    // An address of nobody's python, as a stack of its own would have it: its view is cached.
    const python = maps(pid).find((m) => m.path.includes("python") && m.perms.includes("x"))!;
    assert.match(u.symbolize(pid, BigInt(python.start + 0x10)).module ?? "", /python/);

    child.stdin!.write("go\n"); // passwd then reads the password from the same pipe: it waits
    let code;
    for (let i = 0; i < 400 && !code; i++) {
      await wait(25);
      try {
        if (readlinkSync(`/proc/${pid}/exe`) === "/usr/bin/passwd") code = maps(pid).find((m) => m.path === "/usr/bin/passwd" && m.perms.includes("x"));
      } catch { /* not yet */ }
    }
    assert.ok(code, `nobody's process did not exec passwd: ${said}`);
    const address = code.start + 0x10;
    assert.equal(findMapping(maps(pid), address)?.path, "/usr/bin/passwd");
    assert.ok(address >= LOW && address < HIGH, `passwd loaded outside the range nobody covered (the test's setup failed): 0x${address.toString(16)}`);
    const frame = u.symbolize(pid, BigInt(address));
    assert.ok(!frame.name?.includes("PWNED"), `root's passwd was named from nobody's perf map: ${JSON.stringify(frame, (_, v) => typeof v === "bigint" ? String(v) : v)}`);
    assert.equal(frame.module, "/usr/bin/passwd");
  } finally {
    child.kill("SIGKILL");
    await exited;
    rmSync(`/tmp/perf-${pid}.map`, { force: true });
  }
});
