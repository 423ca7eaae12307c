// With -p PID, the tracer's filter is the pid: once that process has ended its pid is free, and
// any user who spawns processes until it comes round again has theirs traced as the one -p named,
// their events shown to root as its. bpftrace ends when the -p process ends; tsbpf went on until
// stopped. Here nobody's process is the -p target and ends once root's tracer has attached (the
// reuse itself is left out: a pid comes round only after the others, tens of thousands, are
// taken); the tracer must end, by itself, with status 0.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bareEnv, MOD, nobodyCommand, rootDir, tsbpf } from "./attacker.ts";

const cleanup: string[] = [];
after(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

const SCRIPT = `import { Count, pid, Tracer, tracepoint } from ${JSON.stringify(MOD)};
import { cliOptions } from ${JSON.stringify(MOD.replace(/mod\.ts$/, "cli/mod.ts"))};
class Calls extends Tracer {
  targetPid = 0;
  calls = new Count();
  @tracepoint("syscalls:sys_enter_getppid")
  on() { if (pid() === this.targetPid) this.calls.add(); }
}
const t = new Calls();
t.targetPid = cliOptions.pid ?? 0;
await t.start();
console.error("Attaching done (the test waits for this word)");
`;

for (const [what, args] of [
  ["a one-liner", ["-e", `tracepoint("syscalls:sys_enter_getppid", () => { printf("%d\\n", pid()) })`]],
  ["tsbpf run", ["run", "SCRIPT"]],
] as const) {
  test(`-p: ${what} ends once nobody's process it traces has ended, before its pid can be another's`, { timeout: 120_000 }, async () => {
    const dir = rootDir("pid-exit");
    cleanup.push(dir);
    writeFileSync(join(dir, "trace.ts"), SCRIPT);
    const victim = await nobodyCommand(["sh", "-c", "echo ready; exec sleep 600"]);
    let ended = false;
    const tick = () => {
      if (!ended) (ended = true, void victim.stop());
    };
    try {
      const argv = args.map((a) => (a === "SCRIPT" ? join(dir, "trace.ts") : a));
      const r = await tsbpf(["-p", String(victim.pid), ...argv], { env: bareEnv(), timeoutMs: 60_000, tick });
      assert.ok(ended, `the tracer did not attach: ${r.stderr}`);
      assert.equal(r.timedOut, false, `the tracer went on after the -p process ended (killed after 60 s): ${r.stderr}`);
      assert.equal(r.status, 0, r.stderr);
    } finally {
      await victim.stop();
    }
  });
}
