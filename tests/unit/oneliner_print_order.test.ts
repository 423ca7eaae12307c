// cli/oneliner/print_order.ts: the lines of several print sites (one ring buffer each, drained
// one after another) shown in the order of their kernel stamps, across polls.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PrintOrder } from "../../cli/oneliner/print_order.ts";

const poll = () => new Promise<void>((r) => setTimeout(r, 0));

test("a poll's lines are shown sorted by stamp", async () => {
  const shown: string[] = [];
  const order = new PrintOrder();
  for (const [t, s] of [[30n, "c"], [10n, "a"], [20n, "b"]] as const) order.add(t, () => shown.push(s));
  order.flush(true);
  assert.deepEqual(shown, ["a", "b", "c"]);
});

test("a line waits one poll for an earlier one committed to a buffer already drained", async () => {
  const shown: string[] = [];
  const order = new PrintOrder();
  order.add(5n, () => shown.push("enter 1"));
  order.add(6n, () => shown.push("exit 1"));
  await poll();
  // The next poll: the exit buffer had exit 2 (stamp 8); enter 2 (stamp 7) was committed to the
  // enter buffer just after that buffer was drained.
  order.add(8n, () => shown.push("exit 2"));
  await poll();
  order.add(7n, () => shown.push("enter 2"));
  await poll();
  order.flush(true);
  assert.deepEqual(shown, ["enter 1", "exit 1", "enter 2", "exit 2"]);
});

test("a held line is shown within milliseconds even if nothing else comes", async () => {
  const shown: string[] = [];
  const order = new PrintOrder();
  order.add(1n, () => shown.push("only"));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(shown, ["only"]);
});
