// Epoll.close() ends a wait in progress and resolves only once everything the wait used is
// released: on Bun the waiting thread is a Worker, whose own event loop holds an epoll set and an
// eventfd until it has ended. Its bound on that (for a Worker that never ends) counts from
// close(): counted from the Worker's start, it had run out in any tracer older than the bound,
// and stop() returned with the Worker's fds still open.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readlinkSync } from "node:fs";
import { Epoll } from "../../runtime/epoll.ts";
import { libc } from "../../runtime/ffi/mod.ts";

await libc();

/** This process's epoll sets and eventfds. */
function waitFds(): string[] {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return /^anon_inode:\[(eventpoll|eventfd)\]$/.test(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false;
    }
  });
}

for (const waitedMs of [0, 2500]) {
  test(`close() after a wait of ${waitedMs} ms: the wait ends, and every epoll set and eventfd it used is closed once close() resolves`, async () => {
    const before = waitFds();
    const epoll = new Epoll([]);
    const waited = epoll.wait(-1);
    await new Promise((r) => setTimeout(r, waitedMs));
    await epoll.close();
    assert.equal(await waited, true);
    assert.deepEqual(waitFds(), before);
  });
}
