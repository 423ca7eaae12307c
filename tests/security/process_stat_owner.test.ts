// The symbolizer knows a process by its stat (start time, program layout) and trusts its perf
// map by the owner of /proc/PID. Read by name one after the other, a pid that passed to another
// process in between would mix two processes' identities (one's start time, the other's owner).
// statAndOwner reads both through one open of /proc/PID: the race itself cannot be shown on
// demand, so this checks what it reads, for nobody's process, root's, and a pid no one has.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { nobodyPython, type NobodyProcess } from "./attacker.ts";
import { libc } from "../../runtime/ffi/mod.ts";
import { statAndOwner } from "../../runtime/process_files.ts";

let nobody: NobodyProcess | undefined;
after(() => void nobody?.stop());

test("statAndOwner reads a process's stat and its /proc/PID owner together, or nothing for a pid no one has", { timeout: 60_000 }, async () => {
  await libc();
  nobody = await nobodyPython(`import signal\nprint("ready", flush=True)\nsignal.pause()`);
  const read = statAndOwner(nobody.pid);
  assert.ok(read, "nothing read for a running process");
  assert.equal(read.uid, 65534, "not nobody's");
  const startOf = (stat: string) => stat.slice(stat.lastIndexOf(")") + 2).split(" ")[22 - 3];
  assert.equal(startOf(read.stat), startOf(readFileSync(`/proc/${nobody.pid}/stat`, "utf8")));
  assert.match(read.stat, new RegExp(`^${nobody.pid} \\(python3\\) `));
  assert.equal(statAndOwner(process.pid)?.uid, 0);
  const pidMax = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8"));
  assert.equal(statAndOwner(pidMax + 1), undefined);
});
