import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { type Bio, BioSnoop, formatBio } from "../../examples/biosnoop.ts";
import { diskNumber } from "../../tool/mod.ts";
import { loopDevice } from "./loop_device.ts";
import { waitFor } from "./util.ts";

type Event = Omit<Bio, "disk" | "comm"> & { disk: string; comm: string };

test("biosnoop -d loopN -P: each direct write and read with its process, sector, size and pattern", async (t) => {
  const loop = loopDevice();
  if (!loop) return t.skip("no loop device (losetup)");
  const tracer = new BioSnoop();
  tracer.disk = diskNumber(loop.name)!;
  tracer.pattern = true;
  try {
    await tracer.start({ exitOnError: false });
    const events: Event[] = [];
    tracer.events.on((e) => events.push(e));
    const writer = spawnSync("dd", ["if=/dev/zero", `of=${loop.path}`, "bs=4k", "count=4", "seek=100", "oflag=direct"], { stdio: "ignore" });
    const reader = spawnSync("dd", [`if=${loop.path}`, "of=/dev/null", "bs=64k", "count=2", "skip=3", "iflag=direct"], { stdio: "ignore" });
    assert.ok(await waitFor(() => events.length >= 6, 60_000), `${events.length} events for 6 requests`);
    assert.ok(events.every((e) => e.disk === loop.name), "another disk got through -d");
    const writes = events.filter((e) => e.pid === writer.pid);
    assert.deepEqual(writes.map((e) => [e.comm, e.write, e.sector, e.len]), [0, 1, 2, 3].map((i) => ["dd", 1, BigInt(800 + 8 * i), 4096n]));
    assert.deepEqual(writes.slice(1).map((e) => e.pattern), [1, 1, 1], "consecutive writes are sequential");
    const reads = events.filter((e) => e.pid === reader.pid);
    assert.deepEqual(reads.map((e) => [e.write, e.sector, e.len]), [[0, 384n, 65536n], [0, 512n, 65536n]]);
    assert.equal(reads[0].pattern, 2, "a read away from the last write is random");
    for (const e of events) assert.ok(e.delta > 0n && e.delta < 5_000_000_000n, `latency ${e.delta} ns`);
    const line = formatBio(writes[0], events[0].ts, { pattern: true });
    assert.match(line, new RegExp(`^\\d+\\.\\d{6} +dd +${writer.pid} +${loop.name} +W 800 +4096 +[?SR] +\\d+\\.\\d\\d$`));
  } finally {
    await tracer.stop();
    loop.remove();
  }
});
