// @cgroupSkb: systemd's IPAccounting= and IPAddressDeny= as a tracer. Each test makes its own
// cgroup v2, moves a perl child into it and has it send loopback traffic: the bytes and packets
// counted must be exactly what it sent, a denied address must be refused with EPERM, and nothing
// may stay attached once the tracer stops (checked by the tracer's own link and program ids).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cgroup2Mount, cgroupId, cgroupName, cgroupSkb, Count, LpmTrieMap, skbCgroup, skbLoad, Sum, Tracer, type Cgroup, type Ipv4Key, type SkBuff, type u32, type u8 } from "../../mod.ts";
import { libc } from "../../runtime/ffi/mod.ts";
import { linkIds, progIds } from "../../runtime/bpf.ts";
import { runCommand, waitFor } from "./util.ts";
import { docSnippet } from "./doc_snippets.ts";
import { compile } from "../../compiler/mod.ts";
import { describePlan, kernelWarnings } from "../../compiler/plan.ts";
import { CompileError } from "../../spec/diagnostics.ts";
import { hostTarget } from "../../tracer/compile_target.ts";

await libc();
const target = await hostTarget();
const ROOT = new URL("../..", import.meta.url).pathname;

function makeCgroup(name: string) {
  const mount = cgroup2Mount();
  assert.ok(mount, "no cgroup2 file system is mounted");
  const dir = join(mount, `tsbpf-test-${name}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  return { dir, remove: () => { try { rmdirSync(dir); } catch { /* a process is still in it: the test failed already */ } } };
}

// The child: waits for a line on stdin (so it is in the cgroup before it sends), then sends each
// size as one UDP datagram to its own socket on 127.0.0.1 and reads it back, then one datagram
// to the denied address; then a TCP connect to the denied address and one to a listener of its own.
const CHILD = String.raw`
use strict; use Socket; use Errno qw(EPERM);
my ($sizes, $denied) = @ARGV;
my $go = <STDIN>;
sub outcome { my ($ok) = @_; return $ok ? "ok" : $! == EPERM ? "EPERM" : "error $!"; }
socket(my $u, PF_INET, SOCK_DGRAM, 0) or die "socket: $!";
bind($u, pack_sockaddr_in(0, inet_aton("127.0.0.1"))) or die "bind: $!";
my $me = getsockname($u);
for my $n (split /,/, $sizes) {
  defined send($u, "x" x $n, 0, $me) or die "send: $!";
  defined recv($u, my $buf, 65536, 0) or die "recv: $!";
  length($buf) == $n or die "short read";
}
print "udp denied: ", outcome(defined send($u, "y", 0, pack_sockaddr_in(9, inet_aton($denied)))), "\n";
if ($ARGV[2]) {
  socket(my $l, PF_INET, SOCK_STREAM, 0) or die; bind($l, pack_sockaddr_in(0, inet_aton("127.0.0.1"))) or die; listen($l, 1) or die;
  my ($port) = unpack_sockaddr_in(getsockname($l));
  socket(my $a, PF_INET, SOCK_STREAM, 0) or die;
  print "tcp allowed: ", outcome(connect($a, pack_sockaddr_in($port, inet_aton("127.0.0.1")))), "\n";
  socket(my $d, PF_INET, SOCK_STREAM, 0) or die;
  # A dropped SYN is sent again until the connect times out: wait half a second, not minutes.
  setsockopt($d, SOL_SOCKET, SO_SNDTIMEO, pack("qq", 0, 500000)) or die;
  print "tcp denied: ", outcome(connect($d, pack_sockaddr_in($port, inet_aton($denied)))), "\n";
}
`;

/** Runs the child in `cgroupDir` and gives what it printed. */
async function childIn(cgroupDir: string, sizes: number[], denied: string, tcp = false): Promise<string> {
  const child = spawn("perl", ["-e", CHILD, sizes.join(","), denied, tcp ? "1" : ""], { stdio: ["pipe", "pipe", "inherit"] });
  writeFileSync(join(cgroupDir, "cgroup.procs"), String(child.pid));
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  const code = await new Promise((r) => {
    child.on("exit", r);
    child.stdin!.end("go\n");
  });
  assert.equal(code, 0, `the child failed: ${out}`);
  return out;
}

/** The ids of the BPF links and programs this process holds (from /proc/self/fdinfo): the tracer's, while it runs. */
function ownIds(): { links: number[]; progs: number[] } {
  const links = new Set<number>(), progs = new Set<number>();
  for (const fd of readdirSync("/proc/self/fdinfo")) {
    let info: string;
    try {
      info = readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
    } catch {
      continue;
    }
    const link = /^link_id:\s*(\d+)/m.exec(info), prog = /^prog_id:\s*(\d+)/m.exec(info);
    if (link) links.add(Number(link[1]));
    if (prog) progs.add(Number(prog[1]));
  }
  return { links: [...links], progs: [...progs] };
}

/** Which of these ids the kernel still has, once it had time to release them (RCU). */
async function leftOver(ids: { links: number[]; progs: number[] }): Promise<number[]> {
  const left = () => [...ids.links.filter((id) => linkIds().includes(id)), ...ids.progs.filter((id) => progIds().includes(id))];
  await waitFor(() => left().length === 0, 60_000);
  return left();
}

const INGRESS = 0, EGRESS = 1;
/** ETH_P_IP (0x0800) as skb.protocol holds it, in network byte order; where an IPv4 header keeps the destination. */
const ETH_P_IP = 0x0008, IPV4_DADDR = 16;

class IpAccounting extends Tracer {
  packets = new Count<u32>();
  bytes = new Sum<u32>();
  denied = new Count();
  deny = new LpmTrieMap<Ipv4Key, u8>(64);

  @cgroupSkb("ingress")
  onIngress(skb: SkBuff) {
    this.packets.add(INGRESS);
    this.bytes.add(INGRESS, skb.len);
  }

  @cgroupSkb("egress")
  onEgress(skb: SkBuff) {
    // The destination from the IPv4 header (an unconnected socket has no remote_ip4).
    if (skb.protocol === ETH_P_IP && this.deny.has({ prefixlen: 32, addr: skbLoad(skb, IPV4_DADDR, 4) })) {
      this.denied.add();
      return false;
    }
    this.packets.add(EGRESS);
    this.bytes.add(EGRESS, skb.len);
    return true;
  }
}

// What skb->len is at the cgroup hooks for a UDP datagram over IPv4: the kernel runs them with
// the packet starting at its network header (__cgroup_bpf_run_filter_skb pushes back to it on
// ingress), so the IPv4 header (ihl 5: 20 bytes, loopback sends no options) and the UDP header
// (8 bytes) count besides the payload.
const IPV4_HEADER = 5 * 4, UDP_HEADER = 8;

test("@cgroupSkb counts a cgroup's UDP bytes and packets exactly, and refuses a denied address with EPERM", async () => {
  const cg = makeCgroup("skb");
  const sizes = [1, 100, 1000, 1472];
  try {
    const t = await new IpAccounting().start({ exitOnError: false, cgroup: cg.dir });
    t.deny.set("127.0.0.2/32", 1);
    const ids = ownIds();
    assert.equal(ids.links.length, 2, `expected the tracer's two cgroup links, found ${JSON.stringify(ids)}`);
    let out: string;
    try {
      out = await childIn(cg.dir, sizes, "127.0.0.2");
    } finally {
      t.end = () => {};
    }
    const expected = sizes.reduce((a, n) => a + IPV4_HEADER + UDP_HEADER + n, 0);
    const counts = { inPackets: t.packets.get(INGRESS), outPackets: t.packets.get(EGRESS), inBytes: t.bytes.get(INGRESS), outBytes: t.bytes.get(EGRESS), denied: t.denied.get() };
    await t.stop();
    assert.match(out, /udp denied: EPERM/);
    // Each datagram goes out and comes back in once; the denied one is dropped before it is counted.
    assert.deepEqual(counts, {
      inPackets: BigInt(sizes.length), outPackets: BigInt(sizes.length), inBytes: BigInt(expected), outBytes: BigInt(expected), denied: 1n,
    });
    assert.deepEqual(await leftOver(ids), [], "links or programs left after stop()");
  } finally {
    cg.remove();
  }
});

