// Bad scripts fail with diagnostics that name the file, line and column, on the real kernel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile, CompileError } from "../../compiler/mod.ts";
import { hostTarget } from "../../runtime/compile_target.ts";
import { libc } from "../../runtime/ffi/mod.ts";
import { VerifierError } from "../../runtime/verifier_error.ts";
import { compileSource, handlersSource, load } from "./harness.ts";
const kernel = await hostTarget();

await libc();

const HEADER = `import { RingBuf, Tracer, tracepoint, kprobe, pid, comm, str, type u32, type Str } from "tsbpf";
interface E { pid: u32; name: Str<16> }
class T extends Tracer {
  events = new RingBuf<E>();
`;

function diagnostics(body: string) {
  try {
    compile(HEADER + body + "\n}\n", "/x/t.ts", kernel);
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics;
    throw e;
  }
  assert.fail("expected a compile error");
}

test("unknown tracepoint: points at the decorator and suggests the right name", () => {
  const [d] = diagnostics(`  @tracepoint("syscalls:sys_enter_opneat")\n  h(args: any) {}`);
  assert.equal(d.code, "TSB1007");
  assert.equal(d.line, 5);
  assert.equal(d.column, 3);
  assert.match(d.hints.join(" "), /sys_enter_openat/);
});

test("a Str without a usable length: says which length it got and what would do", () => {
  const [d] = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { let s: Str<0> = str(args.filename); }`);
  assert.equal(d.line, 6);
  assert.match(d.message, /from 1 to 4096, not Str<0>/);
  assert.match(d.hints.join(" "), /Str<16>/);
});

test("unknown tracepoint field: names the field and offers the real ones", () => {
  const [d] = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { const f = args.filenam; }`);
  assert.equal(d.code, "TSB1004");
  assert.equal(d.line, 6);
  assert.equal(d.column, 33);
  assert.match(d.hints[0], /"filename"/);
});

test("a try statement and a class expression are both reported, each at its own column", () => {
  const ds = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) {\n    try { pid(); } catch {}\n    const k = class {};\n  }`);
  assert.deepEqual(ds.map((d) => [d.code, d.line, d.column]), [["TSB1002", 7, 5], ["TSB1002", 8, 15]]);
  assert.match(ds[0].message, /"try"/);
  assert.match(ds[1].message, /class expression/);
});

test("the rendered error shows file:line:col, the source line and a caret", () => {
  try {
    compile(HEADER + `  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { this.events.submit({ pid: pid(), name: comm(), extra: 1 }); }\n}\n`, "/x/t.ts", kernel);
    assert.fail("expected a compile error");
  } catch (e) {
    assert.ok(e instanceof CompileError);
    const text = (e as Error).message;
    assert.match(text, /^\/x\/t\.ts:6:65: error\[TSB1004\]: E has no field "extra"/);
    assert.match(text, /\n6 \|   h\(args: any\)/);
    assert.match(text, /\n  \| {65}\^{5}/);
  }
});

// One test per diagnostic code: [code, handler body (or a whole class member), line, column].
const KINDS: [string, string, number, number][] = [
  ["TSB1003", "  @tracepoint(\"syscalls:sys_enter_openat\")\n  h(args: any) { return pidd(); }", 6, 25],
  ["TSB1005", "  @tracepoint(\"syscalls:sys_enter_openat\")\n  h(args: any) { const x = comm() + 1; }", 6, 28],
  ["TSB1006", "  @tracepoint(42)\n  h(args: any) {}", 5, 3],
  ["TSB1008", "  m = new HashMap<u32>();\n  @tracepoint(\"syscalls:sys_enter_openat\")\n  h(args: any) {}", 5, 7],
  ["TSB1009", "  @tracepoint(\"syscalls:sys_enter_openat\")\n  h(args: any) { let x: Foo = 1; }", 6, 25],
  ["TSB1010", "  @tracepoint(\"syscalls:sys_enter_openat\")\n  h(args: any) { const a: Str<300> = str(args.filename); const b: Str<300> = str(args.filename); if (a === \"x\" || b === \"y\") return; }", 6, 3],
  ["TSB1011", "  @tracepoint(\"syscalls:sys_enter_openat\")\n  h(args: any) { this.events.push(1); }", 6, 30],
  ["TSB1012", "  @tracepoint(\"syscalls:sys_enter_openat\")\n  h(args: any) { switch (pid()) { case pid(): return 1; } }", 6, 40],
  ["TSB1002", "  @tracepoint(\"syscalls:sys_enter_openat\")\n  h(args: any) { for (let i = 0; i < pid(); i++) {} }", 6, 18],
];

for (const [code, body, line, column] of KINDS) {
  test(`${code} is reported at ${line}:${column}`, () => {
    const src = HEADER.replace('import { RingBuf,', 'import { HashMap, RingBuf,') + body + "\n}\n";
    let ds;
    try {
      compile(src, "/x/t.ts", kernel);
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
      ds = e.diagnostics;
    }
    assert.ok(ds, "expected a compile error");
    assert.deepEqual([ds[0].code, ds[0].line, ds[0].column], [code, line, column], ds.map((d) => `${d.code} ${d.line}:${d.column} ${d.message}`).join("\n"));
    assert.ok(ds[0].hints.length > 0 || ds[0].message.length > 20, "a diagnostic should explain itself");
  });
}

test("no tracer class in the file", () => {
  try {
    compile("const x = 1;\n", "/x/none.ts", kernel);
    assert.fail("expected a compile error");
  } catch (e) {
    assert.ok(e instanceof CompileError);
    assert.equal(e.diagnostics[0].code, "TSB1013");
  }
});

test("a program the verifier rejects is reported at the TypeScript line it failed on", () => {
  const body = [
    "    let s: u64 = args[0];",
    "    for (let i = 0; i < 60000; i++) {",
    "      if ((s & 1n) === 1n) s = s * 3n + 1n;",
    "      else s = s / 2n;",
    "      if (s > args[1]) s -= args[1];",
    "    }",
    "    return s;",
  ];
  const source = handlersSource([body.join("\n")]);
  const spec = compileSource(source);
  try {
    load(spec).close();
    assert.fail("the verifier accepted a loop it cannot walk");
  } catch (e) {
    assert.ok(e instanceof VerifierError, String(e));
    const lines = source.split("\n");
    const loopStart = lines.findIndex((l) => l.includes("for (let i = 0; i < 60000")) + 1;
    assert.ok(e.diagnostic!.line >= loopStart && e.diagnostic!.line <= loopStart + 4, `reported at line ${e.diagnostic!.line}, the loop is at ${loopStart}-${loopStart + 4}`);
    assert.equal(e.diagnostic!.code, "TSB2001");
    assert.match(e.diagnostic!.hints.join(" "), /loop/);
    assert.ok(e.log.length > 100, "the full verifier log is kept");
  }
});

test("an unknown kernel function for a kprobe suggests the right one", () => {
  const [d] = diagnostics(`  @kprobe("tcp_conect")\n  h(sk: any) {}`.replace("@kprobe", "@kprobe"));
  assert.equal(d.code, "TSB1007");
  assert.match(d.message, /unknown kernel function "tcp_conect"/);
  assert.match(d.hints.join(" "), /"tcp_connect"/);
});

test("?? on anything but a kernel struct's field says what it is for", () => {
  const [d] = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { const f = args.flags ?? 3; }`);
  assert.equal(d.line, 6);
  assert.match(d.message, /\?\? needs a kernel struct's field on its left, not a field of the probe's arguments/);
  assert.match(d.hints.join(" "), /a\.field \?\? b\.other/);
});
