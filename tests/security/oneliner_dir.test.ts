// A one-liner becomes a script that root imports. Another user must not be able to choose or
// change that script: not by creating its directory under /tmp first (HOME unset: env -i,
// cron), not with a symlink there, not through a HOME or cache directory of theirs (sudo
// keeping HOME). Each attack is made as nobody; the one-liner must still run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asNobody, bareEnv, getppid, type Result, rootDir, tsbpf } from "./attacker.ts";

const ONE_LINER = 'tracepoint("syscalls:sys_enter_getppid", () => exit())';
/** Where the script went with HOME unset: /tmp/tsbpf-$USER/tsbpf-oneliners. */
const PREDICTABLE = "/tmp/tsbpf-root";

function runOneLiner(env: Record<string, string>): Promise<Result> {
  return tsbpf(["-e", ONE_LINER], { env, tick: getppid, timeoutMs: 60_000 });
}

/** Private temporary directories a run made in `tmp` (tsbpf-<16 hex>), which it must remove. */
function freshDirs(tmp: string): string[] {
  return readdirSync(tmp).filter((n) => /^tsbpf-[0-9a-f]{16}$/.test(n));
}

test("HOME unset: a directory nobody made first at the predictable /tmp path gets no script", async () => {
  rmSync(PREDICTABLE, { recursive: true, force: true });
  asNobody(["mkdir", "-p", "-m", "0777", `${PREDICTABLE}/tsbpf-oneliners`]);
  // The run's own TMPDIR: what other processes on the machine make in /tmp meanwhile is not the run's.
  const tmp = rootDir("oneliner-tmp");
  try {
    const r = await runOneLiner(bareEnv({ TMPDIR: tmp }));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(`${PREDICTABLE}/tsbpf-oneliners`), [], "root wrote its script where nobody can replace it");
    assert.deepEqual(freshDirs(tmp), [], "the private directory of the run was not removed");
  } finally {
    rmSync(PREDICTABLE, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
});

test("HOME unset: a symlink nobody planted at the predictable /tmp path is not followed", async () => {
  rmSync(PREDICTABLE, { recursive: true, force: true });
  const target = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-nobody-target-XXXXXX")]).trim();
  asNobody(["chmod", "0777", target]);
  asNobody(["ln", "-s", target, PREDICTABLE]);
  try {
    const r = await runOneLiner(bareEnv());
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(target), [], "root wrote into nobody's directory through the symlink");
  } finally {
    rmSync(PREDICTABLE, { force: true });
    rmSync(target, { recursive: true, force: true });
  }
});

test("HOME owned by nobody (sudo keeping HOME): its cache directory is not used", async () => {
  const home = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-nobody-home-XXXXXX")]).trim();
  asNobody(["chmod", "0755", home]);
  try {
    const r = await runOneLiner(bareEnv({ HOME: home, TSBPF_VERBOSE: "1" }));
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!existsSync(`${home}/.cache/tsbpf`) && !existsSync(`${home}/.cache/tsbpf-oneliners`), "root made a tsbpf cache in nobody's home");
    assert.match(r.stderr, /owned by uid 65534/, "a verbose note says why the cache was not used");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
