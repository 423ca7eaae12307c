// `tsbpf build --compile` makes one executable that root runs (`sudo ./trace`), from whatever
// directory root is in: /tmp, a project, another user's home. A Bun executable reads bunfig.toml
// (whose `preload` it imports before its own code) and .env (into its environment) from the
// working directory unless it was compiled not to: nobody's files there would run as root.
// Here nobody plants both in a sticky directory and root runs the executable from it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, bareEnv, countingScript, ROOT } from "./attacker.ts";

const BUN = join(ROOT, "node_modules/.bin/bun");

const SCRIPT = countingScript(`"the executable ran; planted variable:", process.env.TSBPF_PLANTED ?? "unset", "; platform:", process.platform`);

test("an executable from tsbpf build --compile ignores bunfig.toml and .env in the directories it is built and run in", { timeout: 300_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), "tsbpf-sec-compile-"));
  const cwd = mkdtempSync(join(tmpdir(), "tsbpf-sec-compile-cwd-"));
  chmodSync(cwd, 0o1777); // like /tmp: anyone may create names in it
  const marker = `${cwd}-preloaded`;
  try {
    writeFileSync(`${work}/trace.ts`, SCRIPT);
    // bun build reads the bunfig.toml of its working directory too: its [define] rewrites the code.
    asNobody(["sh", "-c", `printf 'preload = ["./evil.js"]\\n[define]\\n"process.platform" = "globalThis.PLANTED"\\n' > ${cwd}/bunfig.toml`]);
    asNobody(["sh", "-c", `printf 'require("node:fs").writeFileSync("${marker}", String(process.getuid()));\\n' > ${cwd}/evil.js`]);
    asNobody(["sh", "-c", `printf 'TSBPF_PLANTED=by-nobody\\n' > ${cwd}/.env`]);

    // Built as root from nobody's directory (cd /tmp/x && sudo tsbpf build --compile ~/trace.ts -o ~/trace).
    // The tsbpf command (bin/tsbpf), which keeps its own Bun from reading that bunfig.toml.
    const built = spawnSync(join(ROOT, "bin/tsbpf"), ["build", "--compile", `${work}/trace.ts`, "-o", `${work}/trace`], {
      cwd, encoding: "utf8", env: { ...bareEnv(), PATH: `${join(BUN, "..")}:/usr/bin:/bin`, HOME: work, TSBPF_RUNTIME: "bun" },
    });
    assert.equal(built.status, 0, built.stderr);
    const r = spawnSync(`${work}/trace`, [], { cwd, encoding: "utf8", env: bareEnv(), timeout: 120_000 });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /the executable ran/);
    assert.ok(!existsSync(marker), "root imported nobody's bunfig.toml preload");
    assert.match(r.stdout, /planted variable: unset/, "root took nobody's .env into its environment");
    assert.match(r.stdout, /platform: linux/, "nobody's bunfig.toml [define] rewrote the executable's code when it was built");
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});

test("tsbpf build --compile takes no tsconfig.json from above its private build directory (TMPDIR)", { timeout: 300_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), "tsbpf-sec-compile-"));
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-compile-tmpdir-"));
  chmodSync(shared, 0o1777); // TMPDIR=/tmp, where the build's private directory is made
  const marker = `${shared}-remapped`;
  try {
    writeFileSync(`${work}/trace.ts`, SCRIPT);
    // bun build maps every import of the bundle (node:fs, bun:ffi too) through the nearest tsconfig.json's paths.
    asNobody(["sh", "-c", `printf '{ "compilerOptions": { "baseUrl": ".", "paths": { "*": ["./evil.js"] } } }\\n' > ${shared}/tsconfig.json`]);
    asNobody(["sh", "-c", `printf 'require("node:fs").writeFileSync("${marker}", String(process.getuid()));\\n' > ${shared}/evil.js`]);
    const built = spawnSync(join(ROOT, "bin/tsbpf"), ["build", "--compile", `${work}/trace.ts`, "-o", `${work}/trace`], {
      cwd: work, encoding: "utf8", env: { ...bareEnv(), PATH: `${join(BUN, "..")}:/usr/bin:/bin`, HOME: work, TMPDIR: shared, TSBPF_RUNTIME: "bun" },
    });
    assert.equal(built.status, 0, built.stderr);
    const r = spawnSync(`${work}/trace`, [], { cwd: work, encoding: "utf8", env: bareEnv(), timeout: 120_000 });
    assert.ok(!existsSync(marker), "the executable ran nobody's module as root");
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /the executable ran/);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(shared, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});
