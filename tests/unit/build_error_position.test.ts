// A transpiler error (Bun's BuildMessage) may carry any position: no line (0 or -1), a line past
// the file's end, a column past the line's end, zero or negative. The printer shows what it has
// and never throws (a RangeError from a negative repeat) or builds a huge string.
import { test } from "node:test";
import assert from "node:assert/strict";
import { describeBuildError, describeError } from "../../cli/errors.ts";
import { renderDiagnostic } from "../../spec/diagnostics.ts";

function buildMessage(line: number, column: number, lineText = "const x = (;", length = 1) {
  return { name: "BuildMessage", message: "Unexpected ;", position: { file: "/s/a.ts", line, column, length, lineText } };
}

const POSITIONS: [number, number][] = [[-1, -1], [-1, 5], [0, 0], [1, 0], [1, -3], [1, 500], [1e9, 2], [Infinity, 1], [NaN, NaN], [2.5, 1.5], [3, 2 ** 40]];

test("a build error at any position is printed, with the message and without throwing", () => {
  for (const [line, column] of POSITIONS) {
    const text = describeBuildError(buildMessage(line, column));
    assert.ok(text !== undefined, `${line}:${column}`);
    assert.match(text!, /Unexpected ;/, `${line}:${column}`);
    assert.ok(text!.length < 2000, `${line}:${column}: ${text!.length} characters`);
    assert.doesNotThrow(() => describeError(buildMessage(line, column), false));
  }
});

test("a build error with a usable position keeps file:line:col, the line and a caret", () => {
  const text = describeBuildError(buildMessage(1, 12))!;
  assert.match(text, /^\/s\/a\.ts:1:12: /);
  assert.match(text, /1 \| const x = \(;\n\s+\| {12}\^/);
});

test("renderDiagnostic survives positions outside the source", () => {
  for (const [line, column] of POSITIONS) {
    const d = { code: "TSB1001", message: "m", hints: [], file: "f.ts", line, column, length: 1 };
    const out = renderDiagnostic(d, "one\ntwo\n");
    assert.match(out, /f\.ts.*: error\[TSB1001\]: m/, `${line}:${column}`);
    assert.ok(out.length < 2000, `${line}:${column}`);
  }
});
