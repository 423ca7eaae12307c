// A tracepoint is attached by its id alone (probes/tracepoint.ts tracepointId): read from the
// one-line id file, so a start whose program comes from the compile cache reads and parses no
// format file. The id must be the one the format file states, and a bad name fails as before.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { libc } from "../../runtime/ffi/mod.ts";
import { tracefs } from "../../probes/tracefs.ts";
import { tracepointFormat, tracepointId } from "../../probes/tracepoint.ts";
import { ProbeLookupError } from "../../spec/target.ts";

await libc();

test("a tracepoint's id is the one its format file states", () => {
  for (const target of ["syscalls:sys_enter_getppid", "sched:sched_switch", "syscalls:sys_exit_openat"]) {
    const [category, name] = target.split(":");
    const stated = Number(/^ID:\s*(\d+)/m.exec(readFileSync(`${tracefs()}/events/${category}/${name}/format`, "utf8"))![1]);
    assert.equal(tracepointId(target), stated, target);
    assert.equal(tracepointFormat(target).id, stated, target);
  }
});

test("an unknown tracepoint, or a name that would leave its directory, fails by its id as by its format", () => {
  for (const target of ["syscalls:sys_enter_getppidd", "syscalls:../../sched"]) {
    const byId = (() => {
      try {
        tracepointId(target);
      } catch (e) {
        return e;
      }
    })();
    assert.ok(byId instanceof ProbeLookupError, `${target}: ${byId}`);
    assert.throws(() => tracepointFormat(target), { message: (byId as Error).message });
  }
});
