// @babel/parser is the compiler's fallback: it is imported only when the lean parser gives up on
// a source (a shape it does not read, every syntax error). Where it is found is checked
// (runtime/package_place.ts) right before that import, whoever asks for it: a one-liner with a
// syntax error imported it unchecked (its transform loads the parser itself), so root's `tsbpf -e`
// with a typo ran whatever another user had put where the runtime looks for it. And a start that
// never imports it does not check it: a cold start of a script the lean parser reads paid for the
// check (the package's resolve and a walk of lstats) and was refused for a file it never loads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { plantedParser, runCopy } from "./package_copy.ts";

test("tsbpf -e with a syntax error does not import a @babel/parser another user planted above tsbpf", { timeout: 120_000 }, () => {
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-babel-oneliner-"));
  chmodSync(shared, 0o1777);
  const marker = `${shared}-ran`;
  try {
    const { project, pkg } = plantedParser(shared, marker);
    // The `+` with nothing after it: the lean parser gives up, and Babel is asked for the error.
    const r = runCopy(pkg, project, ["-e", `tracepoint("syscalls:sys_enter_getppid", () => printf("%d\\n", pid() +))`], { TSBPF_NO_CACHE: "1" });
    assert.equal(existsSync(marker), false, `root imported nobody's @babel/parser: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /@babel\/parser.*owned by uid 65534/s);
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});

test("a cold start of a script the lean parser reads neither imports nor checks @babel/parser", { timeout: 120_000 }, () => {
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-babel-unused-"));
  chmodSync(shared, 0o1777);
  const marker = `${shared}-ran`;
  try {
    const { project, pkg } = plantedParser(shared, marker);
    writeFileSync(join(project, "t.ts"), [
      `import { Tracer, tracepoint } from "tsbpf";`,
      `class T extends Tracer {`,
      `  @tracepoint("syscalls:sys_enter_getppid")`,
      `  onGetppid() {}`,
      `}`,
      `const t = await new T().start();`,
      `await t.stop();`,
      `console.log("started");`,
      ``,
    ].join("\n"));
    const r = runCopy(pkg, project, ["run", "t.ts"], { TSBPF_NO_CACHE: "1" });
    assert.equal(existsSync(marker), false, `root imported nobody's @babel/parser: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /started/);
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});
