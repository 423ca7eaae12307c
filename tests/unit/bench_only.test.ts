// bench/run.sh's --only: tools by name fragment, comma separated, or one tool by its whole name
// (some names have a comma in them: "libbpf C, 1 ms batches").
import { test, after } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "tsbpf-bench-only-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const script = join(dir, "selected.ts");
writeFileSync(script, `import { selectedTools } from ${JSON.stringify(new URL("../../bench/suite/common.ts", import.meta.url).pathname)};\nconsole.log(JSON.stringify(selectedTools().map((t) => t.name)));\n`);

function selected(only: string): string[] {
  const runtime = typeof (globalThis as { Deno?: unknown }).Deno === "undefined" ? [script] : ["run", "-A", script];
  const r = spawnSync(process.execPath, [...runtime, "--only", only], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("--only with a tool's whole name, comma and all, selects that tool alone", () => {
  assert.deepEqual(selected("libbpf C, 1 ms batches"), ["libbpf C, 1 ms batches"]);
});

test("--only with fragments selects every tool whose name holds one", () => {
  const names = selected("bpftrace,libbpf");
  assert.ok(names.includes("bpftrace") && names.includes("libbpf C") && names.includes("libbpf C, 1 ms batches"), JSON.stringify(names));
  assert.ok(!names.some((n) => /tsbpf/.test(n)), JSON.stringify(names));
});
