// Root's symbolizer keeps what it parsed of the files a traced process maps, within a bound in
// bytes (elf_files.ts), dropping the least recently used. A file another user owns may be as
// costly as the bound allows (a sparse file of 150 MB whose symbol table is nearly all of it),
// and two such files do not fit together: each address asked about in one dropped the other, and
// the next address in the other (a stack's addresses are the traced process's to choose) had root
// copy and parse it all again (3798 MB read for 20 addresses). Parsing dropped files again may
// take as long as parsing them the first time did, then a tenth of the time; meanwhile their
// addresses are not named, a note says so, and they are named when asked about again later.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { nobodyPython, ROOT, rootDir, script } from "./attacker.ts";

const dir = rootDir("elf-reparse");
chmodSync(dir, 0o777);
after(() => rmSync(dir, { recursive: true, force: true }));

// nobody's process maps the first pages of both (its code).
const MAPPER = (files: string[]) => `
import mmap, os, time
keep = []
for name in ${JSON.stringify(files)}:
    fd = os.open(name, os.O_RDONLY)
    keep.append(mmap.mmap(fd, 0x2000, prot=mmap.PROT_READ))
print("ready", flush=True)
time.sleep(600)
`;

// Root's script: 10 addresses in each file, alternately, counting the bytes it read meanwhile;
// then one address in each asked about again until it is named (every 200 ms, for up to 4 minutes).
const SYMBOLIZER = (pid: number, files: string[]) => `import { readFileSync } from "node:fs";
import { libc } from ${JSON.stringify(join(ROOT, "runtime/ffi/mod.ts"))};
import { parseProcMaps, UserSymbols } from ${JSON.stringify(join(ROOT, "runtime/symbolize/mod.ts"))};
await libc();
const maps = parseProcMaps(readFileSync("/proc/${pid}/maps", "utf8"));
const starts = ${JSON.stringify(files)}.map((f) => maps.find((m) => m.path === f)!.start);
const rchar = () => Number(/rchar: (\\d+)/.exec(readFileSync("/proc/self/io", "utf8"))![1]);
const u = new UserSymbols();
const first = u.symbolize(${pid}, BigInt(starts[0] + 0x1000)).name;
const before = rchar();
for (let i = 1; i <= 10; i++) for (const start of starts) u.symbolize(${pid}, BigInt(start + 0x1000 + i));
const readMB = (rchar() - before) / (1 << 20);
const later = [];
for (const start of starts) {
  let name;
  for (let i = 0; i < 1200 && name === undefined; i++) {
    name = u.symbolize(${pid}, BigInt(start + 0x1000 + 5)).name;
    if (name === undefined) await new Promise((r) => setTimeout(r, 200));
  }
  later.push(name ?? null);
}
console.log(JSON.stringify({ first: first ?? null, readMB, later }));
`;

test("addresses alternating between two of nobody's costly files do not each have root parse one again, and are named later", { timeout: 600_000 }, async () => {
  const files = [join(dir, "a.so"), join(dir, "b.so")];
  for (const file of files) {
    const made = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", join(ROOT, "tests/security/fixtures/sparse_elf.py"), file, String(150 << 20), "f"], { encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
  }
  const mapper = await nobodyPython(MAPPER(files));
  try {
    const file = join(dir, "symbolize.ts");
    writeFileSync(file, SYMBOLIZER(mapper.pid, files));
    const r = await script(file, { env: { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" }, timeoutMs: 550_000 });
    assert.equal(r.status, 0, `root's symbolizer: ${r.status} ${r.stderr.slice(-1000)}`);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    assert.equal(out.first, "f", `nobody's file was not parsed (the setup failed): ${r.stdout}`);
    // Each address parsing its file again read 3798 MB; 450 MB on a quiet machine now. The budget
    // for parsing again is time (as long as the first parses took), so a first parse slowed by
    // the machine's load buys more: 1049 MB was read beside a CI run. Half the old figure is
    // what shows the addresses do not each parse again.
    assert.ok(out.readMB < 1900, `root's symbolizer read ${Math.round(out.readMB)} MB of nobody's two files for 20 addresses`);
    assert.deepEqual(out.later, ["f", "f"], `an address of nobody's files left unnamed for good: ${r.stdout}`);
    assert.match(r.stderr, /do not fit together in what the symbolizer keeps \(256 MiB\).*read again only at times/, r.stderr);
  } finally {
    await mapper.stop();
  }
});
