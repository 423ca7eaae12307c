// The command line's global options are split without node:util for the plain forms
// (cli/global_options.ts simpleSplit); every form either gives exactly what parseArgs gives or
// is left to parseArgs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { GLOBAL_OPTIONS, parseUntilPositional, simpleSplit, type OptionSpec, type Split, type Values } from "../../cli/global_options.ts";

/** What parseUntilPositional answered before simpleSplit: parseArgs' tokens, read the same way. */
function byParseArgs(args: string[], options: OptionSpec): Split | string {
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const values: Values = {};
  for (const t of tokens) {
    if (t.kind === "positional") return { values, first: t.value, rest: args.slice(t.index + 1) };
    if (t.kind === "option-terminator") {
      const after = args.slice(t.index + 1);
      return { values, first: after[0], rest: after.slice(1) };
    }
    const spec = options[t.name];
    if (!spec) return `unknown option ${t.rawName}`;
    if (spec.type === "string") {
      if (t.value === undefined) return `option ${t.rawName} needs a value`;
      values[t.name] = t.value;
    } else {
      if (t.inlineValue) return `option ${t.rawName} takes no value`;
      values[t.name] = true;
    }
  }
  return { values, rest: [] };
}

const ONE = `tracepoint("syscalls:sys_enter_openat", () => count(comm()))`;
const LINES: string[][] = [
  [], ["-e", ONE], ["--eval", ONE], [`--eval=${ONE}`], ["-e", ONE, "-d", "5"], ["-d", "5", "-e", ONE, "--verbose"],
  ["-p", "42", "-e", ONE, "--json", "--stats"], ["-c", "ls -l", "-e", ONE], ["--cgroup", "/sys/fs/cgroup/x", "-e", ONE],
  ["run", "x.ts", "-p", "5"], ["-p", "5", "run", "x.ts", "--", "-x"], ["--verbose", "list", "sched:*"], ["-h"], ["--help", "run"],
  ["--version"], ["-e", ""], ["--eval="], ["-e", "-x"], ["-e"], ["-ve", ONE], [`-e${ONE}`], ["--", "run"], ["-", "x"],
  ["--nope"], ["-x"], ["--verbose=1"], ["--json", "--emit", "-e", ONE], ["-e", ONE, "extra"], ["--pin", "p", "run", "a.ts"],
  ["--Eval", ONE], ["--e", ONE], ["-E", ONE], ["--toString", "x"], ["--constructor"], ["-e", ONE, "-e", "other"],
];

test("the plain forms split as parseArgs splits them; the others are left to parseArgs", async () => {
  let simple = 0;
  for (const args of LINES) {
    const fast = simpleSplit(args, GLOBAL_OPTIONS);
    const slow = byParseArgs(args, GLOBAL_OPTIONS);
    if (fast) {
      simple++;
      assert.deepEqual(fast, slow, `simpleSplit(${JSON.stringify(args)})`);
    }
    // Whatever the path, parseUntilPositional answers as parseArgs does.
    const got = await parseUntilPositional(args, GLOBAL_OPTIONS).catch((e: Error) => e.message);
    assert.deepEqual(got, slow, JSON.stringify(args));
  }
  assert.ok(simple >= 15, `only ${simple} command lines took the plain path`);
  assert.ok(simpleSplit(["-e", ONE, "-d", "5"], GLOBAL_OPTIONS), "a one-liner's command line needs no parseArgs");
});
