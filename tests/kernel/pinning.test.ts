// Pinning: a map declared `{ pin: NAME }` is created once and reopened by the next tracer (its
// layout checked), a tracer started with a pin stays attached after its process ends, and
// `tsbpf pinned` lists, reads and removes what tsbpf pinned; the kernel objects go with the
// last reference, checked by id.
import { test } from "node:test";
import assert from "node:assert/strict";
import { lstatSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Count, HashMap, Histogram, openPinned, pid, Tracer, tracepoint, type u32, type u64 } from "../../mod.ts";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { linkIds, mapIds, progIds } from "../../runtime/bpf.ts";
import { setPinMount } from "../../runtime/pin_dir.ts";
import { objectsOf, released } from "../lifecycle/kernel_objects.ts";
import { tsbpf } from "./cli_run.ts";
import { docSnippet, runSnippet } from "./doc_snippets.ts";

const c = await libc();
const N = 500;
const NAME = `test-${process.pid}`;

class CallsA extends Tracer {
  calls = new HashMap<u32, u64>(64, { pin: `${NAME}-calls` });
  self: u32 = 0;
  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.calls.add(1);
  }
}

/** Another tracer declaring the same pinned map: it gets the same kernel map. */
class CallsB extends Tracer {
  seen = new HashMap<u32, u64>(64, { pin: `${NAME}-calls` });
  self: u32 = 0;
  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.seen.add(1);
  }
}

/** The same pin name with another value type. */
class WrongValue extends Tracer {
  calls = new HashMap<u32, u32>(64, { pin: `${NAME}-calls` });
  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    this.calls.set(1, 1);
  }
}

/** The same pin name with fewer entries. */
class WrongSize extends Tracer {
  calls = new HashMap<u32, u64>(32, { pin: `${NAME}-calls` });
  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    this.calls.add(1);
  }
}

function calls(): void {
  for (let i = 0; i < N; i++) c.syscall(SYS.getppid);
}

async function run<T extends Tracer>(t: T & { self?: u32 }): Promise<{ mapIds: number[] }> {
  t.self = process.pid;
  await t.start({ exitOnError: false, reportLoss: false });
  t.end = () => {};
  const held = objectsOf("self");
  calls();
  return { mapIds: held.maps };
}

test("a pinned map outlives its tracer and is the same kernel map for the next one; another layout is refused naming both", async () => {
  const a = new CallsA();
  const ra = await run(a);
  assert.equal(a.calls.get(1), BigInt(N));
  await a.stop();
  assert.equal(lstatSync(`/sys/fs/bpf/tsbpf/${NAME}-calls/map`).mode & 0o777, 0o600);
  assert.equal(lstatSync(`/sys/fs/bpf/tsbpf`).mode & 0o777, 0o700);

  const b = new CallsB();
  const rb = await run(b);
  try {
    assert.equal(b.seen.get(1), BigInt(2 * N), "the second tracer counts on from the first one's value");
    const shared = rb.mapIds.filter((id) => ra.mapIds.includes(id));
    assert.equal(shared.length, 1, "one map id is common to both tracers");
  } finally {
    await b.stop();
  }

  for (const T of [WrongValue, WrongSize]) {
    const wrong = new T();
    await assert.rejects(wrong.start({ exitOnError: false, reportLoss: false }), (e: Error) => {
      assert.match(e.message, new RegExp(`Pinned map "${NAME}-calls"`));
      assert.match(e.message, /pinned by CallsA .*hash<u32, u64>, 64 entries/);
      assert.match(e.message, new RegExp(`${T.name}\\.calls: hash<u32, u(32|64)>, (64|32) entries`));
      assert.match(e.message, /tsbpf pinned rm/);
      return true;
    });
  }

  const list = await tsbpf(["pinned", "--json"]);
  assert.equal(list.status, 0, list.stderr);
  const entry = list.stdout.trim().split("\n").map((l) => JSON.parse(l)).find((r) => r.data.name === `${NAME}-calls`);
  assert.ok(entry, list.stdout);
  assert.equal(entry.data.kind, "map");
  const mapId = entry.data.maps[0].map_id;
  assert.ok(ra.mapIds.includes(mapId));

  const show = await tsbpf(["pinned", "show", `${NAME}-calls`]);
  assert.equal(show.status, 0, show.stderr);
  assert.match(show.stdout, new RegExp(`^@calls\\[1\\]: ${2 * N}$`, "m"));

  const rm = await tsbpf(["--json", "pinned", "rm", `${NAME}-calls`]);
  assert.equal(rm.status, 0, rm.stderr);
  const record = JSON.parse(rm.stdout.trim());
  assert.equal(record.type, "unpinned", rm.stdout);
  assert.equal(record.data.name, `${NAME}-calls`);
  assert.equal(record.data.kind, "map");
  assert.deepEqual(await released({ progs: [], maps: [mapId], links: [], perfFds: 0 }), []);
  assert.throws(() => lstatSync(`/sys/fs/bpf/tsbpf/${NAME}-calls`));
});

