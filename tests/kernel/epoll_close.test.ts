// Epoll.close() ends a wait in progress and resolves only once everything the wait used is
// released: on Bun the waiting thread is a Worker, whose own event loop holds an epoll set and an
// eventfd until it has ended. Its bound on that (for a Worker that never ends) counts from
// close(): counted from the Worker's start, it had run out in any tracer older than the bound,
// and stop() returned with the Worker's fds still open.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { waitFor } from "./util.ts";
import { Epoll } from "../../runtime/epoll.ts";
import { libc, libcSync, SYS } from "../../runtime/ffi/mod.ts";

await libc();

/** This process's threads now in epoll_wait or epoll_pwait (x86-64: 232, 281) on `epfd`. */
function threadsWaitingIn(epfd: number): number {
  const call = new RegExp(`^(232|281) 0x${epfd.toString(16)} `);
  return readdirSync("/proc/self/task").filter((tid) => {
    try {
      return call.test(readFileSync(`/proc/self/task/${tid}/syscall`, "utf8"));
    } catch {
      return false;
    }
  }).length;
}

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

test("close() is bounded when the waiting thread does not return: the fds are closed all the same", async () => {
  // A waiting thread that the eventfd's write does not bring back (a runtime's thread that never
  // runs again) stands in here as a real one waiting in a set of the test's own, where nothing
  // comes until the test says so: close() must not wait for it forever.
  const c = libcSync();
  const stuck = c.syscall(SYS.epoll_create1, 0n);
  const release = c.syscall(SYS.eventfd2, 0n, 0n);
  assert.ok(stuck >= 0 && release >= 0);
  const event = new Uint8Array(12);
  new DataView(event.buffer).setUint32(0, 1 /* EPOLLIN */, true);
  assert.equal(c.syscall(SYS.epoll_ctl, BigInt(stuck), 1n /* EPOLL_CTL_ADD */, BigInt(release), c.addressOf(event)), 0);
  const before = waitFds();
  const epoll = new Epoll([]);
  // Its epoll set and eventfd (on Bun the waiting Worker's own come later, with it).
  const own = waitFds().filter((fd) => !before.includes(fd));
  assert.equal(own.length, 2);
  const realWaiter = c.epollWaiter;
  c.epollWaiter = () => realWaiter.call(c, stuck);
  let waited: Promise<boolean>;
  try {
    waited = epoll.wait(-1);
  } finally {
    c.epollWaiter = realWaiter;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    // Closed only once the thread waits (on Bun a Worker closed before it waits never does).
    assert.ok(await waitFor(() => threadsWaitingIn(stuck) > 0, 60_000), "no thread waits in the test's epoll set");
    // Generous against a loaded machine, far below "forever".
    const closed = await Promise.race([epoll.close().then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 30_000)))]);
    assert.ok(closed, "close() still waits 30 s later for a thread that does not return");
    assert.deepEqual(waitFds().filter((fd) => own.includes(fd)), [], "close() resolved with the Epoll's epoll set or eventfd still open");
  } finally {
    clearTimeout(timer);
    // Let the stuck thread go, so that the test's process can end.
    const one = new Uint8Array(8);
    one[0] = 1;
    c.write(release, one);
    await waited;
    c.close(stuck);
    c.close(release);
  }
});

test("wait() and sleep() after close() resolve at once, without waiting on the closed set's fd numbers (another set may have them)", async () => {
  const before = waitFds();
  const epoll = new Epoll([]);
  assert.equal(await epoll.wait(0), false); // its waiter (on Bun, a Worker) exists from here
  await epoll.sleep(0);
  await epoll.close();
  // Made now, it takes the numbers the closed set had: a wait on them would be a wait on it.
  const other = new Epoll([]);
  try {
    assert.equal(await epoll.wait(0), true, "a wait after close() is not a wait on another set");
    assert.equal(await epoll.wait(-1), true);
    await epoll.sleep(-1);
  } finally {
    await other.close();
  }
  // (The Worker of the test before may still be ending: only what this test made is looked at.)
  assert.deepEqual(waitFds().filter((fd) => !before.includes(fd)), []);
});
