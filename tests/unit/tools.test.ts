// `tsbpf tools` lists every tool in examples/ with its own one-line description, and the
// README's tool tables name every tool.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { toolDescription, tools } from "../../cli/commands/tools.ts";

test("a tool's description is the first sentence of its opening comment, without parentheticals", () => {
  const source = `// runqlen: how many tasks wait (sampled 99 times a second) on the run queues. Like bcc's.\n// More text.\n//\n//   usage\nimport x from "y";\n`;
  assert.equal(toolDescription(source), "how many tasks wait on the run queues");
  assert.equal(toolDescription("// who-calls-execve: every execve() call\n\nconst x = 1;\n"), "every execve() call");
});

test("every tool in examples/ is listed, with a one-line description, and named in the README", () => {
  const files = readdirSync(new URL("../../examples/", import.meta.url)).filter((f) => f.endsWith(".ts") && !f.startsWith("_"));
  const listed = tools();
  assert.deepEqual(listed.map((t) => `${t.name}.ts`), files.sort());
  for (const t of listed) assert.ok(t.description.length >= 10 && t.description.length <= 160 && !t.description.includes("\n"), `${t.name}: "${t.description}"`);
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const missing = listed.filter((t) => !readme.includes(`\`examples/${t.name}.ts\``)).map((t) => t.name);
  assert.deepEqual(missing, [], "tools missing from the README's tables");
});

test("every tool is one file: it imports only tsbpf, tsbpf/tool, tsbpf/kernel and node: built-ins; tool/ imports only downward", () => {
  // Comment lines (doc examples) are not imports.
  const specifiers = (source: string) => [...source.replace(/^\s*(\/\/|\/\*|\*).*$/gm, "").matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)["']([^"']+)["']/gm)].map((m) => m[1]);
  const examples = new URL("../../examples/", import.meta.url);
  const wrong: string[] = [];
  for (const f of readdirSync(examples).filter((f) => f.endsWith(".ts"))) {
    if (f.startsWith("_")) wrong.push(`examples/${f}: a shared helper file (tools are one file each; shared code goes in tsbpf/tool)`);
    for (const s of specifiers(readFileSync(new URL(f, examples), "utf8"))) {
      if (!["tsbpf", "tsbpf/tool", "tsbpf/kernel"].includes(s) && !s.startsWith("node:")) wrong.push(`examples/${f}: ${s}`);
    }
  }
  const tool = new URL("../../tool/", import.meta.url);
  for (const f of readdirSync(tool).filter((f) => f.endsWith(".ts"))) {
    for (const s of specifiers(readFileSync(new URL(f, tool), "utf8"))) {
      if (!/^(\.\/|\.\.\/(runtime|probes|tracer)\/|node:)/.test(s)) wrong.push(`tool/${f}: ${s}`);
    }
  }
  assert.deepEqual(wrong, []);
});
