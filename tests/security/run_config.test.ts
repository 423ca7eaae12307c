// `tsbpf run script.ts` on Deno starts the script in a child Deno. Deno takes the first deno.json
// above the script unless it is given one, and a script root keeps in /tmp (or any directory
// others can write) then obeys a config another user planted: its "lock" names a file Deno
// reads (and would write) as root. The child must run with tsbpf's own config. Here nobody
// plants a deno.json whose lock is a root file that is not a lockfile: the run must go on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, bareEnv, countingScript, ROOT } from "./attacker.ts";

const SCRIPT = countingScript(`"the script ran"`);

test("tsbpf run on Deno of a script under a directory anyone can write ignores a deno.json planted there", { timeout: 120_000 }, () => {
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-run-config-"));
  chmodSync(shared, 0o1777); // like /tmp
  const victim = `${shared}-victim`;
  try {
    writeFileSync(victim, "root's file, not a lockfile\n");
    writeFileSync(join(shared, "trace.ts"), SCRIPT);
    asNobody(["sh", "-c", `printf '{ "lock": { "path": "./lock" } }\\n' > ${shared}/deno.json && ln -s ${victim} ${shared}/lock`]);
    const deno = join(ROOT, "node_modules/.bin/deno");
    const r = spawnSync(join(ROOT, "bin/tsbpf"), ["run", join(shared, "trace.ts")], {
      cwd: "/", encoding: "utf8", timeout: 90_000, env: { ...bareEnv(), PATH: `${join(deno, "..")}:/usr/bin:/bin`, TSBPF_RUNTIME: "deno", HOME: shared },
    });
    assert.equal(readFileSync(victim, "utf8"), "root's file, not a lockfile\n", "root wrote through nobody's lock setting");
    assert.doesNotMatch(r.stderr, /lockfile/i, "the child took nobody's deno.json");
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /the script ran/);
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(victim, { force: true });
  }
});
