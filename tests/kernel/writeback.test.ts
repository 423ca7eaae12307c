import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatWriteback, reasonName, type Writeback, WritebackTracer } from "../../examples/writeback.ts";
import { loopDevice } from "./loop_device.ts";
import { waitFor } from "./util.ts";

type Event = Omit<Writeback, "name"> & { name: string };

test("writeback: syncfs on an ext4 loop device writes its dirty pages back, reason sync", async (t) => {
  const loop = loopDevice();
  if (!loop) return t.skip("no loop device (losetup)");
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-writeback-"));
  const tracer = new WritebackTracer();
  let mounted = false;
  try {
    try {
      execFileSync("mkfs.ext4", ["-q", "-F", loop.path], { stdio: "ignore" });
      execFileSync("mount", ["-t", "ext4", loop.path, dir], { stdio: "ignore" });
      mounted = true;
    } catch {
      return t.skip("cannot make and mount an ext4 file system (mkfs.ext4, mount)");
    }
    const [major, minor] = readFileSync(`/sys/class/block/${loop.name}/dev`, "utf8").trim().split(":").map(Number);
    await tracer.start({ exitOnError: false });
    const events: Event[] = [];
    tracer.events.on((e) => events.push(e));
    writeFileSync(`${dir}/data`, new Uint8Array(1 << 20).fill(7));
    assert.equal(spawnSync("sync", ["-f", `${dir}/data`]).status, 0);
    const mine = () => events.filter((e) => e.dev === ((major << 20) | minor));
    assert.ok(await waitFor(() => mine().length > 0, 60_000), `no writeback of ${loop.name}: ${events.map((e) => formatWriteback(e)).join("\n")}`);
    const e = mine()[0];
    assert.equal(reasonName(e.reason), "sync");
    assert.equal(e.name, `${major}:${minor}`);
    assert.match(formatWriteback(e, "12:00:00"), new RegExp(`^12:00:00  ${major}:${minor} +\\d+ +sync +\\d+\\.\\d{3}$`));
  } finally {
    await tracer.stop();
    if (mounted) execFileSync("umount", [dir]);
    rmdirSync(dir);
    loop.remove();
  }
});
