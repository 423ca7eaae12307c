// Tracer classes declared away from the top level (a block, a class expression) are compiled like
// the rest. collect.ts walks the whole tree for them only when the source has an `@` that no
// top-level class's decorator or comment accounts for: these cases must find them either way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile } from "../../compiler/mod.ts";
import { fakeTarget } from "./fake_target.ts";

const HEAD = `import { pid, RingBuf, Tracer, tracepoint, type u32 } from "tsbpf";\ninterface E { pid: u32 }\n`;
const TOP = `class Top extends Tracer {\n  events = new RingBuf<E>();\n  @tracepoint("syscalls:sys_enter_openat")\n  onOpen() { this.events.submit({ pid: pid() }); }\n}\n`;
const names = (source: string) => compile(source, "/x/nested.ts", fakeTarget()).map((s) => s.className).sort();

test("a tracer class in a block is compiled beside the top-level one", () => {
  const source = `${HEAD}${TOP}if (Math.random() < 2) {\n  class InBlock extends Tracer {\n    @tracepoint("syscalls:sys_enter_openat")\n    onOpen() { }\n  }\n}\n`;
  assert.deepEqual(names(source), ["InBlock", "Top"]);
});

test("a class expression with decorated members takes its variable's name, with @ in comments and strings around", () => {
  const source = `${HEAD}/** mail: someone@example.org, @unit ns */\n${TOP}const where = "user@host";\nfunction make() {\n  const Expr = class extends Tracer {\n    // @see Top\n    @tracepoint("syscalls:sys_enter_openat")\n    onOpen() { }\n  };\n  return Expr;\n}\n`;
  assert.deepEqual(names(source), ["Expr", "Top"]);
});

test("with every @ a top-level decorator, a comment's or a string's, the top-level tracers are all there is", () => {
  const source = `${HEAD}/** @unit ns */\n${TOP}const mail = "a@b";\nconst t = new Top();\n`;
  assert.deepEqual(names(source), ["Top"]);
});
