// At exit a one-liner prints its maps as bpftrace does: sorted by name, whatever order the
// one-liner first used them in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tsbpf } from "./cli_run.ts";

test("maps print at exit sorted by name (@, @a, @b, @m, @z), as bpftrace prints them", async () => {
  const r = await tsbpf(["-c", "/bin/true", "-e", 'tracepoint("syscalls:sys_enter_execve", () => { $.z = 1; $.a = 2; $.m[1] = count(); count(); $.b = count(); })']);
  assert.equal(r.status, 0, r.stderr);
  const names = r.stdout.split("\n").filter((l) => l.startsWith("@")).map((l) => l.slice(0, l.indexOf(":")));
  assert.deepEqual(names, ["@", "@a", "@b", "@m[1]", "@z"], r.stdout);
});
