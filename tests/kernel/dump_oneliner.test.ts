// `tsbpf dump -e`: each handler's instructions are marked with the one-liner's own place (-e:line:col)
// and text, mapped back as its errors are, not with the line of the script it becomes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tsbpf } from "./cli_run.ts";

test("dump -e marks the instructions with the one-liner's positions and text", async () => {
  const oneLiner = `tracepoint("raw_syscalls:sys_enter", () => count(comm()));\ntracepoint("raw_syscalls:sys_exit", a => a.ret < 0 && ($.errors = count()))`;
  const r = await tsbpf(["dump", "-e", oneLiner]);
  assert.equal(r.status, 0, r.stderr);
  const marks = r.stdout.split("\n").filter((l) => l.startsWith(";"));
  assert.ok(marks.length >= 2, r.stdout);
  assert.doesNotMatch(r.stdout, /one-liner:\d+/);
  assert.ok(marks.includes("; -e:1:44: count(comm())"), marks.join("\n"));
  assert.ok(marks.some((m) => /^; -e:2:\d+: a\.ret < 0/.test(m)), marks.join("\n"));
  // Each mark is the text at its place: the column points at the text shown.
  const lines = oneLiner.split("\n");
  for (const m of marks) {
    const [, line, column, text] = /^; -e:(\d+):(\d+): (.*)$/.exec(m) ?? assert.fail(m);
    assert.ok(lines[Number(line) - 1].slice(Number(column) - 1).startsWith(text), m);
  }
});
