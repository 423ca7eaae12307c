// Root's symbolizer keeps what it parsed of each file a traced process maps. Copies of files
// others can write were bounded in bytes, but not the count of files held: nobody's process that
// maps thousands of files that are not ELF (each remembered as such), or every root-owned library
// on the system (each mapped and its symbol table parsed), made root's tracer hold all of them for
// as long as it ran. Here nobody's process maps 1500 files of its own: what is held is bounded.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asNobody, ROOT, rootDir, script } from "./attacker.ts";

const env = { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" };
const shared = asNobody(["mktemp", "-d", "/tmp/tsbpf-sec-elf-count-XXXXXX"]).trim();
const own = rootDir("elf-count");
after(() => {
  rmSync(shared, { recursive: true, force: true });
  rmSync(own, { recursive: true, force: true });
});

// nobody's process: writes COUNT files of a page each (not ELF), maps each, and waits.
const MAPPER = `
import mmap, os, sys
maps = []
for i in range(int(sys.argv[2])):
    path = os.path.join(sys.argv[1], "f%d" % i)
    with open(path, "wb") as f: f.write(b"not ELF" * 600)
    with open(path, "rb") as f: maps.append(mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_EXEC))
print("mapped", flush=True)
sys.stdin.read()
`;

test("the files the symbolizer holds are bounded in number, however many nobody's process maps", { timeout: 120_000 }, async () => {
  const child = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", MAPPER, shared, "1500"], { stdio: ["pipe", "pipe", "ignore"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  try {
    for (let i = 0; i < 1200 && !out.includes("mapped"); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(readFileSync(`/proc/${child.pid}/maps`, "utf8").includes(`${shared}/f1499`), "nobody's process did not map its files");
    const tracer = join(own, "files.ts");
    writeFileSync(tracer, `import { libc } from "${join(ROOT, "runtime/ffi/mod.ts")}";
import { ElfFiles } from "${join(ROOT, "runtime/symbolize/elf_files.ts")}";
import { processNow } from "${join(ROOT, "runtime/process_files.ts")}";
import { parseProcMaps, readProcText } from "${join(ROOT, "runtime/symbolize/proc_maps.ts")}";
await libc();
const mappings = parseProcMaps(readProcText("/proc/${child.pid}/maps") ?? "").filter((m) => m.path.startsWith("${shared}/"));
const files = new ElfFiles();
for (const m of mappings) if (files.forMapping(${child.pid}, m, processNow(${child.pid})?.start)) throw new Error("a file that is not ELF was parsed");
console.log(JSON.stringify({ mapped: mappings.length, held: (files as { held?: { files: number } }).held?.files ?? null }));
`);
    const r = await script(tracer, { env, timeoutMs: 100_000 });
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const res = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    assert.equal(res.mapped, 1500, r.stdout);
    assert.ok(res.held !== null && res.held <= 1024, `the symbolizer held ${res.held} files for nobody's 1500 (null: not counted)`);
  } finally {
    child.kill("SIGKILL");
  }
});
