// tsbpf imports @babel/parser (plan, dump, the compiler's fallback) and esbuild (build) by their
// bare names, and runs esbuild's binary. runtime/package_place.ts and `tsbpf build` check where
// each package was found: its node_modules and the package's own directory. But what runs is a
// file further down (@babel/parser/lib/index.js, @esbuild/linux-x64/bin/esbuild), and a
// directory there that another user can write (a team's group, here nogroup) let them replace
// that file: root ran it. Here a directory inside the package is group-writable by nobody's
// group, every directory the old checks looked at is root's and private, and nobody swaps the file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import process from "node:process";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, ROOT } from "./attacker.ts";
import { copyPackage, runCopy } from "./package_copy.ts";

const NOGROUP = 65534;


/** `dir` made writable by nobody's group, as a team's shared directory is by its group. */
function groupWritable(dir: string): void {
  chownSync(dir, 0, NOGROUP);
  chmodSync(dir, 0o775);
}

test("tsbpf plan does not import @babel/parser's file from a directory of the package another user can write", { timeout: 120_000 }, () => {
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-babel-files-"));
  chmodSync(shared, 0o755);
  const marker = `${shared}-ran`;
  try {
    const project = join(shared, "project");
    const pkg = copyPackage(project, { babel: false });
    const parser = join(pkg, "node_modules/@babel/parser");
    cpSync(join(ROOT, "node_modules/@babel/parser"), parser, { recursive: true });
    groupWritable(join(parser, "lib"));
    asNobody(["sh", "-c", `rm -f ${parser}/lib/index.js && printf 'import { writeFileSync } from "node:fs";\\nwriteFileSync("${marker}", "x");\\nexport function parse() { throw new Error("nobody"); }\\n' > ${parser}/lib/index.js`]);
    const r = runCopy(pkg, project, ["plan", "s.ts"]);
    assert.equal(existsSync(marker), false, `root imported nobody's ${parser}/lib/index.js: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /@babel\/parser.*\/lib.*writable by its group/s);
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});

test("tsbpf plan takes @babel/parser from a clone whose own directory its group can write as well (umask 002)", { timeout: 120_000 }, () => {
  // That group can change tsbpf itself: its node_modules trusts no one more, and is not refused.
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-babel-umask-"));
  chmodSync(shared, 0o755);
  try {
    const project = join(shared, "project");
    const pkg = copyPackage(project, { babel: false });
    const parser = join(pkg, "node_modules/@babel/parser");
    cpSync(join(ROOT, "node_modules/@babel/parser"), parser, { recursive: true });
    for (const dir of [pkg, join(pkg, "node_modules"), join(pkg, "node_modules/@babel"), parser, join(parser, "lib")]) groupWritable(dir);
    const r = runCopy(pkg, project, ["plan", "s.ts"]);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /verdict/);
  } finally {
    rmSync(shared, { recursive: true, force: true });
  }
});

test("tsbpf plan does not import a @babel/parser another user linked to their own directory from a node_modules above tsbpf", { timeout: 120_000 }, () => {
  // The check looked at the file as resolved, which the runtimes give with links resolved: a
  // link to nobody's directory resolved to a path with no node_modules/@babel/parser in it,
  // which the check took for a runtime's own package cache and let through.
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-babel-link-"));
  chmodSync(shared, 0o1777); // like /tmp
  const marker = `${shared}-ran`;
  try {
    const project = join(shared, "project");
    const pkg = copyPackage(project, { babel: false });
    const evil = join(shared, "evil");
    asNobody(["mkdir", "-p", evil, join(shared, "node_modules/@babel")]);
    asNobody(["ln", "-s", evil, join(shared, "node_modules/@babel/parser")]);
    asNobody(["sh", "-c", `printf '{ "name": "@babel/parser", "type": "module", "main": "index.js" }\\n' > ${evil}/package.json`]);
    asNobody(["sh", "-c", `printf 'import { writeFileSync } from "node:fs";\\nwriteFileSync("${marker}", "x");\\nexport function parse() { throw new Error("nobody"); }\\n' > ${evil}/index.js`]);
    const r = runCopy(pkg, project, ["plan", "s.ts"]);
    assert.equal(existsSync(marker), false, `root imported nobody's ${evil}/index.js: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /@babel\/parser.*owned by uid 65534/s);
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});

test("tsbpf build does not run esbuild's binary from a directory of its package another user can write", { timeout: 120_000 }, () => {
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-esbuild-files-"));
  chmodSync(shared, 0o755);
  const marker = `${shared}-ran`;
  try {
    const project = join(shared, "project");
    const pkg = copyPackage(project, { babel: false });
    cpSync(join(ROOT, "node_modules/@babel"), join(pkg, "node_modules/@babel"), { recursive: true });
    const esbuild = join(pkg, "node_modules/esbuild");
    mkdirSync(join(esbuild, "lib"), { recursive: true });
    copyFileSync(join(ROOT, "node_modules/esbuild/package.json"), join(esbuild, "package.json"));
    cpSync(join(ROOT, "node_modules/esbuild/lib"), join(esbuild, "lib"), { recursive: true });
    const platform = join(pkg, `node_modules/@esbuild/linux-${process.arch}`);
    mkdirSync(join(platform, "bin"), { recursive: true });
    copyFileSync(join(ROOT, `node_modules/@esbuild/linux-${process.arch}/package.json`), join(platform, "package.json"));
    groupWritable(join(platform, "bin"));
    asNobody(["sh", "-c", `printf '#!/bin/sh\\necho x > ${marker}\\n' > ${platform}/bin/esbuild && chmod 755 ${platform}/bin/esbuild`]);
    const r = runCopy(pkg, project, ["build", "s.ts", "-o", "s.bundle.js"]);
    assert.equal(existsSync(marker), false, `root ran nobody's ${platform}/bin/esbuild: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /esbuild.*\/bin.*writable by its group/s);
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});
