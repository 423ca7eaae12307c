// The metrics endpoint a root tracer serves (`--metrics 127.0.0.1:9435`, docs/service.md) can be
// reached by every local user. Each connection costs the tracer a file descriptor and memory,
// so a user who opens many and keeps them open (a request that never ends: one header line a
// second, which resets every idle timer) could take all of the tracer's descriptors, and
// Prometheus's scrape, like anything else the tracer opens, would then fail. Here nobody holds
// 300 such connections to a tracer limited to 256 descriptors; root's scrape must still be
// answered, and the tracer must hold a bounded number of sockets.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";
import { isBun, ROOT } from "./attacker.ts";

const FIXTURE = `${ROOT}tests/fixtures/metrics.ts`;
const HELD = 300;

// nobody's connections: most start a request and send one more header line every second; every
// fourth sends a whole request and neither reads the answer nor closes.
const SLOWLORIS = `
import socket, sys, time
socks = []
for i in range(${HELD}):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        s.sendall(b"GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n" + (b"\\r\\n" if i % 4 == 0 else b""))
        socks.append(s)
    except OSError:
        pass
print("held", len(socks), flush=True)
end = time.time() + float(sys.argv[2])
while time.time() < end:
    time.sleep(1)
    for i, s in enumerate(socks):
        if i % 4 == 0: continue
        try: s.sendall(b"X-Wait: 1\\r\\n")
        except OSError: pass
`;

function sockets(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:")) n++;
    } catch { /* closed meanwhile */ }
  }
  return n;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("nobody holding hundreds of slow requests neither takes the tracer's descriptors nor stops root's scrape", async () => {
  const runtime = isBun ? [process.execPath, "run", FIXTURE] : [process.execPath, "run", "-A", "--quiet", "--config", `${ROOT}deno.json`, FIXTURE];
  // A service's descriptor limit, made small so the attack needs few connections.
  const tracer = spawn("prlimit", ["--nofile=256:256", ...runtime], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  tracer.stdout!.on("data", (d) => (out += d));
  tracer.stderr!.on("data", (d) => (out += d));
  const exited = new Promise((r) => tracer.on("exit", r));
  const attacker = { kill: () => {} } as { kill: () => void };
  try {
    for (let i = 0; i < 600 && !/ready \d+/.test(out) && tracer.exitCode === null; i++) await wait(50);
    const port = Number(/ready (\d+)/.exec(out)?.[1]);
    assert.ok(port, `the tracer did not start:\n${out}`);

    const nobody = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", SLOWLORIS, String(port), "20"], { stdio: ["ignore", "pipe", "pipe"] });
    attacker.kill = () => nobody.kill("SIGKILL");
    let said = "";
    nobody.stdout!.on("data", (d) => (said += d));
    nobody.stderr!.on("data", (d) => (said += d));
    for (let i = 0; i < 400 && !/held \d+/.test(said) && nobody.exitCode === null; i++) await wait(50);
    assert.match(said, /held \d+/, `nobody's connections: ${said}`);
    await wait(3000); // a few header lines later

    const held = sockets(tracer.pid!);
    let scrape = "";
    try {
      const r = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
      scrape = `${r.status}\n${await r.text()}`;
    } catch (e) {
      scrape = `no answer: ${(e as Error).message}`;
    }
    assert.match(scrape, /^calls_calls_total 1234$/m, `root's scrape while nobody ${said.trim()} connections: ${scrape.slice(0, 300)}`);
    assert.ok(held <= 80, `the tracer holds ${held} sockets for nobody's ${said.trim()} connections`);
  } finally {
    attacker.kill();
    tracer.kill("SIGTERM");
    await exited;
  }
});
