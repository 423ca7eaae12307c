// Each tool in examples/ beside the bcc or bpftrace tool it mirrors (Debian's), both running at
// the same time on the same workload: a process this test starts, held at a `read` until both
// tools have printed their headers, then released to do one known thing (exec, open, kill,
// sync, exit, connect...). Both outputs must carry the same facts about it: the same pid,
// command, path, result, counts, and the same columns; histograms the same bucket layout.
// A test skips, saying why, where the original is missing or cannot run on this kernel (the
// kprobe-based ones run in the VM lane).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { bcc, bpftrace, bothShow, interrupt, lineWith, sideBySide, type Original, type Pair } from "./originals.ts";
import { pmuType } from "../../runtime/features.ts";
import { waitFor } from "./util.ts";

const TAG = `sbs${process.pid}`;

/** A shell that waits for a line on stdin, then runs `script`; its pid is known before it runs. */
function gated(script: string): { pid: number; go: () => void; exited: Promise<number | null>; child: ChildProcess } {
  const child = spawn("/bin/sh", ["-c", `read x; ${script}`], { stdio: ["pipe", "ignore", "ignore"] });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { pid: child.pid!, go: () => child.stdin!.end("go\n"), exited, child };
}

/** The skip reason when the original cannot run, or false. */
function reason(o: Original | string): string | false {
  return typeof o === "string" ? o : false;
}

/** The header line (the one starting with `first`), as columns. */
function header(output: string, first: string): string[] {
  const cols = lineWith(output, new RegExp(`^\\s*${first}\\s`));
  assert.ok(cols, `no header starting with ${first}:\n${output}`);
  return cols;
}

// ------------------------------------------------------------------ snoops

const execBt = bpftrace("execsnoop");
test("execsnoop beside execsnoop.bt: the same pid, program and arguments for an exec", { skip: reason(execBt) }, async () => {
  await sideBySide({ tool: "execsnoop", ready: "ARGS" }, { ...(execBt as Original), ready: "ARGS" }, async (pair) => {
    const p = gated(`exec /bin/echo ${TAG}`);
    p.go();
    // Ours: PCOMM PID PPID RET ARGS (bcc's); bpftrace's: TIME(ms) PID ARGS (the program, then its arguments).
    // (The shell's own exec, before the gate, shows /bin/sh: not this line.)
    const [ours, theirs] = await bothShow(pair, new RegExp(`\\s${p.pid}\\s+(\\d+\\s+0\\s+)?/bin/echo\\b`));
    assert.deepEqual(ours, ["echo", String(p.pid), ours[2], "0", "/bin/echo", TAG]);
    assert.equal(theirs[1], String(p.pid));
    assert.deepEqual(theirs.slice(2), ours.slice(4), "the program and its arguments");
    await p.exited;
  });
});

const openBt = bpftrace("opensnoop");
test("opensnoop beside opensnoop.bt: the same columns, and pid, comm, fd, errno and path of two opens", { skip: reason(openBt) }, async () => {
  await sideBySide({ tool: "opensnoop", ready: "PATH" }, { ...(openBt as Original), ready: "PATH" }, async (pair) => {
    assert.deepEqual(header(pair.ours.output(), "PID"), header(pair.original.output(), "PID"));
    const missing = `/tmp/${TAG}-missing`;
    const p = gated(`exec /bin/cat ${missing} /etc/hostname`);
    p.go();
    const [ours, theirs] = await bothShow(pair, new RegExp(`^${p.pid}\\s.*${missing}$`, "m"));
    assert.deepEqual(ours, [String(p.pid), "cat", "-1", "2", missing]);
    assert.deepEqual(theirs, ours);
    const [ours2, theirs2] = await bothShow(pair, new RegExp(`^${p.pid}\\s.*/etc/hostname$`, "m"));
    assert.deepEqual(ours2, [String(p.pid), "cat", "3", "0", "/etc/hostname"]);
    assert.deepEqual(theirs2, ours2);
    await p.exited;
  });
});

