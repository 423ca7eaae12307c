// examples/strace.ts side by side with Debian's strace on the same commands: the sequence of
// (syscall, decoded arguments, result) for the system calls both see, and -c's call and error
// counts. strace stops the command at every call (ptrace); the tool reads the same calls from
// the raw_syscalls tracepoints, with paths, socket addresses and stat results read in the kernel.
// The command is started by `tsbpf -c CMD run examples/strace.ts`, held until the probes attach.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { libc } from "../../runtime/ffi/mod.ts";
import { fileExists } from "../../runtime/files.ts";
import { finished, runCommand, runtimeCommand, waitFor } from "./util.ts";
import { commandLine } from "./cli_run.ts";
import { selectCalls, signatures } from "../../examples/strace.ts";

await libc();
const TOOL = new URL("../../examples/strace.ts", import.meta.url).pathname;
const STRACE = "/usr/bin/strace";
const PYTHON = "/usr/bin/python3";

/** The tool's command line on this test's runtime. */
function tool(args: string[]): string[] {
  return [...runtimeCommand(TOOL), ...args];
}

/** The tool tracing `command` (words), which tsbpf starts held until the probes are attached. */
function traceCommand(command: string[], args: string[]): string[] {
  return commandLine(["-c", command.join(" "), "run", TOOL, ...args]);
}

async function run(argv: string[]): Promise<{ status: number | string; stdout: string; output: string }> {
  const r = runCommand(argv[0], argv.slice(1));
  const status = await finished(r, 120000);
  return { status, stdout: r.stdout(), output: r.output() };
}

/** One system call as both print it: `name(args) = result`. */
interface Call {
  name: string;
  args: string;
  result: string;
}

/** Calls in strace's `-f` output (`PID name(args) = result`) or the tool's (`comm/pid name(args) = result <seconds>`). */
function parseCalls(text: string): Call[] {
  const calls: Call[] = [];
  for (const line of text.split("\n")) {
    // strace -f pads the pid to five columns ("6056  execve(...)").
    const m = /^(?:\d+ +|\S+\/\d+ )([a-z0-9_]+)\((.*)\)\s+= (.+?)(?: <[\d.]+>)?$/.exec(line);
    if (m) calls.push({ name: m[1], args: m[2], result: m[3] });
  }
  return calls;
}

