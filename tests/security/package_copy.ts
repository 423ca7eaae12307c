// A copy of tsbpf's sources in a project, as a clone without its dev dependencies, and its
// command run there as root: for the tests of what tsbpf imports by name (@babel/parser, esbuild).
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asNobody, isBun, ROOT } from "./attacker.ts";

/**
 * The copy in `project`/tsbpf (root's, 0755), its node_modules empty but for @babel (linked to
 * the repository's) when `babel`; the project has a package.json and a plain s.ts.
 */
export function copyPackage(project: string, { babel }: { babel: boolean }): string {
  const pkg = join(project, "tsbpf");
  const files = spawnSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).stdout.split("\n")
    .filter((f) => f && !/^(tests|bench|docs|pack|\.ci)\//.test(f));
  assert.ok(files.includes("cli/main.ts"), "git ls-files listed no sources");
  for (const f of files) {
    mkdirSync(join(pkg, f, ".."), { recursive: true });
    copyFileSync(join(ROOT, f), join(pkg, f));
  }
  chmodSync(join(pkg, "bin/tsbpf"), 0o755);
  mkdirSync(join(pkg, "node_modules"));
  if (babel) symlinkSync(join(ROOT, "node_modules/@babel"), join(pkg, "node_modules/@babel"));
  writeFileSync(join(project, "package.json"), '{ "name": "p", "private": true, "type": "module" }\n');
  writeFileSync(join(project, "s.ts"), 'console.log("hello");\n');
  return pkg;
}

/** The copy's `tsbpf ARGS` run by root in `project` on this test's runtime (HOME the project, unless `env` says). */
export function runCopy(pkg: string, project: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(join(pkg, "bin/tsbpf"), args, {
    cwd: project, encoding: "utf8", timeout: 90_000,
    env: { PATH: `${join(ROOT, "node_modules/.bin")}:/usr/bin:/bin`, TSBPF_RUNTIME: isBun ? "bun" : "deno", HOME: project, NO_COLOR: "1", ...env },
  });
}

/**
 * A copy of tsbpf without its dependencies in `shared` (sticky and world-writable, like /tmp), and
 * nobody's @babel/parser above it: a link to nobody's directory `evil`, whose module writes `marker`.
 */
export function plantedParser(shared: string, marker: string, evil = join(shared, "evil")): { project: string; pkg: string } {
  const project = join(shared, "project");
  const pkg = copyPackage(project, { babel: false });
  asNobody(["mkdir", "-p", evil, join(shared, "node_modules/@babel")]);
  asNobody(["ln", "-s", evil, join(shared, "node_modules/@babel/parser")]);
  asNobody(["sh", "-c", `printf '{ "name": "@babel/parser", "type": "module", "main": "index.js" }\\n' > "$1/package.json"`, "sh", evil]);
  asNobody(["sh", "-c", `printf 'import { writeFileSync } from "node:fs";\\nwriteFileSync("${marker}", "x");\\nexport function parse() { throw new Error("nobody"); }\\n' > "$1/index.js"`, "sh", evil]);
  return { project, pkg };
}
