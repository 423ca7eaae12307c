// tsbpf/tool's system call printer (examples/strace.ts's decoding), without the kernel: flags, results and strings as strace prints them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bufferText, flagNames, formatResult, openFlags, quoted } from "../../tool/mod.ts";

test("open flags: the access mode, then the flags in strace's order", () => {
  assert.equal(openFlags(0), "O_RDONLY");
  assert.equal(openFlags(0o2000000), "O_RDONLY|O_CLOEXEC");
  assert.equal(openFlags(0o2204000), "O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY");
  assert.equal(openFlags(0o1101), "O_WRONLY|O_CREAT|O_TRUNC");
  // O_SYNC includes O_DSYNC's bit: named once.
  assert.equal(openFlags(0o4010002), "O_RDWR|O_SYNC");
});

test("flag sets: names, then what no name covers in hex; the zero value", () => {
  assert.equal(flagNames(0, [[1, "A"]], "NONE"), "NONE");
  assert.equal(flagNames(0x1100, [[0x100, "AT_SYMLINK_NOFOLLOW"], [0x1000, "AT_EMPTY_PATH"]]), "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH");
  assert.equal(flagNames(0x80000001, [[1, "A"]]), "A|0x80000000");
});

test("results: errno by name and message, addresses in hex, restarts as strace shows them", () => {
  assert.equal(formatResult("openat", -2n), "-1 ENOENT (No such file or directory)");
  assert.equal(formatResult("connect", -111n), "-1 ECONNREFUSED (Connection refused)");
  assert.equal(formatResult("read", 832n), "832");
  assert.equal(formatResult("mmap", 0x7f88b4e34000n), "0x7f88b4e34000");
  assert.equal(formatResult("clock_nanosleep", -516n), "? ERESTART_RESTARTBLOCK (Interrupted by signal)");
  assert.equal(formatResult("foo", -4000n), "-1 E4000 (errno 4000)");
});

test("strings: C escapes, octal (three digits before a digit), and ... when cut", () => {
  assert.equal(quoted("vm\n"), '"vm\\n"');
  assert.equal(quoted('a"b\\'), '"a\\"b\\\\"');
  assert.equal(quoted(new Uint8Array([0x7f, 0x45, 1, 0x31])), '"\\177E\\0011"');
  assert.equal(quoted("\x1b[2J"), '"\\33[2J"');
  // write(2, "ls: cannot...", 4): the buffer is 4 bytes even though the kernel read on to the NUL.
  assert.equal(bufferText("ls: cannot access", 4), '"ls: "');
  assert.equal(bufferText("# Locale name alias data base.\n# more", 2996), '"# Locale name alias data base.\\n#"...');
  assert.equal(bufferText("", 0), '""');
});
