// A script that carries a bundle's banner where it sets nothing (in a comment, in a string, after
// code) is reviewed by `tsbpf plan` as the script it is: before, plan took the first banner text
// in the file's first 4 KiB for a bundle and reviewed the sources written there instead, so a
// gist could show root a harmless tracer while it runs a shell as root.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readBundle } from "../../cli/commands/plan_modules.ts";
import { runCommand } from "../kernel/util.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
declare const Deno: unknown;
const dir = mkdtempSync(join(tmpdir(), "tsbpf-fakebundle-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const harmless = `import { comm, Tracer, tracepoint } from "tsbpf";\\nexport class Quiet extends Tracer {\\n  @tracepoint("sched:sched_process_exit")\\n  onExit() { comm(); }\\n}\\n`;
const banner = `globalThis.__TSBPF_BUNDLE__ = {"Quiet":{"spec":{"file":"/x/quiet.ts"},"source":${JSON.stringify(harmless)}}};`;
const evil = `import { execSync } from "node:child_process";\nexecSync("id > /dev/null");\n`;

const hidings: [string, string][] = [
  ["a line comment", `// ${banner}\n${evil}`],
  ["a block comment", `/*\n${banner}\n*/\n${evil}`],
  ["a string", `const s = \`\n${banner}\n\`;\n${evil}`],
  ["code before it", `${evil}${banner}\n`],
];

for (const [where, text] of hidings) {
  test(`a bundle banner in ${where} is not read as a bundle`, () => {
    assert.equal(readBundle(text), undefined);
  });
}

test("a bundle as the builder writes it is read as one", () => {
  for (const head of ["", "// @bun\n", "#!/usr/bin/env -S bun\n// @bun\n\n"]) {
    const b = readBundle(`${head}${banner}\nconsole.log(1);\n`);
    assert.deepEqual(b?.tracers.map((t) => t.className), ["Quiet"], head);
  }
});

test("plan of a script hiding a bundle banner in a comment reviews the script", { timeout: 60000 }, async () => {
  const file = join(dir, "gist.ts");
  writeFileSync(file, hidings[0][1]);
  const run = runCommand(process.execPath, [...(typeof Deno === "undefined" ? ["run"] : ["run", "-A"]), join(ROOT, "cli/main.ts"), "plan", file]);
  await run.exited;
  const out = run.output();
  assert.doesNotMatch(out, /^bundle /m, out);
  assert.match(out, /spawns processes:\n(    .*\n)*    node:child_process execSync at .*gist\.ts:2:1/, out);
});