/** Runs `command` under strace and under the tool, both with `filter` (-e trace=...). */
async function sideBySide(command: string[], filter: string): Promise<{ theirs: Call[]; ours: Call[]; ourText: string }> {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-strace-"));
  try {
    const out = join(dir, "strace.txt");
    const theirs = await run([STRACE, "-f", "-qq", "-e", `trace=${filter}`, "-o", out, ...command]);
    assert.ok(typeof theirs.status === "number", `strace: ${theirs.output}`);
    const ours = await run(traceCommand(command, ["-e", `trace=${filter}`]));
    assert.equal(ours.status, theirs.status, `the tool ends with the command's status:\n${ours.output}`);
    const calls = parseCalls(readFileSync(out, "utf8"));
    assert.ok(calls.length, `strace traced nothing (status ${theirs.status}):\n${theirs.output}\n${readFileSync(out, "utf8")}`);
    return { theirs: calls, ours: parseCalls(ours.stdout), ourText: ours.output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `call` with what differs from run to run (addresses) taken out, and buffers cut at their first
 * NUL or byte above 0x7f: the tool reads a buffer as a string (to its first NUL, decoded as
 * UTF-8), strace shows 32 bytes.
 */
function stable(c: Call): string {
  const args = c.args.replace(/0x[0-9a-f]{6,}/g, "ADDR").replace(/(?<!\\)\\(0|[23][0-7][0-7])[^"]*"(\.\.\.)?/g, '"...');
  const result = /^(mmap|brk|mremap)$/.test(c.name) ? "ADDR" : c.result;
  return `${c.name}(${args}) = ${result}`;
}

const canCompare = fileExists(STRACE) ? undefined : `${STRACE} is not installed (apt-get install strace)`;

test("cat /etc/hostname: the same calls, paths, flags and results as strace", { skip: canCompare }, async () => {
  const filter = "execve,openat,close,read,write,newfstatat,access,fstat,fadvise64";
  const { theirs, ours, ourText } = await sideBySide(["/usr/bin/cat", "/etc/hostname"], filter);
  assert.ok(theirs.length >= 8, `strace saw ${theirs.length} calls`);
  assert.deepEqual(ours.map(stable), theirs.map(stable), ourText);
  assert.match(stable(ours[0]), /^execve\("\/usr\/bin\/cat", \["\/usr\/bin\/cat", "\/etc\/hostname"\], ADDR \/\* \d+ vars \*\/\) = 0$/);
});

test("ls /nonexistent /etc/hostname: failing calls with errno by name, statx results, as strace prints them", { skip: canCompare }, async () => {
  const filter = "openat,close,newfstatat,statx,lstat,stat,access,write";
  const { theirs, ours, ourText } = await sideBySide(["/usr/bin/ls", "/nonexistent", "/etc/hostname"], filter);
  assert.ok(theirs.some((c) => c.name === "statx" && c.args.includes("stx_mode=S_IFREG|")), JSON.stringify(theirs.filter((c) => c.name === "statx")));
  const failed = theirs.filter((c) => c.result.startsWith("-1 "));
  assert.ok(failed.some((c) => c.result === "-1 ENOENT (No such file or directory)" && c.args.includes('"/nonexistent"')), `strace: ${JSON.stringify(failed)}`);
  // write() carries ls's message: the text is read in the kernel, up to the tool's 64 bytes.
  const pick = (calls: Call[]) => calls.filter((c) => c.name !== "write").map(stable);
  assert.deepEqual(pick(ours), pick(theirs), ourText);
  assert.equal(ours.filter((c) => c.name === "write").length, theirs.filter((c) => c.name === "write").length);
});

/** openat/read/write/close, then connect() to closed ports (IPv4, IPv6) and a missing unix socket. */
const CONNECT = `
import os, socket
fd = os.open("/etc/hostname", os.O_RDONLY)
os.read(fd, 64)
os.close(fd)
os.write(1, b"hello\\n")
for family, addr in ((socket.AF_INET, ("127.0.0.1", 9)), (socket.AF_INET6, ("::1", 9))):
    s = socket.socket(family, socket.SOCK_STREAM)
    try: s.connect(addr)
    except OSError: pass
    s.close()
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try: u.connect("/nonexistent-tsbpf.sock")
except OSError: pass
`;

test("a program's openat/read/write/close/socket/connect: sockaddrs and errors decoded as strace does", { skip: canCompare ?? (fileExists(PYTHON) ? undefined : `${PYTHON} is missing`) }, async () => {
  const filter = "openat,read,write,close,socket,connect";
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-strace-"));
  const program = join(dir, "connect.py");
  writeFileSync(program, CONNECT);
  const { theirs, ours, ourText } = await sideBySide([PYTHON, "-S", program], filter).finally(() => rmSync(dir, { recursive: true, force: true }));
  const connects = theirs.filter((c) => c.name === "connect");
  assert.equal(connects.length, 3, JSON.stringify(theirs));
  const pick = (calls: Call[]) => calls.map(stable);
  assert.deepEqual(pick(ours), pick(theirs), ourText);
  assert.ok(ours.some((c) => c.name === "connect" && c.args.includes('sin_addr=inet_addr("127.0.0.1")') && c.result === "-1 ECONNREFUSED (Connection refused)"), ourText);
});

/** A listening socket on a port the kernel picks, a connection to it, and its accept(). */
const ACCEPT = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
s.listen(1)
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.connect(s.getsockname())
a, _ = s.accept()
a.close(); c.close(); s.close()
`;

test("bind/listen/connect/accept4: the peer's address, which the kernel fills in, read at exit", { skip: canCompare ?? (fileExists(PYTHON) ? undefined : `${PYTHON} is missing`) }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-strace-"));
  const program = join(dir, "accept.py");
  writeFileSync(program, ACCEPT);
  const { theirs, ours, ourText } = await sideBySide([PYTHON, "-S", program], "bind,listen,connect,accept,accept4").finally(() => rmSync(dir, { recursive: true, force: true }));
  // The ports the kernel picks differ from run to run.
  const pick = (calls: Call[]) => calls.map(stable).map((c) => c.replace(/htons\(\d{4,5}\)/g, "htons(PORT)"));
  assert.deepEqual(pick(ours), pick(theirs), ourText);
  assert.ok(ours.some((c) => c.name === "accept4" && /^3, \{sa_family=AF_INET, sin_port=htons\(\d+\), sin_addr=inet_addr\("127.0.0.1"\)\}/.test(c.args)), ourText);
});

test("a flood of calls: what the ring buffer could not hold is counted and printed, never lost silently", async () => {
  const n = 100000;
  const ours = await run(traceCommand(["/usr/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=1", `count=${n}`], ["-e", "trace=read"]));
  assert.equal(ours.status, 0, ours.output);
  const shown = ours.stdout.split("\n").filter((l) => /^dd\/\d+ (read\(0, |\.\.\. \[continued\]: read\(\))/.test(l)).length;
  const lost = [...ours.output.matchAll(/lost (\d+) events in (onEnter|onExit)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  // dd reads n times from stdin; each read is two events, so a read that is not shown at all lost at least one.
  const missing = n - shown;
  if (lost === 0) assert.ok(missing <= 0, `${missing} reads missing and no loss reported:\n${ours.output.slice(-2000)}`);
  else assert.ok(missing <= lost, `${missing} reads missing, ${lost} lost events reported`);
});

test("-c counts each call and its errors as strace -c does", { skip: canCompare }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-strace-"));
  try {
    const out = join(dir, "strace.txt");
    const command = ["/usr/bin/ls", "/nonexistent", "/etc/hostname"];
    await run([STRACE, "-c", "-f", "-o", out, ...command]);
    const ours = await run(traceCommand(command, ["-c"]));
    const table = (text: string) => {
      const rows = new Map<string, string>();
      for (const line of text.split("\n")) {
        const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(\d*)\s+([a-z0-9_]+)$/.exec(line);
        if (m && m[3] !== "total") rows.set(m[3], `${m[1]} calls, ${m[2] || 0} errors`);
      }
      return rows;
    };
    const theirs = table(readFileSync(out, "utf8")), mine = table(ours.stdout);
    assert.ok(theirs.size >= 10, readFileSync(out, "utf8"));
    // strace -c leaves out the first execve's return (it starts counting after it); compare the rest.
    theirs.delete("execve");
    mine.delete("execve");
    assert.deepEqual(Object.fromEntries([...mine].sort()), Object.fromEntries([...theirs].sort()), ours.output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("-f follows the command's children; without it only the command is traced; -e filters in the kernel", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-strace-"));
  try {
    await followsChildren(join(dir, "children.sh"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function followsChildren(script: string) {
  writeFileSync(script, "cat /etc/hostname >/dev/null; ls /nonexistent-tsbpf 2>/dev/null; exit 3\n");
  const withChildren = await run(traceCommand(["/bin/sh", script], ["-f", "-e", "trace=openat,newfstatat,statx"]));
  assert.equal(withChildren.status, 3, withChildren.output);
  const calls = parseCalls(withChildren.stdout);
  assert.ok(calls.some((c) => c.args.includes('"/etc/hostname"')), withChildren.output);
  assert.ok(calls.some((c) => c.args.includes('"/nonexistent-tsbpf"') && c.result.startsWith("-1 ENOENT")), withChildren.output);
  assert.ok(calls.every((c) => ["openat", "newfstatat", "statx"].includes(c.name)), withChildren.output);
  const pids = new Set(withChildren.stdout.split("\n").map((l) => /^\S+\/(\d+) /.exec(l)?.[1]).filter(Boolean));
  assert.ok(pids.size >= 3, `the shell, cat and ls: ${[...pids]}`);
  assert.match(withChildren.stdout, /\+\+\+ exited with 3 \+\+\+/);

  const alone = await run(traceCommand(["/bin/sh", script], ["-e", "trace=openat,newfstatat,statx"]));
  assert.ok(!alone.stdout.includes("/etc/hostname") && !alone.stdout.includes("nonexistent-tsbpf"), alone.output);
  assert.equal(new Set(alone.stdout.split("\n").map((l) => /^\S+\/(\d+) /.exec(l)?.[1]).filter(Boolean)).size, 1, alone.output);
}

test("a command after the options is refused with how to run it under tsbpf -c; plan says the tool only observes", async () => {
  const refused = await run(tool(["-f", "--", "cat", "/etc/hostname"]));
  assert.equal(refused.status, 2);
  assert.match(refused.output, /sudo tsbpf -c 'cat \/etc\/hostname' run examples\/strace.ts -f/);
  const plan = await run(commandLine(["plan", TOOL]));
  assert.match(plan.stdout, /^verdict: it only observes$/m, plan.output);
});

test("-p PID traces a running process and ends once it and (-f) its children have exited, as strace -p does; --json gives one record per call", async () => {
  // The target waits on a FIFO until the tool traces it, then runs cat five times and exits.
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-strace-"));
  const fifo = join(dir, "go");
  spawnSync("mkfifo", [fifo]);
  const target = runCommand("/bin/sh", ["-c", `read _ < ${fifo}; for i in 1 2 3 4 5; do cat /etc/hostname >/dev/null; done`]);
  try {
    const [cmd, ...args] = tool(["-f", "-p", String(target.pid), "-e", "trace=openat", "--json"]);
    const ours = runCommand(cmd, args);
    assert.ok(await waitFor(() => ours.output().includes("Tracing process"), 60_000), ours.output());
    writeFileSync(fifo, "go\n");
    assert.equal(await target.exited, 0, target.output());
    // Ends by itself: no --duration, no signal.
    assert.equal(await finished(ours, 60_000), 0, ours.output());
    const records = ours.stdout().split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const opens = records.filter((r) => r.type === "call" && r.syscall === "openat" && r.args[1] === '"/etc/hostname"');
    assert.equal(opens.length, 5, ours.output());
    assert.ok(opens.every((r) => typeof r.ret === "number" && r.ret >= 0 && r.comm === "cat" && r.pid !== process.pid), ours.output());
    assert.ok(records.some((r) => r.type === "exit" && r.pid === target.pid && r.status === 0), ours.output());
  } finally {
    target.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("-p with a thread's id (not a process's) is refused with the process's id to give", async () => {
  const thread = readdirSync("/proc/self/task").map(Number).find((tid) => tid !== process.pid);
  assert.ok(thread, "this runtime runs more than one thread");
  const r = await run(tool(["-p", String(thread)]));
  assert.equal(r.status, 2, r.output);
  assert.match(r.output, new RegExp(`-p ${thread} is a thread of process ${process.pid}: give the process's id \\(-p ${process.pid}\\)`));
});

test("signatures come from this kernel's format files; -e selects by name, class and negation", () => {
  const sigs = signatures();
  const byName = new Map([...sigs.values()].map((s) => [s.name, s]));
  const openat = byName.get("openat")!;
  assert.deepEqual(openat.args.map((a) => `${a.cType} ${a.name}`), ["int dfd", "const char * filename", "int flags", "umode_t mode"]);
  assert.deepEqual(openat.kinds, ["value", "string", "value", "value"]);
  assert.deepEqual(byName.get("connect")!.kinds, ["value", "sockaddr", "value"]);
  assert.deepEqual(byName.get("read")!.kinds, ["value", "out-data", "value"]);
  assert.deepEqual(byName.get("accept4")!.kinds, ["value", "out-sockaddr", "out-len", "value"]);
  // x86-64's fstat has its tracepoint under the kernel function's name (newfstat).
  assert.ok(byName.get("fstat")?.kinds.includes("stat"));
  const names = (expr: string) => new Set([...selectCalls(expr, sigs)].map((nr) => sigs.get(nr)!.name));
  assert.deepEqual([...names("trace=openat,close")].sort(), ["close", "openat"]);
  const network = names("trace=%network");
  assert.ok(network.has("connect") && network.has("accept4") && !network.has("openat"));
  const file = names("trace=%file");
  assert.ok(file.has("openat") && file.has("execve") && file.has("newfstatat") && !file.has("read"));
  const allButClose = names("trace=!close");
  assert.ok(!allButClose.has("close") && allButClose.has("openat") && allButClose.size === sigs.size - 1);
});
