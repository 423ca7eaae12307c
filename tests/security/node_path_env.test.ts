// Bun looks for a bare import that no node_modules directory holds in the directories NODE_PATH
// lists, and sudo -E keeps another user's NODE_PATH as it keeps HOME: a script of root's that
// imports a package it does not have (a typo, one not installed yet) ran that user's module as
// root in the child of `tsbpf run`, where it should have stopped with "Cannot find package".
// Here nobody's directory holds such a package, whose module leaves a mark; root runs its own
// script through the tsbpf command on Bun (Deno does not read NODE_PATH).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, bareEnv, ROOT, rootDir } from "./attacker.ts";

const shared = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-node-path-XXXXXX")]).trim();
const own = rootDir("node-path");
after(() => {
  rmSync(shared, { recursive: true, force: true });
  rmSync(own, { recursive: true, force: true });
});

test("tsbpf run does not import a missing package from the directories a preserved NODE_PATH names", { timeout: 120_000 }, () => {
  const marker = join(shared, "ran");
  asNobody(["sh", "-ec", `mkdir -p ${shared}/tsbpf-sec-missing && chmod 777 ${shared} && cd ${shared}/tsbpf-sec-missing &&
echo '{"name":"tsbpf-sec-missing","type":"module","main":"index.js"}' > package.json &&
echo 'import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(marker)}, String(process.getuid())); export const x = 1;' > index.js`]);
  const script = join(own, "trace.ts");
  writeFileSync(script, `import { x } from "tsbpf-sec-missing";\nconsole.log("the script ran", x);\n`);
  const r = spawnSync("sh", [join(ROOT, "bin/tsbpf"), "run", script], {
    cwd: "/", encoding: "utf8", timeout: 100_000,
    env: { ...bareEnv(), PATH: `${join(ROOT, "node_modules/.bin")}:/usr/bin:/bin`, TSBPF_RUNTIME: "bun", HOME: "/root", NODE_PATH: shared },
  });
  assert.equal(existsSync(marker), false, `root ran nobody's tsbpf-sec-missing from NODE_PATH=${shared}: ${r.stdout}${r.stderr}`);
  assert.notEqual(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /the script runs without NODE_PATH/, `${r.stdout}${r.stderr}`);
});
