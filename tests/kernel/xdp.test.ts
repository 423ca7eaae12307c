// @xdp: a program on one end of a veth pair between this network namespace and one the test
// makes (traffic only between the two, on a private /30). A sender in the other namespace sends
// UDP datagrams to two ports of a receiver here: the handler counts them and drops those to one
// port, which never arrive; the others do. After stop() the device has no XDP program and the
// tracer's link and program are gone (by id).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { Count, Tracer, xdp, xdpLoad, type u32, type XdpMd } from "../../mod.ts";
import { compile } from "../../compiler/mod.ts";
import { describePlan, kernelWarnings } from "../../compiler/plan.ts";
import { CompileError } from "../../spec/diagnostics.ts";
import { hostTarget } from "../../tracer/compile_target.ts";
import { libc } from "../../runtime/ffi/mod.ts";
import { linkIds, progIds } from "../../runtime/bpf.ts";
import { waitFor } from "./util.ts";

await libc();
const target = await hostTarget();

const NETNS = `tsbpf-xdp-${process.pid}`;
const DEVICE = `tsx0-${process.pid}`, PEER = `tsx1-${process.pid}`;
// A /30 of its own per test process, so that runs at the same time do not share a route.
const SUBNET = `10.199.${process.pid % 250}`;
const HERE = `${SUBNET}.1`, THERE = `${SUBNET}.2`;

function ip(...args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  assert.equal(r.status, 0, `ip ${args.join(" ")}: ${r.stderr}`);
}

/** The veth pair: DEVICE here with HERE, PEER in NETNS with THERE. Removing the namespace removes both ends. */
function makeVethPair(): () => void {
  ip("netns", "add", NETNS);
  try {
    ip("link", "add", DEVICE, "type", "veth", "peer", "name", PEER);
    ip("link", "set", PEER, "netns", NETNS);
    ip("addr", "add", `${HERE}/30`, "dev", DEVICE);
    ip("link", "set", DEVICE, "up");
    ip("-n", NETNS, "addr", "add", `${THERE}/30`, "dev", PEER);
    ip("-n", NETNS, "link", "set", PEER, "up");
  } catch (e) {
    spawnSync("ip", ["netns", "del", NETNS]);
    throw e;
  }
  return () => {
    spawnSync("ip", ["netns", "del", NETNS]);
    spawnSync("ip", ["link", "del", DEVICE]);
  };
}

// A receiver here on two ports; it prints them, then counts what each receives until it has
// `expected` datagrams on the first or 3 s pass, waits 300 ms more for stragglers, and prints.
const RECEIVER = String.raw`
use strict; use Socket; use IO::Select; use Time::HiRes qw(time);
my ($host, $expected) = @ARGV;
my @s; my @port;
for my $i (0, 1) {
  socket($s[$i], PF_INET, SOCK_DGRAM, 0) or die; bind($s[$i], pack_sockaddr_in(0, inet_aton($host))) or die "bind: $!";
  ($port[$i]) = unpack_sockaddr_in(getsockname($s[$i]));
}
$| = 1; print "ports $port[0] $port[1]\n";
my $sel = IO::Select->new(@s); my @got = (0, 0); my $end = time + 3;
while (time < $end) {
  for my $fh ($sel->can_read(0.05)) { recv($fh, my $buf, 2048, 0); $got[$fh == $s[0] ? 0 : 1]++; }
  $end = time + 0.3 if $got[0] == $expected && $end - time > 0.3;
}
print "got $got[0] $got[1]\n";
`;
const SENDER = String.raw`
use strict; use Socket;
my ($host, $pass, $drop, $n, $m) = @ARGV;
socket(my $s, PF_INET, SOCK_DGRAM, 0) or die;
for (1..$n) { defined send($s, "pass", 0, pack_sockaddr_in($pass, inet_aton($host))) or die "send: $!"; }
for (1..$m) { defined send($s, "drop", 0, pack_sockaddr_in($drop, inet_aton($host))) or die "send: $!"; }
`;

// Where things are in an Ethernet frame of an IPv4 UDP packet (no VLAN tag, no IP options),
// and values as xdpLoad gives them: the packet's bytes read as a little-endian number.
const ETHERTYPE = 12, IP_PROTOCOL = 14 + 9, UDP_DPORT = 14 + 20 + 2;
const ETH_P_IP = 0x0008, IPPROTO_UDP = 17, XDP_DROP = 1, XDP_PASS = 2;
const swap16 = (n: number) => ((n & 0xff) << 8) | (n >> 8);

class UdpDrop extends Tracer {
  /** The port to drop, in network byte order (as xdpLoad reads it). */
  dropPort: u32 = 0;
  udp = new Count();
  drops = new Count();

  @xdp(DEVICE)
  onPacket(ctx: XdpMd) {
    if (xdpLoad(ctx, ETHERTYPE, 2) !== ETH_P_IP || xdpLoad(ctx, IP_PROTOCOL, 1) !== IPPROTO_UDP) return XDP_PASS;
    this.udp.add();
    if (xdpLoad(ctx, UDP_DPORT, 2) === this.dropPort) {
      this.drops.add();
      return XDP_DROP;
    }
    return XDP_PASS;
  }
}

