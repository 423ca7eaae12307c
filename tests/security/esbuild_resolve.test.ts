// `tsbpf build` imports esbuild, an optional dependency, by its bare name. Both runtimes find a
// bare name by walking up the node_modules directories from tsbpf's package, past the project:
// installed in a project under /tmp (or any directory others can write) without esbuild, the
// walk reaches /tmp/node_modules/esbuild, which any user can create, and root ran its code.
// Here nobody plants that esbuild above a copy of tsbpf's sources (a clone without its dev
// dependencies: Deno strips no types inside node_modules) and root runs `tsbpf build`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import process from "node:process";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, isBun, ROOT } from "./attacker.ts";
import { copyPackage, runCopy } from "./package_copy.ts";


test("tsbpf build does not run an esbuild binary another user planted in a node_modules above esbuild", { timeout: 120_000 }, () => {
  // esbuild's JavaScript finds its binary as require.resolve("@esbuild/linux-x64/bin/esbuild"): a
  // walk up from esbuild's own directory. esbuild is installed (ours) but its platform package is
  // not beside it (installed without optional dependencies, or copied), so the walk goes on.
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-esbuild-bin-"));
  chmodSync(shared, 0o1777); // like /tmp
  const marker = `${shared}-ran`;
  try {
    const project = join(shared, "project");
    const pkg = copyPackage(project, { babel: true });
    const esbuild = join(pkg, "node_modules/esbuild");
    mkdirSync(join(esbuild, "lib"), { recursive: true });
    copyFileSync(join(ROOT, "node_modules/esbuild/package.json"), join(esbuild, "package.json"));
    cpSync(join(ROOT, "node_modules/esbuild/lib"), join(esbuild, "lib"), { recursive: true });
    const platform = `@esbuild/linux-${process.arch}`;
    const evil = join(shared, "node_modules", platform);
    asNobody(["mkdir", "-p", `${evil}/bin`]);
    asNobody(["sh", "-c", `printf '{ "name": "${platform}", "version": "0.0.0" }\\n' > ${evil}/package.json`]);
    asNobody(["sh", "-c", `printf '#!/bin/sh\\necho x > ${marker}\\n' > ${evil}/bin/esbuild && chmod 755 ${evil}/bin/esbuild`]);
    const r = runCopy(pkg, project, ["build", "s.ts", "-o", "s.bundle.js"]);
    assert.equal(existsSync(marker), false, `root ran nobody's esbuild binary from ${evil}: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${platform}`));
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});

