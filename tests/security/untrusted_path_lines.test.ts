// An error that names a path another user chose is one line: the CLI prints errors with their
// own line breaks kept (printableLines), so a line feed in a directory name of theirs that an
// error quotes made a line of its own in root's terminal. Here the directory nobody's planted
// @babel/parser links to, which the refusal to import it names.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { plantedParser, runCopy } from "./package_copy.ts";

test("the refusal of another user's @babel/parser names its directory on one line, whatever that directory's name", { timeout: 120_000 }, () => {
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-path-lines-"));
  chmodSync(shared, 0o1777);
  const marker = `${shared}-ran`;
  try {
    const { project, pkg } = plantedParser(shared, marker, join(shared, "x\ntsbpf: FORGED by nobody"));
    // The `+` with nothing after it: the lean parser gives up, and Babel is asked for the error.
    const r = runCopy(pkg, project, ["-e", `tracepoint("syscalls:sys_enter_getppid", () => printf("%d\\n", pid() +))`], { TSBPF_NO_CACHE: "1" });
    assert.equal(existsSync(marker), false, `root imported nobody's @babel/parser: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /@babel\/parser.*owned by uid 65534/s);
    assert.ok(!r.stderr.split("\n").some((l) => l.startsWith("tsbpf: FORGED")), `nobody's directory name made a line of its own:\n${r.stderr}`);
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});
