// `tsbpf run` of a script with remote imports (jsr:, https:) under Deno: Deno writes a lock file
// beside the config it is given, and tsbpf gives its own (the clone's deno.json, the package's
// bin/deno.launch.json). Nothing may be written into tsbpf's directory by running a script. The
// remote module here is served by the test on 127.0.0.1 (no network needed).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawn } from "node:child_process";
import process from "node:process";

const ROOT = new URL("../../", import.meta.url).pathname;
const DENO = `${ROOT}node_modules/.bin/deno`;
const dir = mkdtempSync(`${tmpdir()}/tsbpf-deno-lock-`);
after(() => rmSync(dir, { recursive: true, force: true }));

const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/javascript" });
  res.end(`export const greeting = "from the remote module";\n`);
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
after(() => server.close());
const port = (server.address() as { port: number }).port;

/** What is at `path` now: its content, or undefined. */
function snapshot(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

test("tsbpf run under Deno writes no deno.lock beside tsbpf's config", async () => {
  const script = `${dir}/remote.ts`;
  writeFileSync(script, `import { greeting } from "http://127.0.0.1:${port}/m.js";\nimport { Tracer } from "tsbpf";\nconsole.log(greeting, typeof Tracer);\n`);
  const locks = [`${ROOT}deno.lock`, `${ROOT}bin/deno.lock`, `${dir}/deno.lock`];
  const before = locks.map(snapshot);
  // Not spawnSync: the server answering the child runs in this process.
  const child = spawn(DENO, ["run", "-A", "--quiet", `${ROOT}cli/main.ts`, "run", script], {
    env: { ...process.env, NO_COLOR: "1", DENO_DIR: `${dir}/deno_dir`, TSBPF_RUNTIME: "deno" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "", err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const status = await new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  assert.equal(status, 0, err);
  assert.match(out, /from the remote module function/);
  const written = locks.filter((l, i) => snapshot(l) !== before[i]);
  // Put back as it was (a failing run leaves none behind in the clone).
  for (const [i, l] of locks.entries()) if (written.includes(l)) before[i] === undefined ? rmSync(l) : writeFileSync(l, before[i]!);
  assert.deepEqual(written, [], "a lock file was written or changed");
});
