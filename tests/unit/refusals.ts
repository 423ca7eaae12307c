// The diagnostics of a source the compiler must refuse (the compile-error tests' one helper).
import assert from "node:assert/strict";
import { compile, CompileError } from "../../compiler/mod.ts";
import type { Diagnostic } from "../../spec/diagnostics.ts";
import type { CompileTarget } from "../../spec/target.ts";
import { fakeTarget } from "./fake_target.ts";

export function refusals(source: string, target: CompileTarget = fakeTarget()): Diagnostic[] {
  try {
    compile(source, "/x/t.ts", target);
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics;
    throw e;
  }
  assert.fail("expected a compile error");
}
