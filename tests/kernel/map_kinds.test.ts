// The map kinds beyond hash and array: LPM tries, queues and stacks, stack-trace maps; written by
// handlers in the kernel (BPF_PROG_TEST_RUN) and read and written from JavaScript.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileSource, handlersSource, load } from "./harness.ts";
import { Count, LpmTrieMap, QueueMap, StackMap, StackTraceMap, type Ipv4Key, type Ipv6Key, type KStack, type UStack } from "../../mod.ts";
import process from "node:process";
import { setSymbolizer } from "../../runtime/maps/stacks.ts";
import { CompileError } from "../../spec/diagnostics.ts";

const IMPORTS = "LpmTrieMap, QueueMap, StackMap, StackTraceMap, Count, kstack, type Ipv4Key, type Ipv6Key, type KStack, type UStack, ";

function source(fields: string, bodies: string[], extra = ""): string {
  const s = handlersSource(bodies, extra).replace("class T extends Tracer {\n", `class T extends Tracer {\n${fields}\n`);
  return s.replace(/^import \{ rawTracepoint/, `import { ${IMPORTS}rawTracepoint`);
}

function tracer(fields: string, bodies: string[], extra = "") {
  return load(compileSource(source(fields, bodies, extra)));
}

/** An IPv4 address as a handler sees it in a u32 read from kernel memory (network byte order in memory). */
function ipv4Word(text: string): bigint {
  const b = text.split(".").map(Number);
  return BigInt(((b[3] << 24) | (b[2] << 16) | (b[1] << 8) | b[0]) >>> 0);
}

test("LpmTrieMap: the longest matching prefix wins, in the kernel and in JS", () => {
  const t = tracer("  subnets = new LpmTrieMap<Ipv4Key, u64>(64);", [
    "    return this.subnets.get({ prefixlen: 32, addr: args[0] as u32 }) as u32;",
    "    this.subnets.add({ prefixlen: 32, addr: args[0] as u32 }, args[1]);",
    "    this.subnets.set({ prefixlen: args[1] as u32, addr: args[0] as u32 }, 70n); return this.subnets.has({ prefixlen: 32, addr: args[0] as u32 }) ? 1 : 0;",
    "    this.subnets.delete({ prefixlen: args[1] as u32, addr: args[0] as u32 });",
  ]);
  try {
    const m = t.bind("subnets", new LpmTrieMap<Ipv4Key, bigint>(64));
    m.set("10.0.0.0/8", 1n);
    m.set("10.1.0.0/16", 2n);
    m.set("10.1.2.0/24", 3n);
    m.set({ prefixlen: 32, addr: Number(ipv4Word("10.1.2.3")) }, 4n);
    assert.equal(t.run("h0", [ipv4Word("10.1.2.3")]), 4, "the /32 itself");
    assert.equal(t.run("h0", [ipv4Word("10.1.2.99")]), 3, "inside the /24");
    assert.equal(t.run("h0", [ipv4Word("10.1.9.9")]), 2, "inside the /16 only");
    assert.equal(t.run("h0", [ipv4Word("10.200.0.1")]), 1, "inside the /8 only");
    assert.equal(t.run("h0", [ipv4Word("11.0.0.1")]), 0, "no prefix matches");
    assert.equal(m.get("10.1.2.77"), 3n, "a JS lookup matches the longest prefix too");
    assert.equal(m.get("12.0.0.1"), undefined);

    // Per-subnet accounting: add() with a full address counts in the longest matching prefix.
    t.run("h1", [ipv4Word("10.1.7.7"), 100n]);
    t.run("h1", [ipv4Word("10.99.0.1"), 5n]);
    assert.equal(m.get("10.1.0.0/16"), 102n);
    assert.equal(m.get("10.0.0.0/8"), 6n);

    assert.deepEqual(m.cidrEntries().sort(), [["10.0.0.0/8", 6n], ["10.1.0.0/16", 102n], ["10.1.2.0/24", 3n], ["10.1.2.3/32", 4n]]);
    assert.deepEqual(m.entries().find(([k]) => k.prefixlen === 16)![0], { prefixlen: 16, addr: Number(ipv4Word("10.1.0.0")) });

    assert.equal(t.run("h2", [ipv4Word("192.168.0.0"), 16n]), 1, "a prefix stored by the handler matches an address inside it");
    assert.equal(m.get("192.168.44.1"), 70n);
    t.run("h3", [ipv4Word("10.1.0.0"), 16n]);
    assert.equal(m.get("10.1.9.9"), 6n, "with the /16 deleted in the kernel, the /8 matches");
    assert.equal(m.delete("10.1.2.0/24"), true);
    assert.equal(m.get("10.1.2.99"), 6n);
    assert.equal(m.delete("10.1.2.0/24"), false);
    assert.throws(() => m.set("2001:db8::/32", 1n), /IPv6 prefix, but subnets holds 4-byte addresses/);
    assert.throws(() => m.set("10.0.0.0/33", 1n), /not a CIDR prefix/);
    m.clear();
    assert.deepEqual(m.entries(), []);
  } finally {
    t.close();
  }
});

test("LpmTrieMap: IPv6 prefixes and a key interface of the script's own", () => {
  const t = tracer("  v6 = new LpmTrieMap<Ipv6Key, u32>();\n  own = new LpmTrieMap<Subnet, u8>();", [
    "    return this.v6.get({ prefixlen: 128, addr: [args[0] as u32, args[1] as u32, args[2] as u32, args[3] as u32] });",
    "    this.own.set({ prefixlen: 12, net: args[0] as u32 }, 9); return this.own.get({ prefixlen: 32, net: args[1] as u32 });",
  ], "interface Subnet { prefixlen: u32; net: u32 }\n");
  try {
    const v6 = t.bind("v6", new LpmTrieMap<Ipv6Key, number>());
    const own = t.bind("own", new LpmTrieMap<{ prefixlen: number; net: number }, number>());
    v6.set("2001:db8::/32", 1);
    v6.set("2001:db8:1::/48", 2);
    v6.set("::1", 3);
    // 2001:db8:1:0::5 as four words in memory order.
    const words = (bytes: number[]) => [0, 1, 2, 3].map((i) => BigInt(((bytes[i * 4 + 3] << 24) | (bytes[i * 4 + 2] << 16) | (bytes[i * 4 + 1] << 8) | bytes[i * 4]) >>> 0));
    const addr = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5];
    assert.equal(t.run("h0", words(addr)), 2);
    addr[5] = 2;
    assert.equal(t.run("h0", words(addr)), 1);
    assert.equal(t.run("h0", words([...Array(15).fill(0), 1])), 3);
    assert.equal(v6.get("2001:db8:1::77"), 2);
    assert.deepEqual(v6.cidrEntries().map(([c]) => c).sort(), ["2001:db8:1::/48", "2001:db8::/32", "::1/128"]);
    assert.equal(t.run("h1", [ipv4Word("172.16.0.0"), ipv4Word("172.31.255.1")]), 9);
    assert.deepEqual(own.cidrEntries(), [["172.16.0.0/12", 9]]);
  } finally {
    t.close();
  }
});

