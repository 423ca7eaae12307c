// side_by_side.test.ts's comparisons for what needs the VM lane's kernel (Debian's 6.1): the
// tools on kprobes (this host has none), and bcc tools that read kernel structs at the offsets
// of the headers they compile against (Debian's 6.1 headers: right only on 6.1). Under QEMU's
// TCG bcc takes about a minute to compile, so waits here are long.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { writeFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { bcc, bpftrace, bothShow, interrupt, lineWith, sideBySide, type Original } from "./originals.ts";
import { hasFentry, hasKprobes } from "../../runtime/features.ts";

const TAG = `sbs${process.pid}`;
const SLOW = 180000;
const noKprobes = hasKprobes() || hasFentry() ? false : "this kernel has neither kprobes nor fentry (the VM lane runs this test: tests/vm/run-tests.sh)";

/** A shell that waits for a line on stdin, then runs `script`; its pid is known before it runs. */
function gated(script: string) {
  const child = spawn("/bin/sh", ["-c", `read x; ${script}`], { stdio: ["pipe", "ignore", "ignore"] });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { pid: child.pid!, go: () => child.stdin!.end("go\n"), exited, child };
}

function reason(o: Original | string): string | false {
  return typeof o === "string" ? o : false;
}

/** A loopback server that reads until the client closes. */
async function server() {
  const s = createServer((c) => c.on("data", () => {}).on("end", () => c.end()));
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { port: (s.address() as AddressInfo).port, close: () => s.close() };
}

const connectBt = bpftrace("tcpconnect");
test("tcpconnect beside tcpconnect.bt: the same process, addresses and port of a loopback connect", { skip: noKprobes || reason(connectBt) }, async () => {
  const srv = await server();
  try {
    await sideBySide({ tool: "tcpconnect", ready: "DPORT" }, { ...(connectBt as Original), ready: "DPORT" }, async (pair) => {
      const p = gated(`exec /bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/${srv.port}; exec 3>&-'`);
      p.go();
      // Ours: PID COMM IP SADDR DADDR DPORT (bcc's); bpftrace's: TIME PID COMM SADDR SPORT DADDR DPORT.
      const [ours, theirs] = await bothShow(pair, new RegExp(`\\s?${p.pid}\\s.*\\s${srv.port}\\s*$`, "m"), SLOW);
      assert.deepEqual(ours, [String(p.pid), "bash", "4", "127.0.0.1", "127.0.0.1", String(srv.port)]);
      assert.deepEqual([theirs[1], theirs[2], theirs[3], theirs[5], theirs[6]], [ours[0], ours[1], ours[3], ours[4], ours[5]]);
      await p.exited;
    });
  } finally {
    srv.close();
  }
});

const acceptBt = bpftrace("tcpaccept");
test("tcpaccept beside tcpaccept.bt: the same process, addresses and ports of an accept", { skip: noKprobes || reason(acceptBt) }, async () => {
  const srv = await server();
  try {
    await sideBySide({ tool: "tcpaccept", ready: "LPORT" }, { ...(acceptBt as Original), ready: "LPORT" }, async (pair) => {
      const p = gated(`exec /bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/${srv.port}; exec 3>&-'`);
      p.go();
      // Ours: PID COMM IP RADDR RPORT LADDR LPORT (bcc's); bpftrace's: TIME PID COMM RADDR RPORT LADDR LPORT BL.
      const re = new RegExp(`\\s127\\.0\\.0\\.1\\s+\\d+\\s+127\\.0\\.0\\.1\\s+${srv.port}\\b`);
      const [ours, theirs] = await bothShow(pair, re, SLOW);
      assert.equal(ours[0], String(process.pid), "the accepting process is this test");
      // COMM: ours is cut at 12 characters as bcc's (%-12.12s), bpftrace's is whole (Deno accepts on "tokio-runtime-w").
      assert.ok(theirs[2].startsWith(ours[1]), `comm ${ours[1]} / ${theirs[2]}`);
      assert.deepEqual([theirs[1], theirs[3], theirs[4], theirs[5], theirs[6]], [ours[0], ours[3], ours[4], ours[5], ours[6]]);
      await p.exited;
    });
  } finally {
    srv.close();
  }
});

