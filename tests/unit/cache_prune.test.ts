// The compile cache (~/.cache/tsbpf) is bounded: past KEEP the least recently used entries go,
// after a cold start wrote one; the one-liners' old directory inside it goes too. Root prunes
// what may lie under another user's HOME (sudo -E), so nothing but its own regular files with
// the cache's names is removed, and no link is followed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { KEEP, pruneCompileCache } from "../../tracer/compile_cache.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const NOW = 1_800_000_000;
const name = (i: number) => `${i.toString(16).padStart(16, "0")}.json`;

function cacheWith(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-cache-prune-"));
  for (let i = 0; i < n; i++) {
    writeFileSync(join(dir, name(i)), "{}", { mode: 0o600 });
    // Entry i was written i hours before NOW, and not read since.
    utimesSync(join(dir, name(i)), NOW - i * 3600, NOW - i * 3600);
  }
  return dir;
}

test("past KEEP.files entries, the least recently used go: a read counts as a use", () => {
  const dir = cacheWith(KEEP.files + 50);
  try {
    // The oldest entry was read an hour ago (its access time), so it stays.
    utimesSync(join(dir, name(KEEP.files + 49)), NOW - 3600, NOW - (KEEP.files + 49) * 3600);
    writeFileSync(join(dir, "notes.txt"), "not the cache's");
    pruneCompileCache(dir, NOW * 1000);
    const left = readdirSync(dir);
    assert.equal(left.filter((f) => f.endsWith(".json")).length, KEEP.files);
    assert.ok(left.includes(name(0)) && left.includes(name(KEEP.files + 49)), "a recently used entry was removed");
    assert.ok(!left.includes(name(KEEP.files - 1)), "the least recently used entry was kept");
    assert.ok(left.includes("notes.txt"), "a file of another name was removed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("entries unused for KEEP.days go; links, other users' files and their targets stay", () => {
  const dir = cacheWith(3);
  const outside = mkdtempSync(join(tmpdir(), "tsbpf-cache-target-"));
  try {
    utimesSync(join(dir, name(2)), NOW - (KEEP.days + 1) * 86400, NOW - (KEEP.days + 1) * 86400);
    writeFileSync(join(outside, "victim"), "x");
    utimesSync(join(outside, "victim"), NOW - 1e8, NOW - 1e8);
    symlinkSync(join(outside, "victim"), join(dir, name(100)));
    writeFileSync(join(dir, name(101)), "{}");
    chownSync(join(dir, name(101)), 65534, 65534);
    utimesSync(join(dir, name(101)), NOW - 1e8, NOW - 1e8);
    pruneCompileCache(dir, NOW * 1000);
    assert.deepEqual(readdirSync(dir).sort(), [name(0), name(1), name(100), name(101)]);
    assert.ok(lstatSync(join(dir, name(100))).isSymbolicLink());
    assert.ok(existsSync(join(outside, "victim")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test("the one-liners' old directory in the compile cache goes, only when it is ours and holds only their files", () => {
  const entry = "0123456789abcdef.ts";
  for (const [shape, gone] of [["ours", true], ["nobody's", false], ["group-writable", false], ["a link", false], ["with another file", false]] as const) {
    const dir = cacheWith(1), elsewhere = mkdtempSync(join(tmpdir(), "tsbpf-cache-elsewhere-"));
    try {
      const old = join(dir, "oneliners");
      const made = shape === "a link" ? elsewhere : old;
      if (shape === "a link") symlinkSync(elsewhere, old);
      else mkdirSync(old, { mode: 0o700 });
      writeFileSync(join(made, entry), "x");
      if (shape === "nobody's") chownSync(old, 65534, 65534);
      if (shape === "group-writable") spawnSync("chmod", ["0770", old]);
      if (shape === "with another file") writeFileSync(join(old, "mine.txt"), "x");
      pruneCompileCache(dir, NOW * 1000);
      assert.equal(!existsSync(old), gone, `${shape}: ${gone ? "kept" : "removed"}`);
      if (!gone && shape !== "with another file") assert.ok(existsSync(join(made, entry)), `${shape}: a file in it was removed`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(elsewhere, { recursive: true, force: true });
    }
  }
});

for (const [random, prunes] of [[0, true], [0.99, false]] as const) {
  test(`a cold start's write ${prunes ? "picked to prune (1 in 16)" : "not picked to prune"} ${prunes ? "prunes the cache once the tracer runs" : "leaves it as it was"}`, () => {
    const home = mkdtempSync(join(tmpdir(), "tsbpf-cache-home-"));
    try {
      mkdirSync(join(home, "tsbpf"), { mode: 0o700 });
      const now = Math.floor(Date.now() / 1000);
      for (let i = 0; i < KEEP.files + 20; i++) {
        writeFileSync(join(home, "tsbpf", name(i)), "{}", { mode: 0o600 });
        utimesSync(join(home, "tsbpf", name(i)), now - 60 - i, now - 60 - i);
      }
      // A process of its own, without the test runner's TSBPF_NO_CACHE. It writes one entry and
      // waits for the directory to come back to the bound (up to a minute). A write that does not
      // prune: it counts once a wait of 3 s on the prune's own timer (process.after, not
      // setTimeout: on Deno they are different clocks) has run, which a prune 2 s after the write
      // would have run before, however late the machine runs either.
      const script = `
        import { writeCache } from "${ROOT}tracer/compile_cache.ts";
        import { libc } from "${ROOT}runtime/ffi/mod.ts";
        import { readdirSync } from "node:fs";
        const c = await libc();
        Math.random = () => ${random};
        writeCache({ name: "ffffffffffffffff", input: "x" }, []);
        const dir = ${JSON.stringify(join(home, "tsbpf"))}, until = Date.now() + 60_000;
        const count = () => console.log("entries " + readdirSync(dir).length);
        const check = () => readdirSync(dir).length <= ${KEEP.files} || Date.now() > until ? count() : setTimeout(check, 100);
        if (${prunes}) check();
        else {
          const alive = setTimeout(() => {}, 60_000); // process.after keeps no process alive
          c.process.after(3000, () => (count(), clearTimeout(alive)));
        }`;
      const file = join(home, "prune.ts");
      writeFileSync(file, script);
      const runtime = process.execPath;
      const args = /deno/.test(runtime) ? ["run", "-A", "--quiet", file] : [file];
      // TSBPF_NO_CACHE set empty, not left out: Deno's spawnSync passes the runner's own (tests/run.sh sets it) along.
      const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", XDG_CACHE_HOME: home, NO_COLOR: "1", TSBPF_NO_CACHE: "" };
      const r = spawnSync(runtime, args, { env, encoding: "utf8", timeout: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), `entries ${prunes ? KEEP.files : KEEP.files + 21}`);
      assert.ok(existsSync(join(home, "tsbpf", "ffffffffffffffff.json")), "the new entry was pruned");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
}
