// Which address space a BTF pointer points into: `__user` pointers (btf_type_tag("user"), in
// kernels built with clang) and pointers found in user memory are user pointers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Btf } from "../../btf/reader.ts";
import { kernelScalarType } from "../../compiler/kernel_access.ts";

/** A BTF blob from raw type words and a string section given as text. */
function rawBtf(words: number[], strings: string): Uint8Array {
  const strs = Uint8Array.from(strings, (c) => c.charCodeAt(0));
  const out = new Uint8Array(24 + words.length * 4 + strs.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(12, words.length * 4, true);
  v.setUint32(16, words.length * 4, true);
  v.setUint32(20, strs.length, true);
  words.forEach((w, i) => v.setUint32(24 + 4 * i, w >>> 0, true));
  out.set(strs, 24 + words.length * 4);
  return out;
}

const INT = 1, PTR = 2, CONST = 10, TYPE_TAG = 18;
// [1] char; [2] const char; [3] __user const char (type_tag "user"); [4] const char __user *;
// [5] const char *; [6] type_tag "rcu" → [2]; [7] pointer to [6].
const btf = Btf.parse(rawBtf([
  1, INT << 24, 1, 8,
  0, CONST << 24, 1,
  6, TYPE_TAG << 24, 2,
  0, PTR << 24, 3,
  0, PTR << 24, 2,
  11, TYPE_TAG << 24, 2,
  0, PTR << 24, 6,
], "\0char\0user\0rcu\0"));

test("a pointer tagged __user points to user memory, wherever it is read", () => {
  assert.deepEqual(kernelScalarType(btf, 4), { kind: "ptr", space: "user", cType: btf.typeName(4), btfId: 3 });
  assert.equal((kernelScalarType(btf, 4, "user") as { space: string }).space, "user");
});

test("an untagged pointer points where the memory it was read from is", () => {
  assert.equal((kernelScalarType(btf, 5) as { space: string }).space, "kernel");
  assert.equal((kernelScalarType(btf, 5, "user") as { space: string }).space, "user");
  // Another tag (__rcu) is not __user.
  assert.equal((kernelScalarType(btf, 7) as { space: string }).space, "kernel");
});
