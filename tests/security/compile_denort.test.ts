// `tsbpf build --compile` on Deno runs `deno compile`, which makes the executable from a copy of
// Deno's runtime (denort) with the bundle added: the program root then runs (`sudo ./trace`). Deno
// takes that copy from the file DENORT_BIN names, if set, and sudo -E keeps it as it keeps HOME:
// the executable root built was then another user's program. Here nobody's DENORT_BIN prints a
// mark; root builds with it through the tsbpf command and runs what was built.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asNobody, bareEnv, countingScript, ROOT } from "./attacker.ts";

test("tsbpf build --compile on Deno does not build its executable from nobody's DENORT_BIN", { timeout: 300_000 }, () => {
  const work = mkdtempSync("/tmp/tsbpf-sec-denort-");
  const shared = mkdtempSync("/tmp/tsbpf-sec-denort-nobody-");
  chmodSync(shared, 0o777);
  try {
    writeFileSync(`${work}/trace.ts`, countingScript(`"the executable ran"`));
    // nobody's "runtime": an ELF program of nobody's making (deno compile appends the bundle to it).
    asNobody(["sh", "-c", `printf '#include <stdio.h>\\n#include <unistd.h>\\nint main(void) { printf("nobody ran as uid %%d\\\\n", getuid()); return 0; }\\n' > ${shared}/denort.c && cc -o ${shared}/denort ${shared}/denort.c`]);
    const built = spawnSync("sh", [join(ROOT, "bin/tsbpf"), "build", "--compile", `${work}/trace.ts`, "-o", `${work}/trace`], {
      cwd: work, encoding: "utf8", timeout: 240_000,
      env: { ...bareEnv(), PATH: `${join(ROOT, "node_modules/.bin")}:/usr/bin:/bin`, HOME: work, TSBPF_RUNTIME: "deno", DENORT_BIN: `${shared}/denort` },
    });
    const ran = existsSync(`${work}/trace`) ? spawnSync(`${work}/trace`, [], { cwd: work, encoding: "utf8", env: bareEnv(), timeout: 120_000 }) : undefined;
    assert.doesNotMatch(ran?.stdout ?? "", /nobody ran/, "root's executable was nobody's program");
    // Refused, saying why (a denort of root's own would be used).
    assert.notEqual(built.status, 0, `${built.stdout}${built.stderr}`);
    assert.match(built.stderr, /DENORT_BIN/, built.stderr);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(shared, { recursive: true, force: true });
  }
});
