// A bundle's compiler is a module of its own (build/bundle.ts lazyCompiler), with its own copy of
// spec/target.ts: the compile target's errors come from the other copy, so the compiler knows
// them by name and shape (isProbeLookupError), not by class.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isProbeLookupError, OverrideRefusedError, ProbeLookupError } from "../../spec/target.ts";

/** What another copy of spec/target.ts throws: same names, another class. */
class OtherCopy extends Error {
  constructor(message: string, readonly hints: string[], name: string) {
    super(message);
    this.name = name;
  }
}

test("errors of the compile target are recognised by name, from this copy of the module or another", () => {
  assert.ok(isProbeLookupError(new ProbeLookupError("no tracepoint x:y")));
  assert.ok(isProbeLookupError(new OtherCopy("no tracepoint x:y", [], "ProbeLookupError")));
  assert.ok(isProbeLookupError(new OtherCopy("no override here", ["hint"], "OverrideRefusedError"), "override"));
  assert.ok(isProbeLookupError(new OverrideRefusedError("no override here"), "override"));
  assert.ok(!isProbeLookupError(new ProbeLookupError("no tracepoint x:y"), "override"));
  assert.ok(!isProbeLookupError(new Error("anything else")));
  assert.ok(!isProbeLookupError(Object.assign(new Error("no hints"), { name: "ProbeLookupError" })));
  assert.ok(!isProbeLookupError(undefined));
});
