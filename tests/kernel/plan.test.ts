// `tsbpf plan`'s report for every example: each probe, each map, the helpers, no warnings.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { compile } from "../../compiler/mod.ts";
import { describePlan } from "../../compiler/plan.ts";
import { hostTarget } from "../../tracer/compile_target.ts";
import { CompileError } from "../../spec/diagnostics.ts";
import { libc } from "../../runtime/ffi/mod.ts";
const kernel = await hostTarget();

await libc();
const dir = new URL("../../examples/", import.meta.url).pathname;

// Files starting with "_" are shared modules of the tools, not tracers.
for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.startsWith("_")).sort()) {
  test(`plan of examples/${file} lists its probes, maps and helpers`, (t) => {
    const source = readFileSync(dir + file, "utf8");
    let specs;
    try {
      specs = compile(source, dir + file, kernel);
    } catch (e) {
      // Probe kinds this kernel lacks (kprobes here) cannot be planned here: the VM lane plans them.
      if (e instanceof CompileError && e.diagnostics.every((d) => d.code === "TSB1007")) return t.skip(`needs a probe kind this kernel lacks: ${e.diagnostics[0].message}`);
      throw e;
    }
    const report = describePlan(specs, { cpus: 2 });
    for (const spec of specs) {
      assert.match(report, new RegExp(`^${spec.className} \\(`, "m"));
      for (const p of spec.programs) assert.ok(report.includes(`${p.probe.kind} ${p.probe.target}  →  ${p.name}()`), `probe ${p.name} missing:\n${report}`);
      for (const m of spec.maps) assert.match(report, new RegExp(`^    ${m.name} `, "m"), `map ${m.name} missing`);
    }
    assert.match(report, /warnings: none/);
    assert.match(report, /at most [\d.]+ [KM]?i?B of kernel memory/);
  });
}
