import { test } from "node:test";
import assert from "node:assert/strict";
import { printable, printableLines } from "../../runtime/output.ts";
import { format, parseFormat } from "../../cli/oneliner/printf.ts";
import { formatKey } from "../../runtime/maps/print.ts";

test("printable shows control characters and text-reordering marks escaped, and leaves other text alone", () => {
  assert.equal(printable("\x1b]0;t\x07\x1b[2J"), "\\x1b]0;t\\x07\\x1b[2J");
  assert.equal(printable("a\nb\rc\td\x7f\x9b"), "a\\x0ab\\x0dc\\x09d\\x7f\\x9b");
  assert.equal(printable("evil\u202etxt.exe\u2066"), "evil\\u202etxt.exe\\u2066");
  assert.equal(printable("café 日本 🙂 ~!@#"), "café 日本 🙂 ~!@#");
  assert.equal(printableLines("one\x1b\ntwo"), "one\\x1b\ntwo");
});

test("printf's %s and %c, and map keys, are shown printable; JSON keys stay exact", () => {
  assert.equal(format(parseFormat("[%s] %c\n"), ["a\x1bb", "\x07"]), "[a\\x1bb] \\x07\n");
  assert.equal(formatKey(["x\x1b", 1n]), "x\\x1b, 1");
  assert.equal(formatKey("x\x1b", true), "x\x1b");
});
