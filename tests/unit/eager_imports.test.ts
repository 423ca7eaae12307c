// What `import "tsbpf"` loads before anything runs: the static, non-type imports reachable from
// mod.ts. The compiler and its parser load only when a cache misses (tracer/tracer.ts), so a
// warm start never pays for them; an innocent value import (a constant from a compiler file
// that imports the parser) once put Babel back on every start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;

/** Files and packages reachable from `entry` through imports that are not type-only. */
function eagerGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(join(ROOT, file), "utf8");
    for (const m of source.matchAll(/^(?:import|export)\s+(?!type\b)([^;]*?)\s+from\s+"([^"]+)"|^import\s+"([^"]+)"/gms)) {
      const names = (m[1] ?? "").trim(), spec = m[2] ?? m[3];
      if (/^\{(\s*type\s+[\w$]+\s*,?)+\s*\}$/.test(names)) continue; // { type A, type B }
      if (spec.startsWith(".")) visit(normalize(join(dirname(file), spec)));
      else seen.add(spec);
    }
  };
  visit(entry);
  return seen;
}

test("import of tsbpf loads neither the compiler's parser nor Babel", () => {
  const graph = eagerGraph("mod.ts");
  assert.ok(graph.has("tracer/tracer.ts"), "the walk did not reach the runtime: it is broken");
  const heavy = [...graph].filter((f) => f === "@babel/parser" || f === "compiler/parse.ts" || f === "compiler/mod.ts" || f === "compiler/lower.ts");
  assert.deepEqual(heavy, [], `loaded on every start: ${heavy.join(", ")}`);
});

test("a one-liner run again loads neither the parser nor the compiler before the caches are asked", () => {
  // cli/oneliner/run_oneliner.ts imports the transform (cli/oneliner/oneliner.ts, which parses) only on a miss of
  // the one-liner cache, and the tracer imports the compiler only on a miss of the compile cache.
  const graph = eagerGraph("cli/main.ts");
  for (const f of eagerGraph("cli/oneliner/run_oneliner.ts")) graph.add(f);
  assert.ok(graph.has("cli/oneliner/oneliner_cache.ts"), "the walk did not reach the one-liner cache");
  const heavy = [...graph].filter((f) => f === "@babel/parser" || f === "compiler/parse.ts" || f === "compiler/mod.ts" || f === "compiler/lower.ts" || f === "cli/oneliner/oneliner.ts");
  assert.deepEqual(heavy, [], `loaded by every one-liner: ${heavy.join(", ")}`);
});

test("a one-liner's start loads only what -e needs: no Node layer, no help text, no probe listings", () => {
  // Deno loads its Node layer for node:process (≈ 15 ms) and node:util (≈ 8 ms); the listings
  // (BTF and ELF readers) are for wildcards; the help is printed only on -h. A warm one-liner
  // should cost what the same tracer as a script costs (issue 20).
  const graph = eagerGraph("cli/main.ts");
  for (const f of ["cli/oneliner/run_oneliner.ts", "cli/oneliner/oneliner_runtime.ts", "cli/session.ts"]) for (const g of eagerGraph(f)) graph.add(g);
  assert.ok(graph.has("cli/oneliner/oneliner_cache.ts"), "the walk did not reach the one-liner cache");
  const extra = [...graph].filter((f) => /^node:/.test(f) || ["cli/help.ts", "cli/args.ts", "cli/commands/list_kernel.ts", "cli/commands/list_user.ts", "cli/held_command.ts", "package.json"].includes(f));
  assert.deepEqual(extra, [], `loaded by every one-liner: ${extra.join(", ")}`);
});

// What a cold one-liner really opens, seen by strace (the kernel's view: both runtimes, no timing).
const hasStrace = spawnSync("strace", ["-V"], { stdio: "ignore" }).status === 0;
declare const Bun: unknown;

/** Runs `tsbpf -e text` on this test's runtime with no cache; its stderr, and whether it opened Babel's code. */
function coldOneLiner(text: string, extra: string[], env: Record<string, string> = {}): { status: number | null; stderr: string; openedBabel: boolean; loadedListings: boolean } {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-cold-oneliner-"));
  try {
    const main = join(ROOT, "cli/main.ts");
    const command = typeof Bun !== "undefined" ? [process.execPath, main] : [process.execPath, "run", "-A", "--quiet", main];
    const log = join(dir, "opened");
    const r = spawnSync("strace", ["-f", "-qq", "-e", "trace=open,openat", "-o", log, ...command, ...extra, "-e", text], {
      encoding: "utf8", timeout: 60_000, env: { ...process.env, TSBPF_NO_CACHE: "1", XDG_CACHE_HOME: dir, NO_COLOR: "1", ...env },
    });
    const opened = readFileSync(log, "utf8");
    assert.match(opened, /cli\/oneliner\/oneliner\.ts"/, "the one-liner was not transformed (cached?), or strace saw nothing");
    return { status: r.status, stderr: r.stderr, openedBabel: /@babel\/parser\/lib\//.test(opened), loadedListings: /loading the probe listings/.test(r.stderr) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a cold one-liner the lean parser reads never loads Babel; one with a syntax error gets Babel's diagnostic", { skip: !hasStrace && "strace is not installed" }, () => {
  // As root the one-liner runs (its generated script is compiled too); otherwise --emit transforms it only.
  const root = process.getuid?.() === 0;
  const good = coldOneLiner(`tracepoint("syscalls:sys_enter_getppid", () => printf("%d\\n", pid())); begin(() => exit())`, root ? [] : ["--emit"]);
  assert.equal(good.status, 0, good.stderr);
  assert.equal(good.openedBabel, false, "a one-liner the lean parser reads loaded @babel/parser");
  const bad = coldOneLiner(`tracepoint("syscalls:sys_enter_getppid", () => count()) )`, ["--emit"]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /^-e:1:57: error\[TSB1001\]: Unexpected token$/m, bad.stderr);
  assert.equal(bad.openedBabel, true, "the syntax error did not come from Babel: is strace watching the right files?");
});

test("a cold one-liner loads the probe listings only when one of its probes is a wildcard", { skip: !hasStrace && "strace is not installed" }, () => {
  // The listings (BTF and ELF readers, ≈ 7 ms to load) answer which probes a wildcard matches;
  // "a * b" and "a ? b : c" are no wildcards. (Told by TSBPF_VERBOSE: Deno opens a module's static
  // dynamic imports to build its graph, loaded or not.)
  const plain = coldOneLiner(`tracepoint("syscalls:sys_enter_getppid", () => printf("%d\\n", pid() * 2 > 1 ? 1 : 0))`, ["--emit"], { TSBPF_VERBOSE: "1" });
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(plain.loadedListings, false, "a one-liner without a wildcard loaded the probe listings");
  const wildcard = coldOneLiner(`tracepoint("syscalls:sys_enter_getppi*", () => count())`, ["--emit"], { TSBPF_VERBOSE: "1" });
  assert.equal(wildcard.status, 0, wildcard.stderr);
  assert.equal(wildcard.loadedListings, true, "the wildcard was expanded without the listings, or TSBPF_VERBOSE does not say so");
});