test("tsbpf --pin NAME -e: the one-liner stays attached after its process ends, counting; pinned rm releases it by id", async () => {
  const name = `${NAME}-oneliner`;
  const r = await tsbpf(["--pin", name, "-d", "0.2", "-e", `tracepoint("syscalls:sys_enter_getppid", () => count())`]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`stays attached.*/sys/fs/bpf/tsbpf/${name}`));
  try {
    const list = await tsbpf(["pinned", "--json"]);
    const entry = list.stdout.trim().split("\n").map((l) => JSON.parse(l)).find((x) => x.data.name === name);
    assert.ok(entry, list.stdout);
    assert.equal(entry.data.kind, "tracer");
    const [prog] = entry.data.programs;
    assert.equal(prog.probe, "tracepoint:syscalls:sys_enter_getppid");
    assert.ok(progIds().includes(prog.prog_id), "the program is loaded with no process holding it");
    assert.ok(prog.link_ids.every((id: number) => linkIds().includes(id)));
    const maps = entry.data.maps.map((m: { map_id: number }) => m.map_id);
    assert.ok(maps.length && maps.every((id: number) => mapIds().includes(id)));
    // The one-liner's map by the name it was written with (@), not the field behind it ($).
    assert.deepEqual(entry.data.maps.map((m: { name: string }) => m.name).filter((n: string) => !n.startsWith("__")), ["@"]);
    assert.match((await tsbpf(["pinned"])).stdout, new RegExp(`^${name}: a tracer[^]*^  map @: count, 1 entries`, "m"));

    const count0 = await pinnedCount(name);
    calls();
    const count1 = await pinnedCount(name);
    assert.ok(count1 - count0 >= N, `the pinned handler counted ${count1 - count0} of ${N} calls`);

    const again = await tsbpf(["--pin", name, "-d", "0.2", "-e", `tracepoint("syscalls:sys_enter_getppid", () => count())`]);
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, new RegExp(`"${name}" is already pinned`));

    // What was removed is said (a silent success looked like nothing happened).
    const rm = await tsbpf(["pinned", "rm", name]);
    assert.equal(rm.status, 0, rm.stderr);
    assert.match(rm.stdout, new RegExp(`^Unpinned ${name} \\(/sys/fs/bpf/tsbpf/${name}\\): a tracer pinned .* by .*; handler .*tracepoint:syscalls:sys_enter_getppid\\); map @$`, "m"));
    assert.deepEqual(await released({ progs: [prog.prog_id], maps, links: prog.link_ids, perfFds: 0 }), []);
    const gone = await tsbpf(["pinned", "rm", name]);
    assert.notEqual(gone.status, 0);
    assert.match(gone.stderr, /Nothing is pinned as/);
  } finally {
    await tsbpf(["pinned", "rm", name]);
  }
});