const killBt = bpftrace("killsnoop");
test("killsnoop beside killsnoop.bt: the same columns, sender, signal, target and result", { skip: reason(killBt) }, async () => {
  await sideBySide({ tool: "killsnoop", ready: "RESULT" }, { ...(killBt as Original), ready: "RESULT" }, async (pair) => {
    assert.deepEqual(header(pair.ours.output(), "TIME"), header(pair.original.output(), "TIME"));
    const target = spawn("/bin/sleep", ["60"]);
    try {
      const p = gated(`exec /bin/kill -USR1 ${target.pid}`);
      p.go();
      // TIME PID COMM SIG TPID RESULT, in both.
      const [ours, theirs] = await bothShow(pair, new RegExp(`\\s${p.pid}\\s+kill\\s`));
      assert.deepEqual(ours.slice(1), [String(p.pid), "kill", "10", String(target.pid), "0"]);
      assert.deepEqual(theirs.slice(1), ours.slice(1));
      await p.exited;
    } finally {
      target.kill("SIGKILL");
    }
  });
});

const statBt = bpftrace("statsnoop");
test("statsnoop beside statsnoop.bt: the same pid, comm, errno and path of a failed stat", { skip: reason(statBt) }, async () => {
  await sideBySide({ tool: "statsnoop", ready: "PATH" }, { ...(statBt as Original), ready: "PATH" }, async (pair) => {
    const missing = `/tmp/${TAG}-nothing-here`;
    // statx: both trace it (statsnoop.bt does not trace newfstatat).
    const p = gated(`exec /usr/bin/stat ${missing}`);
    p.go();
    // Ours: PID COMM FD ERR PATH (bcc's columns); bpftrace's: PID COMM ERR PATH.
    const [ours, theirs] = await bothShow(pair, new RegExp(`^${p.pid}\\s.*${missing}$`, "m"));
    assert.deepEqual(ours, [String(p.pid), "stat", "-1", "2", missing]);
    assert.deepEqual(theirs, [String(p.pid), "stat", "2", missing]);
    await p.exited;
  });
});

const syncBt = bpftrace("syncsnoop");
test("syncsnoop beside syncsnoop.bt: the same pid, comm and call for a sync", { skip: reason(syncBt) }, async () => {
  await sideBySide({ tool: "syncsnoop", ready: "CALL" }, { ...(syncBt as Original), ready: "EVENT" }, async (pair) => {
    const p = gated("exec /bin/sync");
    p.go();
    // Ours: TIME PID COMM FD CALL ("sync()"); bpftrace's: TIME PID COMM EVENT (the probe's name).
    const [ours, theirs] = await bothShow(pair, new RegExp(`\\s${p.pid}\\s+sync\\s`));
    assert.deepEqual(ours.slice(1), [String(p.pid), "sync", "-", "sync()"]);
    assert.deepEqual(theirs.slice(1), [String(p.pid), "sync", "tracepoint:syscalls:sys_enter_sync"]);
    await p.exited;
  });
});

/** `bash -i` reading `lines` from a pipe (readline runs without a terminal), started by `go`. */
function bashTyping(lines: string[]): { pid: number; go: () => void; exited: Promise<unknown> } {
  const shell = spawn("/bin/bash", ["--norc", "-i"], { stdio: ["pipe", "ignore", "ignore"] });
  const exited = new Promise((r) => shell.on("exit", r));
  return { pid: shell.pid!, go: () => shell.stdin!.end(lines.map((l) => `${l}\n`).join("")), exited };
}

