// A script or one-liner that does not parse: the error says where (file:line:col), shows the
// line and a caret, on Bun and on Deno alike, with and without --verbose; never an
// "internal error" and never a bare AggregateError/BuildMessage.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tsbpf } from "./cli_run.ts";

const dir = mkdtempSync(join(tmpdir(), "tsbpf-syntax-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The error names `file:line:col`, prints the line, and marks the column under it (Bun: as the compiler does; Deno: its own report). */
function pointsAt(stderr: string, file: string, line: number, column: number, lineText: string): void {
  assert.match(stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${line}:${column}`), stderr);
  const lines = stderr.split("\n");
  const at = lines.findIndex((l) => l.endsWith(lineText));
  assert.ok(at >= 0, `the source line is not shown:\n${stderr}`);
  const textStart = lines[at].length - lineText.length;
  assert.match((lines[at + 1] ?? "").slice(textStart + column - 1), /^[\^~]/, `no caret under column ${column}:\n${stderr}`);
  assert.doesNotMatch(stderr, /internal error|AggregateError|BuildMessage/, stderr);
}

test("run: a syntax error in the script shows file:line:col, the line and a caret", async () => {
  const file = script("bad.ts", `import { Tracer } from "tsbpf";\nconst x = 1;\nconst y = (2 +;\nconsole.log(x, y, Tracer);\n`);
  for (const verbose of [[], ["--verbose"]]) {
    const r = await tsbpf([...verbose, "run", file]);
    assert.equal(r.status, 1, r.stderr);
    pointsAt(r.stderr, file, 3, 15, "const y = (2 +;");
  }
});

test("run: a name declared twice is reported where it is", async () => {
  const file = script("twice.ts", `const a = 1;\nconst a = 2;\nconsole.log(a);\n`);
  const r = await tsbpf(["run", file]);
  assert.equal(r.status, 1, r.stderr);
  pointsAt(r.stderr, file, 2, 7, "const a = 2;");
});

test("-e: bpftrace's system() and cat() in a TypeScript one-liner say what to write instead", async () => {
  for (const [call, instead] of [[`system("ls")`, /bpftrace's "system": bpftrace runs it only with --unsafe/], [`cat("/proc/loadavg")`, /bpftrace's "cat": /]] as const) {
    const r = await tsbpf(["-e", `tracepoint("syscalls:sys_enter_getppid", () => ${call})`]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /-e:1:48: /, r.stderr);
    assert.match(r.stderr, instead, r.stderr);
    assert.doesNotMatch(r.stderr, /did you mean/, r.stderr);
  }
});

test("-e: a probe's helper (pid(), ntop()) in begin()/end() is an error at its place, not a ReferenceError", async () => {
  for (const call of [`pid()`, `ntop(16777343)`]) {
    const r = await tsbpf(["-e", `begin(() => { printf("%s\\n", ${call}); exit(); })`]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /-e:1:30: /, r.stderr);
    assert.match(r.stderr, /run in user space/, r.stderr);
    assert.doesNotMatch(r.stderr, /ReferenceError/, r.stderr);
  }
});
