// -c CMD traces CMD by its pid, which the held shell has before it execs CMD: what that shell
// does once released shows up as CMD's, so it must do next to nothing (bpftrace's child does a
// read or two before its exec).
import { test } from "node:test";
import assert from "node:assert/strict";
import { tsbpf } from "../kernel/cli_run.ts";

test("-c /bin/true: the held shell's own reads after its release are not hundreds of CMD's system calls", async () => {
  const r = await tsbpf(["-c", "/bin/true", "-e", 'tracepoint("syscalls:sys_enter_read", () => count(comm()))']);
  assert.equal(r.status, 0, r.stderr);
  const shellReads = Number(/^@\[sh\]: (\d+)$/m.exec(r.stdout)?.[1] ?? 0);
  assert.ok(shellReads < 5, `the held shell read ${shellReads} times as the traced command:\n${r.stdout}`);
});