const noUprobes = pmuType("uprobe") === undefined ? "this kernel has no uprobe PMU (CONFIG_UPROBES)" : false;
for (const original of [bpftrace("bashreadline"), bcc("bashreadline")]) {
  const name = typeof original === "string" ? "an original" : original.name;
  test(`bashreadline beside ${name}: the same columns, shell pid and line`, { skip: noUprobes || reason(original) }, async () => {
    await sideBySide({ tool: "bashreadline", ready: "COMMAND" }, { ...(original as Original), ready: "COMMAND" }, async (pair) => {
      assert.deepEqual(header(pair.ours.output(), "TIME"), header(pair.original.output(), "TIME"));
      const shell = bashTyping([`echo ${TAG}`, "exit"]);
      shell.go();
      const [ours, theirs] = await bothShow(pair, new RegExp(`\\s${shell.pid}\\s+echo ${TAG}$`, "m"));
      assert.deepEqual(ours.slice(1), [String(shell.pid), "echo", TAG]);
      assert.deepEqual(theirs.slice(1), ours.slice(1));
      if (name.endsWith("-bpfcc")) {
        // bcc's widths too: the header, and the line after its time.
        const raw = (out: string, re: RegExp) => out.split("\n").find((l) => re.test(l));
        assert.equal(raw(pair.ours.output(), /^TIME/), raw(pair.original.output(), /^TIME/));
        const line = new RegExp(`\\s${shell.pid}\\s+echo`);
        assert.equal(raw(pair.ours.output(), line)?.slice(9), raw(pair.original.output(), line)?.slice(9));
      }
      await shell.exited;
    });
  });
}

const lifeBcc = bcc("tcplife");
test("tcplife beside bcc's: the same columns, and both ends, process and bytes of a loopback connection", { skip: reason(lifeBcc) }, async () => {
  const server = createServer((s) => s.on("data", () => {}).on("end", () => s.end()));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  try {
    await sideBySide({ tool: "tcplife", ready: "RX_KB" }, { ...(lifeBcc as Original), ready: "RX_KB" }, async (pair) => {
      assert.deepEqual(header(pair.ours.output(), "PID"), header(pair.original.output(), "PID"));
      // 300 KiB out through bash's /dev/tcp, then closed.
      const p = gated(`exec /bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}; head -c 307200 /dev/zero >&3; exec 3>&-'`);
      p.go();
      // PID COMM LADDR LPORT RADDR RPORT TX_KB RX_KB MS. bcc's TX_KB and RX_KB are read from
      // tcp_sock at its headers' offsets (6.1): right only on that kernel, so compared up to RPORT
      // unless the kernel is 6.1 (tcplife itself needs 6.3's sock_send_length, so not in the VM).
      const [ours, theirs] = await bothShow(pair, new RegExp(`^${p.pid}\\s.*\\s${port}\\s`, "m"));
      assert.deepEqual(ours.slice(0, 2), [String(p.pid), "bash"]);
      assert.deepEqual([ours[2], ours[4], ours[5], ours[6], ours[7]], ["127.0.0.1", "127.0.0.1", String(port), "300", "0"]);
      assert.deepEqual(theirs.slice(0, 6), ours.slice(0, 6));
      await p.exited;
    });
  } finally {
    server.close();
  }
});

// ------------------------------------------------------------------ counts and histograms

/** The rows `NAME COUNT` of a syscount table, by name. */
function syscountRows(output: string): Map<string, number> {
  const table = output.slice(output.lastIndexOf("SYSCALL"));
  return new Map(table.split("\n").slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 2 && /^\d+$/.test(f[1])).map(([n, c]) => [n, Number(c)]));
}

const countBcc = bcc("syscount", ["-p", "0"]);
test("syscount -p beside bcc's syscount -p: the same columns and the same counts for one process", { skip: reason(countBcc) }, async () => {
  const p = gated("exec /bin/dd if=/dev/zero of=/dev/null bs=1 count=3000");
  const original = { ...(countBcc as Original), ready: "Ctrl+C" };
  original.args = [original.args[0], "-p", String(p.pid)];
  try {
    await sideBySide({ tool: "syscount", args: ["-p", String(p.pid)], ready: "Ctrl+C" }, original, async (pair) => {
      p.go();
      assert.equal(await p.exited, 0);
      const ours = syscountRows(await interrupt(pair.ours));
      const theirs = syscountRows(await interrupt(pair.original));
      assert.deepEqual(header(pair.ours.output(), "SYSCALL"), header(pair.original.output(), "SYSCALL"));
      assert.ok((ours.get("read") ?? 0) >= 3000 && (ours.get("write") ?? 0) >= 3000, `ours: ${JSON.stringify([...ours])}`);
      assert.equal(ours.get("read"), theirs.get("read"), "reads");
      assert.equal(ours.get("write"), theirs.get("write"), "writes");
      // bcc's widths too: the header and the rows as printed.
      const raw = (out: string, re: RegExp) => out.split("\n").find((l) => re.test(l));
      for (const re of [/^SYSCALL/, /^read\s/, /^write\s/]) assert.equal(raw(pair.ours.output(), re), raw(pair.original.output(), re));
    });
  } finally {
    p.child.kill("SIGKILL");
  }
});

