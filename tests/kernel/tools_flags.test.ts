// Every tool in examples/, every common flag: -h and --help print the full usage on stdout and
// exit 0; an unknown option prints one line and the usage on stderr and exits 2, never a stack;
// --json traces for 3 s under a workload that gives each tool events, and stdout then carries
// only JSON lines (banners and notices on stderr). Tools run in parallel batches (2 cores).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { libc } from "../../runtime/ffi/mod.ts";
import { cgroup2Mount } from "../../mod.ts";
import { hasFentry, hasKprobes } from "../../runtime/features.ts";
import { loopDevice } from "./loop_device.ts";
import { attached, finished, inBatches, runCommand, runScript, type Running, waitFor } from "./util.ts";

await libc();
const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;
const TOOLS = readdirSync(EXAMPLES).filter((f) => f.endsWith(".ts") && !f.startsWith("_")).map((f) => f.slice(0, -3)).sort();
/** The arguments a tool needs besides --json (funccount takes a pattern). */
const ARGS: Record<string, string[]> = { funccount: ["t:syscalls:sys_enter_openat"] };
/** Tools that trace kernel functions: on a kernel without kprobes and fentry they say so and exit 1. */
const KERNEL_FUNCTIONS = new Set(["capable", "tcpaccept", "tcpconnect", "vfsstat"]);
const canTraceFunctions = hasKprobes() || hasFentry();
/** Tools the workload cannot give an event: no OOM kill, no retransmit, no guaranteed writeback in a round. */
const MAY_PRINT_NOTHING = new Set(["oomkill", "tcpretrans", "writeback"]);
const STACK_TRACE = /^\s+at \S/m;

function tool(name: string, args: string[]): Running {
  return runScript(`${EXAMPLES}${name}.ts`, {}, args);
}

test("every tool: -h and --help print the full usage and exit 0; an unknown option prints one line and the usage, status 2", async () => {
  assert.ok(TOOLS.length >= 28, `tools in examples/: ${TOOLS.join(" ")}`);
  const problems: string[] = [];
  await inBatches(TOOLS, 4, async (name) => {
    const usages: string[] = [];
    for (const flag of ["-h", "--help"]) {
      const run = tool(name, [flag]);
      const status = await finished(run);
      const out = run.stdout();
      if (status !== 0) problems.push(`${name} ${flag}: status ${status}\n${run.output()}`);
      else if (!out.startsWith(`usage: ${name} `)) problems.push(`${name} ${flag}: stdout does not start with "usage: ${name} ":\n${run.output()}`);
      else if (!/^  -h, --help +show this help/m.test(out) || !/^  (-\w, )?--json /m.test(out) || !/^  --cgroup PATH /m.test(out)) {
        problems.push(`${name} ${flag}: the usage lacks -h, --json or --cgroup PATH:\n${out}`);
      } else if (run.stderr() !== "") problems.push(`${name} ${flag}: wrote to stderr: ${run.stderr()}`);
      usages.push(out);
    }
    if (usages.length === 2 && usages[0] !== usages[1]) problems.push(`${name}: -h and --help print different text`);
    const bad = tool(name, [...(ARGS[name] ?? []), "--no-such-option"]);
    const status = await finished(bad);
    const err = bad.stderr();
    const [first, blank, usage] = err.split("\n");
    if (status !== 2) problems.push(`${name} --no-such-option: status ${status}, not 2\n${bad.output()}`);
    else if (STACK_TRACE.test(err)) problems.push(`${name} --no-such-option: a stack trace\n${err}`);
    else if (!first.includes("--no-such-option") || blank !== "" || !usage?.startsWith(`usage: ${name} `)) {
      problems.push(`${name} --no-such-option: not one line naming the option, then the usage:\n${err}`);
    } else if (bad.stdout() !== "") problems.push(`${name} --no-such-option: wrote to stdout: ${bad.stdout()}`);
  });
  assert.deepEqual(problems, []);
});

/**
 * Things for every tool to see, again and again until stopped: execs, opens, stats, kill(),
 * sync(), a mount, an interactive bash typing cd (readline), a TCP session, direct block I/O.
 */
