// The bcc and bpftrace tools the examples/ tools mirror, as Debian installs them
// (`bpfcc-tools`: /usr/sbin/NAME-bpfcc, `bpftrace`: /usr/sbin/NAME.bt), run beside ours on the
// same workload by side_by_side.test.ts: where to find them, how to run and stop them, and
// the line parsing both outputs share.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { runCommand, runScript, started, waitFor, type Running } from "./util.ts";

const REPO = new URL("../..", import.meta.url).pathname;

/** bcc compiles its C against kernel headers; the bench prepares Debian's in bench/out. */
function bccHeaders(): string | undefined {
  const candidates = [process.env.TSBPF_BCC_KERNEL_SOURCE, process.env.BCC_KERNEL_SOURCE, `${REPO}bench/out/kernel-headers`];
  return candidates.find((d) => d && existsSync(`${d}/include`));
}

export interface Original {
  /** What the skip message and the failure messages call it. */
  name: string;
  cmd: string;
  args: string[];
  env: Record<string, string>;
}

/** major.minor of a kernel release ("6.1.0-56-amd64" -> "6.1"). */
function majorMinor(release: string): string {
  return release.split(".").slice(0, 2).join(".");
}

/** The running kernel's release, and the one of the headers bcc compiles against. */
function releases(headers: string): { running: string; headers: string } {
  const uts = existsSync(`${headers}/include/generated/utsrelease.h`) ? readFileSync(`${headers}/include/generated/utsrelease.h`, "utf8") : "";
  return { running: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(), headers: /"([^"]+)"/.exec(uts)?.[1] ?? "unknown" };
}

/**
 * bcc's tool NAME, or why it cannot run here. `readsStructs`: the tool reads kernel structs
 * (task_struct, tcp_sock...) at the offsets of the headers it compiles against, so its values
 * are only right on a kernel of the same version (Debian's 6.1 headers: the VM lane).
 */
export function bcc(name: string, args: string[] = [], readsStructs = false): Original | string {
  const path = `/usr/sbin/${name}-bpfcc`;
  if (!existsSync(path)) return `${path} is missing (Debian's bpfcc-tools)`;
  if (!existsSync("/usr/bin/python3")) return "/usr/bin/python3 is missing (bcc's tools are Python)";
  const headers = bccHeaders();
  if (!headers) return "bcc needs kernel headers: run bench/run.sh (it prepares bench/out/kernel-headers) or set TSBPF_BCC_KERNEL_SOURCE";
  const r = releases(headers);
  if (readsStructs && majorMinor(r.running) !== majorMinor(r.headers)) {
    return `bcc's ${name} reads kernel structs at the offsets of its headers (${r.headers}), which differ from this kernel's (${r.running}): compared in the VM lane (side_by_side_vm.test.ts)`;
  }
  // Unbuffered: a pipe would otherwise hold Python's output until it exits.
  return { name: `${name}-bpfcc`, cmd: "/usr/bin/python3", args: [path, ...args], env: { BCC_KERNEL_SOURCE: headers, PYTHONUNBUFFERED: "1" } };
}

/** bpftrace's tool NAME.bt, or why it cannot run here. */
export function bpftrace(name: string): Original | string {
  const path = `/usr/sbin/${name}.bt`;
  if (!existsSync(path)) return `${path} is missing (Debian's bpftrace)`;
  if (!existsSync("/usr/bin/bpftrace")) return "/usr/bin/bpftrace is missing";
  const headers = bccHeaders();
  return { name: `${name}.bt`, cmd: "/usr/bin/bpftrace", args: [path], env: headers ? { BPFTRACE_KERNEL_SOURCE: headers } : {} };
}

/** The path of a tool in examples/. */
export function ourTool(name: string): string {
  return `${REPO}examples/${name}.ts`;
}

/** Starts a tool and waits for `ready` (its header, printed once its probes are attached). */
async function startOne(name: string, run: Running, ready: string): Promise<void> {
  if (await started(run, ready)) return;
  run.kill("SIGKILL");
  await run.exited;
  throw new Error(`${name} did not print "${ready}":\n${run.output()}`);
}

/**
 * Stops a tool as Ctrl-C would (bpftrace may ignore the first SIGINT while it prints, so it
 * gets another), waits for it to print its summary and exit; SIGKILL after a minute.
 */
export async function interrupt(run: Running): Promise<string> {
  let exited = false;
  run.exited.then(() => (exited = true));
  run.kill("SIGINT");
  for (let i = 0; i < 20 && !(await waitFor(() => exited, 3000)); i++) run.kill("SIGINT");
  if (!exited) run.kill("SIGKILL");
  await run.exited;
  return run.output();
}

export interface Pair {
  ours: Running;
  original: Running;
}

/**
 * Runs our tool (on this test's runtime) and the original at the same time, each until it
 * prints its `ready` text, then `body` (the workload and the checks); both are stopped after.
 */
export async function sideBySide<T>(
  ours: { tool: string; args?: string[]; ready: string },
  original: Original & { ready: string },
  body: (pair: Pair) => Promise<T>,
): Promise<T> {
  const theirs = runCommand(original.cmd, original.args, original.env);
  const mine = runScript(ourTool(ours.tool), { TSBPF_NO_CACHE: "1" }, ours.args ?? []);
  try {
    await Promise.all([startOne(original.name, theirs, original.ready), startOne(ours.tool, mine, ours.ready)]);
    return await body({ ours: mine, original: theirs });
  } finally {
    await Promise.all([interrupt(theirs), interrupt(mine)]);
    // For docs/tools.md: TSBPF_SIDE_BY_SIDE_OUT=DIR keeps both outputs of each comparison.
    const keep = process.env.TSBPF_SIDE_BY_SIDE_OUT;
    if (keep) {
      const base = `${keep}/${ours.tool}${ours.args?.length ? ours.args.join("") : ""}`;
      writeFileSync(`${base}.ours.txt`, mine.output());
      writeFileSync(`${base}.${original.name}.txt`, theirs.output());
    }
  }
}

/** The first line of `output` matching `re`, split into whitespace-separated fields. */
export function lineWith(output: string, re: RegExp): string[] | undefined {
  return output.split("\n").find((l) => re.test(l))?.trim().split(/\s+/);
}

/**
 * The lines a tool has finished printing: a line is read only once its newline is there (bcc's
 * tools print a line in several writes, and a line read halfway lost exitsnoop's last column).
 */
function printed(run: Running): string {
  const out = run.stdout();
  return out.slice(0, out.lastIndexOf("\n") + 1);
}

/** Waits until both outputs have a whole line matching `re`; returns the two lines' fields. */
export async function bothShow(pair: Pair, re: RegExp, ms = 30000): Promise<[string[], string[]]> {
  const ok = await waitFor(() => lineWith(printed(pair.ours), re) !== undefined && lineWith(printed(pair.original), re) !== undefined, ms);
  const tail = (s: string) => s.slice(-4000);
  assert(ok, `expected a line matching ${re} in both outputs\n--- ours:\n${tail(pair.ours.output())}\n--- original:\n${tail(pair.original.output())}`);
  return [lineWith(printed(pair.ours), re)!, lineWith(printed(pair.original), re)!];
}

function assert(cond: boolean, message: string): asserts cond {
  if (!cond) throw new Error(message);
}
