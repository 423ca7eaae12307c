// A tool's preflight on a machine where tracefs is not mounted yet: it must look where the probes
// will (probes/tracefs.ts, which mounts tracefs), not conclude that the kernel has no tracepoints.
// Run in a private mount namespace with tracefs (and debugfs, whose tracing/ automounts it)
// unmounted, so the machine's own mounts stay as they are.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCommand, runtimeCommand } from "./util.ts";

const SCRIPT = new URL("../../examples/runqlat.ts", import.meta.url).pathname;
const UNMOUNT = [
  "umount -l /sys/kernel/debug/tracing 2>/dev/null; umount -l /sys/kernel/debug 2>/dev/null; umount -l /sys/kernel/tracing 2>/dev/null",
  "if [ -e /sys/kernel/tracing/events ] || [ -e /sys/kernel/debug/tracing/events ]; then echo 'tracefs is still mounted' >&2; exit 97; fi",
  'exec "$@"',
].join("\n");

test("a tool run where tracefs is not mounted mounts it and traces, instead of saying the kernel has no tracepoints", async () => {
  const run = runCommand("unshare", ["-m", "--propagation", "private", "sh", "-c", UNMOUNT, "sh", ...runtimeCommand(SCRIPT), "--json", "1", "1"]);
  const status = await run.exited;
  assert.doesNotMatch(run.stderr(), /has no tracepoint/);
  assert.equal(status, 0, run.output());
  const records = run.stdout().trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(records.length >= 1 && records.every((r) => r.val_type === "usecs" && Array.isArray(r.data)), run.stdout());
});
