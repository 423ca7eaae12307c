// A misspelt decorator (`@tracpoint(...)`) is a ReferenceError thrown while the class is defined,
// before any of tsbpf runs for it (Deno places it at the module's first line): `tsbpf run`
// reports the decorator at the script's file:line:col, with the decorators it may have meant.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "../kernel/util.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
declare const Deno: unknown;
const dir = mkdtempSync(join(tmpdir(), "tsbpf-decorator-typo-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(name: string, source: string): Promise<{ file: string; status: number | string; err: string }> {
  const file = join(dir, name);
  writeFileSync(file, source);
  const r = runCommand(process.execPath, [...(typeof Deno === "undefined" ? ["run"] : ["run", "-A"]), join(ROOT, "cli/main.ts"), "run", file]);
  const status = await r.exited;
  return { file, status, err: r.stderr() };
}

const script = (imports: string, decorator: string) => `import { ${imports} } from "tsbpf";

class T extends Tracer {
  calls = new Count();
    ${decorator}("syscalls:sys_enter_getppid")
  on() { this.calls.add(); }
}
await new T().start();
`;

test("a misspelt decorator is reported where it is written, with the one it may mean", { timeout: 60000 }, async () => {
  const r = await run("typo.ts", script("Count, Tracer, tracepoint", "@tracpoint"));
  assert.equal(r.status, 1, r.err);
  assert.match(r.err, new RegExp(`${r.file.replace(/[.]/g, "\\.")}:5:5: @tracpoint is not defined: did you mean @tracepoint\\?`), r.err);
});

test("a decorator used but not imported is reported with the import to add", { timeout: 60000 }, async () => {
  const r = await run("unimported.ts", script("Count, Tracer", "@rawTracepoint"));
  assert.equal(r.status, 1, r.err);
  assert.match(r.err, new RegExp(`unimported\\.ts:5:5: @rawTracepoint is not imported: add it to the import from "tsbpf"`), r.err);
});
