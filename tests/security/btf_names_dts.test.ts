// `tsbpf types --btf FILE` writes TypeScript declarations from the BTF of a file, which may be
// another user's; its declarations take mangled names, but its comments quoted the file's names
// as they are: a name holding "*/" and a line feed wrote declarations of the file's writer into
// the generated module, and with -o - its escapes reached root's terminal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { asNobody, stickyDir, tsbpf } from "./attacker.ts";

/** A BTF file of one struct (4 bytes, no members) named `name`: the header, the type, the strings. */
function btfBytes(name: string): string {
  const strs = Buffer.concat([Buffer.from([0]), Buffer.from(name), Buffer.from([0])]);
  const type = Buffer.alloc(12);
  type.writeUInt32LE(1, 0); // its name's offset in the strings
  type.writeUInt32LE(4 << 24, 4); // BTF_KIND_STRUCT, no members
  type.writeUInt32LE(4, 8);
  const header = Buffer.alloc(24);
  header.writeUInt16LE(0xeb9f, 0);
  header.writeUInt8(1, 2);
  header.writeUInt32LE(24, 4);
  header.writeUInt32LE(0, 8);
  header.writeUInt32LE(type.length, 12);
  header.writeUInt32LE(type.length, 16);
  header.writeUInt32LE(strs.length, 20);
  return Buffer.concat([header, type, strs]).toString("base64");
}

test("tsbpf types --btf of another user's file writes none of its names as declarations or terminal escapes", { timeout: 60_000 }, async () => {
  const dir = stickyDir("btf-names");
  try {
    const file = join(dir, "nobody.btf");
    const name = "evil */\nexport declare const forged: 1;\n/** \x1b]0;owned\x07";
    asNobody(["sh", "-c", `printf '%s' '${btfBytes(name)}' | base64 -d > ${file}`]);
    const r = await tsbpf(["types", "--btf", file, "-o", "-"], { env: { PATH: "/usr/bin:/bin", NO_COLOR: "1" } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /export interface evil\$/, "the struct was not declared");
    assert.ok(!r.stdout.split("\n").some((l) => l.startsWith("export declare const forged")), `the file's name declared its own constant:\n${r.stdout}`);
    assert.ok(!r.stdout.includes("\x1b"), "a terminal escape of the file's reached the output");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
