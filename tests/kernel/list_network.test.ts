// `tsbpf list` for the packet programs: the network devices @xdp can attach to, the cgroups
// @cgroupSkb can attach to, and for @socketFilter (which has no probe: attachSocket(fd) picks
// the socket) what to write instead. The packet kinds are decorators of a tracer class, not
// one-liner probes, so -v says which decorator to write.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { mkdirSync, readdirSync, readFileSync, rmdirSync } from "node:fs";
import { libc } from "../../runtime/ffi/mod.ts";
import { cgroup2Mount } from "../../runtime/cgroup.ts";
import { tsbpf } from "./cli_run.ts";

await libc();

test("list 'xdp:*' lists this namespace's network devices; -v gives the ifindex and the decorator", async () => {
  const devices = readdirSync("/sys/class/net").sort();
  const all = await tsbpf(["list", "xdp:*"]);
  assert.equal(all.status, 0, all.stderr);
  assert.deepEqual(all.stdout.trim().split("\n"), devices.map((d) => `xdp:${d}`));
  const lo = await tsbpf(["list", "xdp:l?", "-v"]);
  assert.equal(lo.status, 0, lo.stderr);
  const index = readFileSync("/sys/class/net/lo/ifindex", "utf8").trim();
  assert.match(lo.stdout, new RegExp(`^xdp:lo\\n    ifindex ${index}\\n    @xdp\\("lo"\\) handler\\(ctx: XdpMd\\): ingress_ifindex, rx_queue_index; the packet through xdpLoad\\(ctx, offset, size\\)\\n$`));
});

test("list 'cgroupSkb:PATTERN' lists cgroup v2 directories as @cgroupSkb takes them", { skip: cgroup2Mount() ? false : "no cgroup v2 file system is mounted" }, async () => {
  const name = `tsbpf-list-${process.pid}`;
  const dir = `${cgroup2Mount()}/${name}`;
  mkdirSync(`${dir}/child`, { recursive: true });
  try {
    const r = await tsbpf(["list", `cgroupSkb:${name}*`, "-v"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `cgroupSkb:${name}\n    @cgroupSkb("ingress" | "egress", "${name}") handler(skb: SkBuff)\n` +
      `cgroupSkb:${name}/child\n    @cgroupSkb("ingress" | "egress", "${name}/child") handler(skb: SkBuff)\n`);
  } finally {
    rmdirSync(`${dir}/child`);
    rmdirSync(dir);
  }
});

test("list 'socketFilter' says a socket filter has no probe to list and what to write", async () => {
  const r = await tsbpf(["list", "socketFilter"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^tsbpf list: a socket filter has no probe to list: it runs on the sockets it is attached to: @socketFilter\(\) on a handler, then tracer\.attachSocket\(fd\) \(docs\/network\.md\)\n$/);
  const bad = await tsbpf(["list", "socketFilter:eth0"]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /socket filter/);
});
