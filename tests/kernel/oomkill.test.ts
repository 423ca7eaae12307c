import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { describeKill, OomKillTracer } from "../../examples/oomkill.ts";
import { waitFor } from "./util.ts";

const LIMIT = 16 << 20;

/**
 * A fresh memory cgroup limited to 16 MiB without swap, so an OOM kill stays inside it:
 * under this process's own cgroup on v1, at the root on v2. Undefined if neither is writable.
 */
function memoryCgroup(): { dir: string; remove(): void } | undefined {
  const name = `tsbpf-oom-${process.pid}`;
  try {
    let dir: string;
    if (existsSync("/sys/fs/cgroup/cgroup.controllers")) {
      if (!readFileSync("/sys/fs/cgroup/cgroup.controllers", "utf8").includes("memory")) return undefined;
      writeFileSync("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
      dir = `/sys/fs/cgroup/${name}`;
      mkdirSync(dir);
      writeFileSync(`${dir}/memory.max`, String(LIMIT));
      writeFileSync(`${dir}/memory.swap.max`, "0");
    } else {
      const own = readFileSync("/proc/self/cgroup", "utf8").match(/^\d+:memory:(.*)$/m)?.[1];
      if (own === undefined || !existsSync("/sys/fs/cgroup/memory")) return undefined;
      dir = `/sys/fs/cgroup/memory${own === "/" ? "" : own}/${name}`;
      mkdirSync(dir);
      writeFileSync(`${dir}/memory.limit_in_bytes`, String(LIMIT));
      if (existsSync(`${dir}/memory.memsw.limit_in_bytes`)) writeFileSync(`${dir}/memory.memsw.limit_in_bytes`, String(LIMIT));
    }
    return { dir, remove: () => rmdirSync(dir) };
  } catch {
    return undefined;
  }
}

test("oomkill reports a process killed for exceeding its memory cgroup's limit", async (t) => {
  const cg = memoryCgroup();
  const tracer = await new OomKillTracer().start({ exitOnError: false });
  try {
    if (!cg) {
      t.skip("no writable memory cgroup here: only checked that oomkill loads and attaches");
      return;
    }
    const events: Parameters<typeof describeKill>[0][] = [];
    tracer.events.on((e) => events.push(e));
    // dd allocates and fills a 64 MiB buffer: four times the cgroup's limit.
    const child = spawn("/bin/sh", ["-c", `echo $$ > ${cg.dir}/cgroup.procs && exec dd if=/dev/zero of=/dev/null bs=64M count=1`], { stdio: "ignore" });
    const status = await new Promise<string | number | null>((r) => child.on("exit", (code, signal) => r(signal ?? code)));
    assert.equal(status, "SIGKILL", "dd was not killed");
    assert.ok(await waitFor(() => events.some((e) => e.tpid === child.pid), 60_000), "no OOM event for dd");
    const e = events.find((e) => e.tpid === child.pid)!;
    assert.equal(e.tcomm, "dd");
    assert.equal(e.fpid, child.pid, "dd's own allocation triggered the kill");
    assert.ok(e.anonRss > 8000n && e.anonRss <= BigInt(LIMIT / 1024), `anon-rss ${e.anonRss} kB`);
    assert.ok(e.totalVm >= 65536n, `total-vm ${e.totalVm} kB`);
    assert.match(describeKill(e, "0.00 0.00 0.00 1/1 1", "12:00:00"),
      new RegExp(`^12:00:00 Triggered by PID ${child.pid} \\("dd"\\), OOM kill of PID ${child.pid} \\("dd"\\), total-vm \\d+kB, anon-rss \\d+kB, loadavg: 0.00`));
  } finally {
    await tracer.stop();
    if (cg) await waitFor(() => {
      try {
        cg.remove();
        return true;
      } catch {
        return false; // its processes are still exiting
      }
    }, 60_000);
  }
});
