// The npm package's bytecode build of the compiler (pack/bytecode.ts, tracer/compiler_module.ts),
// seen from outside: which files a cold start opens (strace, the kernel's view; no timing). On
// Bun it loads dist/compiler.bun.cjs and its .jsc and not the ES module compiler; on Deno it loads
// neither; a .jsc Bun cannot use changes nothing but speed; no .jsc is opened from outside dist/.
// Whichever runtime runs this file, it checks both: the package is built by Bun, as `npm pack` does.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { bundle } from "../../build/bundle.ts";
import { hasStrace, openedFiles } from "./opened_files.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const BUN = join(ROOT, "node_modules/.bin/bun"), DENO = join(ROOT, "node_modules/.bin/deno");

/** A package root of its own: dist/ as `npm pack` builds it, @babel/parser beside it. Removed at exit. */
const pkg = mkdtempSync(join(tmpdir(), "tsbpf-bytecode-"));
const dist = join(pkg, "dist");
// Removed once the tests have run: Deno's test runner runs no process "exit" listeners.
after(() => rmSync(pkg, { recursive: true, force: true }));
let built = false;
function buildPackage(): void {
  if (built) return;
  const r = spawnSync(BUN, [join(ROOT, "pack/bundle.ts"), dist], { encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules"));
  built = true;
}

/**
 * A script with one tracer, run cold (no cache) from `cwd`, under strace: its output and the
 * files it opened. The tracer's handler has a type error when `broken` (a CompileError to catch).
 */
function coldStart(runtime: "bun" | "deno", cwd: string, broken = false): { stdout: string; stderr: string; opened: string[] } {
  const script = join(cwd, `start_${runtime}.ts`);
  writeFileSync(script, [
    `import { CompileError, pid, RingBuf, Tracer, tracepoint, type u32 } from ${JSON.stringify(join(dist, "mod.js"))};`,
    `class Cold extends Tracer {`,
    `  events = new RingBuf<{ pid: u32 }>();`,
    `  @tracepoint("syscalls:sys_enter_getppid")`,
    `  onGetppid() {`,
    broken ? `    this.events.submit({ pid: "not a number" });` : `    this.events.submit({ pid: pid() });`,
    `  }`,
    `}`,
    `try {`,
    `  const t = await new Cold().start({ exitOnError: false });`,
    `  console.log("started");`,
    `  await t.stop();`,
    `} catch (e) {`,
    `  console.log(e instanceof CompileError ? "CompileError " + /start_\\w+\\.ts:\\d+:\\d+/.test(String(e.message)) : "other " + e);`,
    `}`,
  ].join("\n"));
  const command = runtime === "bun" ? [BUN, script] : [DENO, "run", "-A", "--quiet", script];
  const r = openedFiles(command, { cwd, env: { ...process.env, TSBPF_NO_CACHE: "1", NO_COLOR: "1" } });
  return { stdout: r.stdout.trim(), stderr: r.stderr, opened: r.opened };
}

/** The dist/ chunks among `opened` that hold the ES module build of the compiler. */
function esmCompilerChunks(opened: string[]): string[] {
  return opened.filter((f) => f.startsWith(`${dist}/`) && f.endsWith(".js") && readFileSync(f, "utf8").includes("function measureNesting("));
}

const skip = !hasStrace && "strace is not installed";

test("the package's cold start on Bun loads the bytecode compiler from its dist/, not the ES module one", { skip, timeout: 180_000 }, () => {
  buildPackage();
  assert.ok(readdirSync(dist).includes("compiler.bun.cjs.jsc"), `pack/bundle.ts built no bytecode compiler: ${readdirSync(dist).filter((f) => !f.startsWith("chunk-")).join(", ")}`);
  // Run from a directory that holds a planted bytecode compiler: the package never looks there.
  const elsewhere = join(pkg, "elsewhere");
  mkdirSync(join(elsewhere, "dist"), { recursive: true });
  for (const f of ["compiler.bun.cjs", "compiler.bun.cjs.jsc", "dist/compiler.bun.cjs", "dist/compiler.bun.cjs.jsc"]) writeFileSync(join(elsewhere, f), "throw new Error('planted');\n");
  const { stdout, stderr, opened } = coldStart("bun", elsewhere);
  assert.equal(stdout, "started", stderr);
  assert.ok(opened.includes(join(dist, "compiler.bun.cjs.jsc")), `the bytecode was not loaded: ${opened.filter((f) => f.startsWith(dist)).join(", ")}`);
  assert.deepEqual(esmCompilerChunks(opened), [], "the ES module compiler was loaded too");
  const foreign = opened.filter((f) => /\.(jsc|cjs)$/.test(f) && !f.startsWith(`${dist}/`));
  assert.deepEqual(foreign, [], "opened a compiler outside the package's dist/");
});

/** The package's `tsbpf -e TEXT --emit` (the transform alone), run cold under strace: its output and the files it opened. */
function coldOneLiner(text: string): { status: number | null; stdout: string; stderr: string; opened: string[] } {
  return openedFiles([BUN, join(dist, "cli_main.js"), "-e", text, "--emit"], { cwd: pkg, env: { ...process.env, TSBPF_NO_CACHE: "1", NO_COLOR: "1" } });
}

test("the package's cold one-liner on Bun parses with the bytecode compiler, which its compile loads next, not an ES module parser", { skip }, () => {
  // Issue 20: the ES module copy of the parser cost a cold one-liner its load and a cold first parse.
  buildPackage();
  const ok = coldOneLiner(`tracepoint("syscalls:sys_enter_getppid", () => count())`);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /class OneLiner extends Tracer/);
  assert.ok(ok.opened.includes(join(dist, "compiler.bun.cjs")), "the bytecode compiler was not loaded");
  assert.deepEqual(esmCompilerChunks(ok.opened), [], "the ES module parser was loaded");
  // Its syntax errors are tsbpf's CompileError (one class), at their place in the one-liner.
  const bad = coldOneLiner(`tracepoint("syscalls:sys_enter_getppid", () => count(]))`);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /-e:1:\d+: error/, bad.stderr);
});

