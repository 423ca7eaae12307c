// ntop(): IPv4 and IPv6 addresses printed as bpftrace prints them, in one-liners (bpftrace's
// tcpconnect.bt, tcplife.bt) and in scripts, on real connects to 127.0.0.1 and ::1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { tsbpf } from "./cli_run.ts";
import { waitFor } from "./util.ts";
import { NtopSnoop } from "../fixtures/ntop_snoop.ts";

/** bash connects to a closed port of each loopback address: each still goes SYN_SENT, then CLOSE. */
const CONNECTS = "bash -c 'exec 2>/dev/null; echo > /dev/tcp/127.0.0.1/1; echo > /dev/tcp/::1/1; true'";

test("one-liner: ntop() of a tracepoint's u8[4] and u8[16] fields prints 127.0.0.1 and ::1", async () => {
  const r = await tsbpf(["-c", CONNECTS, "-e",
    `tracepoint("sock:inet_sock_set_state", a => a.newstate == 2 && printf("%d %s %s\\n", a.family, ntop(a.daddr), ntop(a.daddr_v6)))`]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.deepEqual(lines, ["2 127.0.0.1 ::ffff:127.0.0.1", "10 0.0.0.0 ::1"], r.stdout);
});

test("one-liner: ntop(family, address) as a map key, and bpftrace's own spelling translated", async () => {
  const r = await tsbpf(["-c", CONNECTS, "-e",
    `tracepoint("sock:inet_sock_set_state", a => a.newstate == 2 && (a.family == 2 ? count(ntop(2, a.daddr)) : count(ntop(a.family, a.daddr_v6))))`]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^@\[127\.0\.0\.1\]: 1$/m, r.stdout);
  assert.match(r.stdout, /^@\[::1\]: 1$/m, r.stdout);
  const b = await tsbpf(["-e", `tracepoint:sock:inet_sock_set_state /args->newstate == 2/ { printf("%s\\n", ntop(args->daddr)); }`]);
  const t = /= hint: in tsbpf: tsbpf -e '(.*)'$/m.exec(b.stderr);
  assert.ok(t, b.stderr);
  const run = await tsbpf(["-c", CONNECTS, "-e", t[1]]);
  assert.equal(run.status, 0, `${t[1]}\n${run.stderr}`);
  assert.equal(run.stdout, "127.0.0.1\n0.0.0.0\n", t[1]);
});

test("one-liner: ntop() of a conditional address (c ? a.daddr : a.daddr_v6) reads the arm the condition picks, with or without a family", async () => {
  const r = await tsbpf(["-c", CONNECTS, "-e",
    `tracepoint("sock:inet_sock_set_state", a => a.newstate == 2 && printf("%s %s\\n", ntop(a.family, a.family == 2 ? a.daddr : a.daddr_v6), ntop(a.family == 2 ? (a.daddr) : a.daddr_v6)))`]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n"), ["127.0.0.1 127.0.0.1", "::1 ::1"], r.stdout);
});

test("one-liner: ntop() of a string is an error at its place", async () => {
  const r = await tsbpf(["-e", `tracepoint("sock:inet_sock_set_state", a => printf("%s\\n", ntop(comm())))`]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^-e:1:\d+: error\[TSB\d+\]: ntop\(\) takes an address/m, r.stderr);
});

test("script: Inet event fields and map keys are the address as a string, from u8 arrays, a u32 and an in6_addr", async () => {
  const tracer = new NtopSnoop();
  await tracer.start({ exitOnError: false });
  try {
    const changes: string[] = [], connects: string[] = [];
    let bash = -1;
    tracer.changes.on((e) => e.pid === bash && changes.push(`${e.family} ${e.daddr} ${e.daddr6} ${e.either}`));
    tracer.connects.on((e) => e.pid === bash && connects.push(e.addr));
    bash = spawnSync("bash", ["-c", "exec 2>/dev/null; echo > /dev/tcp/127.0.0.1/1; echo > /dev/tcp/::1/1; true"]).pid;
    // The events of the refused connects arrive after bash has gone: its pid is known by then.
    const want = ["2 127.0.0.1 ::ffff:127.0.0.1 127.0.0.1", "10 0.0.0.0 ::1 ::1"];
    assert.ok(await waitFor(() => want.every((w) => changes.includes(w)) && connects.length >= 2, 60_000), `saw ${changes.join(" | ")}; ${connects.join(" ")}`);
    assert.deepEqual(connects.slice(0, 2), ["127.0.0.1", "::1"]);
    assert.ok((tracer.destinations.get("127.0.0.1") ?? 0n) > 0n, "a Count<Inet> is read by the address as a string");
    assert.ok((tracer.destinations.get("::1") ?? 0n) > 0n);
    assert.throws(() => tracer.destinations.get("not an address"), /Inet/);
    assert.ok((tracer.destinations.get("::ffff:127.0.0.1") ?? 0n) === 0n, "an IPv4-mapped key is the IPv6 address, not the IPv4 one");
  } finally {
    await tracer.stop();
  }
});
