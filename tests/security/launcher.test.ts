// The tsbpf command (bin/tsbpf) looks for Bun or Deno in PATH and then beside the package, so that
// `sudo tsbpf` works when sudo's PATH lacks them. "Beside the package" must mean the node_modules
// it is installed in, never a directory above it: installed from /tmp (`cd /tmp && npm install
// tsbpf`), two levels up from node_modules/tsbpf is /tmp itself, where anyone can create
// .bin/bun, which root then ran. Here nobody plants that runtime and root runs the command.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, ROOT } from "./attacker.ts";

test("bin/tsbpf installed under a directory anyone can write does not run a runtime planted above its node_modules", () => {
  const project = mkdtempSync(join(tmpdir(), "tsbpf-sec-launcher-"));
  chmodSync(project, 0o1777); // like /tmp
  const marker = `${project}-ran`;
  try {
    const pkg = join(project, "node_modules/tsbpf");
    mkdirSync(join(pkg, "bin"), { recursive: true });
    copyFileSync(join(ROOT, "bin/tsbpf"), join(pkg, "bin/tsbpf"));
    chmodSync(join(pkg, "bin/tsbpf"), 0o755);
    for (const runtime of ["bun", "deno"]) {
      asNobody(["sh", "-c", `mkdir -p ${project}/.bin && printf '#!/bin/sh\\ntouch ${marker}\\n' > ${project}/.bin/${runtime} && chmod 755 ${project}/.bin/${runtime}`]);
    }
    const pathWithoutRuntimes = "/usr/sbin:/usr/bin:/sbin:/bin";
    for (const runtime of ["bun", "deno"]) {
      const found = spawnSync("sh", ["-c", `command -v ${runtime}`], { env: { PATH: pathWithoutRuntimes } });
      assert.notEqual(found.status, 0, `${runtime} is in ${pathWithoutRuntimes}: this test needs a PATH without it`);
    }
    const r = spawnSync(join(pkg, "bin/tsbpf"), ["list", "syscalls:sys_enter_openat"], { cwd: "/", env: { PATH: pathWithoutRuntimes }, encoding: "utf8", timeout: 30_000 });
    assert.equal(existsSync(marker), false, `root ran nobody's runtime from ${project}/.bin: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /needs Bun or Deno/);
  } finally {
    rmSync(project, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});

test("under Deno, the npm package's bin/tsbpf below a directory anyone can write takes no deno.json planted there", { timeout: 300_000 }, () => {
  // The package as npm installs it (its .js emitted by npm pack), in node_modules of a sticky directory.
  const project = mkdtempSync(join(tmpdir(), "tsbpf-sec-launcher-deno-"));
  chmodSync(project, 0o1777);
  const marker = `${project}-ran`;
  const packed = mkdtempSync(join(tmpdir(), "tsbpf-sec-launcher-pack-"));
  try {
    const pack = spawnSync("npm", ["pack", "--silent", "--pack-destination", packed], { cwd: ROOT, encoding: "utf8" });
    assert.equal(pack.status, 0, pack.stderr);
    const tarball = join(packed, pack.stdout.trim().split("\n").pop()!);
    mkdirSync(join(project, "node_modules"), { recursive: true });
    assert.equal(spawnSync("tar", ["xzf", tarball, "-C", join(project, "node_modules")]).status, 0);
    renameSync(join(project, "node_modules/package"), join(project, "node_modules/tsbpf"));
    symlinkSync(join(ROOT, "node_modules/@babel"), join(project, "node_modules/@babel"));
    writeFileSync(join(project, "package.json"), '{ "name": "p", "private": true, "type": "module" }\n');
    asNobody(["sh", "-c", `printf '{ "imports": { "@babel/parser": "./evil.js" }, "nodeModulesDir": "none" }\\n' > ${project}/deno.json`]);
    asNobody(["sh", "-c", `printf 'Deno.writeTextFileSync("${marker}", "x"); export const parse = () => ({}); export const parseExpression = parse;\\n' > ${project}/evil.js`]);
    const deno = join(ROOT, "node_modules/.bin/deno");
    const r = spawnSync(join(project, "node_modules/tsbpf/bin/tsbpf"), ["-c", "/bin/true", "-e", 'tracepoint("syscalls:sys_enter_execve", () => count())'], {
      cwd: "/", env: { PATH: `${join(deno, "..")}:/usr/bin:/bin`, TSBPF_RUNTIME: "deno", HOME: packed, NO_COLOR: "1" }, encoding: "utf8", timeout: 120_000,
    });
    assert.equal(existsSync(marker), false, `root imported nobody's module through ${project}/deno.json: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^@: \d+$/m);
  } finally {
    rmSync(project, { recursive: true, force: true });
    rmSync(packed, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});

test("under Bun, bin/tsbpf of a package below a directory anyone can write takes no tsconfig.json planted there", { timeout: 120_000 }, () => {
  // Bun maps imports through the "paths" of the nearest tsconfig.json above each importing file.
  const project = mkdtempSync(join(tmpdir(), "tsbpf-sec-launcher-bun-"));
  chmodSync(project, 0o1777);
  const marker = `${project}-ran`;
  try {
    const pkg = join(project, "node_modules/tsbpf");
    const files = spawnSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).stdout.split("\n")
      .filter((f) => f && !/^(tests|bench|docs|pack|\.ci)\//.test(f) && !/^(deno\.json|tsconfig\.json)$/.test(f));
    assert.ok(files.includes("cli/main.ts"), "git ls-files listed no sources");
    for (const f of files) {
      mkdirSync(join(pkg, f, ".."), { recursive: true });
      copyFileSync(join(ROOT, f), join(pkg, f));
    }
    chmodSync(join(pkg, "bin/tsbpf"), 0o755);
    symlinkSync(join(ROOT, "node_modules/@babel"), join(project, "node_modules/@babel"));
    asNobody(["sh", "-c", `printf '{ "compilerOptions": { "paths": { "@babel/parser": ["./evil.js"] } } }\\n' > ${project}/tsconfig.json`]);
    asNobody(["sh", "-c", `printf 'require("node:fs").writeFileSync("${marker}", "x"); export const parse = () => ({}); export const parseExpression = parse;\\n' > ${project}/evil.js`]);
    const bun = join(ROOT, "node_modules/.bin/bun");
    const r = spawnSync(join(pkg, "bin/tsbpf"), ["-c", "/bin/true", "-e", 'tracepoint("syscalls:sys_enter_execve", () => count())'], {
      cwd: "/", env: { PATH: `${join(bun, "..")}:/usr/bin:/bin`, TSBPF_RUNTIME: "bun", HOME: project, NO_COLOR: "1" }, encoding: "utf8", timeout: 60_000,
    });
    assert.equal(existsSync(marker), false, `root imported nobody's module through ${project}/tsconfig.json: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^@: \d+$/m);
  } finally {
    rmSync(project, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});

test("under Deno, bin/tsbpf below a directory anyone can write takes no package.json workspace, nor its deno.json, planted there", { timeout: 120_000 }, () => {
  // Deno looks for a workspace above the config it is given: a package.json whose "workspaces"
  // list tsbpf's directory makes the directory above it the workspace root, and the deno.json
  // there (its import map) applies to tsbpf's own imports. Here in a sticky directory; /tmp
  // itself is one, above every package installed under it.
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-launcher-workspace-"));
  chmodSync(shared, 0o1777);
  const marker = `${shared}-ran`;
  try {
    const project = join(shared, "project"), pkg = join(project, "tsbpf");
    const files = spawnSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).stdout.split("\n").filter((f) => f && !/^(tests|bench|docs|pack|\.ci)\//.test(f));
    for (const f of files) {
      mkdirSync(join(pkg, f, ".."), { recursive: true });
      copyFileSync(join(ROOT, f), join(pkg, f));
    }
    chmodSync(join(pkg, "bin/tsbpf"), 0o755);
    mkdirSync(join(project, "node_modules"));
    symlinkSync(join(ROOT, "node_modules/@babel"), join(project, "node_modules/@babel"));
    writeFileSync(join(project, "package.json"), '{ "name": "p", "private": true, "type": "module" }\n');
    writeFileSync(join(project, "s.ts"), 'console.log("hello");\n');
    asNobody(["sh", "-c", `printf '{ "name": "w", "workspaces": ["project", "project/tsbpf"] }\\n' > ${shared}/package.json`]);
    asNobody(["sh", "-c", `printf '{ "imports": { "@babel/parser": "./evil.js" } }\\n' > ${shared}/deno.json`]);
    asNobody(["sh", "-c", `printf 'Deno.writeTextFileSync("${marker}", "x"); export const parse = () => ({}); export const parseExpression = parse;\\n' > ${shared}/evil.js`]);
    const deno = join(ROOT, "node_modules/.bin/deno");
    // plan imports @babel/parser (compiler/capabilities.ts).
    const r = spawnSync(join(pkg, "bin/tsbpf"), ["plan", "s.ts"], {
      cwd: project, env: { PATH: `${join(deno, "..")}:/usr/bin:/bin`, TSBPF_RUNTIME: "deno", HOME: project, NO_COLOR: "1" }, encoding: "utf8", timeout: 90_000,
    });
    assert.equal(existsSync(marker), false, `root imported nobody's module through ${shared}/package.json and deno.json: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /verdict: it only observes/);
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});
