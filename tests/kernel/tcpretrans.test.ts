import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { execFileSync, spawn } from "node:child_process";
import { countLines, formatRetransmit, type Retransmit, tcpState, TcpRetrans } from "../../examples/tcpretrans.ts";
import { ipAddress as address } from "../../tool/mod.ts";
import { waitFor } from "./util.ts";

/**
 * A network namespace where 10.9.9.0/24 is routed into the loopback device but only 10.9.9.1
 * is local: a SYN to 10.9.9.2 loops back, is not for this host and is dropped, so the
 * connecting socket retransmits it (after 1 s, then 2 s more).
 */
function blackholeNamespace(): { name: string; remove(): void } | undefined {
  const name = `tsbpf-retrans-${process.pid}`;
  const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "ignore" });
  try {
    ip("netns", "add", name);
  } catch {
    return undefined;
  }
  const remove = () => ip("netns", "del", name);
  try {
    ip("-n", name, "link", "set", "lo", "up");
    ip("-n", name, "addr", "add", "10.9.9.1/32", "dev", "lo");
    ip("-n", name, "route", "add", "10.9.9.0/24", "dev", "lo");
  } catch (e) {
    remove();
    throw e;
  }
  return { name, remove };
}

test("tcpretrans sees a SYN retransmitted to an address that drops it, and -c counts it", async (t) => {
  const ns = blackholeNamespace();
  if (!ns) return t.skip("cannot create a network namespace (ip netns add)");
  const tracer = new TcpRetrans();
  const counter = new TcpRetrans();
  counter.countOnly = true;
  counter.end = () => {};
  try {
    await tracer.start({ exitOnError: false });
    await counter.start({ exitOnError: false });
    const events: Retransmit[] = [];
    tracer.events.on((e) => events.push(e));
    // The connecting shell lives until the retransmission is seen: a fixed time to live raced the
    // first retransmission (1 s after the SYN) when the shell was slow to start on a loaded machine.
    const connect = spawn("ip", ["netns", "exec", ns.name, "bash", "-c", "exec 3<>/dev/tcp/10.9.9.2/80"], { stdio: "ignore" });
    const mine = () => events.filter((e) => e.flow.dport === 80 && address(e.flow.family, [e.flow.d0]) === "10.9.9.2");
    try {
      assert.ok(await waitFor(() => mine().length >= 1, 60_000), "no retransmission of the SYN to 10.9.9.2:80");
    } finally {
      connect.kill("SIGKILL");
      await new Promise((r) => connect.exitCode === null && connect.signalCode === null ? connect.on("exit", r) : r(undefined));
    }
    const e = mine()[0];
    assert.equal(e.flow.family, 2);
    assert.equal(address(2, [e.flow.s0]), "10.9.9.1");
    assert.equal(tcpState(e.state), "SYN_SENT");
    assert.ok(e.flow.lport > 0);
    assert.match(formatRetransmit(e, { time: "12:00:00" }), new RegExp(`^12:00:00 \\d+ +4 +10\\.9\\.9\\.1:${e.flow.lport} +R> 10\\.9\\.9\\.2:80 +SYN_SENT$`));
    const counted = counter.counts.entries().find(([f]) => f.dport === 80 && f.lport === e.flow.lport);
    assert.ok(counted && counted[1] >= 1n, "-c did not count the connection");
    const table = countLines(counter);
    assert.deepEqual(table.slice(0, 2), ["", "LADDR:LPORT               RADDR:RPORT               RETRANSMITS"]);
    assert.ok(table.some((l) => new RegExp(`^\\[10\\.9\\.9\\.1\\]#${e.flow.lport} +<-> \\[10\\.9\\.9\\.2\\]#80 +\\d+$`).test(l)), table.join("\n"));
  } finally {
    await tracer.stop();
    await counter.stop();
    ns.remove();
  }
});
