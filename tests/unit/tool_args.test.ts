// tsbpf/tool's command line: one definition gives the parse and the usage (every option in it,
// the common ones added), in argparse's layout; a tool cannot give two options one letter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isJsonOutput, setJsonOutput } from "../../mod.ts";
import { parseToolArgs, toolUsage } from "../../tool/mod.ts";

const TOOL = {
  name: "demo",
  description: "Show what the definition gives",
  options: {
    pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" },
    "kernel-threads-only": { type: "boolean", short: "k", help: "kernel threads only (no user threads)" },
  },
  positionals: [{ name: "interval", help: "output interval, in seconds" }],
  examples: [["", "trace everything"], ["-p 181", "only PID 181"]],
} as const;

test("the usage lists every option of the tool and the common ones, in argparse's layout", () => {
  assert.equal(toolUsage(TOOL), [
    "usage: demo [-h] [-p PID] [-k] [--json] [--cgroup PATH] [--metrics ADDR] [--stats] [interval]",
    "",
    "Show what the definition gives",
    "",
    "positional arguments:",
    "  interval              output interval, in seconds",
    "",
    "options:",
    "  -h, --help            show this help message and exit",
    "  -p, --pid PID         trace this PID only",
    "  -k, --kernel-threads-only",
    "                        kernel threads only (no user threads)",
    "  --json                JSON lines on stdout, one record per line (shapes: docs/tools.md); notices go to stderr",
    "  --cgroup PATH         trace only processes in this cgroup v2 and its descendants (a path, absolute or under the cgroup v2 mount)",
    "  --metrics ADDR        serve the tool's counts and histograms to Prometheus at http://ADDR/metrics (e.g. 127.0.0.1:9435)",
    "  --stats               at the end, each handler's runs and average ns per run (the kernel's BPF statistics, on while the tool runs)",
    "",
    "examples:",
    "    demo          # trace everything",
    "    demo -p 181   # only PID 181",
  ].join("\n"));
});

test("parsing gives the tool's values, the common ones, and --cgroup as a start option", () => {
  try {
    const r = parseToolArgs(TOOL, ["-p", "42", "-k", "--cgroup", "system.slice", "5"]);
    assert.deepEqual({ ...r.values }, { pid: "42", "kernel-threads-only": true, cgroup: "system.slice", json: false });
    assert.deepEqual(r.positionals, ["5"]);
    assert.deepEqual(r.start, { cgroup: "system.slice" });
    assert.deepEqual(parseToolArgs(TOOL, []).start, {}, "no --cgroup: the tracer's default (tsbpf --cgroup, or every task)");
    assert.equal(parseToolArgs(TOOL, ["--json"]).values.json, true);
    assert.ok(isJsonOutput(), "--json turns JSON output on for everything printed");
  } finally {
    setJsonOutput(false);
  }
});

test("a tool may give --json a short form, but no two options one letter", () => {
  const j = { ...TOOL, options: { ...TOOL.options, json: { type: "boolean", short: "j", help: "json output" } } } as const;
  assert.match(toolUsage(j), /^ {2}-j, --json +json output$/m);
  const clash = { ...TOOL, options: { ...TOOL.options, pages: { type: "boolean", short: "p", help: "pages" } } } as const;
  assert.throws(() => toolUsage(clash), /--pid and --pages are both -p/);
  const help = { ...TOOL, options: { ...TOOL.options, human: { type: "boolean", short: "h", help: "human units" } } } as const;
  assert.throws(() => toolUsage(help), /are both -h/);
});
