// Wildcard probes and probe(): one handler on every matching tracepoint, the name of the one
// that fired decoded in JavaScript. Kprobe wildcards (kprobe_multi, or one kprobe per
// function) need kprobes: those tests run in the VM lane.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { closeSync, fsyncSync, openSync, readFileSync, readlinkSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { libc } from "../../runtime/ffi/mod.ts";
import { Count, pid, probe, type ProbeName, RingBuf, tracepoint, Tracer, type i64, type TracepointArgs, type u32 } from "../../mod.ts";
import { waitFor } from "./util.ts";

// This file's own directory, made once a test needs it (a fixed name in /tmp could be another
// user's): Deno runs no after() hook of a file whose tests all skip.
let made: string | undefined;
const scratch = () => (made ??= mkdtempSync(join(tmpdir(), "tsbpf-wildcard-")));
after(() => made && rmSync(made, { recursive: true, force: true }));

await libc();

interface Hit {
  probe: ProbeName;
  nr: i64;
}

class ReadCalls extends Tracer {
  hits = new Count<[ProbeName]>();
  events = new RingBuf<Hit>();
  self: u32 = 0;

  // read, readahead, readlink, readlinkat, readv: one program, five links.
  @tracepoint("syscalls:sys_enter_read*")
  onEnter(args: TracepointArgs) {
    if (pid() !== this.self) return;
    this.hits.add([probe()]);
    this.events.submit({ probe: probe(), nr: args.__syscall_nr });
  }

  @tracepoint("syscalls:sys_exit_fsync")
  onFsync() {
    if (pid() === this.self) this.hits.add([probe()]);
  }
}

test("a tracepoint wildcard attaches one handler to every match; probe() names the one that fired", async () => {
  const tracer = new ReadCalls();
  tracer.self = process.pid;
  tracer.end = () => {};
  await tracer.start({ exitOnError: false });
  try {
    const events: Hit[] = [];
    tracer.events.on((e) => events.push(e));
    const file = join(scratch(), "io");
    writeFileSync(file, "x");
    for (let i = 0; i < 5; i++) {
      readFileSync(file); // read(2)
      readlinkSync("/proc/self/exe"); // readlink(2) or readlinkat(2)
      const fd = openSync(file, "r");
      fsyncSync(fd); // fsync(2), in another handler
      closeSync(fd);
    }
    const names = () => new Set(events.map((e) => e.probe));
    assert.ok(await waitFor(() => names().has("tracepoint:syscalls:sys_enter_read"), 60_000), `no read event; got ${[...names()].join(", ")}`);
    assert.ok(await waitFor(() => [...names()].some((n) => /^tracepoint:syscalls:sys_enter_readlink(at)?$/.test(n)), 60_000), `no readlink event; got ${[...names()].join(", ")}`);
    // The shared field __syscall_nr agrees with the name: read is 0, readlink 89, readlinkat 267 on x86-64.
    const nr: Record<string, bigint> = { read: 0n, readlink: 89n, readlinkat: 267n, readv: 19n, readahead: 187n };
    for (const e of events) assert.equal(e.nr, nr[e.probe.split("sys_enter_")[1]], `${e.probe} came with syscall number ${e.nr}`);
    // As a map key, printed with the names; a one-target handler's probe() is its own name.
    const keys = tracer.hits.entries().map(([[name]]) => name);
    assert.ok(keys.includes("tracepoint:syscalls:sys_enter_read"), `keys: ${keys.join(", ")}`);
    assert.ok((tracer.hits.get(["tracepoint:syscalls:sys_exit_fsync"]) ?? 0n) >= 5n, `keys: ${keys.join(", ")}`);
    assert.ok((tracer.hits.get(["tracepoint:syscalls:sys_enter_read"]) ?? 0n) >= 5n, "the map looked up by a probe's name");
    assert.match(tracer.hits.format().join("\n"), /\[tracepoint:syscalls:sys_enter_read\]: \d+/);
  } finally {
    await tracer.stop();
  }
});
