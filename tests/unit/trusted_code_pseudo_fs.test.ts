// A code file is trusted by its owner and mode (runtime/private_dir.ts trustedCodeFile); on procfs
// and sysfs those say nothing of who chose the text (any user adds lines to /proc/net/unix), so
// such a file is refused as code, with the reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { trustedCodeFile, UntrustedDirError } from "../../runtime/private_dir.ts";

test("files on procfs and sysfs are not trusted as code, whatever their owner and mode", () => {
  for (const file of ["/proc/net/unix", "/proc/sys/kernel/hostname", "/sys/kernel/mm/transparent_hugepage/enabled"]) {
    assert.throws(() => trustedCodeFile(file, [0]), (e: Error) => e instanceof UntrustedDirError && /procfs|sysfs/.test(e.message), file);
  }
});

test("a root-owned file on a real filesystem is still trusted as code", () => {
  assert.equal(trustedCodeFile("/bin/sh", [0]).length > 0, true);
});
