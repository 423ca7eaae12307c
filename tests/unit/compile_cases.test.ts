// The compile side of the kernel's language, code generator, differential and fuzz tests, run
// unprivileged against the fake target: every construct and every generated program compiles
// (the kernel tests then load and run the same sources), and no fuzzed handler ends in anything
// but diagnostics or programs.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { compile, CompileError, type TracerSpec } from "../../compiler/mod.ts";
import { MAX_STACK } from "../../compiler/ir.ts";
import { generate, prng } from "../kernel/expressions.ts";
import { fakeTarget } from "./fake_target.ts";
import { handlersSource } from "./handler_source.ts";
import { CASES, FUNCTIONS } from "./language_cases.ts";
import { FUNCTIONS as CODEGEN_FUNCTIONS, program } from "./codegen_programs.ts";
import { CORPUS, fuzzSource, grow, mutate } from "./fuzz_cases.ts";

const target = fakeTarget();

function compiled(source: string): TracerSpec {
  try {
    return compile(source, "/test/handler.ts", target)[0];
  } catch (e) {
    if (e instanceof CompileError) assert.fail(`expected to compile:\n${e.message}\n--- source:\n${source}`);
    throw e;
  }
}

/** Each of `bodies` became a program with instructions, within the kernel's stack. */
function assertPrograms(spec: TracerSpec, count: number): void {
  assert.equal(spec.programs.length, count);
  for (const p of spec.programs) {
    assert.ok(atob(p.insns).length >= 16 && atob(p.insns).length % 8 === 0, `${p.name}: ${atob(p.insns).length} bytes of instructions`);
    assert.ok(p.stackSize <= MAX_STACK, `${p.name}: ${p.stackSize} bytes of stack`);
  }
}

test("every construct of the language compiles", () => {
  assertPrograms(compiled(handlersSource(CASES.map(([, body]) => "    " + body), FUNCTIONS)), CASES.length);
});

test("the differential test's random expressions compile", () => {
  const rand = prng(Number(process.env.TSBPF_DIFF_SEED ?? 20261122));
  const count = Number(process.env.TSBPF_DIFF_COUNT ?? 1200);
  for (let done = 0; done < count; done += 40) {
    const cases = Array.from({ length: Math.min(40, count - done) }, () => generate(rand));
    assertPrograms(compiled(handlersSource(cases.map((c) => c.source))), cases.length);
  }
});

test("the code generator test's random programs compile", () => {
  const rand = prng(Number(process.env.TSBPF_CODEGEN_SEED ?? 7));
  const count = Number(process.env.TSBPF_CODEGEN_COUNT ?? 300);
  for (let done = 0; done < count; done += 20) {
    const progs = Array.from({ length: Math.min(20, count - done) }, (_, k) => program(rand, done + k));
    assertPrograms(compiled(handlersSource(progs.map((p) => p.body), CODEGEN_FUNCTIONS + progs.map((p) => p.extra).join(""))), progs.length);
  }
});

test("fuzzed handlers end in positioned diagnostics or programs, never an internal error", { timeout: 600_000 }, () => {
  const rand = prng(Number(process.env.TSBPF_FUZZ_SEED ?? 1122));
  const count = Number(process.env.TSBPF_FUZZ_COUNT ?? 800);
  const outcome = { diagnostics: 0, compiled: 0 };
  const internal: string[] = [];
  for (let i = 0; i < count && internal.length < 5; i++) {
    const small = mutate(CORPUS[Math.floor(rand() * CORPUS.length)], rand);
    const body = rand() < 0.15 ? grow(small, rand) : small;
    try {
      const [spec] = compile(fuzzSource(body), "/test/handler.ts", target);
      assert.ok(spec.programs.every((p) => p.stackSize <= MAX_STACK));
      outcome.compiled++;
    } catch (e) {
      if (!(e instanceof CompileError)) {
        internal.push(`${(e as Error).stack ?? e}\n--- handler body:\n${body.length > 2000 ? `${body.slice(0, 1000)} ... ${body.slice(-500)}` : body}`);
        continue;
      }
      assert.ok(e.diagnostics.length > 0 && e.diagnostics.every((d) => d.line >= 1 && d.column >= 1 && d.code.startsWith("TSB")), "a diagnostic without a code or position");
      outcome.diagnostics++;
    }
  }
  assert.equal(internal.length, 0, `internal errors:\n${internal.join("\n\n")}`);
  // Both outcomes happen: a generator that only made broken (or only good) handlers tests little.
  assert.ok(outcome.diagnostics > count / 2 && outcome.compiled > count / 40, JSON.stringify(outcome));
});
