// Root's symbolizer reads a process's /proc/PID/maps once, and again when an address falls in
// no mapping (a library loaded since). A user stack's addresses are the traced process's to
// choose (its frame pointers), and another user's process with tens of thousands of mappings
// made root read all of its maps again for each address that no mapping holds: 100 such
// addresses, 100 reads. A read again is rationed by the size of what it reads, and an address
// no mapping held is asked about again later (not remembered as unnamed): a library the
// process loads afterwards is still named.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { nobodyPython, ROOT, rootDir, script } from "./attacker.ts";

const dir = rootDir("maps-rereads");
chmodSync(dir, 0o777);
after(() => rmSync(dir, { recursive: true, force: true }));

// nobody's process: 10000 one-page mappings (alternately writable, so none merge); once root
// says go, it loads a library it had not (libbz2).
const MAPPER = `
import ctypes, mmap, os, time
keep = [mmap.mmap(-1, 4096, prot=mmap.PROT_READ | (mmap.PROT_WRITE if i % 2 else 0)) for i in range(10000)]
print("ready", flush=True)
while not os.path.exists(${JSON.stringify(join(dir, "go"))}):
    time.sleep(0.05)
ctypes.CDLL("libbz2.so.1.0")
time.sleep(300)
`;

// Root's script: names an address in libc, then 100 addresses below mmap_min_addr (in no
// mapping, ever), counting the bytes it read meanwhile (rchar of /proc/self/io: every read(2)),
// in maps files' worth; then has nobody load libbz2 and asks about its code until it is found in that library.
const SYMBOLIZER = (pid: number) => `import { readFileSync, writeFileSync } from "node:fs";
import { libc } from ${JSON.stringify(join(ROOT, "runtime/ffi/mod.ts"))};
import { parseProcMaps, UserSymbols } from ${JSON.stringify(join(ROOT, "runtime/symbolize/mod.ts"))};
await libc();
const code = (pattern: RegExp) => parseProcMaps(readFileSync("/proc/${pid}/task/${pid}/maps", "utf8")).find((m) => pattern.test(m.path) && m.perms.includes("x"));
const u = new UserSymbols();
const libcName = u.symbolize(${pid}, BigInt(code(/\\/libc[.-][^/]*so/)!.start + 0x1000)).name;
const mapsBytes = readFileSync("/proc/${pid}/task/${pid}/maps").length;
const rchar = () => Number(/rchar: (\\d+)/.exec(readFileSync("/proc/self/io", "utf8"))![1]);
const before = rchar();
for (let i = 0; i < 100; i++) u.symbolize(${pid}, BigInt(0x100 + 8 * i));
const reads = (rchar() - before) / mapsBytes;
writeFileSync(${JSON.stringify(join(dir, "go"))}, "");
let bz2: string | undefined;
for (let i = 0; i < 1200 && bz2 === undefined; i++) {
  const m = code(/libbz2/);
  const frame = m && u.symbolize(${pid}, BigInt(m.start + 0x100));
  if (frame?.module?.includes("libbz2")) bz2 = frame.module;
  if (bz2 === undefined) await new Promise((r) => setTimeout(r, 50));
}
console.log(JSON.stringify({ libc: libcName ?? null, bz2: bz2 ?? null, reads }));
`;

test("addresses of nobody's process in no mapping do not each have root read its maps again", { timeout: 300_000 }, async () => {
  const mapper = await nobodyPython(MAPPER);
  try {
    const pid = mapper.pid;
    assert.equal(readFileSync(`/proc/${pid}/maps`, "utf8").includes("libbz2"), false, "the setup failed: libbz2 is loaded already");
    const file = join(dir, "symbolize.ts");
    writeFileSync(file, SYMBOLIZER(pid));
    const r = await script(file, { env: { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" }, timeoutMs: 200_000 });
    assert.equal(r.status, 0, `root's symbolizer: ${r.status} ${r.stderr.slice(-1000)}`);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    assert.ok(out.libc, `libc's code was not named (the setup failed): ${r.stdout}`);
    assert.ok(out.bz2, `an address in the library nobody's process loaded afterwards was never found in it: ${r.stdout}`);
    assert.ok(out.reads < 10, `root's symbolizer read nobody's maps ${out.reads.toFixed(1)} times over for 100 addresses in no mapping`);
  } finally {
    await mapper.stop();
  }
});