/** A bcc log2 histogram as printed: its unit line and its rows (range, count). */
function histogram(output: string): { unit: string; rows: { range: string; count: number }[] } {
  const lines = output.split("\n");
  const at = lines.findIndex((l) => /^\s+\S+\s+: count\s+distribution$/.test(l));
  assert.ok(at >= 0, `no histogram:\n${output}`);
  const rows = [];
  for (const l of lines.slice(at + 1)) {
    const m = /^\s*(\d+ -> \d+|\d+)\s+: (\d+)\s+\|\**\s*\|$/.exec(l);
    if (!m) break;
    rows.push({ range: m[1], count: Number(m[2]) });
  }
  return { unit: lines[at].trim().split(/\s+/)[0], rows };
}

/** Bucket labels and unit agree where both histograms have rows; the layout is bcc's. */
function sameLayout(ours: ReturnType<typeof histogram>, theirs: ReturnType<typeof histogram>) {
  assert.equal(ours.unit, theirs.unit);
  const n = Math.min(ours.rows.length, theirs.rows.length);
  assert.ok(n > 0, "both histograms have rows");
  assert.deepEqual(ours.rows.slice(0, n).map((r) => r.range), theirs.rows.slice(0, n).map((r) => r.range));
}

const runqlatBcc = bcc("runqlat");
test("runqlat beside bcc's runqlat: the same unit and buckets, in microseconds and with -m", { skip: reason(runqlatBcc) }, async () => {
  // bcc's -p reads task_struct.tgid at its headers' offsets: the per-process comparison, with
  // counts, is in side_by_side_vm.test.ts. Here: the whole machine, the layout.
  for (const unit of [[], ["-m"]]) {
    const original = { ...(runqlatBcc as Original), ready: "Hit Ctrl-C" };
    original.args = [...original.args, ...unit];
    await sideBySide({ tool: "runqlat", args: unit, ready: "Hit Ctrl-C" }, original, async (pair) => {
      await new Promise((r) => setTimeout(r, 1500));
      const ours = histogram(await interrupt(pair.ours));
      const theirs = histogram(await interrupt(pair.original));
      assert.equal(ours.unit, unit.length ? "msecs" : "usecs");
      sameLayout(ours, theirs);
    });
  }
});

const runqlenBcc = bcc("runqlen");
test("runqlen beside bcc's runqlen: the same histogram layout, and -O the same occupancy line", { skip: reason(runqlenBcc) }, async () => {
  const ready = "Hit Ctrl-C";
  await sideBySide({ tool: "runqlen", ready }, { ...(runqlenBcc as Original), ready }, async (pair) => {
    await new Promise((r) => setTimeout(r, 1500));
    const ours = histogram(await interrupt(pair.ours));
    assert.equal(ours.unit, "runqlen");
    assert.deepEqual(ours.rows.map((r) => r.range), ours.rows.map((_, i) => String(i)), "linear buckets from 0, one per length");
    const theirsOutput = await interrupt(pair.original);
    // bcc's runqlen reads cfs_rq.nr_running at the offsets of its own copy of the struct: where
    // this kernel's layout differs, a busy run queue gives it a huge length and its
    // print_linear_hist raises. Then it printed no histogram to compare with.
    if (!/IndexError: Index in print_linear_hist\(\) of \d+ exceeds max/.test(theirsOutput)) sameLayout(ours, histogram(theirsOutput));
  });
  const occ = { ...(runqlenBcc as Original), ready };
  occ.args = [...occ.args, "-O"];
  await sideBySide({ tool: "runqlen", args: ["-O"], ready }, occ, async (pair) => {
    await new Promise((r) => setTimeout(r, 1500));
    const occupancy = /^runqocc: \d+\.\d\d%$/m;
    assert.match(await interrupt(pair.ours), occupancy);
    assert.match(await interrupt(pair.original), occupancy);
  });
});