const capableBt = bpftrace("capable");
test("capable beside capable.bt: the same process and capability for a chown", { skip: noKprobes || reason(capableBt) }, async () => {
  const file = `/tmp/${TAG}-chown`;
  writeFileSync(file, "");
  try {
    await sideBySide({ tool: "capable", ready: "AUDIT" }, { ...(capableBt as Original), ready: "AUDIT" }, async (pair) => {
      const p = gated(`exec /bin/chown 1 ${file}`);
      p.go();
      // TIME UID PID COMM CAP NAME AUDIT in both; bpftrace's AUDIT is cap_capable's raw opts
      // argument, ours is bcc's (1 when the check is audited), so it is left out.
      const [ours, theirs] = await bothShow(pair, new RegExp(`\\s${p.pid}\\s+chown\\s+0\\s+CAP_CHOWN\\s`), SLOW);
      assert.deepEqual(ours.slice(1, 6), ["0", String(p.pid), "chown", "0", "CAP_CHOWN"]);
      assert.deepEqual(theirs.slice(1, 6), ours.slice(1, 6));
      await p.exited;
    });
  } finally {
    rmSync(file, { force: true });
  }
});

const exitBcc = bcc("exitsnoop", [], true);
test("exitsnoop beside bcc's: the same columns, and comm, pid, parent and exit code or signal", { skip: reason(exitBcc) }, async () => {
  await sideBySide({ tool: "exitsnoop", ready: "EXIT_CODE" }, { ...(exitBcc as Original), ready: "EXIT_CODE" }, async (pair) => {
    assert.deepEqual(lineWith(pair.ours.output(), /^PCOMM\s/), lineWith(pair.original.output(), /^PCOMM\s/));
    const code = gated("exit 3");
    const signal = gated("kill -TERM $$");
    code.go();
    signal.go();
    // PCOMM PID PPID TID AGE(s) EXIT_CODE: all but the age must agree.
    const facts = (fields: string[]) => [...fields.slice(0, 4), ...fields.slice(5)];
    const [ours, theirs] = await bothShow(pair, new RegExp(`^sh\\s+${code.pid}\\s`, "m"), SLOW);
    assert.deepEqual(facts(ours), ["sh", String(code.pid), String(process.pid), String(code.pid), "code", "3"]);
    assert.deepEqual(facts(theirs), facts(ours));
    const [ours2, theirs2] = await bothShow(pair, new RegExp(`^sh\\s+${signal.pid}\\s`, "m"), SLOW);
    assert.deepEqual(facts(ours2), ["sh", String(signal.pid), String(process.pid), String(signal.pid), "signal", "15", "(TERM)"]);
    assert.deepEqual(facts(theirs2), facts(ours2));
  });
});

/** The total count of a bcc log2 histogram as printed. */
function histogramTotal(output: string): number {
  return [...output.matchAll(/^\s*\d+ -> \d+\s+: (\d+)\s+\|/gm)].reduce((s, m) => s + Number(m[1]), 0);
}

const runqlatBcc = bcc("runqlat", [], true);
test("runqlat -p beside bcc's runqlat -p: the same wakeups of one process counted", { skip: reason(runqlatBcc) }, async () => {
  // A shell waking up after each of 20 short-lived children.
  const p = gated("for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do /bin/true; done");
  const original = { ...(runqlatBcc as Original), ready: "Hit Ctrl-C" };
  original.args = [...original.args, "-p", String(p.pid)];
  try {
    await sideBySide({ tool: "runqlat", args: ["-p", String(p.pid)], ready: "Hit Ctrl-C" }, original, async (pair) => {
      p.go();
      assert.equal(await p.exited, 0);
      const ours = histogramTotal(await interrupt(pair.ours));
      const theirs = histogramTotal(await interrupt(pair.original));
      assert.ok(ours >= 20, `ours counted ${ours} wakeups:\n${pair.ours.output()}`);
      // Each counts the wakeups of that shell from attach to Ctrl-C: the same ones.
      assert.ok(Math.abs(ours - theirs) <= 2, `ours ${ours}, bcc's ${theirs}\n--- ours:\n${pair.ours.output()}\n--- bcc's:\n${pair.original.output()}`);
    });
  } finally {
    p.child.kill("SIGKILL");
  }
});
