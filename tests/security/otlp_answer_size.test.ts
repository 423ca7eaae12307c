// A tracer that exports to an OpenTelemetry collector (start({ otlp }), OTEL_EXPORTER_OTLP_ENDPOINT)
// usually pushes to one on this machine, http://127.0.0.1:4318: a port any local user can take
// while the collector is not listening (not started yet, restarting). The push only needs the
// answer's status and its partialSuccess, but the whole answer was read into memory for up to
// 30 s: nobody's "collector" answering every push with an endless body took root's tracer to
// 243 MB in 10 s of one push on this busy machine (loopback carries far more on an idle one).
// Here root's tracer pushes and reads nobody's answer for some 10 s; its peak memory must stay
// below 150 MB (55 to 68 MB now).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, MOD, nobodyPython, rootDir, script } from "./attacker.ts";

const dir = rootDir("otlp-answer");
after(() => rmSync(dir, { recursive: true, force: true }));

// nobody's collector: answers each request 200 with a JSON body that never ends.
const COLLECTOR = (port: number) => `
import socket, threading
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", ${port}))
srv.listen(16)
chunk = b"a" * (1 << 20)
def serve(c):
    try:
        c.recv(1 << 16)
        c.sendall(b'HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\nconnection: close\\r\\n\\r\\n{"partialSuccess":{"errorMessage":"')
        while True:
            c.sendall(chunk)
    except OSError:
        pass
    finally:
        c.close()
print("ready", flush=True)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
`;

const TRACER = (port: number) => `import { readFileSync } from "node:fs";
import { Count, Tracer, tracepoint } from ${JSON.stringify(MOD)};
class Calls extends Tracer {
  calls = new Count();
  @tracepoint("syscalls:sys_enter_getppid")
  on() { this.calls.add(); }
}
const t = await new Calls().start({ reportLoss: false, otlp: { endpoint: "http://127.0.0.1:${port}", intervalMs: 10000 } });
await new Promise((r) => setTimeout(r, 19500));
await t.stop();
console.log(/VmHWM:.*/.exec(readFileSync("/proc/self/status", "utf8"))![0]);
`;

test("nobody's collector answering root's OTLP pushes with an endless body costs the tracer bounded memory", { timeout: 120_000 }, async () => {
  const port = await freePort();
  const collector = await nobodyPython(COLLECTOR(port));
  try {
    const file = join(dir, "tracer.ts");
    writeFileSync(file, TRACER(port));
    const r = await script(file, { env: { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" }, timeoutMs: 90_000 });
    assert.ok(!r.timedOut, `root's tracer did not finish: ${r.stderr.slice(-1000)}`);
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const hwm = Number(/VmHWM:\s*(\d+) kB/.exec(r.stdout)?.[1]);
    assert.ok(hwm > 0, r.stdout.slice(-500));
    assert.ok(hwm < 150 << 10, `root's tracer peaked at ${Math.round(hwm / 1024)} MB reading nobody's answers`);
  } finally {
    await collector.stop();
  }
});
