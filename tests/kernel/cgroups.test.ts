// Containers are cgroups: cgroup() in a handler, cgroupId(path) in JavaScript, a tracer limited
// to one cgroup and its descendants (start({ cgroup }) and --cgroup), and container ids read
// from cgroup paths. Each test makes its own cgroup v2 and moves a process into it.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cgroupId, cgroup2Mount, cgroupName, containerOf, Count, cgroup, Tracer, tracepoint, type Cgroup, type u64 } from "../../mod.ts";
import { libc } from "../../runtime/ffi/mod.ts";

await libc();
const ROOT = new URL("../..", import.meta.url).pathname;
declare const Bun: unknown;

/** A fresh cgroup (and a child of it) under the cgroup2 mount, removed by `remove()`. */
function makeCgroup(name: string) {
  const mount = cgroup2Mount();
  assert.ok(mount, "no cgroup2 file system is mounted (tsbpf looks in /proc/self/mountinfo)");
  const dir = join(mount, `tsbpf-test-${name}-${process.pid}`);
  const child = join(dir, "inner");
  mkdirSync(child, { recursive: true });
  return {
    dir, child,
    remove() {
      for (const d of [child, dir]) try { rmdirSync(d); } catch { /* still has a process: the test failed already */ }
    },
  };
}

/** A shell that waits for input, moved into `cgroupDir` before it runs anything. */
function shellIn(cgroupDir: string) {
  const sh = spawn("sh", ["-c", "read x; for i in 1 2 3 4 5 6 7 8 9 10; do cat /proc/self/stat >/dev/null; done"], { stdio: ["pipe", "ignore", "inherit"] });
  writeFileSync(join(cgroupDir, "cgroup.procs"), String(sh.pid));
  return { pid: sh.pid!, go: () => sh.stdin!.end("go\n"), exited: new Promise((r) => sh.on("exit", r)) };
}

class ByCgroup extends Tracer {
  seen = new Count<u64>();

  @tracepoint("syscalls:sys_enter_openat")
  onOpen() {
    this.seen.add(cgroup());
  }
}

test("cgroup() in a handler is cgroupId(path) of the process's cgroup", async () => {
  const cg = makeCgroup("id");
  try {
    const sh = shellIn(cg.child);
    const t = await new ByCgroup().start({ exitOnError: false });
    sh.go();
    await sh.exited;
    const ids = t.seen.entries().map(([k]) => k);
    t.end = () => {};
    await t.stop();
    assert.ok(ids.includes(cgroupId(cg.child)), `no openat counted under ${cg.child}'s id ${cgroupId(cg.child)}: ${ids.join(", ")}`);
  } finally {
    cg.remove();
  }
});

test("start({ cgroup }) traces only that cgroup and its descendants", async () => {
  const cg = makeCgroup("filter");
  try {
    const inside = shellIn(cg.child); // a descendant of the filtered cgroup
    const t = await new ByCgroup().start({ exitOnError: false, cgroup: cg.dir });
    inside.go();
    await inside.exited;
    // This test process is outside: its opens must not be counted.
    spawnSync("cat", ["/proc/self/stat"]);
    const ids = t.seen.entries().map(([k]) => k);
    t.end = () => {};
    await t.stop();
    // The shell and the cats it starts are all in the inner cgroup; nothing else may be counted.
    assert.deepEqual(ids, [cgroupId(cg.child)], `expected only ${cg.child}'s id ${cgroupId(cg.child)}`);
  } finally {
    cg.remove();
  }
});

test("start({ cgroup }) with a path that is not a cgroup v2 directory is a clear error", async () => {
  await assert.rejects(new ByCgroup().start({ exitOnError: false, cgroup: "/etc" }), /"\/etc" is not a cgroup v2 directory/);
  await assert.rejects(new ByCgroup().start({ exitOnError: false, cgroup: "/nonexistent/x" }), /no cgroup "\/nonexistent\/x"/);
});

test("tsbpf --cgroup PATH -e: a one-liner limited to one cgroup", async () => {
  const cg = makeCgroup("cli");
  try {
    const sh = shellIn(cg.child);
    const main = join(ROOT, "cli/main.ts");
    const cmd = typeof Bun !== "undefined" ? [process.execPath, main] : [process.execPath, "run", "-A", "--quiet", main];
    const child = spawn(cmd[0], [...cmd.slice(1), "--cgroup", cg.dir, "-e", 'tracepoint("syscalls:sys_enter_openat", () => count(cgroup()))'], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (err += d));
    const exited = new Promise((r) => child.on("exit", r));
    for (let i = 0; i < 300 && !err.includes("Attaching"); i++) await new Promise((r) => setTimeout(r, 50));
    sh.go();
    await sh.exited;
    spawnSync("cat", ["/proc/self/stat"]);
    child.kill("SIGINT");
    await exited;
    const counted = [...out.matchAll(/^@\[(\d+)\]: \d+$/gm)].map((m) => BigInt(m[1]));
    assert.deepEqual(counted, [cgroupId(cg.child)], `expected only ${cg.child}'s id ${cgroupId(cg.child)}:\n${out}\n${err}`);
  } finally {
    cg.remove();
  }
});

test("container ids are read from the cgroup path layouts of docker, containerd, CRI-O, podman and kubernetes", () => {
  const id = "4f2b9c1d7e8a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c";
  for (const path of [
    `/system.slice/docker-${id}.scope`,
    `/docker/${id}`,
    `/system.slice/containerd.service/kubepods-besteffort-pod1234.slice:cri-containerd:${id}`,
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod5a6b.slice/cri-containerd-${id}.scope`,
    `/kubepods.slice/kubepods-pod5a6b.slice/crio-${id}.scope`,
    `/machine.slice/libpod-${id}.scope`,
    `/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${id}.scope/container`,
    `/kubepods/besteffort/pod0c5e2b1a-1111-2222-3333-444455556666/${id}`,
  ]) assert.equal(containerOf(path), id, path);
  assert.equal(containerOf("/user.slice/user-1000.slice/session-2.scope"), undefined);
  assert.equal(containerOf("/"), undefined);
});

class ByContainer extends Tracer {
  seen = new Count<Cgroup>();

  @tracepoint("syscalls:sys_enter_openat")
  onOpen() {
    this.seen.add(cgroupName(cgroup()));
  }
}

test("a Cgroup key is shown as its container id (or its path), in text and in JSON", async () => {
  const cg = makeCgroup("names");
  const id = "4f2b9c1d7e8a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c";
  const container = join(cg.dir, `docker-${id}.scope`);
  mkdirSync(container);
  try {
    const sh = shellIn(container);
    const t = await new ByContainer().start({ exitOnError: false, cgroup: cg.dir });
    sh.go();
    await sh.exited;
    const [[key]] = t.seen.entries();
    const lines: string[] = [];
    t.seen.print({ out: (l) => lines.push(l) });
    const json: string[] = [];
    t.seen.print({ out: (l) => json.push(l), json: true });
    t.end = () => {};
    await t.stop();
    assert.equal(key.id, cgroupId(container));
    assert.equal(key.path, container.slice(cgroup2Mount()!.length));
    assert.equal(key.container, id);
    assert.match(lines.join("\n"), /^@seen\[container:4f2b9c1d7e8a\]: \d+$/m);
    assert.match(json.join("\n"), /"@seen": \{"container:4f2b9c1d7e8a": \d+\}/);
  } finally {
    try { rmdirSync(container); } catch { /* the test failed already */ }
    cg.remove();
  }
});
