// A bundle's compiler is a module of its own (build/bundle.ts lazyCompiler), with its own copy of
// spec/target.ts: the compile target's errors come from the other copy, so the compiler knows
// them by a Symbol.for brand (isProbeLookupError), not by class — subclasses included.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isProbeLookupError, OverrideRefusedError, ProbeLookupError } from "../../spec/target.ts";
import { ProbeNameError } from "../../probes/names.ts";

/** What another copy of spec/target.ts throws: the same brand on another class. */
class OtherCopy extends Error {
  constructor(message: string, readonly hints: string[], kind: "lookup" | "override") {
    super(message);
    Object.defineProperty(this, Symbol.for("tsbpf.probe-lookup"), { value: kind });
  }
}

test("errors of the compile target are recognised from this copy of the module or another", () => {
  assert.ok(isProbeLookupError(new ProbeLookupError("no tracepoint x:y")));
  assert.ok(isProbeLookupError(new OtherCopy("no tracepoint x:y", [], "lookup")));
  assert.ok(isProbeLookupError(new OtherCopy("no override here", ["hint"], "override"), "override"));
  assert.ok(isProbeLookupError(new OverrideRefusedError("no override here"), "override"));
  assert.ok(!isProbeLookupError(new ProbeLookupError("no tracepoint x:y"), "override"));
  assert.ok(!isProbeLookupError(new Error("anything else")));
  assert.ok(!isProbeLookupError(Object.assign(new Error("same name, no brand"), { name: "ProbeLookupError", hints: [] })));
  assert.ok(!isProbeLookupError(undefined));
});

test("a subclass of ProbeLookupError (a bad probe name) is one too", () => {
  assert.ok(isProbeLookupError(new ProbeNameError('"a/../b" is not a tracepoint name')));
  assert.ok(!isProbeLookupError(new ProbeNameError("x"), "override"));
});