/** Bytes each cgroup below the attached one sends, by the cgroup of the packet's socket. */
class PerCgroup extends Tracer {
  bytes = new Sum<Cgroup>();
  packets = new Count<Cgroup>();

  @cgroupSkb("egress")
  onEgress(skb: SkBuff) {
    this.bytes.add(cgroupName(skbCgroup(skb)), skb.len);
    this.packets.add(cgroupName(skbCgroup(skb)));
  }
}

test("@cgroupSkb on a parent cgroup counts each child cgroup's bytes apart, by skbCgroup(skb)", async () => {
  const parent = makeCgroup("parent");
  const a = join(parent.dir, "a"), b = join(parent.dir, "b");
  mkdirSync(a);
  mkdirSync(b);
  const sizesA = [10, 20, 30], sizesB = [500];
  try {
    const t = await new PerCgroup().start({ exitOnError: false, cgroup: parent.dir });
    try {
      await childIn(a, sizesA, "127.0.0.3");
      await childIn(b, sizesB, "127.0.0.3");
    } finally {
      t.end = () => {};
    }
    const bytes = new Map(t.bytes.entries().map(([k, v]) => [k.id, v]));
    const packets = new Map(t.packets.entries().map(([k, v]) => [k.id, v]));
    await t.stop();
    // Each child also sends one datagram to 127.0.0.3 (not denied here): 1 byte of payload.
    const expected = (sizes: number[]) => BigInt([...sizes, 1].reduce((s, n) => s + IPV4_HEADER + UDP_HEADER + n, 0));
    assert.deepEqual([...bytes].sort(), [[cgroupId(a), expected(sizesA)], [cgroupId(b), expected(sizesB)]].sort());
    assert.deepEqual(packets.get(cgroupId(a)), BigInt(sizesA.length + 1));
    assert.deepEqual(packets.get(cgroupId(b)), BigInt(sizesB.length + 1));
  } finally {
    for (const d of [a, b]) try { rmdirSync(d); } catch { /* the test failed already */ }
    parent.remove();
  }
});

