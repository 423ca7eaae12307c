// tsbpf's counter maps (runtime/maps/counter_map.ts) on this kernel: the shared, mmapped kind is
// read as memory; the per-CPU kind (kernels before 5.5, and pins made by an older tsbpf) still reads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mapCreate, mapInfo, mapUpdate, MapType } from "../../runtime/bpf.ts";
import { BPF_F_MMAPABLE, Counters, createCounterMap } from "../../runtime/maps/counter_map.ts";
import { possibleCpus } from "../../runtime/cpus.ts";
import { libc } from "../../runtime/ffi/mod.ts";

await libc();

test("counter maps: one mmapped array where the kernel allows; per-CPU arrays (older kernels, older pins) still read", () => {
  const shared = createCounterMap("tsbpf_test", 3);
  const perCpu = mapCreate({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 3, name: "tsbpf_test" });
  const key = (i: number) => new Uint8Array(new Uint32Array([i]).buffer);
  try {
    const info = mapInfo(shared.fd);
    assert.equal(info.type, MapType.ARRAY);
    assert.ok(info.flags & BPF_F_MMAPABLE, "not mmapable on this kernel (5.5+)");
    const a = new Counters(shared.fd);
    try {
      assert.ok(a.mapped);
      assert.equal(a.sum(1), 0);
      mapUpdate(shared.fd, key(1), new Uint8Array(new BigUint64Array([2n ** 40n + 5n]).buffer));
      assert.equal(a.sum(1), 2 ** 40 + 5, "a write through the map is not seen in the mapping");
      assert.equal(a.sum(0), 0);
      assert.equal(a.sum(3), 0, "outside the map");
    } finally {
      a.close();
    }
    assert.equal(a.sum(1), 0, "read after close");
    const cpus = possibleCpus();
    const b = new Counters(perCpu.fd);
    assert.equal(b.mapped, false);
    mapUpdate(perCpu.fd, key(2), new Uint8Array(new BigUint64Array(Array.from({ length: cpus }, (_, i) => BigInt(i + 1))).buffer));
    assert.equal(b.sum(2), (cpus * (cpus + 1)) / 2);
    b.close();
  } finally {
    shared.close();
    perCpu.close();
  }
});
