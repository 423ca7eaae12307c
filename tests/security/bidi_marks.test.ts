// A terminal that lays out bidirectional text (VTE, Konsole, mlterm) reorders what follows an
// invisible right-to-left mark: in `4242   x<mark>   3   0 /etc/passwd` it shows the 0 before
// the 3 (fribidi's log2vis, the same for U+200F RLM and U+061C ALM). printable() escaped RLM and
// the other bidi controls, not ALM: another user's process named with it reordered the columns
// root read, with nothing on the line to show why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, rmSync } from "node:fs";
import { asNobody, bareEnv, rootDir, tsbpf } from "./attacker.ts";

const NAME = "x\u061c";

test("a one-liner shows another user's process name with an Arabic letter mark (U+061C) escaped", { timeout: 120_000 }, async () => {
  let done = false;
  const r = await tsbpf(["-e", `tracepoint("sched:sched_process_exit", () => { if (comm() == ${JSON.stringify(NAME)}) { printf("%s   3   0\\n", comm()); exit(); } })`, "-d", "50"], {
    env: bareEnv(),
    timeoutMs: 60_000,
    tick: () => {
      if (done) return;
      done = true;
      const dir = rootDir("bidi");
      chmodSync(dir, 0o777);
      try {
        asNobody(["sh", "-c", `ln -s /bin/true "$1/$2" && "$1/$2"`, "sh", dir, NAME]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!r.stdout.includes("\u061c"), `the mark reached the terminal raw: ${JSON.stringify(r.stdout)}`);
  assert.match(r.stdout, /^x\\u061c {3}3 {3}0$/m);
});