test("tsbpf build does not run the esbuild binary a preserved ESBUILD_BINARY_PATH names in another user's directory", { timeout: 120_000 }, () => {
  // sudo -E keeps ESBUILD_BINARY_PATH as it keeps HOME and XDG_CACHE_HOME: that user's choice.
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-esbuild-env-"));
  chmodSync(shared, 0o755);
  const marker = `${shared}-ran`;
  try {
    const evil = join(shared, "bin");
    mkdirSync(evil);
    chownSync(evil, 65534, 65534);
    asNobody(["sh", "-c", `printf '#!/bin/sh\\necho x > ${marker}\\n' > ${evil}/esbuild && chmod 755 ${evil}/esbuild`]);
    writeFileSync(join(shared, "s.ts"), 'console.log("hello");\n');
    const r = spawnSync(join(ROOT, "bin/tsbpf"), ["build", "s.ts", "-o", "s.bundle.js"], {
      cwd: shared, env: { PATH: `${join(ROOT, "node_modules/.bin")}:/usr/bin:/bin`, TSBPF_RUNTIME: isBun ? "bun" : "deno", HOME: shared, ESBUILD_BINARY_PATH: `${evil}/esbuild`, NO_COLOR: "1" }, encoding: "utf8", timeout: 90_000,
    });
    assert.equal(existsSync(marker), false, `root ran nobody's esbuild binary ${evil}/esbuild: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /ESBUILD_BINARY_PATH.*owned by uid 65534/s);
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});

test("tsbpf build does not import an esbuild another user planted in a node_modules above the project", { timeout: 120_000 }, () => {
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-esbuild-"));
  chmodSync(shared, 0o1777); // like /tmp
  const marker = `${shared}-ran`;
  try {
    const project = join(shared, "project");
    const pkg = copyPackage(project, { babel: true });
    const evil = join(shared, "node_modules/esbuild");
    asNobody(["mkdir", "-p", evil]);
    asNobody(["sh", "-c", `printf '{ "name": "esbuild", "type": "module", "main": "index.js", "exports": { ".": "./index.js" } }\\n' > ${evil}/package.json`]);
    asNobody(["sh", "-c", `printf 'import { writeFileSync } from "node:fs";\\nwriteFileSync("${marker}", "x");\\nexport async function build() { throw new Error("nobody"); }\\n' > ${evil}/index.js`]);
    const r = runCopy(pkg, project, ["build", "s.ts", "-o", "s.bundle.js"]);
    assert.equal(existsSync(marker), false, `root imported nobody's esbuild from ${evil}: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`esbuild.*${shared}/node_modules.*owned by uid 65534`, "s"));
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});

test("tsbpf plan does not import a @babel/parser another user planted in a node_modules above a copy of tsbpf without its dependencies", { timeout: 120_000 }, () => {
  // The same walk finds @babel/parser, tsbpf's parser for plan (and the compiler's fallback),
  // when it is not installed beside tsbpf: a clone without `npm install`, a copy.
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-babel-"));
  chmodSync(shared, 0o1777); // like /tmp
  const marker = `${shared}-ran`;
  try {
    const project = join(shared, "project");
    const pkg = copyPackage(project, { babel: true });
    rmSync(join(pkg, "node_modules/@babel"));
    const evil = join(shared, "node_modules/@babel/parser");
    asNobody(["mkdir", "-p", evil]);
    asNobody(["sh", "-c", `printf '{ "name": "@babel/parser", "main": "index.js" }\\n' > ${evil}/package.json`]);
    asNobody(["sh", "-c", `printf 'require("fs").writeFileSync("${marker}", "x");\\nexports.parse = function () { throw new Error("nobody"); };\\n' > ${evil}/index.js`]);
    const r = runCopy(pkg, project, ["plan", "s.ts"]);
    assert.equal(existsSync(marker), false, `root imported nobody's @babel/parser from ${evil}: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`@babel/parser.*${shared}/node_modules.*owned by uid 65534`, "s"));
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});

test("tsbpf build in a user's own clone run with sudo uses the esbuild installed beside it", { timeout: 120_000 }, () => {
  // Root runs that user's tsbpf already: their esbuild beside it is no more theirs than that.
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-esbuild-clone-"));
  chmodSync(shared, 0o755);
  try {
    const project = join(shared, "project");
    const pkg = copyPackage(project, { babel: true });
    for (const dep of ["esbuild", `@esbuild/linux-${process.arch}`]) cpSync(join(ROOT, "node_modules", dep), join(pkg, "node_modules", dep), { recursive: true });
    writeFileSync(join(project, "t.ts"), [
      `import { pid, RingBuf, Tracer, tracepoint, type u32 } from "./tsbpf/mod.ts";`,
      `class T extends Tracer {`,
      `  events = new RingBuf<{ pid: u32 }>();`,
      `  @tracepoint("syscalls:sys_enter_getppid")`,
      `  on() { this.events.submit({ pid: pid() }); }`,
      `}`,
      `await new T().start();`,
    ].join("\n"));
    spawnSync("chown", ["-R", "65534:65534", project]);
    const r = runCopy(pkg, project, ["build", "t.ts", "-o", "t.bundle.js"], { HOME: shared });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.ok(existsSync(join(project, "t.bundle.js")), "no bundle was written");
  } finally {
    rmSync(shared, { recursive: true, force: true });
  }
});
