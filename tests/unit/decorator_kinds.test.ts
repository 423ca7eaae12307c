// The probe kinds a source may use, found before it is parsed (tracer/compile_target.ts): a
// kind left out would fail the compile, so every way of writing a decorator must be found.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decoratorKinds } from "../../tracer/compile_target.ts";

test("every way of writing a probe decorator is found", () => {
  const source = `
class A extends Tracer {
  @tracepoint("syscalls:sys_enter_openat") a() {}
  @ kprobe("vfs_read") b() {}
  @/* why */uprobe("/bin/bash:readline") c() {}
  @(usdt)("x:y") d() {}
  @// a comment
  interval(1000) e() {}
  @profile f() {}
}`;
  assert.deepEqual(decoratorKinds(source).sort(), ["interval", "kprobe", "profile", "tracepoint", "uprobe", "usdt"]);
});

test("other decorators and names are not probe kinds", () => {
  assert.deepEqual(decoratorKinds(`@constructor @toString @logged("x") @Tracepoint("a:b") class A {}`), []);
});
