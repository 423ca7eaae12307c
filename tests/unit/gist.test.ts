// Where a tracer's source is, however tsbpf and the script were loaded: from files (.ts sources
// or the npm package's emitted .js), or from URLs (JSR's path shape, a gist). And the parts of
// `tsbpf run URL` that need no kernel: pins, and what a download must be to be run.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callerOf } from "../../probes/decorators.ts";
import { parsePin } from "../../cli/remote_script.ts";
import { downloadScript } from "../../runtime/download.ts";

declare const Deno: unknown;
const ROOT = new URL("../..", import.meta.url).pathname;
const frames = (...where: string[]) => `Error\n${where.map((w, i) => `    at f${i} (${w})`).join("\n")}`;

test("callerOf: the first frame outside tsbpf's own modules, for tsbpf served from a URL in JSR's shape", () => {
  const own = "http://127.0.0.1:8000/@tsbpf/tsbpf/0.1.0/";
  const stack = frames(`${own}probes/decorators.ts:22:16`, `${own}probes/decorators.ts:33:10`, "http://127.0.0.1:8000/trace.ts:6:4");
  assert.equal(callerOf(stack, own), "http://127.0.0.1:8000/trace.ts");
});

test("callerOf: the same path on another server is the user's, not tsbpf's", () => {
  const stack = frames("https://evil.example/@tsbpf/tsbpf/0.1.0/probes/decorators.ts:22:16", "https://jsr.io/trace.ts:1:1");
  assert.equal(callerOf(stack, "https://jsr.io/@tsbpf/tsbpf/0.1.0/"), "https://evil.example/@tsbpf/tsbpf/0.1.0/probes/decorators.ts");
});

test("callerOf: the npm package's emitted .js are tsbpf's own; the user's .ts is a path", () => {
  const own = "file:///p/node_modules/tsbpf/";
  const stack = frames("file:///p/node_modules/tsbpf/probes/decorators.js:20:16", "file:///p/node_modules/tsbpf/probes/decorators.js:31:10", "file:///p/my%20dir/trace.ts:6:4");
  assert.equal(callerOf(stack, own), "/p/my dir/trace.ts");
});

test("callerOf: Bun's frames are plain paths", () => {
  const stack = frames("/repo/probes/decorators.ts:20:16", "/repo/probes/decorators.ts:31:10", "/home/u/trace.ts:6:4");
  assert.equal(callerOf(stack, "file:///repo/"), "/home/u/trace.ts");
});

test("parsePin: #sha256= and 64 hex digits pins a link; any other fragment is a usage error", () => {
  const hex = "ab".repeat(32);
  assert.deepEqual(parsePin(`https://h/t.ts#sha256=${hex.toUpperCase()}`), { url: "https://h/t.ts", sha256: hex });
  assert.deepEqual(parsePin("https://h/t.ts"), { url: "https://h/t.ts" });
  assert.throws(() => parsePin("https://h/t.ts#sha256=abc"), /64 hex digits/);
  assert.throws(() => parsePin("https://h/t.ts#L10"), /not a pin/);
});

/** A server on 127.0.0.1 that answers every request with `body` and `type`; closed by the returned function. */
async function serve(body: Uint8Array | string, type: string): Promise<{ url: string; close(): Promise<void> }> {
  const { createServer } = await import("node:http");
  const server = createServer((_, res) => {
    res.writeHead(200, { "content-type": type });
    res.end(body);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/trace.ts`, close: () => new Promise((done) => server.close(() => done())) };
}

test("downloadScript: a script comes back as text; binary, too big or a non-text type is refused", async () => {
  const cases: [Uint8Array | string, string, RegExp | string][] = [
    ["const x = 1;\n", "application/typescript", "const x = 1;\n"],
    ["const x = 1;\n", "video/mp2t", "const x = 1;\n"],
    ["const x = 1;\n", "image/png", /says it is "image\/png"/],
    [new Uint8Array([0xff, 0xfe, 0x00]), "text/plain", /not UTF-8/],
    ["a\0b", "text/plain", /NUL/],
    ["x".repeat(2000), "text/plain", /more than/],
  ];
  for (const [body, type, expected] of cases) {
    const s = await serve(body, type);
    try {
      if (typeof expected === "string") assert.equal((await downloadScript(s.url, 1000)).text, expected);
      else await assert.rejects(downloadScript(s.url, 1000), expected);
    } finally {
      await s.close();
    }
  }
});

test("describeScriptError: a script's bug is placed at its first frame outside tsbpf, a URL included", async () => {
  const { describeScriptError } = await import("../../cli/errors.ts");
  const { OWN_ROOT } = await import("../../runtime/own_files.ts");
  const own = new URL("tracer/tracer.js", OWN_ROOT).href; // the npm package's emitted JavaScript
  const e = new TypeError("x is not a function");
  e.stack = `TypeError: x is not a function\n    at start (${own}:10:5)\n    at main (http://127.0.0.1:8000/gist.ts:7:3)`;
  assert.equal(describeScriptError(e, false), "TypeError: x is not a function at http://127.0.0.1:8000/gist.ts:7:3 (run tsbpf with --verbose for the stack trace)");
  e.stack = `TypeError: x is not a function\n    at start (${own}:10:5)\n    at main (file:///home/u/my%20dir/trace.ts:7:3)`;
  assert.match(describeScriptError(e, false), / at \/home\/u\/my dir\/trace\.ts:7:3 /);
});

test("downloadScript: a server that sends its headers and then nothing is given up on, with a clear error", async () => {
  const { createServer } = await import("node:http");
  const sockets = new Set<import("node:net").Socket>();
  const server = createServer((_, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("const x = ");
  });
  server.on("connection", (s) => sockets.add(s));
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/trace.ts`;
  let hung: ReturnType<typeof setTimeout> | undefined;
  try {
    const outcome = await Promise.race([
      downloadScript(url, 1000, 300).then(() => "downloaded", (e: Error) => e),
      new Promise<string>((done) => (hung = setTimeout(() => done("still waiting after 10 s"), 10_000))),
    ]);
    assert.ok(outcome instanceof Error, String(outcome));
    assert.match(outcome.message, /did not send the whole script within 0\.3 s/);
  } finally {
    clearTimeout(hung);
    for (const s of sockets) s.destroy();
    await new Promise((done) => server.close(done));
  }
});

test("a decorated class in a directory whose name has a space and parentheses: its file is found whole", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf dir (x) "));
  try {
    const script = join(dir, "trace (1).ts");
    writeFileSync(script, `import { Tracer, tracepoint } from ${JSON.stringify(join(ROOT, "mod.ts"))};
import { handlersOf } from ${JSON.stringify(join(ROOT, "probes/decorators.ts"))};
class T extends Tracer {
  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {}
}
console.log(handlersOf(new T())[0].file);
`);
    const [cmd, ...args] = typeof Deno !== "undefined" ? [process.execPath, "run", "--allow-all", script] : [process.execPath, "run", script];
    const r = spawnSync(cmd, args, { encoding: "utf8", env: { NO_COLOR: "1", PATH: "/usr/bin:/bin", HOME: dir } });
    assert.equal(r.stdout.trim(), script, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
