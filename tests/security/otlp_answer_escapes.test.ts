// A tracer pushing to a collector on this machine (http://127.0.0.1:4318, the usual endpoint)
// pushes to whoever holds the port: any local user may, while the collector is not listening.
// A failed push is reported on the tracer's stderr, root's terminal, with what the collector
// said: the start of an error answer's body, or partialSuccess.errorMessage. nobody's
// "collector" here answers with terminal escapes (retitle, conceal, erase the line above): root's
// stderr must show them escaped, as every other text from another user (runtime/output.ts).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, MOD, nobodyPython, rootDir, script } from "./attacker.ts";

const dir = rootDir("otlp-escapes");
after(() => rmSync(dir, { recursive: true, force: true }));

const ESCAPES = "\x1b]0;owned\x07\x1b[1A\x1b[2K\x1b[8m\x9b8m";

// Each answer closes its connection; `answer` is the whole HTTP response.
const COLLECTOR = (port: number, answer: Uint8Array) => `
import socket
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", ${port}))
srv.listen(16)
answer = bytes(${JSON.stringify(Array.from(answer))})
print("ready", flush=True)
while True:
    c, _ = srv.accept()
    try:
        c.recv(1 << 20)
        c.sendall(answer)
    except OSError:
        pass
    c.close()
`;

function response(status: string, body: string): Uint8Array {
  const bytes = new TextEncoder().encode(body);
  const head = `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${bytes.length}\r\nconnection: close\r\n\r\n`;
  return new Uint8Array([...new TextEncoder().encode(head), ...bytes]);
}

// Pushes every 100 ms for 1.5 s, then stops (a last push, whose failure is said too).
const TRACER = (port: number) => `import { Count, Tracer, tracepoint } from ${JSON.stringify(MOD)};
class Calls extends Tracer {
  calls = new Count();
  @tracepoint("syscalls:sys_enter_getppid")
  on() { this.calls.add(); }
}
const t = await new Calls().start({ reportLoss: false, otlp: { endpoint: "http://127.0.0.1:${port}", intervalMs: 100 } });
await new Promise((r) => setTimeout(r, 1500));
await t.stop();
`;

const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

async function rootsStderr(answer: Uint8Array, name: string): Promise<string> {
  const port = await freePort();
  const collector = await nobodyPython(COLLECTOR(port, answer));
  try {
    const file = join(dir, `${name}.ts`);
    writeFileSync(file, TRACER(port));
    const r = await script(file, { env: { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" }, timeoutMs: 90_000 });
    assert.ok(!r.timedOut, `root's tracer did not finish: ${r.stderr.slice(-1000)}`);
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    return r.stderr;
  } finally {
    await collector.stop();
  }
}

function assertEscaped(stderr: string): void {
  assert.match(stderr, /Cannot export metrics/, stderr);
  assert.ok(stderr.includes("\\x1b]0;owned\\x07"), `the collector's text is not shown escaped:\n${JSON.stringify(stderr)}`);
  const line = stderr.split("\n").find((l) => RAW_CONTROL.test(l));
  assert.equal(line, undefined, `a raw control character from nobody's collector reached root's terminal: ${JSON.stringify(line)}`);
}

test("an error answer's body from nobody's collector is shown escaped on root's stderr", { timeout: 120_000 }, async () => {
  assertEscaped(await rootsStderr(response("500 Internal Server Error", `overloaded ${ESCAPES}`), "body"));
});

test("a partialSuccess errorMessage from nobody's collector is shown escaped on root's stderr", { timeout: 120_000 }, async () => {
  const body = JSON.stringify({ partialSuccess: { rejectedDataPoints: 1, errorMessage: `rejected ${ESCAPES}` } });
  assertEscaped(await rootsStderr(response("200 OK", body), "partial"));
});
