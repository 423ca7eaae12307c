// `tsbpf plan` never says less than the script does: a gist that hides tracers (imported, in a
// block, in an if, as a class expression) and does things as root (writes files, spawns a shell,
// imports a module named at run time, evals) gets each of them reported, and no "it only
// observes". The AST scan is also checked unit by unit on each way user space can act.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { join } from "node:path";
import { scanModule } from "../../compiler/capabilities.ts";
import { followModules } from "../../cli/commands/plan_modules.ts";
import { runCommand } from "../kernel/util.ts";
import { repositoryFiles } from "../unit/parser_corpus.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const GIST = join(ROOT, "tests/security/fixtures/hides/gist.ts");
declare const Deno: unknown;

async function plan(file: string): Promise<string> {
  const run = runCommand(process.execPath, [...(typeof Deno === "undefined" ? ["run"] : ["run", "-A"]), join(ROOT, "cli/main.ts"), "plan", file]);
  const status = await run.exited;
  assert.equal(status, 0, run.output());
  return run.output();
}

test("plan of a gist that hides things reports each of them", { timeout: 60000 }, async () => {
  const out = await plan(GIST);
  // Every tracer it can start, with its probes: the kernel half compiled for each.
  for (const [name, probe] of [["Opens", "syscalls:sys_enter_openat"], ["Hidden", "sched:sched_process_fork"], ["Conditional", "sched:sched_process_exit"], ["Anonymous", "syscalls:sys_enter_kill"], ["Helper", "syscalls:sys_enter_execve"]]) {
    assert.match(out, new RegExp(`^${name} \\(`, "m"), `tracer ${name} not planned:\n${out}`);
    assert.match(out, new RegExp(`tracepoint ${probe} {2}→`), `probe ${probe} of ${name} not shown`);
  }
  assert.match(out, /Hidden at .*gist\.ts:20:3 \(inside a block\)/);
  assert.match(out, /Conditional at .*gist\.ts:32:3 \(inside a condition/);
  assert.match(out, /Anonymous at .*gist\.ts:43:19 \(a class expression\)/);
  assert.match(out, /Helper at .*helper\.ts:4:8/);
  assert.match(out, /writes files:\n    node:fs writeFileSync at .*gist\.ts:4:1/);
  assert.match(out, /spawns processes:\n(    .*\n)*    node:child_process execSync at .*gist\.ts:56:1/);
  assert.match(out, /cannot vouch for:\n(  .*\n)*  import\(\) of a module named at run time: import\(name\) at .*gist\.ts:58:7/);
  assert.match(out, /  eval: eval\("1 \+ 1"\) at .*gist\.ts:59:1/);
  assert.doesNotMatch(out, /it only observes/);
  assert.match(out, /^verdict: NOT shown to only observe/m);
});

test("plan of an example that only traces and prints says it only observes", { timeout: 60000 }, async () => {
  const out = await plan(join(ROOT, "examples/execsnoop.ts"));
  assert.match(out, /^verdict: it only observes$/m);
  // Its helpers come from tsbpf/tool, tsbpf's own public API, which only observes.
  assert.match(out, /user space \(runs as root\):\n  nothing beyond tracing and printing/);
  assert.doesNotMatch(out, /cannot vouch for/);
});

/** The kinds and names the scan reports for one snippet. */
function found(source: string): string[] {
  return scanModule(source).capabilities.map((c) => `${c.kind}: ${c.what}`);
}

const CASES: [string, string, RegExp][] = [
  ["Deno.writeFile", `await Deno.writeTextFile("/etc/x", "y");`, /^writes files: Deno\.writeTextFile$/],
  ["Bun.write", `await Bun.write("/etc/x", "y");`, /^writes files: Bun\.write$/],
  ["tsbpf's writePprof", `import { writePprof } from "tsbpf"; await writePprof(t.stacks, "/etc/x");`, /^writes files: tsbpf writePprof$/],
  ["a metrics server", `await t.start({ metrics: "0.0.0.0:9435" });`, /^network: start\(\{ metrics \}\): serves the tracer's maps over HTTP/],
  ["an OTLP export", `await t.start({ exitOnError: false, otlp: { endpoint: "http://x:4318" } });`, /^network: start\(\{ otlp \}\): sends the tracer's maps to a collector/],
  ["a tracer pinned with start({ pin })", `await t.start({ pin: "opens" });`, /^outlives the tracer: start\(\{ pin \}\): its probes stay attached and its maps stay after the process ends: pin: "opens"$/],
  ["a pinned map", `import { HashMap } from "tsbpf"; class T { conns = new HashMap(1024, { pin: "conns" }); }`, /^outlives the tracer: a map pinned in \/sys\/fs\/bpf\/tsbpf \(it stays after the tracer ends, and later tracers share it\): pin: "conns"$/],
  ["tsbpf's openPinned", `import { openPinned } from "tsbpf"; const p = await openPinned("opens");`, /^outlives the tracer: tsbpf openPinned$/],
  ["a pinned linear histogram", `import * as t from "tsbpf"; const h = new t.LinearHistogram(0, 100, 10, 64, { pin: "h" });`, /^outlives the tracer: a map pinned/],
  ["map options plan cannot read", `import { Count } from "tsbpf"; const c = new Count(64, options);`, /^unknown: map options plan cannot read \(a pin would outlive the tracer\): new Count\(64, options\)$/],
  ["fs/promises", `import { appendFile } from "node:fs/promises";`, /^writes files: node:fs\/promises appendFile$/],
  ["namespace fs", `import * as fs from "fs"; fs.rmSync("/x");`, /^writes files: fs rmSync$/],
  ["reading other files", `import { readFileSync } from "node:fs"; readFileSync("/etc/shadow");`, /^reads files: node:fs readFileSync$/],
  ["Deno.Command", `new Deno.Command("sh", { args: ["-c", "id"] }).spawn();`, /^spawns processes: Deno\.Command$/],
  ["Bun.spawn", `Bun.spawn(["sh"]);`, /^spawns processes: Bun\.spawn$/],
  ["Bun's $", `import { $ } from "bun"; await $\`id\`;`, /^spawns processes: bun \$$/],
  ["fetch", `await fetch("https://example.com/" + secret);`, /^network: fetch$/],
  ["node:net", `import { createConnection } from "node:net";`, /^network: node:net createConnection$/],
  ["Deno.connect", `await Deno.connect({ port: 1 });`, /^network: Deno\.connect$/],
  ["WebSocket", `new WebSocket("ws://x");`, /^network: WebSocket$/],
  ["bun:ffi", `import { dlopen } from "bun:ffi";`, /^native code \(FFI\): bun:ffi dlopen$/],
  ["Deno.dlopen", `Deno.dlopen("libc.so.6", {});`, /^native code \(FFI\): Deno\.dlopen$/],
  ["process.env", `const h = process.env.HOME;`, /^environment: process\.env$/],
  ["Deno.env", `Deno.env.get("HOME");`, /^environment: Deno\.env$/],
  ["process.kill", `process.kill(1, "SIGKILL");`, /^signals: process\.kill$/],
  ["new Function", `new Function("return 1")();`, /^unknown: code built from a string/],
  ["require of a computed name", `require("child_" + "process");`, /^unknown: import\(\) of a module named at run time/],
  ["require of a literal", `require("child_process").execSync("id");`, /^spawns processes: child_process$/],
  ["a literal dynamic import", `await import("node:child_process");`, /^spawns processes: node:child_process$/],
  ["a computed global", `globalThis["De" + "no"].exit(0);`, /^unknown: a computed global/],
  ["Deno as a value", `const d = Deno; d.writeTextFileSync("/x", "");`, /^unknown: Deno passed around as a value/],
  ["a computed member of Deno", `Deno["run"]({ cmd: ["sh"] });`, /^spawns processes: Deno\.run$/],
  ["getBuiltinModule", `process.getBuiltinModule("child_process");`, /^spawns processes: child_process$/],
  ["a package plan does not review", `import x from "left-pad";`, /^unknown: left-pad \(a package/],
  ["a Worker", `new Worker(new URL("./w.ts", import.meta.url));`, /^unknown: Worker$/],
  ["node:vm", `import vm from "node:vm";`, /^unknown: node:vm$/],
  ["a decorator applied by hand", `import { tracepoint } from "tsbpf"; tracepoint("sched:sched_switch")(f, ctx);`, /^unknown: a probe decorator called as a function/],
  ["Function reached through .constructor", `[].constructor.constructor("return 1")();`, /^unknown: \.constructor/],
  ["setTimeout with a string", `setTimeout("globalThis.x = 1", 0);`, /^unknown: setTimeout with something other than a function/],
  ["setTimeout with a name bound to a string", `const later = "x()"; setTimeout(later, 1);`, /^unknown: setTimeout with "later"/],
  ["setTimeout with a name bound twice", `new Promise((r) => setTimeout(r, 1)); let r = "x()"; setTimeout(r, 1);`, /^unknown: setTimeout with "r"/],
  ["process imported as { default as p }", `import { default as p } from "node:process"; p.dlopen({}, "x.so");`, /^native code \(FFI\): process\.dlopen$/],
  ["a decorator applied by hand through a namespace", `import * as t from "tsbpf"; t.kprobe("x")(f, ctx);`, /^unknown: a probe decorator called as a function/],
  ["os.setPriority (renices any process as root)", `import * as os from "node:os"; os.setPriority(1, 19); os.cpus();`, /^changes processes: node:os setPriority$/],
  ["an unknown Deno member", `Deno.someFutureApi();`, /^unknown: Deno\.someFutureApi \(not a member/],
];

for (const [name, source, expected] of CASES) {
  test(`the scan reports ${name}`, () => {
    const got = found(source);
    assert.ok(got.some((g) => expected.test(g)), `${source}\n  gave: ${JSON.stringify(got)}`);
  });
}

test("the scan stays quiet on what only traces and prints", () => {
  const got = found(`import { parseArgs } from "node:util"; import process from "node:process";
    const { values } = parseArgs({ args: process.argv.slice(2), options: {} });
    console.log(values, process.pid, typeof Deno === "undefined"); process.on("SIGINT", () => process.exit(0));
    const fetchCount = 1; const o = { fetch: 1 }; o.fetch;
    await new Promise((resolve) => setTimeout(resolve, 10)); const tick = () => 1; setInterval(tick, 5);`);
  assert.deepEqual(got, []);
});

test("tracer classes are found wherever they are declared", () => {
  const { tracers } = scanModule(`import { Tracer as T, tracepoint } from "tsbpf";
    function f() { for (;;) { class A extends T { @tracepoint("a:b") h() {} } } }
    const B = cond ? class extends T {} : null;
    try { class C { @tracepoint("c:d") h() {} } } catch {}`);
  assert.deepEqual(tracers.map((t) => [t.name, t.nested]), [
    ["A", "inside a for statement, inside function f"],
    ["B", "a class expression, inside a condition (started only on some paths)"],
    ["C", "inside a try statement"],
  ]);
});

test("a tracer class extending another of the file is found even with no probe of its own: its overrides change what the inherited handlers run", () => {
  const { tracers } = scanModule(`import { Tracer, tracepoint } from "tsbpf";
    class Base extends Tracer { note() {} @tracepoint("a:b") h() { this.note(); } }
    class Mid extends Base { override note() {} }
    class Leaf extends Mid {}
    class Plain { note() {} }
    class NotTracer extends Plain {}`);
  assert.deepEqual(tracers.map((t) => t.name), ["Base", "Mid", "Leaf"]);
});

test("importing tsbpf's internals by path is reported, not trusted as tsbpf", () => {
  const [m] = followModules(join(ROOT, "tests/security/fixtures/hides/internals.ts"));
  const got = m.scan!.capabilities.map((c) => `${c.kind}: ${c.what} at ${c.line}`);
  assert.ok(got.includes("native code (FFI): tsbpf's runtime/ffi/mod.ts libc (its result is used: libc calls) at 3"), JSON.stringify(got));
  assert.ok(got.some((g) => /^unknown: tsbpf's internal module runtime\/bpf\.ts progIds .* at 4$/.test(g)), JSON.stringify(got));
});

test("the scan reads every TypeScript file of this repository without failing", { timeout: 300000 }, async () => {
  // Not a recursive readdir of the root: that walks .cache/vm, whose runs the VM lane removes beside it.
  const files = repositoryFiles();
  assert.ok(files.length > 100, `${files.length} files`);
  for (const { name, text } of files) assert.ok(Array.isArray(scanModule(text).capabilities), name);
});

test("plan of a tracer that pins a map says it outlives the tracer, not that it only observes", { timeout: 60000 }, async () => {
  const out = await plan(join(ROOT, "tests/security/fixtures/pins/pinned_map.ts"));
  assert.match(out, /outlives the tracer:\n    a map pinned in \/sys\/fs\/bpf\/tsbpf .*: pin: "opens" at .*pinned_map\.ts:6:38/);
  assert.match(out, /^verdict: NOT shown to only observe \(outlives the tracer\)/m);
});
