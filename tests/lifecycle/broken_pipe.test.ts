// A tracer whose output goes to a pipe nobody reads any more (`tsbpf ... | head`) stops, as a
// tool killed by SIGPIPE does (docs/lifecycle.md): Bun and Deno ignore SIGPIPE and drop what
// console.log cannot write, so without a watch on stdout it ran until Ctrl-C.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { runCommand, waitFor } from "../kernel/util.ts";

declare const Bun: unknown;
const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const PRINTER = new URL("./fixtures/pipe_printer.ts", import.meta.url).pathname;
const runtime = typeof Bun !== "undefined" ? [process.execPath] : [process.execPath, "run", "-A", "--quiet"];

const CASES: [string, string[]][] = [
  ["a script run by the runtime", [...runtime, PRINTER]],
  ["tsbpf run", [...runtime, MAIN, "run", PRINTER]],
  // A one-liner that prints on every call of a syscall the pipeline's own shell keeps making.
  ["a one-liner (tsbpf -e)", [...runtime, MAIN, "-e", 'tracepoint("syscalls:sys_enter_getppid", () => printf("%d\\n", pid()))']],
];

for (const [what, command] of CASES) {
  test(`${what} whose output is piped to head ends once head has gone, with SIGPIPE's status 141`, { timeout: 120_000 }, async () => {
    // The one-liner's getppid() calls come from a second printer, which calls it every 50 ms.
    const feeder = what.startsWith("a one-liner") ? runCommand(process.execPath, [...runtime.slice(1), PRINTER], { TSBPF_NO_CACHE: "1" }) : undefined;
    const run = runCommand("bash", ["-c", 'timeout -s INT 30 "$@" | head -n 1; echo "status ${PIPESTATUS[0]}" >&2', "bash", ...command], {
      TSBPF_NO_CACHE: "1",
      PATH: process.env.PATH ?? "/usr/bin:/bin",
    });
    try {
      let exited = false;
      run.exited.then(() => (exited = true));
      assert.ok(await waitFor(() => exited, 45_000), `bash never ended: ${run.output()}`);
      // 124: timeout(1) stopped it after 30 s, long after head had gone.
      assert.match(run.stderr(), /status 141\b/, run.output());
    } finally {
      run.kill("SIGKILL");
      feeder?.kill("SIGINT");
      await feeder?.exited;
    }
  });
}
