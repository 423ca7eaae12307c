// The command finds its own modules beside the module that runs (runtime/own_files.ts): from
// the npm package, dist/ holds them. A copy of the command bundled again by another bundler
// (a project's build, or someone trying tsbpf out) sits elsewhere, say in a directory of /tmp,
// and "its dist/" is then a sibling that any user can create: root ran that user's mod.js for
// a one-liner, and their cli_preload.js before a script of `tsbpf run`. Here the attacker is
// nobody (setpriv) in a sticky, world-writable directory like /tmp.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asNobody, bareEnv, isBun, ROOT, rootDir, run } from "./attacker.ts";

const shared = rootDir("own-files");
chmodSync(shared, 0o1777);
after(() => rmSync(shared, { recursive: true, force: true }));
const project = join(shared, "project"), cli = join(project, "cli.js"), marks = join(shared, "dist");
mkdirSync(project, { mode: 0o755 });
symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"));
writeFileSync(join(project, "deno.json"), '{ "nodeModulesDir": "manual" }\n');
const built = spawnSync(join(ROOT, "node_modules/.bin/esbuild"), [
  join(ROOT, "cli/main.ts"), "--bundle", "--format=esm", "--platform=node", `--outfile=${cli}`, "--log-level=warning",
  "--external:@babel/parser", "--external:esbuild", "--external:bun:ffi", "--external:bun",
], { encoding: "utf8" });
assert.equal(built.status, 0, built.stderr);

// What nobody plants: the modules the copy would look for in "its" dist/, each leaving a mark
// when run and otherwise passing tsbpf's own through, so nothing fails to give it away.
const PLANTED = [["mod.js", "mod.ts"], ["cli_oneliner_oneliner_runtime.js", "cli/oneliner/oneliner_runtime.ts"], ["cli_preload.js", "cli/preload.ts"]];
const planted = (mark: string, real: string) => `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(join(marks, mark))}, "ran");\nexport * from ${JSON.stringify(join(ROOT, real))};\n`;
asNobody(["mkdir", "-m", "0755", marks]);

function plant(): void {
  for (const [file] of PLANTED) rmSync(join(marks, `${file}.ran`), { force: true });
  for (const [file, real] of PLANTED) {
    const r = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh", "-c", `cat > "$1"`, "sh", join(marks, file)], { input: planted(`${file}.ran`, real), encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  }
}

function command(args: string[]): string[] {
  return isBun ? [process.execPath, cli, ...args] : [process.execPath, "run", "-A", "--quiet", `--config=${join(project, "deno.json")}`, cli, ...args];
}

const ran = () => PLANTED.map(([f]) => f).filter((f) => existsSync(join(marks, `${f}.ran`)));

test("a re-bundled copy of the command runs no one-liner module another user put beside it", { timeout: 60_000 }, async () => {
  plant();
  const r = await run(command(["-e", 'tracepoint("syscalls:sys_enter_getppid", () => { exit(); })']), { env: bareEnv({ TSBPF_NO_CACHE: "1" }) });
  assert.deepEqual(ran(), [], `root ran nobody's modules: ${r.stdout}${r.stderr}`);
  assert.notEqual(r.status, 0, r.stdout);
  assert.match(r.stderr, /tsbpf's own module/, r.stderr);
  assert.doesNotMatch(r.stderr, /internal error/);
});

test("a re-bundled copy of the command preloads no module another user put beside it for tsbpf run", { timeout: 60_000 }, async () => {
  plant();
  const script = join(project, "script.ts");
  writeFileSync(script, 'console.log("script ran");\n');
  const r = await run(command(["run", script]), { env: bareEnv({ TSBPF_NO_CACHE: "1" }) });
  assert.deepEqual(ran(), [], `root ran nobody's modules: ${r.stdout}${r.stderr}`);
  assert.notEqual(r.status, 0, r.stdout);
  assert.match(r.stderr, /tsbpf's own module/, r.stderr);
  assert.doesNotMatch(r.stdout, /script ran/);
});