test("LpmTrieMap: a key without prefixlen first is a compile error at its place", () => {
  const s = source("  bad = new LpmTrieMap<Bad, u64>();", ["    return 0;"], "interface Bad { addr: u32; prefixlen: u32 }\n");
  assert.throws(() => compileSource(s), (e: unknown) => {
    assert.ok(e instanceof CompileError);
    assert.match(e.message, /handler\.ts:\d+:\d+: error\[TSB\d+\]: an LpmTrieMap's key must be an interface starting with "prefixlen: u32"/);
    return true;
  });
});

test("QueueMap and StackMap: FIFO and LIFO, pushed and popped on both sides", () => {
  const t = tracer("  q = new QueueMap<u32>(4);\n  s = new StackMap<Pair>(3);", [
    "    return this.q.push(args[0] as u32) ? 1 : 0;",
    "    return this.q.pop();",
    "    return this.q.peek();",
    "    return this.q.push(args[0] as u32, true) ? 1 : 0;",
    "    this.s.push({ a: args[0] as u32, b: args[1] as u16 }); const top = this.s.pop(); return top.a + top.b;",
    "    return this.s.push({ a: args[0] as u32, b: 1 }) ? 1 : 0;",
  ], "interface Pair { a: u32; b: u16 }\n");
  try {
    const q = t.bind("q", new QueueMap<number>(4));
    const s = t.bind("s", new StackMap<{ a: number; b: number }>(3));
    assert.equal(t.run("h1"), 0, "popping an empty queue gives zero in a handler");
    assert.equal(q.pop(), undefined, "and undefined in JS");
    for (const v of [11n, 12n, 13n]) assert.equal(t.run("h0", [v]), 1);
    assert.equal(q.push(14), true);
    assert.equal(t.run("h0", [15n]), 0, "a full queue refuses a push");
    assert.equal(q.push(15), false);
    assert.equal(t.run("h2"), 11, "peek gives the oldest");
    assert.equal(q.peek(), 11);
    assert.equal(t.run("h1"), 11, "pop takes the oldest");
    assert.equal(q.pop(), 12);
    assert.equal(t.run("h3", [16n]), 1);
    assert.equal(t.run("h0", [17n]), 1);
    assert.equal(t.run("h0", [18n]), 0, "full again");
    assert.equal(t.run("h3", [18n]), 1, "an overwriting push drops the oldest when full");
    assert.equal(q.push(19, true), true);
    assert.deepEqual(q.drain(), [16, 17, 18, 19], "drain gives the rest in order");
    assert.equal(q.peek(), undefined);

    assert.equal(t.run("h4", [40n, 2n]), 42, "a struct pushed and popped in the kernel");
    s.push({ a: 1, b: 1 });
    assert.equal(t.run("h5", [2n]), 1);
    s.push({ a: 3, b: 3 });
    assert.equal(t.run("h5", [4n]), 0, "a full stack refuses a push");
    assert.deepEqual(s.pop(), { a: 3, b: 3 }, "pop takes the newest");
    assert.deepEqual(s.drain(), [{ a: 2, b: 1 }, { a: 1, b: 1 }]);
  } finally {
    t.close();
  }
});

test("StackTraceMap: stacks captured into a map of the script's own, read by id and as KStack values", async () => {
  setSymbolizer((await import("../../runtime/symbolize/mod.ts")).bpftraceFrameNames);
  const t = tracer("  traces = new StackTraceMap(128);\n  byStack = new Count<KStack>();\n  hidden = new Count<KStack>();\n  users = new Count<UStack>();", [
    "    const s = this.traces.kstack(); this.byStack.add(s); return s as u32;",
    "    this.hidden.add(kstack());",
    "    this.users.add(this.traces.ustack());",
  ]);
  try {
    const traces = t.bind("traces", new StackTraceMap(128));
    const byStack = t.bind("byStack", new Count<KStack>());
    const hidden = t.bind("hidden", new Count<KStack>());
    const id = t.run("h0");
    assert.equal(t.run("h0"), id, "the same stack gets the same id");
    assert.ok(id >= 0, `the kernel captured the stack (id ${id | 0})`);
    assert.deepEqual(traces.ids(), [id]);
    const addresses = traces.addresses(id);
    assert.ok(addresses.length > 2, "a kernel stack has frames");
    const frames = traces.frames(id);
    assert.ok(frames.some((f) => /bpf_prog_test_run|bpf_test_run|__sys_bpf/.test(f)), `frames name the test-run path: ${frames.join(" ")}`);
    const [[stack, n]] = byStack.entries();
    assert.equal(n, 2n);
    assert.equal(stack.id, id);
    assert.deepEqual(stack.addresses, addresses, "a KStack from this map reads its frames from this map");
    t.run("h1");
    const [[other]] = hidden.entries();
    assert.ok(other.addresses.length === 0, "kstack()'s hidden map is another map (not bound in this harness)");
    t.run("h2");
    const [[user]] = t.bind("users", new Count<UStack>()).entries();
    assert.equal(user.kind, "user");
    assert.equal(user.pid, process.pid, "a user stack keeps the pid beside the map's number");
    assert.ok(user.failed || user.addresses.length > 0, "and reads its frames from this map");
    assert.equal(traces.delete(id), true);
    assert.deepEqual(traces.addresses(id), []);
  } finally {
    t.close();
  }
});

test("queue and stack-trace maps: wrong calls in a handler are compile errors that say what exists", () => {
  const cases: [string, string, RegExp][] = [
    ["  q = new QueueMap<u32>();", "    this.q.get(1);", /map "q" has no method "get" in a handler[\s\S]*its methods are: push, pop, peek/],
    ["  q = new QueueMap<u32>();", "    this.q.push(1, args[0] > 1);", /push\(\)'s second argument must be true or false/],
    ["  q = new QueueMap<u32>();", "    this.q.pop(1);", /pop\(\) takes 0 argument/],
    ["  s = new StackTraceMap();", "    this.s.capture();", /its methods are: kstack, ustack/],
  ];
  for (const [field, body, message] of cases) {
    assert.throws(() => compileSource(source(field, [body])), (e: unknown) => e instanceof CompileError && message.test(e.message), body);
  }
});
