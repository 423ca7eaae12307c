// The kernel's build ID from an ELF note section (/sys/kernel/notes), and notes it must not trust.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildIdOf } from "../../runtime/kernel_build_id.ts";

function note(name: string, type: number, desc: number[]): number[] {
  const pad = (a: number[]) => [...a, ...new Array((4 - (a.length % 4)) % 4).fill(0)];
  const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  const nameBytes = [...new TextEncoder().encode(name), 0];
  return [...u32(nameBytes.length), ...u32(desc.length), ...u32(type), ...pad(nameBytes), ...pad(desc)];
}

test("the GNU build-id note is found among the others, in hex", () => {
  const id = [0x32, 0xa7, 0x03, 0x00, 0xff];
  const notes = [...note("Xen", 3, [1, 2, 3, 4]), ...note("GNU", 1, [9, 9, 9, 9]), ...note("GNU", 3, id), ...note("Linux", 6, [0])];
  assert.equal(buildIdOf(new Uint8Array(notes)), "32a70300ff");
});

test("no build ID, a truncated note or sizes past the end give none, and return", () => {
  assert.equal(buildIdOf(new Uint8Array(note("Linux", 6, [1, 2, 3, 4]))), "");
  assert.equal(buildIdOf(new Uint8Array(note("GNU", 3, [1, 2, 3, 4, 5, 6, 7, 8]).slice(0, 20))), "");
  // 0xfffffff0 as a size would step backwards in 32-bit arithmetic: read, it would never end.
  const huge = new Uint8Array([0xf0, 0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0xff, 3, 0, 0, 0, ...note("GNU", 3, [1])]);
  assert.equal(buildIdOf(huge), "");
  assert.equal(buildIdOf(new Uint8Array()), "");
});
