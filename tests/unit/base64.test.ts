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

test("fromBase64 decodes without atob (Deno's first atob cost a warm start about 1 MB of peak memory)", () => {
  const atob = globalThis.atob;
  globalThis.atob = () => {
    throw new Error("atob was called");
  };
  try {
    assert.deepEqual(fromBase64("AAEC/w=="), new Uint8Array([0, 1, 2, 255]));
  } finally {
    globalThis.atob = atob;
  }
});

test("fromBase64 takes what atob takes and refuses what it refuses", () => {
  const asAtob = (text: string) => {
    try {
      return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    } catch {
      return "refused";
    }
  };
  const ours = (text: string) => {
    try {
      return fromBase64(text);
    } catch (e) {
      assert.equal((e as Error).name, "InvalidCharacterError", text);
      return "refused";
    }
  };
  const texts = [
    "", "YQ==", "YWI=", "YWJj", "YQ", "YWI", "Y", "YQ=", "YQ===", "Y===", "====", "=", "==", "YW=I", "Y Q = =", "\tYW\nJj\r\f ",
    "YWJj YQ==", "+/+/", "-_-_", "YQ==YQ==", "YWJj!", "YWJjé", "YWJj\u0100", "AAEC/w==", "////", "ab==", "ab=", "a===",
  ];
  for (const text of texts) assert.deepEqual(ours(text), asAtob(text), JSON.stringify(text));
});
