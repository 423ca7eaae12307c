// Bad scripts fail with diagnostics that name the file, line and column, on the real kernel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile, CompileError } from "../../compiler/mod.ts";
import { hostTarget } from "../../runtime/compile_target.ts";
import { libc } from "../../runtime/ffi/mod.ts";

await libc();

const HEADER = `import { RingBuf, Tracer, tracepoint, pid, comm, str, type u32, type Str } from "tsbpf";
interface E { pid: u32; name: Str<16> }
class T extends Tracer {
  events = new RingBuf<E>();
`;

function diagnostics(body: string) {
  try {
    compile(HEADER + body + "\n}\n", "/x/t.ts", hostTarget());
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
    compile(HEADER + `  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { this.events.submit({ pid: pid(), name: comm(), extra: 1 }); }\n}\n`, "/x/t.ts", hostTarget());
    assert.fail("expected a compile error");
  } catch (e) {
    assert.ok(e instanceof CompileError);
    const text = (e as Error).message;
    assert.match(text, /^\/x\/t\.ts:6:65: error\[TSB1004\]: E has no field "extra"/);
    assert.match(text, /\n6 \|   h\(args: any\)/);
    assert.match(text, /\n  \| {65}\^{5}/);
  }
});