test("@cgroupSkb: a TCP connect to a denied address never connects (its SYNs are dropped), one to another address does", async () => {
  const cg = makeCgroup("tcp");
  try {
    const t = await new IpAccounting().start({ exitOnError: false, cgroup: cg.dir });
    t.deny.set("127.0.0.2/32", 1);
    let out: string;
    try {
      out = await childIn(cg.dir, [], "127.0.0.2", true);
    } finally {
      t.end = () => {};
    }
    const denied = t.denied.get() ?? 0n;
    await t.stop();
    assert.match(out, /tcp allowed: ok\n/);
    // TCP ignores a refused SYN and sends it again (tcp_connect), so connect() waits until its
    // timeout (SO_SNDTIMEO, half a second here) rather than failing with EPERM as a UDP send does.
    assert.match(out, /tcp denied: error Operation now in progress\n/);
    assert.match(out, /udp denied: EPERM\n/);
    // The UDP datagram and at least the first SYN were refused.
    assert.ok(denied >= 2n, `denied ${denied}`);
  } finally {
    cg.remove();
  }
});

test("@cgroupSkb without a cgroup is refused with what to write", async () => {
  await assert.rejects(new IpAccounting().start({ exitOnError: false }), /needs a cgroup to attach to[\s\S]*start\(\{ cgroup \}\)/);
});

