// The layout a pinned map's record keeps (runtime/pin_meta.ts) and the names pins may have: what
// decides whether a tracer may reuse a pinned map, and what an error shows of both layouts.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { MapSpec } from "../../spec/tracer_spec.ts";
import { layoutStruct, type StrType, u32, u64 } from "../../spec/layout.ts";

const str = (len: number): StrType => ({ kind: "str", len });
import { layoutFingerprint, layoutText } from "../../runtime/pin_meta.ts";
import { checkPinName } from "../../runtime/pin_name.ts";

const key = layoutStruct("Key", [{ name: "pid", type: u32 }, { name: "comm", type: str(16) }]);
const hash: MapSpec = { name: "byPid", kind: "hash", key, value: u64 };

test("a layout reads as the declaration would: kind, key and value types, entries", () => {
  assert.equal(layoutText(hash, 1024), "hash<{ pid: u32, comm: Str<16> }, u64>, 1024 entries");
  assert.equal(layoutText({ name: "n", kind: "count", key: layoutStruct("k", [{ name: "key", type: u32 }]), value: u64 }, 10240), "count, 10240 entries");
  assert.equal(layoutText({ name: "n", kind: "lhist", userKey: u32, linear: { min: 0, max: 100, step: 10 } }, 64), "lhist(0, 100, 10)<u32>, 64 entries");
});

test("the fingerprint changes with every part of the layout and with nothing else", () => {
  const base = layoutFingerprint(hash, 1024);
  assert.match(base, /^[0-9a-f]{16}$/);
  assert.equal(layoutFingerprint({ ...hash, name: "other", help: "docs" }, 1024), base, "the field's name and docs are not its layout");
  assert.notEqual(layoutFingerprint(hash, 1023), base);
  assert.notEqual(layoutFingerprint({ ...hash, kind: "lru_hash" }, 1024), base);
  assert.notEqual(layoutFingerprint({ ...hash, value: u32 }, 1024), base);
  const renamed = layoutStruct("Key", [{ name: "tgid", type: u32 }, { name: "comm", type: str(16) }]);
  assert.notEqual(layoutFingerprint({ ...hash, key: renamed }, 1024), base, "same sizes, other fields");
});

test("pin names: one directory name, nothing that leaves it or that bpffs refuses", () => {
  for (const ok of ["conns", "opens-by-comm", "a_b", "0"]) assert.equal(checkPinName(ok), ok);
  for (const bad of ["", ".", "..", "../x", "a/b", "/abs", "a.b", "-x", "a b", "x".repeat(65)]) {
    assert.throws(() => checkPinName(bad), /is not a pin name/, JSON.stringify(bad));
  }
});
