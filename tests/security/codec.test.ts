// Decoders and encoders are built from type layouts, which may come from disk (the compile
// cache, a bundle). Nothing in a layout may become code: hostile names and numbers either
// stay data (a name is just a key) or are refused; they never run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeDecoder, makeEncoder } from "../../runtime/maps/codec.ts";
import { layoutStruct, type Type, u32 } from "../../spec/layout.ts";
import { validateSpecs } from "../../spec/spec_schema.ts";
import { MapValueError } from "../../runtime/maps/fit.ts";

const g = globalThis as { pwned?: number };
const INJECT = "(globalThis.pwned = 1)";

function exercise(t: Type): void {
  const bytes = new Uint8Array(64), view = new DataView(bytes.buffer);
  try {
    const value = makeDecoder<unknown>(t)(view, bytes, 0);
    makeEncoder<unknown>(t)(value, view, bytes, 0);
  } catch (e) {
    // MapValueError: a decoded value the encoder cannot take back (a stack for an integer field).
    assert.ok(e instanceof TypeError || e instanceof RangeError || e instanceof MapValueError, `refused with a plain error, not ${e}`);
  }
}

test("a field name is a key, never code (struct and tuple)", () => {
  delete g.pwned;
  const names = [`a"]: ${INJECT}, ["b`, `0] + ${INJECT} + x[0`, `__proto__`, "x\u2028y"];
  for (const name of names) {
    const struct = { ...layoutStruct("S", [{ name, type: u32 }]) };
    exercise(struct);
    exercise({ ...struct, tuple: true });
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, 7, true);
    const value = makeDecoder<Record<string, unknown>>(struct)(new DataView(bytes.buffer), bytes, 0);
    if (name !== "__proto__") assert.deepEqual(Object.entries(value), [[name, 7]], "the name came back as the key");
  }
  assert.equal(g.pwned, undefined, "a field name ran as code");
});

test("numbers of a layout that are not integers are refused, not pasted", () => {
  delete g.pwned;
  const bad: unknown[] = [
    { kind: "int", bits: `32(0, 0, true), ${INJECT}, v.setUint32`, signed: false },
    { kind: "str", len: `1), ${INJECT}, (1` },
    { kind: "int", bits: 64, signed: false, stack: `kernel", ${INJECT}, "` },
    { kind: "struct", name: "S", size: `4), ${INJECT}, (0`, align: 4, fields: [{ name: "a", type: u32, offset: 0 }] },
    { kind: "struct", name: "S", size: 4, align: 4, fields: [{ name: "a", type: u32, offset: `0) + ${INJECT} + (0` }] },
  ];
  for (const t of bad) exercise(t as Type);
  assert.equal(g.pwned, undefined, "a number of the layout ran as code");
});

test("the spec schema refuses what the compiler never writes", () => {
  const good = {
    className: "T", file: "/x.ts", maps: [{ name: "events", kind: "ringbuf", value: layoutStruct("E", [{ name: "pid", type: u32 }]) }],
    programs: [{ name: "h", probe: { kind: "tracepoint", target: "syscalls:sys_enter_getppid" }, progType: 5, insns: "lQAAAAAAAAA=", relocs: [], lines: [], stackSize: 0, line: 1, column: 1 }],
  };
  assert.equal(validateSpecs([good]).length, 1);
  const cases: [string, (s: any) => void][] = [
    ["field name", (s) => (s.maps[0].value.fields[0].name = "a b")],
    ["reserved name", (s) => (s.maps[0].value.fields[0].name = "__proto__")],
    ["bits", (s) => (s.maps[0].value.fields[0].type.bits = 33)],
    ["offset past the end", (s) => (s.maps[0].value.fields[0].offset = 4)],
    ["unknown key", (s) => (s.programs[0].evil = 1)],
    ["insns", (s) => (s.programs[0].insns = "AAAA")],
    ["reloc to no map", (s) => (s.programs[0].relocs = [{ insn: 0, map: "nope" }])],
    ["stack size", (s) => (s.programs[0].stackSize = 4096)],
    ["class name", (s) => (s.className = "T; evil()")],
    ["control characters", (s) => (s.programs[0].probe.target = "a\nb")],
  ];
  for (const [what, spoil] of cases) {
    const s = structuredClone(good);
    spoil(s);
    assert.throws(() => validateSpecs([s]), /specs\[0\]/, what);
  }
});
