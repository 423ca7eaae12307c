// The type checker (compiler/check.ts) and lowering agree: every expression lowering lowers, in
// every handler of the compiler tests' corpora, is checked at the same point too, and where the
// checker gives a type (and a constant's value), lowering produced that type (and that value).
// Where lowering refuses an expression (one without calls), the checker gives no type.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DiagnosticBag } from "../../spec/diagnostics.ts";
import { parseSource } from "../../compiler/parse.ts";
import { collect } from "../../compiler/collect.ts";
import { Lowering, Unsupported, type Value } from "../../compiler/lower.ts";
import { check, type Checked, checkedOf } from "../../compiler/check.ts";
import type { Node } from "../../compiler/parse.ts";
import { typeName } from "../../spec/layout.ts";
import { generate, prng } from "../kernel/expressions.ts";
import { fakeTarget } from "./fake_target.ts";
import { handlersSource } from "./handler_source.ts";
import { CASES, FUNCTIONS } from "./language_cases.ts";
import { FUNCTIONS as CODEGEN_FUNCTIONS, program } from "./codegen_programs.ts";
import { CORPUS, fuzzSource, grow, mutate } from "./fuzz_cases.ts";

const target = fakeTarget();

function describe(c: Checked): string {
  switch (c.kind) {
    case "scalar": return `${typeName(c.type)}${c.type.kind === "ptr" ? `@${c.type.space}` : ""}${c.value === undefined ? "" : `=${c.value}`}`;
    case "mem": return `mem ${typeName(c.type)}`;
    case "kmem": return `${c.space} ${c.btfId}`;
    case "ctxfield": return `field ${c.field.name}`;
    case "map": return `map ${c.map.name}`;
    case "string": return `string ${c.value}`;
    default: return c.kind;
  }
}

/** Whether a call is anywhere in `e`. */
function hasCall(e: unknown): boolean {
  if (!e || typeof e !== "object") return false;
  if ((e as Node).type === "CallExpression") return true;
  return Object.entries(e as Record<string, unknown>).some(([k, v]) => k !== "loc" && (Array.isArray(v) ? v.some(hasCall) : hasCall(v)));
}

/** Lowers every handler of `source`, checking each expression as it is lowered; returns the disagreements. */
function disagreements(source: string, counts: { agreed: number; unknown: number; tooDeep: number }): string[] {
  const diags = new DiagnosticBag("/x/t.ts", source);
  let mod;
  try {
    mod = collect(parseSource(source, diags), diags);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const tracer of mod.tracers) {
    tracer.handlers.forEach((h, programIndex) => {
      let probe;
      try {
        probe = target.probeContext(h.probe);
      } catch {
        return;
      }
      class Checking extends Lowering {
        override expr(e: Node): Value {
          let v: Value;
          try {
            v = super.expr(e);
          } catch (err) {
            // (Calls are left out: the checker gives a declared function's or a map method's result
            // type without checking the arguments, which the result's type does not depend on.)
            const c = err instanceof Unsupported && !hasCall(e) ? check(this, e) : undefined;
            if (c) out.push(`${source.slice(e.start, e.end)}: lowering refused it, the checker says ${describe(c)}`);
            throw err;
          }
          const c = check(this, e);
          if (!c) counts.unknown++;
          else if (describe(c) !== describe(checkedOf(v))) out.push(`${source.slice(e.start, e.end)}: checker ${describe(c)}, lowering ${describe(checkedOf(v))}`);
          else counts.agreed++;
          return v;
        }
      }
      const l = new Checking({ node: h.node, tracer, types: mod.types, functions: mod.functions, constants: mod.constants, assumptions: new Set(), probe, programIndex, target, diags });
      try {
        l.lowerHandler();
      } catch (e) {
        // Nesting past what this runtime's stack holds with the checking added: compile() reports it.
        if (e instanceof RangeError) counts.tooDeep++;
        else if (!(e instanceof Unsupported)) throw e;
      }
    });
  }
  return out;
}

test("the checker agrees with lowering on every expression of the compiler tests' handlers", { timeout: 600_000 }, () => {
  const sources = [handlersSource(CASES.map(([, body]) => "    " + body), FUNCTIONS)];
  const diff = prng(20261122);
  for (let i = 0; i < 6; i++) sources.push(handlersSource(Array.from({ length: 40 }, () => generate(diff).source)));
  const gen = prng(7);
  for (let i = 0; i < 3; i++) {
    const progs = Array.from({ length: 20 }, (_, k) => program(gen, i * 20 + k));
    sources.push(handlersSource(progs.map((p) => p.body), CODEGEN_FUNCTIONS + progs.map((p) => p.extra).join("")));
  }
  const fuzz = prng(1122);
  for (let i = 0; i < 300; i++) {
    const small = mutate(CORPUS[Math.floor(fuzz() * CORPUS.length)], fuzz);
    sources.push(fuzzSource(fuzz() < 0.15 ? grow(small, fuzz) : small));
  }
  const counts = { agreed: 0, unknown: 0, tooDeep: 0 };
  const wrong = sources.flatMap((s) => disagreements(s, counts));
  assert.deepEqual(wrong.slice(0, 20), []);
  // The checker answers for nearly everything (what it leaves open: calls of functions without a
  // declared return type, a few map methods).
  assert.ok(counts.agreed > 20 * counts.unknown && counts.tooDeep < 20, JSON.stringify(counts));
  console.log(`checker and lowering: ${JSON.stringify(counts)}`);
});
