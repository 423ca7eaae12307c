import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { release } from "node:os";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { formatLife, type Life, localAddress, remoteAddress, setPorts, TcpLife } from "../../examples/tcplife.ts";
import { waitFor } from "./util.ts";

type Event = Omit<Life, "comm"> & { comm: string };

// tcplife counts bytes on the sock:sock_send_length and sock:sock_recv_length tracepoints, new in 6.3.
const [major, minor] = release().split(".").map(Number);
const skip = major < 6 || (major === 6 && minor < 3) ? `this kernel (${release()}) is older than 6.3: it lacks the sock:sock_send_length and sock:sock_recv_length tracepoints tcplife needs` : false;

/** A loopback connection from this process to itself: the client sends 100000 bytes, the server answers 5000 and closes. */
async function exchange(host: string): Promise<{ serverPort: number; clientPort: number }> {
  const server = createServer((c) => {
    let got = 0;
    c.on("data", (d) => {
      got += d.length;
      if (got >= 100000) c.end(Buffer.alloc(5000, 121));
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const serverPort = (server.address() as AddressInfo).port;
  const client = createConnection({ host, port: serverPort });
  await new Promise((r) => client.on("connect", r));
  const clientPort = client.localPort!;
  client.write(Buffer.alloc(100000, 120));
  client.on("data", () => {});
  await new Promise((r) => client.on("end", r));
  client.end();
  await new Promise((r) => client.on("close", r));
  await new Promise((r) => server.close(r));
  return { serverPort, clientPort };
}

test("tcplife reports both ends of a loopback connection with its ports, bytes and lifetime", { skip }, async () => {
  const tracer = new TcpLife();
  tracer.targetPid = process.pid;
  await tracer.start({ exitOnError: false });
  try {
    const events: Event[] = [];
    tracer.events.on((e) => events.push(e));
    const { serverPort, clientPort } = await exchange("127.0.0.1");
    const mine = () => events.filter((e) => e.lport === clientPort || e.lport === serverPort);
    assert.ok(await waitFor(() => mine().length >= 2, 60_000), `events: ${events.map((e) => formatLife(e)).join("\n")}`);
    const client = mine().find((e) => e.lport === clientPort)!;
    const server = mine().find((e) => e.lport === serverPort)!;
    assert.deepEqual([client.pid, client.dport, localAddress(client), remoteAddress(client)], [process.pid, serverPort, "127.0.0.1", "127.0.0.1"]);
    assert.deepEqual([server.pid, server.dport], [process.pid, clientPort]);
    assert.deepEqual([client.tx, client.rx, server.tx, server.rx], [100000n, 5000n, 5000n, 100000n]);
    assert.ok(client.spanUs > 0n && client.spanUs < 10_000_000n, `lifetime ${client.spanUs} us`);
    assert.match(formatLife(client), new RegExp(`^${process.pid} +\\S+ +127\\.0\\.0\\.1 +${clientPort} +127\\.0\\.0\\.1 +${serverPort} +97 +4 \\d+\\.\\d\\d$`));
  } finally {
    await tracer.stop();
  }
});

test("tcplife -L -6: only the IPv6 server side of a connection", { skip }, async () => {
  const tracer = new TcpLife();
  tracer.filterLocalPorts = true;
  tracer.family = 10;
  await tracer.start({ exitOnError: false });
  try {
    const events: Event[] = [];
    tracer.events.on((e) => events.push(e));
    // The filter is a map: fill it for a port known before the connection, by listening first.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "::1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    setPorts(tracer, [port]);
    const server = createServer((c) => c.end("bye"));
    await new Promise<void>((r) => server.listen(port, "::1", r));
    const connectOnce = async () => {
      const client = createConnection({ host: "::1", port });
      client.on("data", () => {});
      await new Promise((r) => client.on("close", r));
    };
    // A second connection after the first has closed on both sides: once its server side is
    // seen, the first's client side would have been (one ring buffer, in order).
    await connectOnce();
    await connectOnce();
    await new Promise((r) => server.close(r));
    assert.ok(await waitFor(() => events.length >= 2, 60_000), `no events for the server sides: ${events.length}`);
    assert.deepEqual(events.map((e) => [e.lport, e.family, localAddress(e), e.tx]), [[port, 10, "::1", 3n], [port, 10, "::1", 3n]]);
    assert.match(formatLife(events[0], { wide: true }), new RegExp(`^\\d+ +\\S+ +6 +::1 +${port} +::1 +\\d+ +0 +0 \\d+\\.\\d\\d$`));
  } finally {
    await tracer.stop();
  }
});
