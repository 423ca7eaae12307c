// An unsupported statement is named as TypeScript spells it ("for...of"), not by its syntax-tree node type ("forof").
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile, CompileError } from "../../compiler/mod.ts";
import { hostTarget } from "../../tracer/compile_target.ts";
import { libc } from "../../runtime/ffi/mod.ts";

await libc();
const kernel = await hostTarget();

function message(body: string): string {
  const source = `import { Tracer, tracepoint } from "tsbpf";
class T extends Tracer {
  @tracepoint("syscalls:sys_enter_execve")
  on() { ${body} }
}
`;
  try {
    compile(source, "/x/t.ts", kernel);
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics[0].message;
    throw e;
  }
  assert.fail("expected a compile error");
}

test("for...of, for...in, do...while and labeled statements are named as written", () => {
  assert.equal(message("for (const x of [1, 2]) {}"), `"for...of" statements are not supported in a handler`);
  assert.equal(message("const o = 1; for (const k in o) {}"), `"for...in" statements are not supported in a handler`);
  assert.equal(message("let i = 0; do { i++; } while (i < 3);"), `"do...while" statements are not supported in a handler`);
  assert.equal(message("outer: for (let i = 0; i < 3; i++) { break outer; }"), `labeled statements are not supported in a handler`);
  assert.equal(message("while (true) {}"), `"while" statements are not supported in a handler`);
});
