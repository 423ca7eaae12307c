// A process's /proc files as tsbpf reads them while the process may exit at any moment: a file
// whose process has gone is a file that does not exist, never an error that ends the tracer
// (strace -f ended with "read(/proc/PID/stat) failed: ESRCH" when a child exited mid-read).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFileBytes, readTextFile } from "../../runtime/files.ts";
import { readTextFile as toolReadTextFile } from "../../tool/system.ts";

test("a /proc file opened before its process exited and read after it: undefined, as for a file that does not exist", async () => {
  const child = spawn("sleep", ["100"], { stdio: "ignore" });
  const pid = child.pid!;
  const exited = new Promise((resolve) => child.on("exit", resolve));
  assert.match(readTextFile(`/proc/${pid}/stat`)!, new RegExp(`^${pid} \\(sleep\\) `));
  // Held open across the exit; /proc/self/fd/N opens the same file again, as readFileBytes's
  // own open would have had it come just before the exit.
  const fd = openSync(`/proc/${pid}/stat`, "r");
  try {
    child.kill("SIGKILL");
    await exited;
    assert.equal(readFileBytes(`/proc/self/fd/${fd}`), undefined);
    assert.equal(readTextFile(`/proc/self/fd/${fd}`), undefined);
    assert.equal(toolReadTextFile(`/proc/self/fd/${fd}`), undefined);
  } finally {
    closeSync(fd);
  }
  assert.equal(readTextFile(`/proc/${pid}/stat`), undefined);
});
