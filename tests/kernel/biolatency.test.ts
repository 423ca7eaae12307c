import { test } from "node:test";
import assert from "node:assert/strict";
import { BioLatency, flagsName, report } from "../../examples/biolatency.ts";
import { diskNumber } from "../../tool/mod.ts";
import { loopDevice } from "./loop_device.ts";

test("biolatency -D -d loopN: a histogram of the loop device's direct I/O, in bcc's layout", async (t) => {
  const loop = loopDevice();
  if (!loop) return t.skip("no loop device (losetup)");
  const tracer = new BioLatency();
  tracer.perDisk = true;
  tracer.disk = diskNumber(loop.name)!;
  tracer.end = () => {};
  try {
    await tracer.start({ exitOnError: false });
    loop.dd("if=/dev/zero", `of=${loop.path}`, "bs=4k", "count=100", "oflag=direct");
    loop.dd(`if=${loop.path}`, "of=/dev/null", "bs=64k", "count=50", "iflag=direct");
    const rows = tracer.byDisk.entries();
    assert.deepEqual(rows.map(([disk]) => disk), [loop.name], "another disk got through -d");
    const total = rows[0][1].reduce((a, b) => a + b.count, 0n);
    assert.ok(total >= 150n && total < 170n, `${total} requests for 150 direct reads and writes`);
    const lines: string[] = [];
    report(tracer, { out: (l) => lines.push(l), extension: true });
    assert.equal(lines[1], `disk = ${loop.name}`);
    assert.equal(lines[2], "     usecs               : count     distribution");
    assert.match(lines[3], /^ {9}0 -> 1 {10}: \d+ +\|[ *]{40}\|$/);
    assert.ok(lines.some((l) => /\|\*{40}\|$/.test(l)), "no full bar for the largest bucket");
    assert.match(lines.join("\n"), /avg = \d+ usecs, total: \d+ usecs, count: 1[5-6]\d/);
    assert.deepEqual(tracer.byDisk.entries(), [], "report() clears the histograms for the next interval");
  } finally {
    await tracer.stop();
    loop.remove();
  }
});

test("biolatency -F -m: per set of request flags, in milliseconds", async (t) => {
  const loop = loopDevice();
  if (!loop) return t.skip("no loop device (losetup)");
  const tracer = new BioLatency();
  tracer.perFlags = true;
  tracer.milliseconds = true;
  tracer.disk = diskNumber(loop.name)!;
  tracer.end = () => {};
  try {
    await tracer.start({ exitOnError: false });
    loop.dd("if=/dev/zero", `of=${loop.path}`, "bs=4k", "count=20", "oflag=direct");
    loop.dd(`if=${loop.path}`, "of=/dev/null", "bs=4k", "count=20", "iflag=direct");
    const names = tracer.byFlags.entries().map(([flags]) => flagsName(flags));
    assert.ok(names.some((n) => n.endsWith("Write")) && names.some((n) => n.endsWith("Read")), `flags: ${names}`);
    const lines: string[] = [];
    report(tracer, { out: (l) => lines.push(l) });
    assert.ok(lines.includes("     msecs               : count     distribution"));
    assert.ok(lines.some((l) => /^flags = (\w+-)*Write$/.test(l)));
  } finally {
    await tracer.stop();
    loop.remove();
  }
});
