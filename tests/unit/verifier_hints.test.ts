// The hint beside a verifier rejection says what the log's reason means, and only that: every log
// ends with its statistics ("processed 11 insns (limit 1000000) ..."), which once read as "the
// program is too long" and gave every rejection no earlier hint named that hint.
import { test } from "node:test";
import assert from "node:assert/strict";
import { verifierHint } from "../../runtime/verifier_report.ts";

const STATS = "processed 11 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0";

/** The end of a real log (Linux 6.18): a tracepoint program reading 8 bytes at a 4-aligned offset. */
const CONTEXT_ACCESS = `11: (79) r1 = *(u64 *)(r6 +20)
invalid bpf_context access off=20 size=8
${STATS}`;

test("a rejection with no hint of its own gets none, not 'too long'", () => {
  assert.equal(verifierHint(CONTEXT_ACCESS), undefined);
  assert.equal(verifierHint(`0: (85) call bpf_get_current_task_btf#158\nR1 type=scalar expected=fp\n${STATS}`), undefined);
});

test("the hints after 'too long' in the table are reached", () => {
  assert.match(verifierHint(`0: (85) call unknown#999\ninvalid func unknown#999\n${STATS}`)!, /helper is not available/);
  assert.match(verifierHint(`3: (bf) r1 = r2\nR2 !read_ok\n${STATS}`)!, /used before it is set/);
});

test("a program over the verifier's limit is still told so", () => {
  const log = `BPF program is too large. Processed 1000001 insn\nprocessed 1000001 insns (limit 1000000) max_states_per_insn 4 total_states 10000 peak_states 5000 mark_read 1`;
  assert.match(verifierHint(log)!, /too long for the verifier/);
});
