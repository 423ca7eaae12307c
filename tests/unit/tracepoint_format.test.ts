// Parsing tracefs format files, including broken ones.
import { test } from "node:test";
import assert from "node:assert/strict";
import { TracepointFormatError, parseFormat } from "../../probes/tracepoint_format.ts";

const OPENAT = `name: sys_enter_openat
ID: 643
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;
\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;
\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;
\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;
\tfield:__data_loc char[] name;\toffset:48;\tsize:4;\tsigned:0;
\tfield:char comm[16];\toffset:52;\tsize:16;\tsigned:0;

print fmt: "dfd: 0x%08lx"
`;

test("fields: scalars, pointers (user memory for syscalls), __data_loc strings and inline arrays", () => {
  const f = parseFormat(OPENAT, true);
  assert.equal(f.id, 643);
  const by = Object.fromEntries(f.fields.map((x) => [x.name, x]));
  assert.deepEqual([by.common_pid.offset, by.common_pid.size, by.common_pid.signed, by.common_pid.kind], [4, 4, true, "int"]);
  assert.deepEqual([by.filename.kind, by.filename.space, by.filename.cType], ["ptr", "user", "const char *"]);
  assert.equal(by.name.kind, "data_loc");
  assert.deepEqual([by.comm.kind, by.comm.size, by.comm.cType], ["array", 16, "char[16]"]);
  assert.equal(parseFormat(OPENAT, false).fields.find((x) => x.name === "filename")!.space, "kernel");
});

test("a syscall's argument stored in 8 unsigned bytes is read as its C type says: int dfd as an i32, umode_t as a u16", () => {
  const by = Object.fromEntries(parseFormat(OPENAT, true).fields.map((x) => [x.name, x]));
  assert.deepEqual([by.dfd.offset, by.dfd.size, by.dfd.signed], [16, 4, true]);
  assert.deepEqual([by.flags.size, by.flags.signed], [4, true]);
  assert.deepEqual([by.mode.size, by.mode.signed], [2, false]);
  // a pointer stays 8 bytes, and a field whose size is its type's stays as the format says
  assert.deepEqual([by.filename.size, by.common_pid.size, by.common_type.size], [8, 4, 2]);
});

test("a pointer declared __user points to user memory in any category; other pointers there to kernel memory", () => {
  const text = OPENAT.replace("const char * filename", "const char __user * filename");
  const by = Object.fromEntries(parseFormat(text, false).fields.map((x) => [x.name, x]));
  assert.deepEqual([by.filename.kind, by.filename.space], ["ptr", "user"]);
  assert.equal(parseFormat(text.replace("__user", "__user_not"), false).fields.find((x) => x.name === "filename")!.space, "kernel");
});

test("a format file without an ID, or with a field it cannot read, is a TracepointFormatError", () => {
  assert.throws(() => parseFormat(OPENAT.replace(/^ID: \d+\n/m, ""), true), TracepointFormatError);
  assert.throws(() => parseFormat(OPENAT.replace("field:int dfd;", "field:int 3;"), true), TracepointFormatError);
  // Truncated anywhere: a TracepointFormatError or a shorter, still well-formed list, never another exception.
  for (let cut = 0; cut < OPENAT.length; cut += 7) {
    try {
      const f = parseFormat(OPENAT.slice(0, cut), true);
      assert.ok(f.fields.every((x) => Number.isInteger(x.offset) && Number.isInteger(x.size)));
    } catch (e) {
      assert.ok(e instanceof TracepointFormatError, String(e));
    }
  }
});
