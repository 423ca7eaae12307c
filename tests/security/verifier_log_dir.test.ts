// A handler the kernel's verifier refuses gets its whole log written to a file the error names,
// which root then reads: under $TMPDIR, else /tmp. sudo -E keeps TMPDIR, and a directory another
// user owns is theirs to rename and replace files in: the log root read could be theirs (and
// what root's program was, theirs to read meanwhile). A TMPDIR another user controls is not
// used, as for every private directory (runtime/private_dir.ts). Here TMPDIR is nobody's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { asNobody, bareEnv, MOD, rootDir, script } from "./attacker.ts";

// A loop the verifier cannot walk (tests/kernel/errors.test.ts).
const REFUSED = `import { rawTracepoint, Tracer, type u64 } from "${MOD}";
class Refused extends Tracer {
  @rawTracepoint("sys_enter")
  on(args: any) {
    let s: u64 = args[0];
    for (let i = 0; i < 60000; i++) {
      if ((s & 1n) === 1n) s = s * 3n + 1n;
      else s = s / 2n;
      if (s > args[1]) s -= args[1];
    }
    return s;
  }
}
await new Refused().start();
`;

test("a verifier log is not written into a TMPDIR another user owns", { timeout: 180_000 }, async () => {
  const dir = rootDir("verifier-log");
  const tmpdir = "/tmp/tsbpf-sec-nobody-verifier-tmpdir";
  rmSync(tmpdir, { recursive: true, force: true });
  asNobody(["mkdir", "-m", "0777", tmpdir]);
  let named: string | undefined;
  try {
    writeFileSync(`${dir}/refused.ts`, REFUSED);
    const r = await script(`${dir}/refused.ts`, { env: bareEnv({ TMPDIR: tmpdir, HOME: dir }), timeoutMs: 150_000 });
    assert.notEqual(r.status, 0, `${r.stdout}${r.stderr}`);
    named = /verifier log \(\d+ lines\) is in (\S+)/.exec(r.stderr)?.[1];
    assert.ok(named, `no log file named: ${r.stderr}`);
    assert.deepEqual(readdirSync(tmpdir), [], "root wrote the verifier log into nobody's directory");
  } finally {
    if (named) unlinkSync(named);
    rmSync(tmpdir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
