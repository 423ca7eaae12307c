// `tsbpf build` bundles the compiler, @babel/parser with it (build/bundle.ts imports
// compiler/mod.ts, which imports the parser up front): where the parser is found must be checked
// before that import as before every other (runtime/package_place.ts). Here a copy of tsbpf with
// esbuild beside it but not @babel/parser (installed without it, or a clone), in a directory like
// /tmp, where nobody put a @babel/parser in the node_modules above.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { ROOT } from "./attacker.ts";
import { plantedParser, runCopy } from "./package_copy.ts";

test("tsbpf build does not import a @babel/parser another user planted above tsbpf", { timeout: 120_000 }, () => {
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-babel-build-"));
  chmodSync(shared, 0o1777);
  const marker = `${shared}-ran`;
  try {
    const { project, pkg } = plantedParser(shared, marker);
    symlinkSync(join(ROOT, "node_modules/esbuild"), join(pkg, "node_modules/esbuild"));
    symlinkSync(join(ROOT, "node_modules/@esbuild"), join(pkg, "node_modules/@esbuild"));
    const r = runCopy(pkg, project, ["build", join(ROOT, "examples/opensnoop.ts"), "-o", join(project, "out.js")], { TSBPF_NO_CACHE: "1" });
    assert.equal(existsSync(marker), false, `root imported nobody's @babel/parser: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /@babel\/parser.*owned by uid 65534/s);
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});
