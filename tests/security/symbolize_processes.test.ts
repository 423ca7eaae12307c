// Root's symbolizer caches what it read of each process whose stacks it names: its mappings
// (/proc/PID/maps), its frames, its perf map. In a long-running tracer another user can spawn
// process after process, each with tens of thousands of mappings, all of them traced. Here
// nobody's processes have 30000 mappings each, and root's symbolizer names an address of each
// of 100 of them: it holds a bounded number of them, what it holds once its garbage is
// collected grows by far less than their mappings would take, and a process it dropped is read
// again when asked about again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { isBun, ROOT, rootDir, run } from "./attacker.ts";

const PROCESSES = 100;

// nobody's process: 30000 one-page mappings (alternately writable, so none merge), then
// PROCESSES children that inherit them and wait.
const MAPPER = `
import mmap, os, sys, time
keep = [mmap.mmap(-1, 4096, prot=mmap.PROT_READ | (mmap.PROT_WRITE if i % 2 else 0)) for i in range(30000)]
pids = []
for _ in range(${PROCESSES}):
    pid = os.fork()
    if pid == 0:
        time.sleep(300)
        os._exit(0)
    pids.append(pid)
print("pids", " ".join(map(str, pids)), flush=True)
time.sleep(300)
`;

const SYMBOLIZER = (pids: number[]) => `import { readFileSync } from "node:fs";
import process from "node:process";
import { libc } from ${JSON.stringify(join(ROOT, "runtime/ffi/mod.ts"))};
import { parseProcMaps, UserSymbols } from ${JSON.stringify(join(ROOT, "runtime/symbolize/mod.ts"))};
await libc();
const pids = ${JSON.stringify(pids)};
declare const Bun: { gc(full: boolean): void } | undefined;
/** The heap's bytes in use once garbage is collected: what the symbolizer holds, not what it dropped. */
const heldBytes = () => {
  if (typeof Bun !== "undefined") Bun.gc(true);
  else (globalThis as unknown as { gc(): void }).gc();
  return process.memoryUsage().heapUsed;
};
// An address in the C library's code: the same in every child, as they inherit its mapping.
const maps = parseProcMaps(readFileSync(\`/proc/\${pids[0]}/maps\`, "utf8"));
const code = maps.find((m) => /\\/libc[.-][^/]*so/.test(m.path) && m.perms.includes("x"))!;
const address = BigInt(code.start + 0x1000);
const u = new UserSymbols();
const name = u.symbolize(pids[0], address).name;
const before = heldBytes();
for (const pid of pids) u.symbolize(pid, address);
const held = (u as unknown as { held?: { processes: number } }).held?.processes ?? ${PROCESSES};
const grown = heldBytes() - before;
// The first process was dropped (or not): either way it is named from its own mappings.
const again = u.symbolize(pids[0], address).name;
console.log(JSON.stringify({ held, grownMB: Math.round(grown / (1 << 20)), name: name ?? null, again: again ?? null }));
`;

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("nobody's processes with many mappings, each symbolized once, do not grow root's symbolizer without bound", { timeout: 600_000 }, async () => {
  const mapper = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", MAPPER], { stdio: ["ignore", "pipe", "pipe"], cwd: "/", detached: true });
  let said = "";
  mapper.stdout!.on("data", (d) => (said += d));
  mapper.stderr!.on("data", (d) => (said += d));
  const dir = rootDir("symbolize-processes");
  try {
    for (let i = 0; i < 1200 && !/pids [\d ]+\n/.test(said) && mapper.exitCode === null; i++) await wait(50);
    const pids = /pids ([\d ]+)\n/.exec(said)?.[1].split(" ").map(Number);
    assert.ok(pids?.length === PROCESSES, `nobody's processes did not start: ${said}`);
    const file = join(dir, "symbolize.ts");
    writeFileSync(file, SYMBOLIZER(pids));
    // Deno's garbage collector is the script's to call only with --expose-gc.
    const argv = isBun ? [process.execPath, "run", file] : [process.execPath, "run", "-A", "--quiet", "--v8-flags=--expose-gc", "--config", join(ROOT, "deno.json"), file];
    const r = await run(argv, { env: { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" }, timeoutMs: 500_000 });
    assert.equal(r.status, 0, `root's symbolizer: ${r.status} ${r.stderr.slice(-1000)}`);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    assert.ok(out.grownMB < 250, `root's symbolizer holds ${out.grownMB} MB more for nobody's processes`);
    assert.ok(out.held < PROCESSES, `root's symbolizer held all ${out.held} of nobody's processes`);
    assert.ok(out.name, `the C library's code was not named (the test's setup failed): ${r.stdout}`);
    assert.equal(out.again, out.name);
  } finally {
    try {
      process.kill(-mapper.pid!, "SIGKILL");
    } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  }
});
