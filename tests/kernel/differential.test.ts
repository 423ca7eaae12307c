// The kernel and the language's reference semantics must agree on thousands of random
// integer expressions over mixed widths and signedness.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { generate, prng } from "./expressions.ts";
import { compileSource, handlersSource, load } from "./harness.ts";

const SEED = Number(process.env.TSBPF_DIFF_SEED ?? 20261122);
const COUNT = Number(process.env.TSBPF_DIFF_COUNT ?? 1200);
const BATCH = 40;

test(`${COUNT} random expressions give the same value in the kernel as in the reference (seed ${SEED})`, () => {
  const rand = prng(SEED);
  const mismatches: string[] = [];
  for (let done = 0; done < COUNT; done += BATCH) {
    const cases = Array.from({ length: Math.min(BATCH, COUNT - done) }, () => generate(rand));
    const loaded = load(compileSource(handlersSource(cases.map((c) => c.source))));
    try {
      cases.forEach((c, i) => {
        const args = [...c.args, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
        const lo = BigInt(loaded.run(`h${i}`, args));
        args[10] = 1n;
        const hi = BigInt(loaded.run(`h${i}`, args));
        const got = (hi << 32n) | lo;
        if (got !== c.expected) {
          mismatches.push(`${c.source.split("\n").find((l) => l.includes("const r"))!.trim()}\n  args ${c.args.join(", ")}\n  kernel ${got}, reference ${c.expected}`);
        }
      });
    } finally {
      loaded.close();
    }
  }
  assert.equal(mismatches.length, 0, `${mismatches.length} mismatches, first ones:\n${mismatches.slice(0, 5).join("\n")}`);
});
