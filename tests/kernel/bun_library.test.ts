// Bun's bytecode copy of the package's library entries (pack/bun_library.ts), seen from outside:
// a project that installed tsbpf and runs `import "tsbpf"` under Bun loads dist/bun_library.js
// and its .jsc through package.json's "bun" condition, and none of the ES module chunks; the lazy
// part (dist/bun_lazy.js) only with what needs it ("tsbpf/tool" here); a Bun of another revision
// than the packer's, and Deno, load the ES modules and never the bytecode. Which files each opens
// is strace's view (no timing). Whichever runtime runs this file, it checks both: the package is
// built by Bun, as `npm pack` does.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { hasStrace, openedFiles } from "./opened_files.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const BUN = join(ROOT, "node_modules/.bin/bun"), DENO = join(ROOT, "node_modules/.bin/deno");

/** A project with tsbpf installed as npm installs it (package.json and dist/), and @babel/parser beside it. Removed at exit. */
const project = mkdtempSync(join(tmpdir(), "tsbpf-bun-library-"));
const pkg = join(project, "node_modules/tsbpf"), dist = join(pkg, "dist");
// Removed once the tests have run: Deno's test runner runs no process "exit" listeners.
after(() => rmSync(project, { recursive: true, force: true }));
let built = false;
function install(): void {
  if (built) return;
  mkdirSync(pkg, { recursive: true });
  const r = spawnSync(BUN, [join(ROOT, "pack/bundle.ts"), dist], { encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  copyFileSync(join(ROOT, "package.json"), join(pkg, "package.json"));
  copyFileSync(join(ROOT, "bunfig.toml"), join(pkg, "bunfig.toml")); // what `tsbpf run` gives its child's Bun
  symlinkSync(join(ROOT, "node_modules/@babel"), join(project, "node_modules/@babel"));
  symlinkSync(join(ROOT, "node_modules/esbuild"), join(project, "node_modules/esbuild")); // tsbpf build
  writeFileSync(join(project, "package.json"), '{ "name": "uses-tsbpf", "private": true, "type": "module" }\n');
  writeFileSync(join(project, "deno.json"), '{ "nodeModulesDir": "manual" }\n');
  writeFileSync(join(project, "tsconfig.json"), "{}\n");
  built = true;
}

/**
 * A script of the project that imports "tsbpf" (and "tsbpf/tool") and starts a tracer, under
 * strace: what it printed and the files of dist/ it opened. Cold (no cache, so the compiler loads
 * too), or `cached` in a cache of the project's own.
 */
function run(runtime: "bun" | "deno", { broken = false, tool = true, cached = false } = {}): { stdout: string; stderr: string; opened: string[] } {
  const script = join(project, `start_${runtime}${broken ? "_broken" : ""}${tool ? "" : "_alone"}.ts`);
  writeFileSync(script, [
    `import { CompileError, isJsonOutput, pid, RingBuf, setJsonOutput, Tracer, tracepoint, type u32 } from "tsbpf";`,
    tool ? `import { emit } from "tsbpf/tool";` : `const emit = (value: unknown) => console.log(isJsonOutput() ? JSON.stringify(value) : "");`,
    `class Lib extends Tracer {`,
    `  events = new RingBuf<{ pid: u32 }>();`,
    `  @tracepoint("syscalls:sys_enter_getppid")`,
    `  onGetppid() {`,
    broken ? `    this.events.submit({ pid: "not a number" });` : `    this.events.submit({ pid: pid() });`,
    `  }`,
    `}`,
    // One copy of tsbpf: the JSON switch set through "tsbpf" is the one "tsbpf/tool" reads.
    `setJsonOutput(true);`,
    `emit({ shared: true }, () => "two copies");`,
    `try {`,
    `  const t = await new Lib().start({ exitOnError: false });`,
    `  console.log("started");`,
    `  await t.stop();`,
    `} catch (e) {`,
    `  console.log(e instanceof CompileError ? "CompileError at " + /start_\\w+\\.ts:\\d+:\\d+/.exec(String(e.message))?.[0] : "other " + e);`,
    `}`,
  ].join("\n"));
  const command = runtime === "bun" ? [BUN, "run", script] : [DENO, "run", "-A", "--quiet", script];
  const r = openedFiles(command, {
    cwd: project,
    // tests/run.sh sets TSBPF_NO_CACHE=1; empty, the cache is on.
    env: { ...process.env, NO_COLOR: "1", ...(cached ? { XDG_CACHE_HOME: join(project, "cache"), TSBPF_NO_CACHE: "", TSBPF_VERBOSE: "1" } : { TSBPF_NO_CACHE: "1" }) },
  });
  return { stdout: r.stdout.trim(), stderr: r.stderr, opened: r.opened.filter((f) => f.startsWith(`${dist}/`)).map((f) => f.slice(dist.length + 1)) };
}

const skip = !hasStrace && "strace is not installed";

/** The tsbpf command of the installed package on Bun, as bin/tsbpf starts it there, under strace (every process). */
function command(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string; opened: string[] } {
  const r = openedFiles([BUN, `--config=${join(pkg, "bunfig.toml")}`, "--no-env-file", "--no-install", join(dist, "cli_main.bun.js"), ...args], {
    cwd: project,
    env: { ...process.env, NO_COLOR: "1", XDG_CACHE_HOME: join(project, "cache"), TSBPF_NO_CACHE: "", ...env },
  });
  return { ...r, stdout: r.stdout.trim(), opened: r.opened.filter((f) => f.startsWith(`${dist}/`)).map((f) => f.slice(dist.length + 1)) };
}

/** A one-liner with a probe (loaded and attached) that prints from its user-space half and ends (no -c: strace would hold its held command). */
const ONE_LINER = ["-e", 'tracepoint("syscalls:sys_enter_getppid", () => { count(); }); interval(0.2, () => { printf("fired\\n"); exit(); })'];
const esmOf = (opened: string[]) => opened.filter((f) => f.startsWith("chunk-") || /^(mod|tool_mod|cli_main|cli_preload|cli_oneliner_oneliner_runtime)\.js$/.test(f));

test('Bun runs an installed tsbpf from its bytecode library: one copy, and no ES module chunk opened', { skip }, () => {
  install();
  assert.ok(readdirSync(dist).includes("bun_library.js.jsc"), `pack/bundle.ts built no bytecode library: ${readdirSync(dist).filter((f) => !f.startsWith("chunk-")).join(", ")}`);
  const { stdout, stderr, opened } = run("bun");
  assert.equal(stdout, '{"shared":true}\nstarted', stderr);
  assert.ok(opened.includes("bun_library.js.jsc"), `the bytecode was not loaded: ${opened.join(", ")}`);
  assert.ok(opened.includes("bun_compile.js.jsc"), `the cold start did not load the compiler's part: ${opened.join(", ")}`);
  const esm = opened.filter((f) => f.startsWith("chunk-") || f === "mod.js" || f === "tool_mod.js");
  assert.deepEqual(esm, [], "Bun loaded the ES module build beside the bytecode library (two copies of tsbpf)");
  assert.ok(opened.includes("bun_lazy.js.jsc"), `tsbpf/tool did not come from the lazy part: ${opened.join(", ")}`);
});

test("one copy of the compiler: the compile part's, which the lazy part's commands (plan, dump, build) take too; a start that loads the lazy part reads none", { skip }, () => {
  install();
  const compile = readFileSync(join(dist, "bun_compile.js"), "utf8"), lazy = readFileSync(join(dist, "bun_lazy.js"), "utf8");
  for (const text of ["function measureNesting", "function allocate"]) {
    assert.ok(compile.includes(text), `"${text}" is not in the compile part`);
    assert.ok(!lazy.includes(text), `"${text}" is in the lazy part too (a second copy of the compiler, read by every start that loads it)`);
  }
});

test("a warm start of a tracepoint script that imports only tsbpf never opens the lazy part", { skip }, () => {
  install();
  run("bun", { tool: false, cached: true }); // compiles (the lazy part has the compiler's target) and fills the cache
  const { stdout, stderr, opened } = run("bun", { tool: false, cached: true });
  assert.equal(stdout, '{"shared":true}\nstarted', stderr);
  assert.ok(opened.includes("bun_library.js.jsc"), `the bytecode was not loaded: ${opened.join(", ")}`);
  assert.deepEqual(opened.filter((f) => f.startsWith("bun_lazy") || f.startsWith("chunk-")), [], `opened: ${opened.join(", ")}; ${stderr}`);
});

test("a warm start reads only the bytecode it runs: the start graph's seldom modules are in their own part (dist/bun_seldom.js), which it never opens", { skip }, () => {
  install();
  assert.ok(readdirSync(dist).includes("bun_seldom.js.jsc"), `no seldom part: ${readdirSync(dist).filter((f) => f.startsWith("bun_")).join(", ")}`);
  // Text from the code of a few of them (pack/bun_library.ts SELDOM_ROOTS): in that part, not in the start's.
  const start = readFileSync(join(dist, "bun_library.js"), "utf8"), seldom = readFileSync(join(dist, "bun_seldom.js"), "utf8");
  for (const text of ["is not a CIDR prefix", "give the loop a bound the verifier can see", "mmap(perf buffer of CPU"]) {
    assert.ok(seldom.includes(text), `"${text}" is not in the seldom part`);
    assert.ok(!start.includes(text), `"${text}" is still in the start's part`);
  }
  // Those every cold compile runs (a tracepoint's format: COLD_SELDOM_ROOTS) are in the compile part; the check of where
  // @babel/parser is runs only when the lean parser gives up (compiler/parse.ts's prepareParse), so it stays in the seldom one.
  const compile = readFileSync(join(dist, "bun_compile.js"), "utf8");
  assert.ok(compile.includes("cannot read field"), `a tracepoint's format is not in the compile part`);
  assert.ok(!start.includes("cannot read field") && !seldom.includes("cannot read field"), `a tracepoint's format is still in the start's part or the seldom one`);
  assert.ok(seldom.includes("is writable by every user") && !compile.includes("is writable by every user") && !start.includes("is writable by every user"),
    `the check of where @babel/parser is is not in the seldom part alone`);
  run("bun", { tool: false, cached: true }); // fills the cache
  const { stdout, stderr, opened } = run("bun", { tool: false, cached: true });
  assert.equal(stdout, '{"shared":true}\nstarted', stderr);
  assert.deepEqual(opened.filter((f) => f.startsWith("bun_seldom")), [], `opened: ${opened.join(", ")}; ${stderr}`);
});

test("what the seldom part holds works the same from the bytecode build as from the ES modules: an LpmTrieMap's prefixes as text, a PerfBuffer's event, openPinned's error", { skip }, () => {
  install();
  const script = join(project, "seldom.ts");
  writeFileSync(script, [
    `import { LpmTrieMap, openPinned, PerfBuffer, pid, Tracer, tracepoint, type Ipv4Key, type u32 } from "tsbpf";`,
    `import process from "node:process";`,
    `class Seldom extends Tracer {`,
    `  nets = new LpmTrieMap<Ipv4Key, u32>(16);`,
    `  events = new PerfBuffer<{ pid: u32 }>(8192);`,
    `  self: u32 = 0;`,
    // Any system call of this process: the first comes at once on both runtimes.
    `  @tracepoint("raw_syscalls:sys_enter")`,
    `  onSyscall() {`,
    `    if (pid() !== this.self) return;`,
    `    this.events.submit({ pid: pid() });`,
    `  }`,
    `}`,
    `const t = new Seldom();`,
    `t.self = process.pid;`,
    `await t.start({ exitOnError: false });`,
    `t.nets.set("10.1.0.0/16", 7);`,
    `t.nets.set("192.168.7.9", 8);`,
    `console.log(JSON.stringify(t.nets.cidrEntries()), t.nets.get("10.1.2.3"));`,
    `for (const bad of ["10.0.0.0/33", "2001:db8::/32"]) try { t.nets.set(bad, 1); } catch (e) { console.log(String(e)); }`,
    `const got = new Promise<number>((resolve) => t.events.on((e) => resolve(e.pid)));`,
    `console.log((await got) === process.pid);`,
    `await t.stop();`,
    `try { await openPinned("tsbpf-no-such-pin"); } catch (e) { console.log((e as Error).name, (e as Error).message); }`,
  ].join("\n"));
  const outputs = (["bun", "deno"] as const).map((runtime) => {
    const command = runtime === "bun" ? [BUN, "run", script] : [DENO, "run", "-A", "--quiet", script];
    const r = openedFiles(command, { cwd: project, env: { ...process.env, NO_COLOR: "1", TSBPF_NO_CACHE: "1" } });
    return { runtime, ...r, opened: r.opened.filter((f) => f.startsWith(`${dist}/`)).map((f) => f.slice(dist.length + 1)) };
  });
  const [bun, deno] = outputs;
  assert.equal(bun.status, 0, bun.stderr);
  assert.ok(bun.opened.includes("bun_seldom.js.jsc"), `Bun did not take them from the seldom part: ${bun.opened.join(", ")}`);
  assert.match(bun.stdout, /^\[\["10\.1\.0\.0\/16",7\],\["192\.168\.7\.9\/32",8\]\] 7\n.*not a CIDR prefix.*\n.*an IPv6 prefix.*\ntrue\n\w+/, bun.stderr);
  assert.equal(bun.stdout, deno.stdout, `Bun's bytecode and Deno's ES modules differ: ${deno.stderr}`);
});

test("a cold start of a tracepoint script that imports only tsbpf compiles without opening the lazy part or the seldom one", { skip }, () => {
  install();
  const { stdout, stderr, opened } = run("bun", { tool: false });
  assert.equal(stdout, '{"shared":true}\nstarted', stderr);
  assert.ok(opened.includes("bun_compile.js.jsc"), `the compile did not come from its bytecode: ${opened.join(", ")}`);
  // The compiler and its target are in dist/bun_compile.js (not the ES modules' dist/compiler.bun.cjs); the lazy part (other probe kinds, exporters, tsbpf/tool) is ~20x its size,
  // and the command's part (bun_cli.js) is the tsbpf command's. What a cold compile takes of the start graph's seldom modules
  // (a tracepoint's format) is in the compile part: the seldom part's bytes are not read (nor, the lean parser reading the script, where @babel/parser is checked).
  assert.deepEqual(opened.filter((f) => f.startsWith("bun_lazy") || f.startsWith("bun_cli") || f.startsWith("bun_seldom") || f.startsWith("compiler.bun") || f.startsWith("chunk-")), [],
    `opened: ${opened.join(", ")}; ${stderr}`);
});

test("a compile error from the bytecode library is tsbpf's CompileError, at the user's line", { skip }, () => {
  install();
  const { stdout, stderr } = run("bun", { broken: true });
  // The decorators find the user's file on the stack (runtime/own_files.ts's root is dist/'s parent here too).
  assert.equal(stdout, '{"shared":true}\nCompileError at start_bun_broken.ts:7:31', stderr);
});

test("Deno runs the ES modules of the same installed package and never opens the bytecode library", { skip }, () => {
  install();
  const { stdout, stderr, opened } = run("deno");
  assert.equal(stdout, '{"shared":true}\nstarted', stderr);
  assert.ok(opened.includes("mod.js"), `Deno did not load dist/mod.js: ${opened.join(", ")}`);
  assert.deepEqual(opened.filter((f) => f.includes(".bun.") || f.startsWith("bun_library")), []);
});

test("under a Bun of another revision (which would ignore the .jsc) the entries take the ES modules, still one copy", { skip }, () => {
  install();
  // As a package packed by another Bun: the entries name the revision that made the bytecode.
  const entries = readdirSync(dist).filter((f) => f.endsWith(".bun.js"));
  assert.ok(entries.includes("mod.bun.js"), `no entries: ${entries.join(", ")}`);
  const original = new Map(entries.map((f) => [f, readFileSync(join(dist, f), "utf8")]));
  try {
    for (const [f, text] of original) {
      assert.match(text, /Bun\.revision === "[0-9a-f]{40}"/, `${f} names no revision`);
      writeFileSync(join(dist, f), text.replace(/Bun\.revision === "[0-9a-f]{40}"/, `Bun.revision === "${"0".repeat(40)}"`));
    }
    const { stdout, stderr, opened } = run("bun");
    assert.equal(stdout, '{"shared":true}\nstarted', stderr);
    assert.ok(opened.includes("mod.js") && opened.includes("tool_mod.js"), `the ES modules were not loaded: ${opened.join(", ")}`);
    assert.deepEqual(opened.filter((f) => f.startsWith("bun_l")), []);
    // The command too: its entry takes the ES modules, and so does the one-liner it runs.
    const cli = command(ONE_LINER, { TSBPF_NO_CACHE: "1" });
    assert.match(cli.stdout, /^fired$/m, cli.stderr);
    assert.ok(cli.opened.includes("cli_main.js") && cli.opened.includes("mod.js"), `the command did not take the ES modules: ${cli.opened.join(", ")}`);
    assert.deepEqual(cli.opened.filter((f) => f.startsWith("bun_")), []);
  } finally {
    for (const [f, text] of original) writeFileSync(join(dist, f), text);
  }
});

test("the tsbpf command on Bun runs a one-liner from the bytecode build, cold and warm: one copy, no ES module chunk", { skip }, () => {
  install();
  for (const [run, env] of [["cold", { TSBPF_NO_CACHE: "1" }], ["first", {}], ["warm", {}]] as const) {
    const { status, stdout, stderr, opened } = command(ONE_LINER, env);
    assert.equal(status, 0, `${run}: ${stderr}`);
    assert.match(stdout, /^fired$/m, `${run}: ${stderr}`);
    assert.ok(opened.includes("bun_library.js.jsc") && opened.includes("bun_cli.js.jsc"), `${run}: the bytecode was not loaded: ${opened.join(", ")}`);
    assert.deepEqual(esmOf(opened), [], `${run}: the command loaded the ES module build beside the bytecode (two copies of tsbpf)`);
    // A kept script needs neither the transform nor the compiler.
    // Nor `tsbpf run`'s supervisor (its own part).
    if (run === "warm") assert.deepEqual(opened.filter((f) => f.startsWith("bun_lazy") || f.startsWith("bun_seldom") || f.startsWith("bun_oneliner") || f.startsWith("bun_run") || f.startsWith("compiler")), [], `warm: ${opened.join(", ")}`);
    // The transform is in its own part: a one-liner of tracepoints does not load the lazy part (other probe kinds, exporters, tsbpf/tool, ~20x its size).
    else assert.deepEqual(opened.filter((f) => f.startsWith("bun_lazy")), [], `${run}: ${opened.join(", ")}`);
  }
});

test("the command's part holds what a one-liner runs, not tsbpf run's supervisor: that is in its own part (dist/bun_run.js)", { skip }, () => {
  install();
  assert.ok(readdirSync(dist).includes("bun_run.js.jsc"), `no part of tsbpf run's own: ${readdirSync(dist).filter((f) => f.startsWith("bun_")).join(", ")}`);
  const cli = readFileSync(join(dist, "bun_cli.js"), "utf8"), run = readFileSync(join(dist, "bun_run.js"), "utf8");
  // Text from cli/commands/run.ts and cli/child_runtime.ts (pack/bun_library.ts RUN_ROOTS).
  for (const text of ["is a directory, not a script: give the .ts file to run", "resolve.bun.tsconfig.json"]) {
    assert.ok(run.includes(text), `"${text}" is not in tsbpf run's part`);
    assert.ok(!cli.includes(text), `"${text}" is still in the command's part`);
  }
});

test("tsbpf run on Bun gives the script the command's bytecode copy of tsbpf, with the session the preload started", { skip }, () => {
  install();
  const script = join(project, "session_run.ts");
  writeFileSync(script, [
    `import { isJsonOutput, Tracer } from "tsbpf";`,
    `import { cliOptions } from "tsbpf/cli";`,
    // --json reaches the script only if its tsbpf is the copy the preload set it in (-d goes through globalThis).
    `console.log(JSON.stringify({ json: isJsonOutput(), duration: cliOptions.durationMs, tracer: typeof Tracer }));`,
  ].join("\n"));
  const { status, stdout, stderr, opened } = command(["run", "--json", "-d", "7s", script]);
  assert.equal(status, 0, stderr);
  assert.equal(stdout, '{"json":true,"duration":7000,"tracer":"function"}', stderr);
  assert.ok(opened.includes("cli_preload.bun.js") && opened.includes("mod.bun.js"), `the child took another copy: ${opened.join(", ")}`);
  assert.deepEqual(esmOf(opened), [], "the supervisor or the script loaded the ES module build (two copies of tsbpf)");
  // The session (the link to the supervisor, -d's timer) is in the command's part; the lazy part is for other work.
  assert.deepEqual(opened.filter((f) => f.startsWith("bun_lazy")), [], `opened: ${opened.join(", ")}`);
});

test("tsbpf build from the bytecode command writes a bundle that runs (the builder's own code that names import.meta in text is kept)", { skip }, () => {
  install();
  const script = join(project, "built.ts");
  writeFileSync(script, [
    `import { Count, Tracer, tracepoint } from "tsbpf";`,
    `class Built extends Tracer {`,
    `  calls = new Count();`,
    `  @tracepoint("syscalls:sys_enter_getppid")`,
    `  on() { this.calls.add(); }`,
    `}`,
    `const t = await new Built().start({ reportLoss: false });`,
    `t.end = () => {};`,
    `console.log("bundle started");`,
    `await t.stop();`,
  ].join("\n"));
  // tsbpf build bundles the package's sources, which npm installs beside dist/.
  for (const d of ["mod.ts", "kernel.ts", "runtime", "tracer", "spec", "lang", "compiler", "probes", "btf", "elf", "build", "cli", "tool", "export"]) {
    cpSync(join(ROOT, d), join(pkg, d), { recursive: true });
  }
  const out = join(project, "built.bundle.js");
  const built = command(["build", script, "-o", out]);
  assert.equal(built.status, 0, built.stderr);
  assert.ok(built.opened.includes("bun_library.js.jsc"), `the command did not run from the bytecode: ${built.opened.join(", ")}`);
  const r = spawnSync(BUN, [out], { cwd: project, encoding: "utf8", timeout: 60_000, env: { ...process.env, TSBPF_NO_CACHE: "1" } });
  assert.equal(r.stdout.trim(), "bundle started", r.stderr);
});
