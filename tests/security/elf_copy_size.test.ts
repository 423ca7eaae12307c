// Symbolizing reads the files a traced process maps. One that another user can write is not
// mmapped (they could truncate it under the mapping: SIGBUS) but copied, the parts symbolizing
// reads: the section table says which, and its owner writes the section table. A sparse file of
// 1 GiB (16 KB on disk) whose symbol table is all of it cost root's tracer 1 GB, and every such
// file more, kept for as long as the tracer ran. Here nobody's process runs code from one such
// file and six of 150 MiB; root's tracer prints its stacks: its peak memory must stay below
// 1.25 GiB (it reached 1.98 GB; 0.83 GB now, of which 256 MiB of copies held and one more read).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, ROOT, rootDir, script } from "./attacker.ts";
import { frameIn, nobodyCalling, stacksScript } from "./mapped_code.ts";

const env = { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" };
const shared = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-elf-copy-XXXXXX")]).trim();
const own = rootDir("elf-copy");
after(() => {
  rmSync(shared, { recursive: true, force: true });
  rmSync(own, { recursive: true, force: true });
});

// nobody's files: sparse, SIZE bytes, code at 0x1000 and a symbol table from 64 KiB to the end
// (all zeros: no symbol in it).
const MAKE = join(ROOT, "tests/security/fixtures/sparse_elf.py");

test("nobody's sparse ELF files with huge symbol tables cost root's symbolizer bounded memory", { timeout: 300_000 }, async () => {
  const files = [[join(shared, "huge.so"), 1 << 30], ...Array.from({ length: 6 }, (_, i) => [join(shared, `large${i}.so`), 150 << 20])] as [string, number][];
  for (const [file, size] of files) {
    const made = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", MAKE, file, String(size)], { encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
  }
  const caller = await nobodyCalling(files.map(([f]) => f));
  try {
    const tracer = join(own, "stacks.ts");
    writeFileSync(tracer, stacksScript(caller.pid, files.length));
    const r = await script(tracer, { env, timeoutMs: 240_000 });
    assert.ok(!r.timedOut, "root's tracer did not finish in 240 s");
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    for (const [file] of files) assert.ok(r.stdout.includes(`${frameIn(caller.pid, file)}\n`), `no frame in ${file}:\n${r.stdout.slice(0, 2000)}`);
    const hwm = Number(/VmHWM:\s*(\d+) kB/.exec(r.stdout)?.[1]);
    assert.ok(hwm > 0, r.stdout.slice(-500));
    assert.ok(hwm < 1.25 * (1 << 20), `root's tracer peaked at ${Math.round(hwm / 1024)} MB for nobody's files`);
  } finally {
    caller.stop();
  }
});
