// runtime/ffi/host.ts sha256: Bun's own hasher on Bun (it costs a start less memory than
// WebCrypto's digest), WebCrypto on Deno. Either way it must be SHA-256, byte for byte: the
// compile cache's keys and the bundles' signatures are made of it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sha256 } from "../../runtime/ffi/host.ts";
import { sha256Hex } from "../../runtime/digest.ts";

test("sha256 is WebCrypto's SHA-256 for every length around the block boundaries", async () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 100_003]) {
    const data = new Uint8Array(n).map((_, i) => (i * 31 + 7) & 255);
    const expected = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
    const got = await sha256(data);
    assert.equal(got.length, 32, `length ${n}`);
    assert.deepEqual([...got], [...expected], `length ${n}`);
  }
});

test("sha256Hex: the FIPS 180-2 test vectors", async () => {
  assert.equal(await sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(await sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
});