/** The one Count of a pinned one-liner, read by `tsbpf pinned show --json` (0 while empty). */
async function pinnedCount(name: string): Promise<number> {
  const r = await tsbpf(["--json", "pinned", "show", name]);
  assert.equal(r.status, 0, r.stderr);
  const record = r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((x) => x.type === "map");
  return Number(record ? Object.values(record.data)[0] : 0);
}

test("pin names with / or .. are refused where they are given", async () => {
  for (const bad of ["../etc", "a/b", "..", ""]) {
    class Bad extends Tracer {
      calls = new Count();
      @tracepoint("syscalls:sys_enter_getppid")
      onCall() {
        this.calls.add();
      }
    }
    await assert.rejects(new Bad().start({ pin: bad, exitOnError: false }), /is not a pin name/);
  }
  const r = await tsbpf(["pinned", "rm", "../x"]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /is not a pin name/);
});

test("tsbpf --pin NAME run: the script's first tracer is pinned as NAME, the next as NAME-Class; both stay after it ends", async () => {
  const name = `${NAME}-run`;
  try {
    const r = await tsbpf(["--pin", name, "-d", "0.3", "run", new URL("../fixtures/two_tracers.ts", import.meta.url).pathname]);
    assert.equal(r.status, 0, r.stderr);
    const list = await tsbpf(["pinned", "--json"]);
    const entries = list.stdout.trim().split("\n").map((l) => JSON.parse(l).data).filter((d) => d.name.startsWith(name));
    assert.deepEqual(entries.map((d) => [d.name, d.tracer]), [[name, "First"], [`${name}-Second`, "Second"]]);
    for (const d of entries) assert.ok(progIds().includes(d.programs[0].prog_id), `${d.name}'s program is loaded`);
  } finally {
    await tsbpf(["pinned", "rm", name]);
    await tsbpf(["pinned", "rm", `${name}-Second`]);
  }
  const after = await tsbpf(["pinned", "--json"]);
  assert.ok(!after.stdout.includes(`"${name}`), after.stdout);
});

test("docs/pinning.md's script, run twice: the second run counts on in the same pinned map", async () => {
  const source = docSnippet("pinning.md");
  assert.match(source, /pin: "opens-by-comm"/);
  try {
    const sum = (out: string) => out.split("\n").map((l) => Number(/ (\d+)$/.exec(l)?.[1] ?? 0)).reduce((a, b) => a + b, 0);
    const first = await runSnippet(source);
    assert.equal(first.status, 0, first.output);
    const second = await runSnippet(source);
    assert.equal(second.status, 0, second.output);
    // The snippet itself opens files (the runtime starting): each run adds to the same counts.
    assert.ok(sum(second.output) > sum(first.output), `${first.output}\n---\n${second.output}`);
    // The doc's reader, another process: the same counts, read through openPinned().
    const reader = await runSnippet(docSnippet("pinning.md", 1));
    assert.equal(reader.status, 0, reader.output);
    assert.match(reader.output, /^pinned by Opens at \d{4}-/m);
    assert.ok(sum(reader.output) >= sum(second.output), `${second.output}\n---\n${reader.output}`);
  } finally {
    await tsbpf(["pinned", "rm", "opens-by-comm"]);
  }
});

/** A pinned tracer with a map pinned under its own name and a histogram. */
class Both extends Tracer {
  shared = new Count(16, { pin: `${NAME}-shared` });
  sizes = new Histogram();
  self: u32 = 0;
  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.shared.add();
    this.sizes.add(1000);
  }
}

