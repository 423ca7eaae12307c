// pprof profiles as the real pprof reads them: a profile built from known frames is written,
// gzipped, and read back by `go tool pprof -raw` (Debian's golang-go), which prints every sample,
// location and mapping it decoded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { gzipSync } from "node:zlib";
import { encodeProfile } from "../../export/pprof_profile.ts";
import { ProtoWriter } from "../../export/protobuf.ts";
import type { Frame } from "../../runtime/symbolize/frame.ts";
import { decodeStr } from "../../runtime/maps/codec.ts";

const noGo = spawnSync("go", ["version"]).status === 0 ? false : "go is not installed (apt-get install golang-go): go tool pprof reads the profiles";

/** `go tool pprof ARGS file` on the gzipped message, with a throwaway HOME and build cache. */
function pprof(message: Uint8Array, args: string[]): string {
  const dir = mkdtempSync(`${tmpdir()}/tsbpf-pprof-`);
  try {
    writeFileSync(`${dir}/p.pb.gz`, gzipSync(message));
    const r = spawnSync("go", ["tool", "pprof", ...args, `${dir}/p.pb.gz`], { encoding: "utf8", timeout: 60_000, env: { PATH: process.env.PATH, HOME: dir, GOCACHE: `${dir}/cache`, PPROF_TMPDIR: dir } });
    assert.equal(r.status, 0, `go tool pprof ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const kernel = (name: string, address: bigint, module?: string): Frame => ({ kind: "kernel", address, name, offset: 0, module });
const user = (name: string | undefined, address: bigint, module?: string): Frame => ({ kind: "user", address, name, offset: 0, module });

test("a profile of known frames: pprof decodes its samples, labels, locations, mappings and period", { skip: noGo }, () => {
  const message = encodeProfile({
    sampleTypes: [{ type: "samples", unit: "count" }, { type: "cpu", unit: "nanoseconds" }],
    samples: [
      { frames: [kernel("ext4_read", 0xffffffffc0a01234n, "ext4"), kernel("vfs_read", 0xffffffff81234567n), user("read", 0x7f01000010n, "/usr/lib/libc.so.6"), user("main", 0x555500001000n, "/bin/app")], values: [3n, 30_000_000n], labels: { comm: "app", pid: 42 } },
      { frames: [user("spin", 0x555500002000n, "/bin/app"), user("main", 0x555500001000n, "/bin/app")], values: [7n, 70_000_000n], labels: { comm: "app", pid: 42 } },
      { frames: [user(undefined, 0x7f0000009999n, "/usr/lib/libfoo.so"), user(undefined, 0x1234n)], values: [1n, 10_000_000n] },
      { frames: [kernel("[Missed Kernel Stack]", 0n)], values: [1n, 0n] },
    ],
    periodType: { type: "cpu", unit: "nanoseconds" },
    period: 10_000_000n,
    timeNanos: 1_700_000_000_000_000_000n,
    durationNanos: 2_000_000_000n,
    comments: ["tsbpf counts"],
  });
  const raw = pprof(message, ["-raw"]);
  assert.match(raw, /^PeriodType: cpu nanoseconds$/m);
  assert.match(raw, /^Period: 10000000$/m);
  assert.match(raw, /^Duration: 2s$/m);
  assert.match(raw, /^Comment: tsbpf counts$/m);
  assert.match(raw, /^samples\/count cpu\/nanoseconds$/m);
  // Leaf first; the shared "main" frame is one location.
  assert.match(raw, /^ +3 +30000000: 1 2 3 4 \n +comm:\[app\]\n +pid:\[42\]$/m);
  assert.match(raw, /^ +7 +70000000: 5 4 \n/m);
  assert.match(raw, /^ +1 +10000000: 6 7 $/m);
  // A marker frame for a stack the kernel failed to capture has no mapping to widen.
  assert.match(raw, /^ +8: 0x0 \[Missed Kernel Stack\] /m);
  // 64-bit kernel addresses survive the varints; kernel frames sit in the kernel's mappings.
  assert.match(raw, /^ +1: 0xffffffffc0a01234 M=\d+ ext4_read /m);
  assert.match(raw, /^ +2: 0xffffffff81234567 M=\d+ vfs_read /m);
  assert.match(raw, /^\d+: 0xffffffffc0a01234\/0xffffffffc0a01235\/0x0 \[ext4\] +\[FN\]$/m);
  assert.match(raw, /^\d+: 0xffffffff81234567\/0xffffffff81234568\/0x0 \[kernel\.kallsyms\] +\[FN\]$/m);
  // The first mapping (pprof's "File:") is the executable the samples started in.
  assert.match(raw, /^Mappings\n1: 0x555500001000\/0x555500002001\/0x0 \/bin\/app +\[FN\]$/m);
  const top = pprof(message, ["-top"]);
  assert.match(top, /^File: app$/m);
  assert.match(top, /^Type: cpu$/m);
  assert.match(top, /^ +70ms 63\.64% 63\.64% +70ms 63\.64% +spin$/m);
  assert.match(top, /^ +0 +0% +100% +100ms 90\.91% +main$/m);
  // A frame nothing named is shown by its file.
  assert.match(top, /^ +10ms .* \[libfoo\.so\]$/m);
});

test("a sample's value count must match the sample types", () => {
  assert.throws(() => encodeProfile({ sampleTypes: [{ type: "samples", unit: "count" }], samples: [{ frames: [], values: [1n, 2n] }] }), /2 values for 1 sample types/);
});

test("protobuf varints: 7 bits a byte, int64 below zero in ten bytes, zero fields left out", () => {
  const w = new ProtoWriter();
  w.int(1, 300);
  w.int(2, 0);
  w.int(3, -1n);
  w.int(4, 0xffffffff81234567n);
  w.packed(5, [1, 128]);
  assert.deepEqual([...w.finish()], [
    0x08, 0xac, 0x02,
    0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    0x20, 0xe7, 0x8a, 0x8d, 0x89, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x01,
    0x2a, 0x03, 0x01, 0x80, 0x01,
  ]);
});

test("process names that are not UTF-8 (another user's): each byte as \\xNN, and different names stay different", { skip: noGo }, () => {
  const name = (bytes: number[]) => decodeStr(new Uint8Array([...bytes, 0]), 0, bytes.length + 1);
  const message = encodeProfile({
    sampleTypes: [{ type: "samples", unit: "count" }],
    samples: [
      { frames: [user("main", 0x555500001000n, "/bin/app")], values: [1n], labels: { comm: name([0x61, 0xff]) } },
      { frames: [user("main", 0x555500001000n, "/bin/app")], values: [2n], labels: { comm: name([0x61, 0xfe]) } },
    ],
  });
  const raw = pprof(message, ["-raw"]);
  assert.match(raw, /^ +1: 1 \n +comm:\[a\\xff\]$/m);
  assert.match(raw, /^ +2: 1 \n +comm:\[a\\xfe\]$/m);
});
