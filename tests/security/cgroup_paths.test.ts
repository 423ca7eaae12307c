// Root's tracer names the cgroups its events come from (cgroupName(cgroup()) keys print as a
// path): another user with a cgroup subtree delegated to them creates cgroups by the thousand.
// Each unknown id walked the whole hierarchy (opening every cgroup directory), and every id
// ever asked about was kept for the tracer's life. Here nobody's 200 cgroups, and ids that name
// none: the lookups must not open nobody's directories once per id, and what is remembered is
// bounded.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { isBun, ROOT, rootDir } from "./attacker.ts";
import { hasStrace, openedFiles } from "../kernel/opened_files.ts";
import { cgroup2Mount } from "../../runtime/cgroup.ts";
import { libc } from "../../runtime/ffi/mod.ts";

await libc();
const mount = cgroup2Mount();
const own = rootDir("cgroup-paths");
const delegated = mount ? mkdtempSync(join(mount, "tsbpf-sec-cgroups-")) : "";
after(() => {
  if (delegated) {
    for (const name of readdirSync(delegated, { withFileTypes: true })) if (name.isDirectory()) rmdirSync(join(delegated, name.name));
    rmdirSync(delegated);
  }
  rmSync(own, { recursive: true, force: true });
});

// The subtree delegated to nobody, who fills it.
if (delegated) spawnSync("chown", ["nobody:nogroup", delegated]);
const made = delegated ? spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", "import os, sys\nfor i in range(200): os.mkdir(os.path.join(sys.argv[1], 'c%d' % i))", delegated], { encoding: "utf8" }) : undefined;

/** Root's script: asks for the path of `unknown` ids that name no cgroup, then of nobody's cgroup c7; prints both and how many paths are remembered. */
function lookups(unknown: number): string {
  const file = join(own, `lookups-${unknown}.ts`);
  writeFileSync(file, `import { libc } from "${join(ROOT, "runtime/ffi/mod.ts")}";
import * as cgroup from "${join(ROOT, "runtime/cgroup.ts")}";
await libc();
for (let i = 0; i < ${unknown}; i++) if (cgroup.cgroupPathOf((1n << 40n) + BigInt(i)) !== undefined) throw new Error("an id of no cgroup has a path");
const c7 = cgroup.cgroupPathOf(${statSync(join(delegated, "c7"), { bigint: true }).ino}n);
const known = "knownCgroupPaths" in cgroup ? (cgroup as unknown as { knownCgroupPaths(): number }).knownCgroupPaths() : null;
console.log(JSON.stringify({ c7, known }));
`);
  return file;
}

const runtime = isBun ? [process.execPath, "run"] : [process.execPath, "run", "-A", "--quiet", "--config", join(ROOT, "deno.json")];

test("nobody's cgroups are not all opened again for each id that names none", { skip: !mount || !hasStrace ? "needs cgroup v2 and strace" : false, timeout: 300_000 }, () => {
  assert.equal(made?.status, 0, made?.stderr);
  const r = openedFiles([...runtime, lookups(300)], { timeout: 240_000 });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  assert.equal(JSON.parse(r.stdout.trim().split("\n").at(-1)!).c7, `${delegated.slice(mount!.length)}/c7`);
  const opened = r.opened.filter((path) => path.startsWith(`${delegated}/`)).length;
  assert.ok(opened <= 200, `nobody's cgroup directories were opened ${opened} times for 300 ids`);
});

test("the cgroup paths remembered are bounded, however many ids are asked about", { skip: !mount ? "needs cgroup v2" : false, timeout: 300_000 }, () => {
  assert.equal(made?.status, 0, made?.stderr);
  const r = spawnSync(runtime[0], [...runtime.slice(1), lookups(6000)], { encoding: "utf8", timeout: 240_000 });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.equal(out.c7, `${delegated.slice(mount!.length)}/c7`);
  assert.ok(out.known !== null && out.known <= 4096, `${out.known} cgroup paths remembered after 6001 ids (null: not counted)`);
});
