// tsbpf runs on Bun and Deno only. A script run by Node.js (`node trace.ts`: Node 22.18 strips
// types by itself, and the npm package's "default" export is plain JavaScript) must say so in
// one line, not fail on `Deno is not defined` under a page of the bundle's source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;
const ESBUILD = join(ROOT, "node_modules/.bin/esbuild");
const hasNode = spawnSync("node", ["--version"]).status === 0;

test("a tracer started under Node.js says tsbpf runs on Bun or Deno, and exits 1", { skip: !hasNode && "no node in PATH" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-node-"));
  try {
    // Bundled as the npm package's modules are (plain JavaScript), so Node can run it.
    writeFileSync(join(dir, "trace.ts"), `import { Tracer } from ${JSON.stringify(join(ROOT, "mod.ts"))};\nclass T extends Tracer {}\nawait new T().start();\n`);
    const built = spawnSync(ESBUILD, [join(dir, "trace.ts"), "--bundle", "--format=esm", "--platform=node", "--external:bun:ffi", `--outfile=${join(dir, "trace.mjs")}`], { encoding: "utf8" });
    assert.equal(built.status, 0, built.stderr);
    const run = spawnSync("node", [join(dir, "trace.mjs")], { encoding: "utf8", timeout: 60_000 });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /tsbpf runs on Bun or Deno, not Node\.js/);
    assert.doesNotMatch(run.stderr, /is not defined/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
