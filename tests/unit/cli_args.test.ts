// The command line's global options are split without node:util for the plain forms
// (cli/global_options.ts simpleSplit); every form either gives exactly what parseArgs gives or
// is left to parseArgs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GLOBAL_OPTIONS, parseArgsSplit, parseUntilPositional, simpleSplit, type OptionSpec, type Split } from "../../cli/global_options.ts";

/** What parseArgs alone answers: the split, or the usage error's message. */
function byParseArgs(args: string[], options: OptionSpec): Promise<Split | string> {
  return parseArgsSplit(args, options).catch((e: Error) => e.message);
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
    const slow = await byParseArgs(args, GLOBAL_OPTIONS);
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

test("bpftrace's options are named with tsbpf's way (-l is tsbpf list)", async () => {
  const message = (args: string[]) => parseUntilPositional(args, GLOBAL_OPTIONS).then(() => "parsed", (e: Error) => e.message);
  assert.equal(await message(["-l", "tracepoint:syscalls:*"]), "unknown option -l (bpftrace's; in tsbpf: tsbpf list 'PATTERN', -v for the arguments)");
  assert.equal(await message(["-f", "json", "-e", "x"]), "unknown option -f (bpftrace's; in tsbpf: --json for JSON lines)");
  assert.equal(await message(["-x"]), "unknown option -x");
});
