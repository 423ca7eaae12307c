// Decode speed of map and ring buffer records (runtime/maps/codec.ts), in user space only: a
// buffer of records laid out as a ring buffer holds them, decoded one after another as
// RingBuf.drain() does, for a few event shapes. Prints records/s per shape (best of 5 runs).
//   bun bench/codec.ts            deno run bench/codec.ts
import { makeDecoder, makeEncoder } from "../runtime/maps/codec.ts";
import { layoutStruct, type Type, u8, u16, u32, u64, i64, bool } from "../spec/layout.ts";

const str = (len: number): Type => ({ kind: "str", len });
const tuple = (elems: Type[]): Type => ({ ...layoutStruct(`[tuple]`, elems.map((type, i) => ({ name: String(i), type }))), tuple: true });

const SHAPES: Record<string, Type> = {
  "stream {pid, counter, comm}": layoutStruct("Event", [{ name: "pid", type: u32 }, { name: "counter", type: u64 }, { name: "comm", type: str(16) }]),
  "8 scalars": layoutStruct("Wide", ["a", "b", "c", "d", "e", "f", "g", "h"].map((name, i) => ({ name, type: [u8, u16, u32, u64, i64, bool, u32, u64][i] }))),
  "nested + array + tuple": layoutStruct("Nested", [
    { name: "id", type: u32 },
    { name: "inner", type: layoutStruct("Inner", [{ name: "x", type: u16 }, { name: "y", type: u16 }]) },
    { name: "samples", type: { kind: "array", elem: u32, len: 4 } },
    { name: "pair", type: tuple([u32, str(8)]) },
  ]),
};

const RECORDS = 1 << 16;
const ROUNDS = 30;

for (const [label, type] of Object.entries(SHAPES)) {
  const size = Math.ceil(((type as { size: number }).size + 8) / 8) * 8; // 8-byte header, 8-byte aligned, as a ring buffer
  const bytes = new Uint8Array(size * RECORDS);
  const view = new DataView(bytes.buffer);
  const encode = makeEncoder<unknown>(type);
  const decode = makeDecoder<unknown>(type);
  const sample = decode(view, bytes, 0); // a value of the right shape, then filled in
  for (let i = 0; i < RECORDS; i++) encode(sample, view, bytes, i * size + 8);
  let best = 0;
  let sink = 0;
  const keep: unknown[] = new Array(16); // decoded values stay reachable, so none is optimised away
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    for (let r = 0; r < ROUNDS; r++) {
      for (let off = 0; off < bytes.length; off += size) {
        keep[sink++ & 15] = decode(view, bytes, off + 8);
      }
    }
    const rate = (RECORDS * ROUNDS) / ((performance.now() - t0) / 1000);
    best = Math.max(best, rate);
  }
  console.log(`${label.padEnd(28)} ${(best / 1e6).toFixed(1)} M records/s${sink ? "" : " (no records?)"}`);
}
