// Probe names with path segments or other characters outside the kernel's name grammar are
// refused before any tracefs path is built from them (probes/names.ts): at the decorator's
// file:line:col when compiled, by `tsbpf list` and one-liners, and by a tracer started with such
// a name at run time, which before this check attached to another tracepoint.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { join } from "node:path";
import { compile, CompileError } from "../../compiler/mod.ts";
import { hostTarget } from "../../tracer/compile_target.ts";
import { libc } from "../../runtime/ffi/mod.ts";
import { runCommand, runScript } from "../kernel/util.ts";
import { kernelSymbolName, tracepointName, usdtName, userSymbolName } from "../../probes/names.ts";

await libc();
const kernel = await hostTarget();
const ROOT = new URL("../..", import.meta.url).pathname;
const PATH_NAMES = ["syscalls:sys_enter_openat/../../sched/sched_switch", "syscalls/../sched:sched_switch"];

function diagnosticsOf(decorator: string) {
  const source = `import { Tracer, tracepoint, rawTracepoint, kprobe, usdt, uprobe } from "tsbpf";\nclass T extends Tracer {\n    ${decorator}\n  h() {}\n}\n`;
  try {
    compile(source, "/x/evil.ts", kernel);
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics;
    throw e;
  }
  assert.fail(`${decorator} compiled`);
}

for (const name of PATH_NAMES) {
  test(`@tracepoint("${name}") is refused at the decorator, not attached to sched_switch`, () => {
    const [d, ...rest] = diagnosticsOf(`@tracepoint(${JSON.stringify(name)})`);
    assert.equal(rest.length, 0);
    assert.deepEqual([d.line, d.column], [3, 5]);
    assert.match(d.message, /is not a tracepoint (name|category)/);
    assert.match(d.message, /only letters, digits/);
  });
}

test("the other probe kinds refuse names outside their grammar at the decorator", () => {
  for (const decorator of [`@rawTracepoint("sched_switch/../x")`, `@kprobe("tcp_connect/../x")`, `@usdt("/bin/true:prov/..:name")`, `@uprobe("/bin/true:main x")`, `@uprobe("/bin/true\\u0000/x:main")`]) {
    const [d] = diagnosticsOf(decorator);
    assert.deepEqual([d.line, d.column], [3, 5], decorator);
    assert.match(d.message, /is not a|cannot pass/, decorator);
  }
});

test("the grammar: wildcards only where globbing is, real names all pass", () => {
  assert.deepEqual(tracepointName("syscalls:sys_enter_*", true), ["syscalls", "sys_enter_*"]);
  assert.throws(() => tracepointName("syscalls:sys_enter_*"), /is not a tracepoint name/);
  assert.throws(() => tracepointName("sys*/..:x*", true), /is not a tracepoint category/);
  assert.deepEqual(tracepointName("9p:9p_client_req"), ["9p", "9p_client_req"]);
  assert.equal(kernelSymbolName("tcp_foo.isra.0"), "tcp_foo.isra.0");
  assert.throws(() => kernelSymbolName("tcp_*"), /not a kernel function name/);
  assert.equal(kernelSymbolName("tcp_*", true), "tcp_*");
  assert.deepEqual(usdtName("python", "function__entry"), ["python", "function__entry"]);
  assert.equal(userSymbolName("_ZN4core3fmt5write17h0123456789abcdefE"), "_ZN4core3fmt5write17h0123456789abcdefE");
  assert.throws(() => userSymbolName("main\nx"), /not a symbol name/);
});

for (const name of PATH_NAMES) {
  test(`a tracer started with "${name}" at run time is refused and attaches nothing`, { timeout: 60000 }, async () => {
    const run = runScript(join(ROOT, "tests/security/fixtures/path_tracepoint.ts"), {}, [name]);
    const status = await run.exited;
    const out = run.output();
    assert.notEqual(status, 0, out);
    assert.doesNotMatch(out, /attached|fired/, "the tracer attached somewhere");
    assert.match(out, /is not a tracepoint (name|category)/, out);
  });
}

function tsbpf(args: string[]) {
  return runCommand(process.execPath, [...(typeof Deno === "undefined" ? ["run"] : ["run", "-A"]), join(ROOT, "cli/main.ts"), ...args]);
}
declare const Deno: unknown;

test("tsbpf list refuses a pattern with path segments, with a clear line", { timeout: 60000 }, async () => {
  for (const pattern of ["tracepoint:syscalls/../sched:*", "tracepoint:syscalls:sys_enter_openat/../../sched/sched_switch", "kprobe:tcp/../*"]) {
    const run = tsbpf(["list", pattern]);
    const status = await run.exited;
    assert.equal(status, 1, run.output());
    assert.match(run.output(), /^tsbpf: "[^"]*" is not a (tracepoint name|tracepoint category|kernel function name)/m, run.output());
  }
});

test("a one-liner with a path-segment tracepoint is refused at its position", { timeout: 60000 }, async () => {
  for (const name of [...PATH_NAMES, "syscalls/../sched:*"]) {
    const run = tsbpf(["-e", `tracepoint(${JSON.stringify(name)}, () => count())`]);
    const status = await run.exited;
    assert.equal(status, 1, run.output());
    assert.match(run.output(), /^-e:1:12: error\[TSB1007\]: "[^"]*" is not a tracepoint (name|category)/m, run.output());
    assert.doesNotMatch(run.output(), /Attaching/);
  }
});

test("a tracer attached elsewhere than its compiled source says is refused (two classes of one name)", { timeout: 60000 }, async () => {
  const run = runScript(join(ROOT, "tests/security/fixtures/hides/same_name.ts"));
  const status = await run.exited;
  const out = run.output();
  assert.notEqual(status, 0, out);
  assert.doesNotMatch(out, /^(attached|hits)/m, "the program compiled for getppid ran on sched_switch");
  // The compiler refuses two tracer classes of one name (TSB1014) before anything is attached.
  assert.match(out, /two tracer classes are named "Spy" in this file, at 7:14 and at 17:9/, out);
});
