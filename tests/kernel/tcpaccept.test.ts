// tcpaccept needs kprobes or fentry: this host has neither, the VM lane (Debian's 6.1) runs it.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { connect, createServer, type AddressInfo } from "node:net";
import { hasFentry, hasKprobes } from "../../runtime/features.ts";
import { formatAccept, localAddress, remoteAddress, TcpAccept } from "../../examples/tcpaccept.ts";
import { runScript, started, waitFor } from "./util.ts";

const skip = hasKprobes() || hasFentry() ? false : "this kernel has neither kprobes (CONFIG_KPROBES) nor fentry; the VM lane runs this test";

/** A server on `host` accepting one connection from this process; the ports of both ends. */
async function acceptOne(host: string): Promise<{ server: number; client: number }> {
  const server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as AddressInfo).port;
  const client = await new Promise<number>((resolve, reject) => {
    const c = connect(port, host, () => {
      const p = c.localPort!;
      c.on("close", () => resolve(p));
    });
    c.on("data", () => {});
    c.on("error", reject);
  });
  await new Promise((r) => server.close(r));
  return { server: port, client };
}

test("tcpaccept: a connection accepted by this process, IPv4 and IPv6, with both ends", { skip }, async () => {
  const tracer = new TcpAccept();
  tracer.targetPid = process.pid;
  await tracer.start({ exitOnError: false });
  try {
    const events: Parameters<typeof formatAccept>[0][] = [];
    tracer.events.on((e) => events.push(e));
    const v4 = await acceptOne("127.0.0.1");
    const v6 = await acceptOne("::1");
    assert.ok(await waitFor(() => events.length >= 2, 60_000), `events: ${events.map((e) => formatAccept(e)).join("\n")}`);
    const a = events.find((e) => e.lport === v4.server)!;
    assert.deepEqual([a.pid, a.family, localAddress(a), remoteAddress(a), a.dport], [process.pid, 2, "127.0.0.1", "127.0.0.1", v4.client]);
    assert.match(formatAccept(a), new RegExp(`^${process.pid} +\\S+ +4  127\\.0\\.0\\.1 +${v4.client} +127\\.0\\.0\\.1 +${v4.server} *$`));
    const b = events.find((e) => e.lport === v6.server)!;
    assert.deepEqual([b.family, localAddress(b), remoteAddress(b), b.dport], [10, "::1", "::1", v6.client]);
  } finally {
    await tracer.stop();
  }
});

test("tcpaccept -P as a command: only the listed local port, in bcc's columns", { skip }, async () => {
  // The port is chosen first (listen, close), so it can be passed to -P.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const run = runScript(new URL("../../examples/tcpaccept.ts", import.meta.url).pathname, {}, ["-P", String(port)]);
  try {
    assert.ok(await started(run, "LPORT"), `no header: ${run.output()}`);
    await acceptOne("127.0.0.1"); // another port: not shown
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    const client = await new Promise<number>((resolve) => {
      const c = connect(port, "127.0.0.1", () => {
        const local = c.localPort!;
        c.on("close", () => resolve(local));
      });
      c.on("data", () => {});
    });
    await new Promise((r) => server.close(r));
    assert.ok(await waitFor(() => run.output().includes(` ${port}`), 60_000), run.output());
    assert.match(run.output(), /^PID {5}COMM {9}IP RADDR {12}RPORT LADDR {12}LPORT$/m);
    const lines = run.output().trim().split("\n").slice(1);
    assert.equal(lines.length, 1, run.output());
    assert.match(lines[0], new RegExp(`^${process.pid} +\\S+ +4  127\\.0\\.0\\.1 +${client} +127\\.0\\.0\\.1 +${port} *$`));
  } finally {
    run.kill("SIGINT");
    await run.exited;
  }
});

test("tcpaccept says why it cannot run on a kernel without kprobes and fentry", { skip: !skip && "this kernel can run tcpaccept" }, async () => {
  const run = runScript(new URL("../../examples/tcpaccept.ts", import.meta.url).pathname);
  assert.equal(await run.exited, 1);
  assert.match(run.output(), /^tcpaccept: this kernel has neither kprobes \(CONFIG_KPROBES\) nor fentry \(BPF trampolines\), and tcpaccept traces inet_csk_accept\(\) with them; tcpaccept cannot run here\n$/);
});
