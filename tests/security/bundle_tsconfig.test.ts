// `tsbpf build` as root bundles a script whose directory lies under one another user can write
// (a project under /tmp). esbuild would take the "paths" of the nearest tsconfig.json above the
// script and remap its imports to that user's module, which then runs as root inside the bundle.
// The build reads no tsconfig.json (build/bundle.ts): the script's imports resolve as the runtimes do.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundle } from "../../build/bundle.ts";
import { asNobody, bareEnv, isBun, rootDir, run } from "./attacker.ts";

const shared = rootDir("tsconfig");
chmodSync(shared, 0o1777); // stands for /tmp
// Removed once the tests have run: Deno's test runner runs no process "exit" listeners.
after(() => rmSync(shared, { recursive: true, force: true }));
const marker = join(shared, "evil-ran");

// The attacker's: a tsconfig.json above the project that sends every bare import to evil.js.
asNobody(["sh", "-c", `cat > ${shared}/evil.js`.concat(` <<'EOF'\nimport { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "EVIL_TSCONFIG_MARK");\nexport const greeting = "evil";\nEOF`)]);
asNobody(["sh", "-c", `cat > ${shared}/tsconfig.json <<'EOF'\n{ "compilerOptions": { "baseUrl": ".", "paths": { "*": ["./evil.js"], "tsbpf": ["./evil.js"] } } }\nEOF`]);

// Root's project below it, with its own dependency in node_modules.
const project = join(shared, "project");
mkdirSync(join(project, "node_modules/helper"), { recursive: true, mode: 0o755 });
writeFileSync(join(project, "node_modules/helper/package.json"), JSON.stringify({ name: "helper", type: "module", main: "index.js" }));
writeFileSync(join(project, "node_modules/helper/index.js"), `export const greeting = "hello from helper";\n`);
writeFileSync(join(project, "script.ts"), [
  `import { Count, Tracer, tracepoint } from "tsbpf";`,
  `import { greeting } from "helper";`,
  `class Quiet extends Tracer {`,
  `  n = new Count();`,
  `  @tracepoint("syscalls:sys_enter_getppid")`,
  `  onGetppid() { this.n.add(); }`,
  `}`,
  `console.log(greeting, typeof Quiet);`,
  ``,
].join("\n"));

test("a tsconfig.json another user put above the script does not remap the bundle's imports", { timeout: 120000 }, async () => {
  const out = join(project, "script.bundle.js");
  await bundle(join(project, "script.ts"), out);
  const text = readFileSync(out, "utf8");
  assert.ok(!text.includes("EVIL_TSCONFIG_MARK"), "the attacker's module is in the bundle");
  assert.match(text, /hello from helper/);
  const argv = isBun ? [process.execPath, out] : [process.execPath, "run", "--allow-ffi", "--allow-run", "--allow-env", "--allow-read", "--allow-write", out];
  const r = await run(argv, { env: bareEnv({ TSBPF_NO_CACHE: "1" }), timeoutMs: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^hello from helper function$/m);
  assert.equal(existsSync(marker), false, "the attacker's module ran as root");
});

