// A uprobe or USDT probe on a program another user can replace: tsbpf reads the ELF to find the
// function's (or the USDT site's and semaphore's) file offset, then gives the kernel the path
// again to attach there. Whoever owns the path can point it at another file in between, and the
// kernel then puts the breakpoint (and increments the semaphore) at an offset of their choosing
// in a file of their choosing: mid-instruction in the host's libc, say, for every process.
// Here nobody's program holds `probe_me` where root's program holds `victim_fn`, and nobody
// points the path at root's program for a moment after the second read (inotify; the first is
// the compiler's, the second the attach's): root's program must never hit the probe root put on
// nobody's.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { libc } from "../../runtime/ffi/mod.ts";
import { pmuType } from "../../runtime/features.ts";
import { buildC, cannotBuild, importScript, removeMade } from "../kernel/user_programs.ts";
import { asNobody, ROOT } from "./attacker.ts";

await libc();
after(removeMade);
const skip = (pmuType("uprobe") === undefined && "this kernel has no uprobe PMU") || cannotBuild(["stdio.h"]) || false;

const VICTIM = `
#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) long victim_fn(long a) { return a * 3 + 1; }
int main(int argc, char **argv) {
  long total = 0;
  for (int i = 0; i < 5; i++) total += victim_fn(i);
  printf("%ld\\n", total);
  return 0;
}
`;

test("a uprobe attaches to the file whose ELF gave its offset, not to one swapped in at its path", { skip, timeout: 60_000 }, async () => {
  const victim = buildC("swap_victim", VICTIM, ["-O1"]);
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-uprobe-swap-"));
  chmodSync(shared, 0o1777);
  const evil = join(shared, "evil"), real = join(evil, "app-real"), path = join(evil, "app");
  try {
    // nobody's program: root's, with victim_fn named probe_me (the same offset).
    const renamed = join(shared, "renamed");
    // With many symbols more: the read that gives the offset and the attach are further apart.
    const symbols = join(shared, "symbols");
    writeFileSync(symbols, Array.from({ length: 20_000 }, (_, i) => `--add-symbol pad${i}=.text:0,function`).join("\n"));
    const made = spawnSync("objcopy", [`@${symbols}`, "--redefine-sym", "victim_fn=probe_me", victim, renamed], { encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
    asNobody(["mkdir", evil]);
    asNobody(["cp", renamed, real]);
    asNobody(["ln", "-s", real, path]);
    // (root's PATH may start with a directory nobody cannot read: a pyenv's shims)
    const watcher = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", "PATH=/usr/bin:/bin", "python3", join(ROOT, "tests/security/fixtures/swap_after_read.py"), path, real, victim, "2"], { stdio: ["ignore", "pipe", "inherit"] });
    const watching = await new Promise((done) => {
      watcher.stdout!.once("data", () => done(true));
      watcher.once("exit", () => done(false));
    });
    assert.ok(watching, "the attacker (python3 as nobody) did not start");
    try {
      const { T } = await importScript("swap", ["uprobe", "Count", "Tracer", "type u64"], `
export class T extends Tracer {
  hits = new Count<u64>();
  @uprobe("${path}:probe_me")
  onProbe() { this.hits.add(1n); }
}`);
      const tracer = new T();
      tracer.end = () => {};
      let started = true;
      try {
        await tracer.start({ exitOnError: false });
      } catch {
        started = false; // the read saw root's program, which has no probe_me: refused, as it may be
      }
      try {
        const out = spawnSync(victim, { encoding: "utf8" });
        assert.equal(out.stdout.trim(), "35", "root's program ran");
        if (started) {
          assert.equal(tracer.hits.get(1n) ?? 0n, 0n, `root's ${victim} hit the uprobe root put on nobody's ${path}:probe_me`);
          // The probe is live where it was asked for: nobody's program, which it was read from.
          assert.equal(asNobody([real]).trim(), "35");
          assert.equal(tracer.hits.get(1n), 5n, "nobody's program did not hit its own probe_me");
        }
      } finally {
        if (started) tracer.stop();
      }
    } finally {
      watcher.kill();
    }
  } finally {
    rmSync(shared, { recursive: true, force: true });
  }
});