function startWorkload(): { rounds: () => number; stop: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-tools-"));
  const loop = loopDevice();
  // Without a loop device (no losetup) the block I/O tools may see no request of their own.
  if (!loop) ["biolatency", "biosnoop"].forEach((t) => MAY_PRINT_NOTHING.add(t));
  const server = createServer((s) => s.end()).listen(0, "127.0.0.1");
  const script = (port: number) => [
    "cat /etc/hostname >/dev/null; stat / >/dev/null; kill -0 $$; sync",
    `mount -t tmpfs tsbpf-tools-test ${dir} && umount ${dir}`,
    "printf 'cd /tmp\\ncd /\\nexit\\n' | bash --norc -i >/dev/null 2>&1",
    `(exec 3<>/dev/tcp/127.0.0.1/${port}; exec 3>&-) 2>/dev/null`,
    loop ? `dd if=/dev/zero of=${loop.path} bs=4k count=16 oflag=direct 2>/dev/null` : "true",
  ].join("\n");
  let running = true, rounds = 0;
  const loopDone = (async () => {
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as { port: number }).port;
    while (running) {
      await new Promise((r) => spawn("bash", ["-c", script(port)], { stdio: "ignore" }).on("exit", r));
      rounds++;
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    rounds: () => rounds,
    stop: async () => {
      running = false;
      await loopDone;
      server.close();
      loop?.remove();
      rmdirSync(dir);
    },
  };
}

test("every tool --json: two rounds of a workload, then Ctrl-C: stdout is JSON lines only", async () => {
  const workload = startWorkload();
  const problems: string[] = [];
  try {
    await inBatches(TOOLS, 7, async (name) => {
      const run = tool(name, ["--json", ...(ARGS[name] ?? [])]);
      const ready = await attached(run);
      if (ready) {
        // A whole round of the workload begun after the probes were attached, however slow the
        // machine (the round under way may have begun before)
        const from = workload.rounds();
        await waitFor(() => workload.rounds() >= from + 2, 300_000);
        run.kill("SIGINT");
      }
      // Bounds a hang: under load, profile and offcputime took more than 30 s to print their stacks
      const status = await finished(run, 300_000);
      const lines = run.stdout().split("\n").filter((l) => l !== "");
      const notJson = lines.filter((l) => {
        try {
          return typeof JSON.parse(l) !== "object";
        } catch {
          return true;
        }
      });
      const what = `${name} --json (status ${status})`;
      if (!ready) {
        const refused = KERNEL_FUNCTIONS.has(name) && !canTraceFunctions && status === 1 && /cannot run here/.test(run.stderr());
        if (!refused) problems.push(`${what}: ended before its probes were attached:\n${run.output()}`);
      } else if (status !== 0 && status !== 130) problems.push(`${what}: did not end cleanly on SIGINT:\n${run.output()}`);
      if (STACK_TRACE.test(run.stderr())) problems.push(`${what}: a stack trace on stderr:\n${run.stderr()}`);
      if (notJson.length) problems.push(`${what}: stdout lines that are not JSON objects:\n${notJson.slice(0, 5).join("\n")}`);
      if (ready && !lines.length && !MAY_PRINT_NOTHING.has(name)) problems.push(`${what}: printed no record in a round of the workload:\n${run.stderr()}`);
    });
  } finally {
    await workload.stop();
  }
  assert.deepEqual(problems, []);
});

declare const Bun: unknown;
test("tsbpf --json run examples/syscount.ts: the tool's table comes out as JSON", async () => {
  const main = new URL("../../cli/main.ts", import.meta.url).pathname;
  const cmd = typeof Bun !== "undefined" ? [process.execPath, main] : [process.execPath, "run", "-A", "--quiet", main];
  const run = runCommand(cmd[0], [...cmd.slice(1), "--json", "run", `${EXAMPLES}syscount.ts`, "-d", "1"]);
  assert.equal(await finished(run), 0, run.output());
  const records = run.stdout().trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(records.length, 1, run.stdout());
  assert.ok(Object.values(records[0].syscalls).every((n) => typeof n === "number" && n > 0), run.stdout());
  assert.match(run.stderr(), /Tracing syscalls/);
});

test("--cgroup PATH reaches the tracer: opensnoop sees a process in a child of the cgroup, not one outside", async () => {
  const mount = cgroup2Mount();
  assert.ok(mount, "no cgroup2 file system is mounted");
  const dir = join(mount, `tsbpf-tools-${process.pid}`), child = join(dir, "inner");
  mkdirSync(child, { recursive: true });
  const inside = `/tsbpf-cgroup-inside-${process.pid}`, outside = `/tsbpf-cgroup-outside-${process.pid}`;
  const run = tool("opensnoop", ["--json", "--cgroup", dir]);
  try {
    assert.ok(await attached(run), run.output());
    spawnSync("sh", ["-c", `echo $$ > ${child}/cgroup.procs && cat ${inside}`], { stdio: "ignore" });
    spawnSync("cat", [outside], { stdio: "ignore" });
    // A last open inside, after the one outside: once it is printed, the one outside would be
    // too (one ring buffer, in order), however late events come.
    spawnSync("sh", ["-c", `echo $$ > ${child}/cgroup.procs && cat ${inside}-last`], { stdio: "ignore" });
    assert.ok(await waitFor(() => run.stdout().includes(`${inside}-last`), 60_000), run.output());
  } finally {
    run.kill("SIGINT");
    await finished(run);
    for (const d of [child, dir]) rmdirSync(d);
  }
  const paths = run.stdout().trim().split("\n").map((l) => JSON.parse(l).path);
  assert.ok(paths.includes(inside) && !paths.includes(outside), paths.join("\n"));
});
