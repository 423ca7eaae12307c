// `tsbpf run URL` runs only what `tsbpf plan` reviewed in full, from the very bytes it reviewed:
// a script plan refuses (a syntax error the runtimes accept, a bundle banner that makes plan
// review other sources than the ones that run) is refused with plan's reasons, --yes or not.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { createServer } from "node:http";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "../kernel/util.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
declare const Deno: unknown;
const dir = mkdtempSync(join(tmpdir(), "tsbpf-run-link-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Serves `body` as /gist.ts on 127.0.0.1, runs `tsbpf run --yes` on it, and stops serving. */
async function runLink(body: string): Promise<{ status: number | string; out: string; err: string; url: string }> {
  const server = createServer((_, res) => {
    res.writeHead(200, { "content-type": "application/typescript" });
    res.end(body);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/gist.ts`;
  try {
    const run = runCommand(process.execPath, [...(typeof Deno === "undefined" ? ["run"] : ["run", "-A"]), join(ROOT, "cli/main.ts"), "run", "--yes", url]);
    const status = await run.exited;
    return { status, out: run.stdout(), err: run.stderr(), url };
  } finally {
    await new Promise((done) => server.close(done));
  }
}

const marks = (name: string) => `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(join(dir, name))}, "ran");\n`;

test("a script plan finds a syntax error in (one both runtimes would run) is not run, and says where", { timeout: 120000 }, async () => {
  const r = await runLink(`${marks("syntax")}declare let q: number = 3;\n`);
  assert.ok(!existsSync(join(dir, "syntax")), "the script ran although plan refuses it");
  assert.notEqual(r.status, 0);
  assert.match(r.err, new RegExp(`Not running ${r.url.replace(/[.]/g, "\\.")}`), r.err);
  assert.match(r.err, new RegExp(`${r.url.replace(/[.]/g, "\\.")}:3:25: syntax error`), r.err);
});

test("a script whose plan reviews sources it does not run (a bundle, whose banner begins the file) is not run", { timeout: 120000 }, async () => {
  const r = await runLink(`globalThis.__TSBPF_BUNDLE__ = {};\n${marks("banner")}`);
  assert.ok(!existsSync(join(dir, "banner")), "the script ran although plan reviewed other sources");
  assert.notEqual(r.status, 0);
  assert.match(r.err, /Not running [^]*embedded in a bundle/, r.err);
});

test("a bundle's banner in a comment does not make a script a bundle: plan reviews the script, which runs", { timeout: 120000 }, async () => {
  const r = await runLink(`// globalThis.__TSBPF_BUNDLE__ = {}\n${marks("comment")}`);
  assert.equal(r.status, 0, r.err);
  assert.ok(existsSync(join(dir, "comment")));
});

test("a script plan reviews in full runs", { timeout: 120000 }, async () => {
  const r = await runLink(`${marks("good")}console.log("the gist ran");\n`);
  assert.equal(r.status, 0, r.err);
  assert.ok(existsSync(join(dir, "good")));
  assert.match(r.out, /the gist ran/);
});
