// `tsbpf plan` on a script (or a module it imports) that does not parse cannot say what it does:
// it exits non-zero with the error at file:line:col, besides listing it under "cannot vouch for".
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "../kernel/util.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
declare const Deno: unknown;
const dir = mkdtempSync(join(tmpdir(), "tsbpf-plan-syntax-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function plan(file: string): Promise<{ status: number | string; out: string; err: string }> {
  const run = runCommand(process.execPath, [...(typeof Deno === "undefined" ? ["run"] : ["run", "-A"]), join(ROOT, "cli/main.ts"), "plan", file]);
  const status = await run.exited;
  return { status, out: run.stdout(), err: run.stderr() };
}

const TRACER = 'import { Tracer, tracepoint } from "tsbpf";\nclass T extends Tracer {\n  @tracepoint("sched:sched_process_exit") exit() {}\n}\n';

test("plan of a script with a syntax error exits 1 and names file:line:col", { timeout: 60000 }, async () => {
  const file = join(dir, "bad.ts");
  writeFileSync(file, 'import { Tracer } from "tsbpf";\nclass T extends Tracer {\n  x = (;\n}\n');
  const r = await plan(file);
  assert.equal(r.status, 1, r.out + r.err);
  assert.match(r.err, new RegExp(`${file.replace(/[.]/g, "\\.")}:3:8: .*syntax error`, "i"), r.err);
});

test("a syntax error the parser recovers from (const without a value) also fails the plan", { timeout: 60000 }, async () => {
  const file = join(dir, "recovered.ts");
  writeFileSync(file, TRACER + "const x;\n");
  const r = await plan(file);
  assert.equal(r.status, 1, r.out + r.err);
  assert.match(r.err, /recovered\.ts:5:\d+: .*syntax error/i, r.err);
});

test("a syntax error in an imported module fails the plan, naming that module", { timeout: 60000 }, async () => {
  writeFileSync(join(dir, "helper.ts"), "export const f = () => {;\n");
  const file = join(dir, "main.ts");
  writeFileSync(file, TRACER + 'import { f } from "./helper.ts";\nf();\n');
  const r = await plan(file);
  assert.equal(r.status, 1, r.out + r.err);
  assert.match(r.err, /helper\.ts:\d+:\d+: .*syntax error/i, r.err);
});

test("a script that parses still plans with status 0", { timeout: 60000 }, async () => {
  const file = join(dir, "good.ts");
  writeFileSync(file, TRACER);
  const r = await plan(file);
  assert.equal(r.status, 0, r.out + r.err);
  assert.match(r.out, /^verdict: /m);
});
