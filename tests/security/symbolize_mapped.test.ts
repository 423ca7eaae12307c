// Symbolizing a stack reads the files the traced process has mapped. When that process is
// another user's, so may the file be: if root's tracer keeps the file mmapped, its owner can
// truncate it, and the next symbol name read from the lost pages kills the tracer with SIGBUS.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, ROOT, rootDir, script } from "./attacker.ts";

const env = { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" };

/** The C library this process runs with (an ELF file with many symbols). */
function libcPath(): string {
  const line = readFileSync("/proc/self/maps", "utf8").split("\n").find((l) => /\/libc\.so\.6$/.test(l));
  if (!line) throw new Error("no libc.so.6 in /proc/self/maps");
  return line.slice(line.indexOf("/"));
}

/** A process of nobody's that maps `file` (its own copy of an ELF library) and waits. */
function mapper(file: string): { pid: number; stop(): void } {
  const code = `import mmap, os, sys, time\nf = open(sys.argv[1], "rb")\nm = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)\nprint("mapped", flush=True)\ntime.sleep(60)\n`;
  const child = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", code, file], { stdio: ["ignore", "pipe", "ignore"] });
  const pid = child.pid!;
  for (let i = 0; i < 250; i++) {
    let maps = "";
    try {
      maps = readFileSync(`/proc/${pid}/maps`, "utf8");
    } catch { /* not started yet */ }
    if (maps.includes(file)) return { pid, stop: () => child.kill("SIGKILL") };
    spawnSync("sleep", ["0.02"]);
  }
  child.kill("SIGKILL");
  throw new Error("nobody's process did not map the file");
}

test("a file another user maps and then truncates does not crash the root symbolizer (SIGBUS)", async () => {
  const dir = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-mapped-XXXXXX")]).trim();
  asNobody(["chmod", "755", dir]);
  const lib = join(dir, "libc.so.6");
  asNobody(["cp", libcPath(), lib]);
  const victim = mapper(lib);
  const own = rootDir("mapped");
  const file = join(own, "symbolize.ts");
  // The tracer's side: parse the file behind nobody's mapping, as symbolizing a stack does;
  // nobody truncates it; then read every symbol name, as later stacks would.
  writeFileSync(file, `import { spawnSync } from "node:child_process";
import { libc } from ${JSON.stringify(join(ROOT, "runtime/ffi/mod.ts"))};
import { ElfFiles } from ${JSON.stringify(join(ROOT, "runtime/symbolize/elf_files.ts"))};
import { processNow } from ${JSON.stringify(join(ROOT, "runtime/process_files.ts"))};
import { parseProcMaps, readProcText } from ${JSON.stringify(join(ROOT, "runtime/symbolize/proc_maps.ts"))};
await libc();
const m = parseProcMaps(readProcText("/proc/${victim.pid}/maps") ?? "").find((m) => m.path === ${JSON.stringify(lib)});
if (!m) throw new Error("mapping not found");
const f = new ElfFiles().forMapping(${victim.pid}, m, processNow(${victim.pid})?.start);
if (!f) throw new Error("not parsed");
const r = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "truncate", "-s", "0", ${JSON.stringify(lib)}]);
if (r.status !== 0) throw new Error("truncate failed");
let chars = 0;
for (const s of f.elf.symbols().symbols) chars += s.name.length;
console.log(JSON.stringify({ symbols: f.elf.symbols().count, chars }));
`);
  try {
    const r = await script(file, { env, timeoutMs: 60_000 });
    assert.equal(r.status, 0, `the symbolizer died: ${r.status} ${r.stderr.slice(-400)}`);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    assert.ok(out.symbols > 1000 && out.chars > 10_000, r.stdout);
  } finally {
    victim.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(own, { recursive: true, force: true });
  }
});
