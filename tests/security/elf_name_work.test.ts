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
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, ROOT, rootDir, script } from "./attacker.ts";
import { frameIn, nobodyCalling, stacksScript } from "./mapped_code.ts";

const env = { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" };
const shared = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-elf-XXXXXX")]).trim();
const own = rootDir("elf-work");
after(() => {
  rmSync(shared, { recursive: true, force: true });
  rmSync(own, { recursive: true, force: true });
});

for (const variant of ["names", "sections", "versions", "twins"]) {
  test(`nobody's ELF file with crafted ${variant} does not hold root's symbolizer`, { timeout: 240_000 }, async () => {
    const file = join(shared, `${variant}.so`);
    const made = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", join(ROOT, "tests/security/fixtures/crafted_elf.py"), variant, file], { encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
    const caller = await nobodyCalling([file]);
    try {
      const tracer = join(own, `${variant}.ts`);
      writeFileSync(tracer, stacksScript(caller.pid, 1));
      const r = await script(tracer, { env, timeoutMs: 120_000 });
      assert.ok(!r.timedOut, `root's tracer was still symbolizing nobody's ${variant} file after 120 s`);
      assert.equal(r.status, 0, r.stderr.slice(-2000));
      // The frame in nobody's file is printed by its address alone: the file was read, and refused.
      const frame = frameIn(caller.pid, file);
      assert.match(r.stdout, new RegExp(`^@stacks\\[\\n\\s+${frame}\\n`, "m"), `no frame in nobody's file (${frame}):\n${r.stdout.slice(0, 2000)}`);
    } finally {
      caller.stop();
    }
  });
}
