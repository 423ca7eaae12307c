// Deno keeps the JavaScript it compiled from each module ($DENO_DIR, else $XDG_CACHE_HOME/deno,
// else $HOME/.cache/deno, under gen/) and runs an entry whose recorded source hash matches, which
// anyone who can read tsbpf's sources can compute; the npm packages a gist's `npm:tsbpf` brings
// live there too. The threat model counts a preserved DENO_DIR, XDG_CACHE_HOME or another user's
// HOME (sudo -E) as that user's: here nobody fills such a cache by running tsbpf's sources under
// Deno, and root runs the tsbpf command under Deno with it. Root's Deno must neither read nor
// write anything there (seen through strace: every path it opens or creates).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, ROOT } from "./attacker.ts";

const DENO = join(ROOT, "node_modules/.bin/deno");
const hasStrace = spawnSync("strace", ["-V"]).status === 0;

const CASES: [string, (cache: string, home: string) => Record<string, string>][] = [
  ["XDG_CACHE_HOME", (cache, home) => ({ HOME: home, XDG_CACHE_HOME: cache })],
  ["HOME", (cache) => ({ HOME: cache })],
  ["DENO_DIR", (cache, home) => ({ HOME: home, DENO_DIR: join(cache, "deno") })],
];

for (const [variable, envOf] of CASES) {
  test(`the tsbpf command under Deno uses no cache of another user's named by ${variable}`, { timeout: 120_000, skip: !hasStrace && "needs strace" }, () => {
    const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-denocache-"));
    chmodSync(shared, 0o755);
    try {
      // nobody's home, with its cache at the default place of each variable.
      const cache = join(shared, "cache");
      mkdirSync(cache);
      chownSync(cache, 65534, 65534);
      // nobody runs tsbpf's sources (readable by all) under Deno with its own cache: Deno fills it.
      asNobody(["env", `HOME=${cache}`, `XDG_CACHE_HOME=${cache}`, DENO, "run", "-A", "--quiet", `--config=${join(ROOT, "deno.json")}`, join(ROOT, "cli/main.ts"), "--help"]);
      assert.ok(existsSync(join(cache, "deno/gen")), "Deno (as nobody) wrote no compiled modules");
      const trace = join(shared, "trace");
      const home = join(shared, "roothome");
      mkdirSync(home, { mode: 0o700 });
      const r = spawnSync("strace", ["-f", "-qq", "-e", "trace=openat,open,mkdir,mkdirat,stat,statx,newfstatat", "-o", trace, "sh", join(ROOT, "bin/tsbpf"), "--help"], {
        cwd: "/",
        env: { PATH: `${join(ROOT, "node_modules/.bin")}:/usr/bin:/bin`, TSBPF_RUNTIME: "deno", NO_COLOR: "1", ...envOf(cache, home) },
        encoding: "utf8", timeout: 90_000,
      });
      // (The launcher's own check of a DENO_DIR given looks at that directory itself, not inside.)
      const touched = readFileSync(trace, "utf8").split("\n").filter((line) => line.includes(`"${cache}/`) && !line.includes(`"${cache}/deno"`));
      assert.deepEqual(touched.slice(0, 5), [], `root's Deno used nobody's cache ${cache}`);
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /tsbpf/);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });
}

// A HOME that root owns is not root's own for that alone: /tmp (a service's or a container's HOME,
// kept by sudo -E) is root's, and anyone can create .npmrc there, naming the registry the npm
// packages of root's scripts come from.
test("the tsbpf command under Deno reads no .npmrc from a HOME of root's that every user can write (like /tmp)", { timeout: 120_000, skip: !hasStrace && "needs strace" }, () => {
  const home = mkdtempSync(join(tmpdir(), "tsbpf-sec-denohome-"));
  chmodSync(home, 0o1777);
  try {
    asNobody(["sh", "-c", `printf 'registry=http://127.0.0.1:9/\\n' > ${home}/.npmrc`]);
    const trace = `${home}-trace`;
    const r = spawnSync("strace", ["-f", "-qq", "-e", "trace=openat,open", "-o", trace, "sh", join(ROOT, "bin/tsbpf"), "--help"], {
      cwd: "/",
      env: { PATH: `${join(ROOT, "node_modules/.bin")}:/usr/bin:/bin`, TSBPF_RUNTIME: "deno", NO_COLOR: "1", HOME: home },
      encoding: "utf8", timeout: 90_000,
    });
    const opened = readFileSync(trace, "utf8").split("\n").filter((line) => line.includes(`"${home}/`));
    rmSync(trace, { force: true });
    assert.deepEqual(opened.slice(0, 5), [], `root's Deno read nobody's files in HOME=${home}`);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /tsbpf/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

// A DENO_DIR or HOME that passes the launcher's check through a link another user made (in a
// sticky directory, to a directory of root's) could be pointed at that user's cache right after
// the check: Deno must get the directory the check looked at, not the link.
for (const variable of ["DENO_DIR", "HOME"]) {
  test(`the tsbpf command under Deno uses the ${variable} it checked, not another user's link to it`, { timeout: 120_000, skip: !hasStrace && "needs strace" }, () => {
    const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-denolink-"));
    chmodSync(shared, 0o1777);
    const own = mkdtempSync(join(tmpdir(), "tsbpf-sec-denolink-root-"));
    try {
      const link = join(shared, "link");
      asNobody(["ln", "-s", own, link]);
      const trace = `${shared}-trace`;
      const r = spawnSync("strace", ["-f", "-qq", "-e", "trace=openat,open,mkdir,mkdirat", "-o", trace, "sh", join(ROOT, "bin/tsbpf"), "--help"], {
        cwd: "/",
        env: { PATH: `${join(ROOT, "node_modules/.bin")}:/usr/bin:/bin`, TSBPF_RUNTIME: "deno", NO_COLOR: "1", HOME: own, [variable]: link },
        encoding: "utf8", timeout: 90_000,
      });
      const through = readFileSync(trace, "utf8").split("\n").filter((line) => line.includes(`"${link}/`));
      rmSync(trace, { force: true });
      assert.deepEqual(through.slice(0, 5), [], `root's Deno went through nobody's link ${link}`);
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /tsbpf/);
    } finally {
      rmSync(shared, { recursive: true, force: true });
      rmSync(own, { recursive: true, force: true });
    }
  });
}
