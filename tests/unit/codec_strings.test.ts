// A decoder remembers the last string each field made and returns it again for the same bytes
// (runtime/maps/codec.ts, lastStrDecoder): what follows must still read every record's own string.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeStr, makeDecoder } from "../../runtime/maps/codec.ts";
import { layoutStruct, u32 } from "../../spec/layout.ts";

test("one decoder reads each record's own strings, however the one before differed", () => {
  const type = layoutStruct("E", [{ name: "n", type: u32 }, { name: "comm", type: { kind: "str", len: 16 } }, { name: "tag", type: { kind: "str", len: 4 } }]);
  const decode = makeDecoder<{ n: number; comm: string; tag: string }>(type);
  const names: (string | number[])[] = [
    "gen", "gen", "genx", "gen", "ge", "", "", "abcdefghijklmnop", "abcdefghijklmnoq", "abcdefghijklmnop",
    "h\u00e9llo", "h\u00e9llo", [0xff, 0xfe], [0xff, 0xfd], [0xff, 0xfe], "x",
  ];
  const bytes = new Uint8Array(64), view = new DataView(bytes.buffer);
  names.forEach((name, n) => {
    const raw = typeof name === "string" ? new TextEncoder().encode(name) : new Uint8Array(name);
    bytes.fill(0);
    view.setUint32(8, n, true);
    bytes.set(raw.subarray(0, 16), 12);
    bytes.set(raw.subarray(0, 4), 28);
    const e = decode(view, bytes, 8);
    assert.equal(e.n, n);
    assert.equal(e.comm, decodeStr(bytes, 12, 16), `record ${n}: comm`);
    assert.equal(e.tag, decodeStr(bytes, 28, 4), `record ${n}: tag`);
    if (typeof name === "string" && name.length <= 16 && !/[^\x00-\x7f]/.test(name)) assert.equal(e.comm, name);
  });
});
