// The programs' instructions travel as base64 in a tracer spec (cache, bundles): spec/tracer_spec.ts
// encodes them in chunks, so every length must come out as the standard encoding and back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { fromBase64, toBase64 } from "../../spec/tracer_spec.ts";

test("toBase64 is the standard encoding at every length, across its chunks, and fromBase64 reverses it", () => {
  let seed = 7;
  for (const length of [0, 1, 2, 3, 8, 0x7fff, 0x8000, 0x8001, 3 * 0x8000 + 5]) {
    const bytes = Uint8Array.from({ length }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    const text = toBase64(bytes);
    assert.equal(text, Buffer.from(bytes).toString("base64"), `length ${length}`);
    assert.deepEqual(fromBase64(text), bytes, `length ${length}`);
  }
});
