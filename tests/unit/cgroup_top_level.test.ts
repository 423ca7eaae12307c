// cgroup2Mount(), cgroupId() and cgroupPathOf() are synchronous and public: a script may call
// them at its top level, before any tracer has started (and so before anything else in tsbpf
// opened the runtime's FFI), e.g. to pass a cgroup's id to a tracer as a parameter.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";

declare const Bun: unknown;
const SCRIPT = new URL("../fixtures/cgroup_top_level.ts", import.meta.url).pathname;

test("the cgroup functions work at a script's top level, before any tracer started", () => {
  const args = typeof Bun !== "undefined" ? ["run", SCRIPT] : ["run", "--allow-ffi", SCRIPT];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  if (out.mount === null) return; // no cgroup v2 here: nothing more to compare
  assert.equal(out.id, String(statSync(out.mount, { bigint: true }).ino));
  assert.equal(out.path, "/");
});
