// The compiler fed thousands of mutated handlers (seeded, bounded in time) must always end with
// diagnostics or a program the kernel loads, or a verifier rejection mapped to a source line:
// never an internal error. Some are grown long or deep (grow()), at sizes past the compiler's limits.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { CompileError } from "../../compiler/mod.ts";
import { VerifierError } from "../../runtime/verifier_error.ts";
import { compileSource, load } from "./harness.ts";
import { CORPUS, fuzzSource, grow, mutate } from "../unit/fuzz_cases.ts";
import { removeVerifierLog } from "./util.ts";
import { prng } from "./expressions.ts";

const SEED = Number(process.env.TSBPF_FUZZ_SEED ?? 1122);
const SECONDS = Number(process.env.TSBPF_FUZZ_SECONDS ?? 8);

const MIN_CASES = 100;

test(`fuzzed handlers end in diagnostics or a loadable program (seed ${SEED}, ${SECONDS}s)`, { timeout: (SECONDS + 600) * 1000 }, () => {
  const rand = prng(SEED);
  const outcome = { diagnostics: 0, loaded: 0, verifier: 0 };
  const internal: string[] = [];
  const end = Date.now() + SECONDS * 1000;
  // For SECONDS, and at least MIN_CASES cases however slow the machine (the VM lane's TCG).
  const ran = () => outcome.diagnostics + outcome.loaded + outcome.verifier + internal.length;
  while ((Date.now() < end || ran() < MIN_CASES) && internal.length < 5) {
    const small = mutate(CORPUS[Math.floor(rand() * CORPUS.length)], rand);
    const body = rand() < 0.15 ? grow(small, rand) : small;
    const source = fuzzSource(body);
    try {
      const spec = compileSource(source);
      const loaded = load(spec);
      loaded.close();
      outcome.loaded++;
    } catch (e) {
      if (e instanceof CompileError) {
        assert.ok(e.diagnostics.length > 0 && e.diagnostics.every((d) => d.line >= 1 && d.column >= 1 && d.code.startsWith("TSB")), "a diagnostic without a code or position");
        outcome.diagnostics++;
      } else if (e instanceof VerifierError) {
        assert.ok(e.diagnostic && e.diagnostic.line >= 1, "a verifier rejection not mapped to a source line");
        removeVerifierLog(e);
        outcome.verifier++;
      } else {
        internal.push(`${(e as Error).stack ?? e}\n--- handler body:\n${body.length > 2000 ? `${body.slice(0, 1000)} ... ${body.slice(-500)}` : body}`);
      }
    }
  }
  const total = outcome.diagnostics + outcome.loaded + outcome.verifier;
  console.log(`fuzz: ${total} cases: ${outcome.diagnostics} diagnostics, ${outcome.loaded} loaded, ${outcome.verifier} verifier rejections`);
  assert.equal(internal.length, 0, `internal errors:\n${internal.join("\n\n")}`);
});
