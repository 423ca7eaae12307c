// tsbpf/tool's stack frames as bcc's profile and offcputime print them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatStack, functionNames } from "../../tool/stacks.ts";

test("a frame nothing resolved prints as bcc's [unknown], not as its address", () => {
  // The symbolizer names frames as bpftrace does: "name+offset", or the bare address.
  assert.deepEqual(functionNames(["vfs_read+5", "0x55f4a6d6666d", "start_thread+0"]), ["vfs_read", "[unknown]", "start_thread"]);
  const row = { comm: "deno", pid: 7, user: functionNames(["0x55f4a6d6666d", "main+12"]), kernelMissed: false, userMissed: false };
  assert.deepEqual(formatStack(row, 3n, { folded: true, userOnly: true }), ["deno;main;[unknown] 3"]);
});
