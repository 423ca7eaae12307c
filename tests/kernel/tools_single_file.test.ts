// Every tool is one shareable file: copied alone into an empty project whose node_modules holds
// tsbpf (a link to this repository, as `npm install` would place it), it prints its usage with -h
// and traces for a second. A tool that imported a sibling file (examples/_tool.ts) or one of
// tsbpf's internal modules by a relative path would fail here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { libc } from "../../runtime/ffi/mod.ts";
import { hasFentry, hasKprobes } from "../../runtime/features.ts";
import { attached, finished, inBatches, runScript } from "./util.ts";

await libc();
const REPO = new URL("../..", import.meta.url).pathname;
const EXAMPLES = join(REPO, "examples");
const TOOLS = readdirSync(EXAMPLES).filter((f) => f.endsWith(".ts") && !f.startsWith("_")).map((f) => f.slice(0, -3)).sort();
const ARGS: Record<string, string[]> = { funccount: ["t:syscalls:sys_enter_openat"] };
const KERNEL_FUNCTIONS = new Set(["capable", "tcpaccept", "tcpconnect", "vfsstat"]);
const canTraceFunctions = hasKprobes() || hasFentry();

/** An empty project with tsbpf installed and the tool copied in: the path of the copy. */
function project(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `try-${name}`, private: true, type: "module", dependencies: { tsbpf: "*" } }));
  symlinkSync(REPO, join(dir, "node_modules", "tsbpf"));
  // The linked checkout has the TypeScript sources only (npm pack adds the pre-bundled dist/ that
  // the package's exports name; .ci/pack-check.sh runs that): Deno (deno.json) and Bun
  // (tsconfig.json "paths") are pointed at the sources as a clone's user would.
  const imports = { tsbpf: join(REPO, "mod.ts"), "tsbpf/kernel": join(REPO, "kernel.ts"), "tsbpf/tool": join(REPO, "tool/mod.ts"), "tsbpf/cli": join(REPO, "cli/mod.ts") };
  writeFileSync(join(dir, "deno.json"), JSON.stringify({ imports }));
  const paths = Object.fromEntries(Object.entries(imports).map(([name, file]) => [name, [file]]));
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { paths } }));
  copyFileSync(join(EXAMPLES, `${name}.ts`), join(dir, `${name}.ts`));
  return join(dir, `${name}.ts`);
}

test("every tool copied alone into an empty project prints its usage and traces for a second", async () => {
  assert.ok(TOOLS.length >= 28, `tools in examples/: ${TOOLS.join(" ")}`);
  const root = mkdtempSync(join(tmpdir(), "tsbpf-single-file-"));
  const problems: string[] = [];
  try {
    await inBatches(TOOLS, 7, async (name) => {
      const file = project(root, name), dir = join(root, name);
      const help = runScript(file, {}, ["-h"], dir);
      const status = await finished(help);
      if (status !== 0 || !help.stdout().startsWith(`usage: ${name} `)) problems.push(`${name} -h (status ${status}):\n${help.output()}`);
      const run = runScript(file, {}, ARGS[name] ?? [], dir);
      const ready = await attached(run);
      if (ready) {
        await new Promise((r) => setTimeout(r, 1000));
        run.kill("SIGINT");
      }
      const end = await finished(run);
      if (!ready) {
        const refused = KERNEL_FUNCTIONS.has(name) && !canTraceFunctions && end === 1 && /cannot run here/.test(run.stderr());
        if (!refused) problems.push(`${name}: ended before its probes were attached (status ${end}):\n${run.output()}`);
      } else if (end !== 0 && end !== 130) problems.push(`${name}: did not end cleanly on SIGINT (status ${end}):\n${run.output()}`);
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  assert.deepEqual(problems, []);
});
