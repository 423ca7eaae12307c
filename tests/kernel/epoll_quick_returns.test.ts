// A thread whose epoll_wait returns at once with -1, every time (interrupted again and again, or
// broken), must not be asked again forever: Epoll.wait() fails after 64 such returns in a row,
// each within a millisecond of the last, and the event pump then drains on timers. Without that
// bound the wait is a loop of promise jobs that never yields to timers or I/O: the process hangs
// at full CPU.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Epoll } from "../../runtime/epoll.ts";
import { type EpollWaiter, libc, libcSync } from "../../runtime/ffi/mod.ts";

await libc();

test("a waiting thread whose epoll_wait returns -1 at once, every time, fails the wait after 64 returns; it is not asked forever", async () => {
  // The set is real and empty (nothing ready: the check that tells an interruption from a
  // failure finds nothing); the thread that waits on it returns -1 at once, as one would that a
  // stream of signals interrupts. After 10,000 returns it reports "ready", so that without the
  // bound the test fails instead of hanging.
  const c = libcSync();
  const original = c.epollWaiter;
  let returns = 0;
  c.epollWaiter = (): EpollWaiter => ({
    wait: () => Promise.resolve(++returns < 10_000 ? -1 : 1),
    close: () => Promise.resolve(),
  });
  const epoll = new Epoll([]);
  try {
    await assert.rejects(epoll.wait(-1), /interrupted at once 64 times in a row/);
    assert.ok(returns >= 64 && returns < 10_000, `${returns} returns`);
  } finally {
    c.epollWaiter = original;
    await epoll.close();
  }
});