// The same handler, in generic XDP.
class ForcedGeneric extends Tracer {
  dropPort: u32 = 0;
  udp = new Count();
  drops = new Count();

  @xdp(DEVICE, { mode: "generic" })
  onPacket(ctx: XdpMd) {
    if (xdpLoad(ctx, ETHERTYPE, 2) !== ETH_P_IP || xdpLoad(ctx, IP_PROTOCOL, 1) !== IPPROTO_UDP) return XDP_PASS;
    this.udp.add();
    if (xdpLoad(ctx, UDP_DPORT, 2) === this.dropPort) {
      this.drops.add();
      return XDP_DROP;
    }
    return XDP_PASS;
  }
}

function ownIds(): number[][] {
  const links = new Set<number>(), progs = new Set<number>();
  for (const fd of readdirSync("/proc/self/fdinfo")) {
    try {
      const info = readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
      const l = /^link_id:\s*(\d+)/m.exec(info), p = /^prog_id:\s*(\d+)/m.exec(info);
      if (l) links.add(Number(l[1]));
      if (p) progs.add(Number(p[1]));
    } catch { /* closed meanwhile */ }
  }
  return [[...links], [...progs]];
}

function linkShow(): string {
  return spawnSync("ip", ["link", "show", "dev", DEVICE], { encoding: "utf8" }).stdout;
}

async function dropsOnePort(make: () => UdpDrop | ForcedGeneric, mode: RegExp) {
  const removePair = makeVethPair();
  try {
    const receiver = spawn("perl", ["-e", RECEIVER, HERE, "3"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    receiver.stdout!.on("data", (d) => (out += d));
    const exited = new Promise((r) => receiver.on("exit", r));
    assert.ok(await waitFor(() => /ports \d+ \d+\n/.test(out), 60_000), `receiver: ${out}`);
    const [pass, drop] = /ports (\d+) (\d+)/.exec(out)!.slice(1).map(Number);
    const t = make();
    t.dropPort = swap16(drop);
    await t.start({ exitOnError: false });
    const [links, progs] = ownIds();
    const attached = linkShow();
    const sender = spawnSync("ip", ["netns", "exec", NETNS, "perl", "-e", SENDER, HERE, String(pass), String(drop), "3", "2"], { encoding: "utf8" });
    assert.equal(sender.status, 0, sender.stderr);
    await exited;
    t.end = () => {};
    const counts = { udp: t.udp.get(), drops: t.drops.get() };
    await t.stop();
    assert.match(attached, mode, attached);
    assert.match(out, /got 3 0\n/, "the receiver got the passed datagrams and none of the dropped");
    assert.deepEqual(counts, { udp: 5n, drops: 2n });
    assert.doesNotMatch(linkShow(), / mtu \d+ xdp|prog\/xdp/, "the device still has an XDP program after stop()");
    const left = () => [...links.filter((id) => linkIds().includes(id)), ...progs.filter((id) => progIds().includes(id))];
    assert.ok(await waitFor(() => left().length === 0, 60_000), `left after stop(): ${left()}`);
  } finally {
    removePair();
  }
}

test("@xdp on a veth drops UDP to one port and passes the rest (the driver's own XDP)", async () => {
  await dropsOnePort(() => new UdpDrop(), / mtu \d+ xdp qdisc[\s\S]*prog\/xdp id \d+ name onPacket/);
});

test("@xdp with { mode: \"generic\" } does the same in generic XDP", async () => {
  await dropsOnePort(() => new ForcedGeneric(), / mtu \d+ xdpgeneric qdisc[\s\S]*prog\/xdp id \d+ name onPacket/);
});

test("@xdp on a device that does not exist says so", async () => {
  class Nowhere extends Tracer {
    @xdp("tsbpf-none0")
    h() {}
  }
  await assert.rejects(new Nowhere().start({ exitOnError: false }), /Cannot attach xdp on tsbpf-none0: there is no network device "tsbpf-none0"/);
});

test("an @xdp handler returns an XDP action, not a bool; plan warns that it can drop packets", () => {
  const source = (body: string) => `import { xdp, Tracer, type XdpMd } from "tsbpf";
class X extends Tracer {
  @xdp("lo")
  h(ctx: XdpMd) {
    ${body}
  }
}
`;
  assert.throws(() => compile(source("return ctx.rx_queue_index > 0;"), "/test/x.ts", target), (e) => e instanceof CompileError && /5:12[\s\S]*not a bool: true would be XDP_DROP \(1\)/.test(e.message));
  assert.throws(() => compile(source("return skbLoad(ctx, 0, 1);"), "/test/x.ts", target), (e) => e instanceof CompileError && /skbLoad\(\) reads the packet of @cgroupSkb and @socketFilter handlers, not of a xdp lo \(use xdpLoad\)/.test(e.message));
  const specs = compile(source("return ctx.rx_queue_index > 0 ? 1 : 2;"), "/test/x.ts", target);
  assert.match(describePlan(specs, { cpus: 2 }), /WARNINGS:\n    xdp lo → h\(\) decides the fate of every packet arriving on the device/);
  assert.equal(kernelWarnings(specs).length, 1);
  assert.deepEqual(kernelWarnings(compile(source("return 2;"), "/test/x.ts", target)), []);
});
