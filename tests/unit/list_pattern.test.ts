// `tsbpf list` patterns a bpftrace user writes: a program's path without its kind is answered
// with the uprobe: (or usdt:) form, not read as a tracepoint category with a slash in it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseProbePattern } from "../../cli/commands/probe_pattern.ts";

test("a file's path without a kind names the uprobe: and usdt: forms", () => {
  assert.throws(() => parseProbePattern("/bin/bash:readl*"), /"\/bin\/bash" is a file: list a program's functions as uprobe:\/bin\/bash:PATTERN .*tsbpf list 'uprobe:\/bin\/bash:readl\*'/);
  assert.throws(() => parseProbePattern("/bin/bash"), /tsbpf list 'uprobe:\/bin\/bash:\*'/);
});

test("the kinds' own forms still parse", () => {
  assert.equal(parseProbePattern("uprobe:/bin/bash:readl*").kind, "uprobe");
  assert.equal(parseProbePattern("syscalls:sys_enter_*").kind, undefined);
  assert.equal(parseProbePattern("tcp_*").target, "tcp_*");
});