test("a @cgroupSkb handler's return value must be a verdict the kernel accepts", () => {
  const source = (body: string) => `import { cgroupSkb, Tracer, type SkBuff } from "tsbpf";
class V extends Tracer {
  @cgroupSkb("egress")
  h(skb: SkBuff) {
    ${body}
  }
}
`;
  const refused = (body: string) => {
    try {
      compile(source(body), "/test/verdict.ts", target);
    } catch (e) {
      assert.ok(e instanceof CompileError, String(e));
      return e.message;
    }
    return undefined;
  };
  assert.match(refused("return 2;") ?? "", /verdict\.ts:5:12[\s\S]*returns 0 to 1, not 2/);
  assert.match(refused("return skb.len;") ?? "", /cannot check that this value stays in that range/);
  assert.match(refused("return skb.len > 100 ? 1 : 3;") ?? "", /verdict\.ts:5:32[\s\S]*not 3/);
  for (const ok of ["return skb.len > 100;", "return skb.len > 100 ? 0 : 1;", "if (skb.len > 100) return false;", "return;", ""]) {
    assert.equal(refused(ok), undefined, ok);
  }
});

test("plan flags a @cgroupSkb handler that can drop packets as changing what the kernel does, and not one that only counts", () => {
  const source = (egress: string) => `import { cgroupSkb, Count, LpmTrieMap, skbLoad, Tracer, type Ipv4Key, type SkBuff, type u8 } from "tsbpf";
class Net extends Tracer {
  packets = new Count();
  deny = new LpmTrieMap<Ipv4Key, u8>(64);
  @cgroupSkb("ingress")
  onIngress(skb: SkBuff) {
    this.packets.add();
    return true;
  }
  @cgroupSkb("egress")
  onEgress(skb: SkBuff) {
    ${egress}
  }
}
`;
  const deny = compile(source("return !this.deny.has({ prefixlen: 32, addr: skbLoad(skb, 16, 4) });"), "/test/net.ts", target);
  const report = describePlan(deny, { cpus: 2 });
  assert.match(report, /WARNINGS:\n    cgroupSkb egress → onEgress\(\) decides which packets the cgroup's sockets may send or receive: it can drop them/);
  assert.match(report, /cgroupSkb ingress  →  onIngress\(\) at line 6: .*\(lets every packet pass: it only counts\)/);
  assert.equal(kernelWarnings(deny).length, 1, kernelWarnings(deny).join("\n"));
  // A handler that returns nothing, or only true, lets everything pass: plan has nothing to warn of.
  for (const body of ["this.packets.add();", "return 1;"]) {
    const counting = compile(source(body), "/test/net.ts", target);
    assert.match(describePlan(counting, { cpus: 2 }), /warnings: none in the kernel/);
    assert.deepEqual(kernelWarnings(counting), []);
  }
  // if (x) return false: the one return that drops is enough.
  assert.equal(kernelWarnings(compile(source("if (skb.len > 1000) return false;"), "/test/net.ts", target)).length, 1);
});

declare const Bun: unknown;
test("docs/network.md: the IPAccounting/IPAddressDeny demo runs as written", async () => {
  const file = `${ROOT}tests/fixtures/.doc-network-${process.pid}.ts`;
  writeFileSync(file, docSnippet("network.md"));
  try {
    // The demo makes a cgroup, spawns a shell and serves TCP: Deno needs more than --allow-ffi.
    const run = runCommand(process.execPath, typeof Bun !== "undefined" ? ["run", file] : ["run", "-A", file]);
    assert.equal(await run.exited, 0, run.output());
    const out = run.output();
    assert.match(out, /echo: hello\n/);
    assert.match(out, /write error: Operation not permitted/);
    const m = /IP: (\d+)B in \((\d+) packets\), (\d+)B out \((\d+) packets\); denied: 1 packets/.exec(out);
    assert.ok(m, out);
    // At least the handshake, "hello\n" and its echo each way, each at least an IP and a TCP header.
    assert.ok(Number(m[2]) >= 3 && Number(m[4]) >= 3 && Number(m[1]) >= 40 * Number(m[2]) && Number(m[3]) >= 40 * Number(m[4]), out);
  } finally {
    rmSync(file, { force: true });
  }
});
