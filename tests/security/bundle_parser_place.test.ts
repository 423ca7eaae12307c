// A `tsbpf build` bundle carries @babel/parser inside its compiler section: it imports no package
// by name. Yet a start that compiles ran runtime/package_place.ts's check, which resolves the name
// from the bundle's directory and refuses what another user could have put there: any user who
// created /tmp/node_modules/@babel/parser (never imported) stopped root's bundle under /tmp from
// starting whenever it compiled (its first start, an untrusted key, another kernel).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { asNobody, isBun, ROOT, rootDir, tsbpf } from "./attacker.ts";

test("a bundle that compiles starts whatever another user planted as @babel/parser in a node_modules above it", { timeout: 240_000 }, async () => {
  const shared = rootDir("bundle-parser");
  chmodSync(shared, 0o1777); // like /tmp
  try {
    const work = join(shared, "work"), config = join(shared, "config");
    mkdirSync(work);
    mkdirSync(config, { mode: 0o700 });
    const env = { PATH: "/usr/bin:/bin", HOME: work, NO_COLOR: "1", TSBPF_NO_CACHE: "1", XDG_CONFIG_HOME: config, TSBPF_TRUSTED_KEYS: join(shared, "none") };
    const file = join(work, "mark.bundle.js");
    const built = await tsbpf(["build", join(ROOT, "tests/security/fixtures/bundle_mark.ts"), "-o", file], { env, timeoutMs: 120_000 });
    assert.equal(built.status, 0, built.stderr);
    rmSync(config, { recursive: true }); // no host key: the start compiles from the embedded source
    mkdirSync(config, { mode: 0o700 });
    const evil = join(shared, "node_modules/@babel/parser");
    asNobody(["mkdir", "-p", evil]);
    asNobody(["sh", "-c", `printf '{ "name": "@babel/parser", "type": "module", "main": "index.js" }\\n' > ${evil}/package.json && printf 'export function parse() {}\\n' > ${evil}/index.js`]);
    const argv = isBun ? [process.execPath, file] : [process.execPath, "run", "--allow-ffi", "--allow-run", "--allow-env", file];
    const r = spawnSync(argv[0], argv.slice(1), { cwd: work, env, encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 0, `root's bundle did not start: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^mark 1$/m);
  } finally {
    rmSync(shared, { recursive: true, force: true });
  }
});