test("the bytecode compiler shares tsbpf's classes: a compile error is tsbpf's CompileError, with its position", { skip }, () => {
  buildPackage();
  const { stdout, stderr, opened } = coldStart("bun", pkg, true);
  assert.ok(opened.includes(join(dist, "compiler.bun.cjs")), "the bytecode compiler was not loaded");
  assert.equal(stdout, "CompileError true", stderr);
});

test("a .jsc that Bun cannot use (a changed header, changed bytes) changes nothing but speed: Bun reads the .cjs", { skip }, () => {
  buildPackage();
  const jsc = join(dist, "compiler.bun.cjs.jsc");
  const good = readFileSync(jsc);
  try {
    const damaged = Uint8Array.from(good);
    // Its header (where Bun tells a .jsc of its own version from another's) and bytes throughout.
    damaged[0] ^= 0xff;
    for (let i = 4096; i < damaged.length; i += 997) damaged[i] ^= 0x5a;
    writeFileSync(jsc, damaged);
    const { stdout, stderr, opened } = coldStart("bun", pkg);
    assert.ok(opened.includes(join(dist, "compiler.bun.cjs")), "the bytecode compiler was not loaded");
    assert.equal(stdout, "started");
    assert.equal(stderr.trim(), "", "Bun said something about the .jsc");
  } finally {
    writeFileSync(jsc, good);
  }
});

test("the package on Deno compiles with the ES module compiler and opens no bytecode", { skip }, () => {
  buildPackage();
  const { stdout, stderr, opened } = coldStart("deno", pkg);
  assert.equal(stdout, "started", stderr);
  assert.deepEqual(opened.filter((f) => /\.(jsc|cjs)$/.test(f)), []);
  assert.ok(esmCompilerChunks(opened).length > 0, "the compiler was not loaded from dist/ (cached?)");
});

test("a bundle of `tsbpf build` never looks for a bytecode compiler beside it: only the package's own build names one", async () => {
  const out = join(pkg, "first_exec.bundle.js");
  await bundle(join(ROOT, "tests/fixtures/first_exec.ts"), out);
  const code = readFileSync(out, "utf8");
  assert.match(code, /function bytecodeCompiler\(/, "tracer/compiler_module.ts is not in the bundle: this test checks nothing");
  assert.ok(!code.includes("compiler.bun.cjs"), "the bundle names the package's bytecode compiler");
});

test("a bundle made from the package by another bundler, run from a directory anyone can write, imports no compiler.bun.cjs planted beside it", { timeout: 180_000 }, () => {
  // `bun build app.ts` of a project that imports the package copies dist/'s code, whose
  // new URL("./compiler.bun.cjs", import.meta.url) then names a file beside the new bundle.
  buildPackage();
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-bytecode-"));
  chmodSync(shared, 0o1777); // like /tmp
  const marker = `${shared}-ran`;
  try {
    const app = join(pkg, "app.ts");
    writeFileSync(app, [
      `import { Count, Tracer, tracepoint, type u64 } from ${JSON.stringify(join(dist, "mod.js"))};`,
      `class T extends Tracer {`,
      `  n = new Count<u64>();`,
      `  @tracepoint("syscalls:sys_enter_getppid") on() { this.n.add(1n); }`,
      `}`,
      `try {`,
      `  const t = await new T().start({ exitOnError: false });`,
      `  console.log("started");`,
      `  await t.stop();`,
      `} catch (e) {`,
      `  console.log("not started: " + (e as Error).message);`,
      `}`,
    ].join("\n"));
    const tool = join(shared, "tool.js");
    const built = spawnSync(BUN, ["build", app, "--target", "bun", "--outfile", tool], { cwd: pkg, encoding: "utf8", timeout: 60_000 });
    assert.equal(built.status, 0, built.stderr);
    assert.ok(readFileSync(tool, "utf8").includes("compiler.bun.cjs"), "the bundle does not name the bytecode compiler: this test checks nothing");
    spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh", "-c",
      `printf 'module.exports = function () { require("fs").writeFileSync("${marker}", "x"); throw new Error("nobody"); };\\n' > ${shared}/compiler.bun.cjs`]);
    assert.ok(existsSync(join(shared, "compiler.bun.cjs")), "nobody could not plant the file");
    const r = spawnSync(BUN, [tool], { cwd: "/", encoding: "utf8", timeout: 60_000, env: { ...process.env, TSBPF_NO_CACHE: "1", NO_COLOR: "1" } });
    assert.equal(existsSync(marker), false, `root imported nobody's ${shared}/compiler.bun.cjs: ${r.stdout}${r.stderr}`);
    // (Whether it starts is another matter: the compiler reads the tracer's class from the whole
    // bundle, which holds tsbpf's own classes too.) It got as far as compiling, with tsbpf's compiler.
    assert.match(r.stdout, /^(started|not started: (?!nobody))/, r.stderr);
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});