test("start({ pin }) with a map pinned under its own name: show prints both as the tracer does, rm of the tracer leaves the shared map", async () => {
  const name = `${NAME}-both`;
  const t = new Both();
  t.self = process.pid;
  try {
    await t.start({ pin: name, exitOnError: false, reportLoss: false });
    t.end = () => {};
    calls();
    await t.stop();
    const show = await tsbpf(["pinned", "show", name]);
    assert.equal(show.status, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`^@shared: ${N}$`, "m"));
    assert.match(show.stdout, new RegExp(`^@sizes:\\s*\\n\\[512, 1K\\)\\s+${N} \\|@+\\|$`, "m"));
    // Another process (here: this one, with no tracer running) opens them as the classes declared.
    const pinned = await openPinned(name);
    try {
      assert.deepEqual(Object.keys(pinned.maps).sort(), ["shared", "sizes"]);
      assert.equal(pinned.record.tracer, "Both");
      assert.equal((pinned.maps.shared as Count).get(), BigInt(N));
      assert.equal((pinned.maps.sizes as Histogram).get()?.reduce((a, b) => a + b.count, 0n), BigInt(N));
    } finally {
      pinned.close();
    }
    const list = (await tsbpf(["pinned", "--json"])).stdout.trim().split("\n").map((l) => JSON.parse(l).data);
    const tracer = list.find((d) => d.name === name), shared = list.find((d) => d.name === `${NAME}-shared`);
    assert.equal(tracer.maps.find((m: { name: string }) => m.name === "shared").pin, `${NAME}-shared`);
    assert.equal(tracer.maps.find((m: { name: string }) => m.name === "shared").map_id, shared.maps[0].map_id);
    assert.equal((await tsbpf(["pinned", "rm", name])).status, 0);
    assert.deepEqual(await released({ progs: [tracer.programs[0].prog_id], maps: [], links: tracer.programs[0].link_ids, perfFds: 0 }), []);
    assert.ok(mapIds().includes(shared.maps[0].map_id), "the map pinned under its own name stays");
  } finally {
    await tsbpf(["pinned", "rm", name]);
    await tsbpf(["pinned", "rm", `${NAME}-shared`]);
  }
});

test("where no BPF filesystem is mounted, the first pin mounts one (and creates tsbpf/ 0700)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-pin-mount-"));
  setPinMount(dir);
  try {
    assert.doesNotMatch(readFileSync("/proc/self/mountinfo", "utf8"), new RegExp(` ${dir} `));
    const a = new CallsA();
    await run(a);
    await a.stop();
    const mount = readFileSync("/proc/self/mountinfo", "utf8").split("\n").find((l) => l.split(" ")[4] === dir);
    assert.match(mount ?? "", / - bpf /, `no bpffs at ${dir}`);
    assert.equal(lstatSync(`${dir}/tsbpf`).mode & 0o777, 0o700);
    assert.ok(lstatSync(`${dir}/tsbpf/${NAME}-calls/map`).isFile());
  } finally {
    setPinMount("/sys/fs/bpf");
    spawnSync("umount", [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A tracer whose begin() fails: start() rejects, after loading and pinning. */
class FailingBegin extends Tracer {
  calls = new Count();
  held: ReturnType<typeof objectsOf> | undefined;
  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    this.calls.add();
  }
  override begin() {
    this.held = objectsOf("self");
    throw new Error("begin failed on purpose");
  }
}

test("start({ pin }) that fails after pinning (begin() throws) leaves no pin and no kernel object, by id", async () => {
  const name = `${NAME}-failing-begin`;
  const t = new FailingBegin();
  await assert.rejects(t.start({ pin: name, exitOnError: false, reportLoss: false }), /begin failed on purpose/);
  assert.ok(t.held && t.held.progs.length > 0 && t.held.links.length > 0, "begin() ran with the tracer loaded");
  const pinned = (() => {
    try {
      return lstatSync(`/sys/fs/bpf/tsbpf/${name}`).isDirectory();
    } catch {
      return false;
    }
  })();
  try {
    assert.equal(pinned, false, `/sys/fs/bpf/tsbpf/${name} was left behind by a start() that failed`);
    assert.deepEqual(await released({ ...t.held!, perfFds: 0 }), [], "the failed start's programs, maps or links are still in the kernel");
  } finally {
    if (pinned) await tsbpf(["pinned", "rm", name]);
  }
});
