// Root's symbolizer reads /proc/PID/maps of each process whose stacks it names, and -p reads the
// given process's. A line names the mapped file by its path, and a path can be 4 KB long: another
// user's process that maps one file 18 000 times under such a path has a maps file of 70 MB
// (65 530 mappings, the default limit: 270 MB), and it was read whole, held as the process's view
// (the one being symbolized is kept whatever it costs) and read again for every process forked
// from it. What is read of a maps file is bounded: beyond it the process's addresses are not
// named, said once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { nobodyPython, ROOT, rootDir, script } from "./attacker.ts";

// nobody's process: a file at a path of ~3900 characters (15 directories of 250), mapped 18 000
// times at offset 0 (mappings of one file whose offsets do not follow on do not merge).
const MAPPER = (dir: string) => `
import mmap, os, time
os.chdir(${JSON.stringify(dir)})
for _ in range(15):
    name = "d" * 250
    os.mkdir(name)
    os.chdir(name)
with open("f", "wb") as f:
    f.write(b"x" * 4096)
fd = os.open("f", os.O_RDONLY)
keep = [mmap.mmap(fd, 4096, prot=mmap.PROT_READ) for _ in range(18000)]
print("ready", flush=True)
time.sleep(300)
`;

const SYMBOLIZER = (pid: number) => `import { readFileSync } from "node:fs";
import { libc } from ${JSON.stringify(join(ROOT, "runtime/ffi/mod.ts"))};
import { parseProcMaps, UserSymbols } from ${JSON.stringify(join(ROOT, "runtime/symbolize/mod.ts"))};
await libc();
const text = readFileSync("/proc/${pid}/maps", "latin1");
const code = parseProcMaps(text).find((m) => /\\/libc[.-][^/]*so/.test(m.path) && m.perms.includes("x"))!;
const u = new UserSymbols();
const name = u.symbolize(${pid}, BigInt(code.start + 0x1000)).name;
console.log(JSON.stringify({ mapsMB: Math.round(text.length / (1 << 20)), heldMB: Math.round(u.held.bytes / (1 << 20)), name: name ?? null }));
`;

test("a process of nobody's whose /proc/PID/maps is 70 MB is not read whole by root's symbolizer", { timeout: 300_000 }, async () => {
  const dir = rootDir("proc-maps-size");
  chmodSync(dir, 0o777);
  const mapper = await nobodyPython(MAPPER(dir));
  try {
    const file = join(dir, "symbolize.ts");
    writeFileSync(file, SYMBOLIZER(mapper.pid));
    const r = await script(file, { env: { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" }, timeoutMs: 200_000 });
    assert.equal(r.status, 0, `root's symbolizer: ${r.status} ${r.stderr.slice(-1000)}`);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    assert.ok(out.mapsMB >= 66, `the setup failed: nobody's maps file has only ${out.mapsMB} MB`);
    assert.ok(out.heldMB < 64, `root's symbolizer holds ${out.heldMB} MB for nobody's process`);
    assert.equal(out.name, null, "an address was named from a maps file past the bound");
    assert.match(r.stderr, /\/proc\/\d+\/maps.*more than/, `the refusal was not said: ${r.stderr}`);
  } finally {
    await mapper.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
