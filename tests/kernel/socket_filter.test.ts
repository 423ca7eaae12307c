// @socketFilter(): a program on a UDP socket of this process decides what it receives. The test
// sends datagrams on loopback (traffic only between its own two sockets): those the filter drops
// never arrive, those it cuts arrive cut, the rest arrive whole; after stop() the socket receives
// everything again and the program is gone (by its id).
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile } from "../../compiler/mod.ts";
import { describePlan, kernelWarnings } from "../../compiler/plan.ts";
import { CompileError } from "../../spec/diagnostics.ts";
import { hostTarget } from "../../tracer/compile_target.ts";
import { Count, skbLoad, socketFilter, Tracer, type SkBuff } from "../../mod.ts";
import { libc, libcSync } from "../../runtime/ffi/mod.ts";
import { progIds } from "../../runtime/bpf.ts";
import { readdirSync, readFileSync } from "node:fs";
import { waitFor } from "./util.ts";

await libc();
const target = await hostTarget();

const SYS_SOCKET = 41, SYS_SENDTO = 44, SYS_RECVFROM = 45, SYS_BIND = 49, SYS_GETSOCKNAME = 51;
const AF_INET = 2n, SOCK_DGRAM = 2n, MSG_DONTWAIT = 0x40n;

/** A UDP socket on 127.0.0.1, through libc (the runtimes' own sockets do not give their fd). */
class Udp {
  readonly fd: number;
  readonly port: number;
  constructor() {
    const c = libcSync();
    this.fd = c.syscall(SYS_SOCKET, AF_INET, SOCK_DGRAM, 0n);
    assert.ok(this.fd >= 0, `socket: ${this.fd}`);
    const addr = sockaddr(0);
    assert.equal(c.syscall(SYS_BIND, BigInt(this.fd), c.addressOf(addr), 16n), 0);
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, 16, true);
    assert.equal(c.syscall(SYS_GETSOCKNAME, BigInt(this.fd), c.addressOf(addr), c.addressOf(len)), 0);
    this.port = new DataView(addr.buffer).getUint16(2);
  }
  sendTo(port: number, text: string): void {
    const c = libcSync(), data = new TextEncoder().encode(text), addr = sockaddr(port);
    assert.equal(c.syscall(SYS_SENDTO, BigInt(this.fd), c.addressOf(data), BigInt(data.length), 0n, c.addressOf(addr), 16n), data.length);
  }
  /** Every datagram waiting, without blocking. */
  drain(): string[] {
    const c = libcSync(), buf = new Uint8Array(2048), out: string[] = [];
    for (;;) {
      const n = c.syscall(SYS_RECVFROM, BigInt(this.fd), c.addressOf(buf), BigInt(buf.length), MSG_DONTWAIT, 0n, 0n);
      if (n < 0) return out;
      out.push(new TextDecoder().decode(buf.subarray(0, n)));
    }
  }
  close(): void {
    libcSync().close(this.fd);
  }
}

function sockaddr(port: number): Uint8Array {
  const a = new Uint8Array(16), v = new DataView(a.buffer);
  v.setUint16(0, 2, true);
  v.setUint16(2, port);
  a.set([127, 0, 0, 1], 4);
  return a;
}

// What a UDP socket's filter sees: the packet from its UDP header on (the IP header is already
// pulled off when udp_queue_rcv_one_skb runs the filter), so the payload starts at byte 8.
const UDP_HEADER = 8;
const DROP = 0x44, CUT = 0x43; // "D", "C"

class Filter extends Tracer {
  seen = new Count();
  drops = new Count();

  @socketFilter()
  onPacket(skb: SkBuff) {
    this.seen.add();
    const first = skbLoad(skb, UDP_HEADER, 1);
    if (first === DROP) {
      this.drops.add();
      return 0;
    }
    if (first === CUT) return UDP_HEADER + 3;
    return skb.len;
  }
}

/** Ids of the BPF programs this process holds (its tracer's, while it runs). */
function ownProgIds(): number[] {
  const ids = new Set<number>();
  for (const fd of readdirSync("/proc/self/fdinfo")) {
    try {
      const m = /^prog_id:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"));
      if (m) ids.add(Number(m[1]));
    } catch { /* closed meanwhile */ }
  }
  return [...ids];
}

test("@socketFilter drops, cuts and keeps what a socket receives, and comes off at stop()", async () => {
  const rx = new Udp(), tx = new Udp();
  try {
    const t = await new Filter().start({ exitOnError: false });
    const progs = ownProgIds();
    t.attachSocket(rx.fd);
    for (const m of ["keep one", "Drop one", "Cut this", "keep two", "Drop two"]) tx.sendTo(rx.port, m);
    const received = rx.drain();
    t.end = () => {};
    const counts = { seen: t.seen.get(), dropped: t.drops.get() };
    await t.stop();
    assert.deepEqual(received, ["keep one", "Cut", "keep two"]);
    assert.deepEqual(counts, { seen: 5n, dropped: 2n });
    // Off the socket: a datagram the filter would drop now arrives.
    tx.sendTo(rx.port, "Drop after");
    assert.deepEqual(rx.drain(), ["Drop after"]);
    assert.ok(await waitFor(() => progs.every((id) => !progIds().includes(id)), 60_000), `programs ${progs} left`);
  } finally {
    rx.close();
    tx.close();
  }
});

test("attachSocket() before start() or without a socket filter says what to do", async () => {
  assert.throws(() => new Filter().attachSocket(0), /works only while the tracer runs: call it after start\(\)/);
});

test("a @socketFilter handler returns bytes to keep, not a bool; plan warns that it can drop packets", () => {
  const source = (body: string) => `import { socketFilter, Tracer, type SkBuff } from "tsbpf";
class F extends Tracer {
  @socketFilter()
  h(skb: SkBuff) {
    ${body}
  }
}
`;
  assert.throws(() => compile(source("return skb.len > 10;"), "/test/f.ts", target), (e) => e instanceof CompileError && /5:12[\s\S]*not a bool: true would keep 1 byte of the packet/.test(e.message));
  assert.throws(() => compile(source("return skb.remote_ip4;"), "/test/f.ts", target), (e) => e instanceof CompileError && /socket filter has no field "remote_ip4"/.test(e.message));
  const specs = compile(source("return skb.len > 10 ? skb.len : 0;"), "/test/f.ts", target);
  assert.match(describePlan(specs, { cpus: 2 }), /WARNINGS:\n    socketFilter  → h\(\) decides what the sockets it is attached to \(attachSocket\) receive/);
  assert.equal(kernelWarnings(specs).length, 1);
  // Ending without return keeps every packet whole: nothing to warn of.
  assert.deepEqual(kernelWarnings(compile(source(""), "/test/f.ts", target)), []);
});
