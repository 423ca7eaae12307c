// mountsnoop: one line per mount() and umount() system call, as a C call with its result.
// `mount("/dev/loop0", "/mnt", "ext4", MS_RDONLY, "") = 0`. Like bcc's mountsnoop, on the
// syscalls tracepoints: the arguments at entry, the result at exit, joined per thread.
//
//   sudo bun run examples/mountsnoop.ts [-P] [-p PID] [--json]
//   sudo deno run --allow-ffi examples/mountsnoop.ts
//
// Stop it with Ctrl-C.
import { comm, curtask, pid, ppid, RingBuf, str, tid, Tracer, tracepoint, type i32, type Str, type TracepointArgs, type u32, type u64, type u8 } from "tsbpf";
import { intOption, jsonLine, parseToolArgs, printLine, requireTracepoints, textOnly } from "tsbpf/tool";

/** `kind` of an event: a call's arguments (at entry) or its result (at exit). */
export const MOUNT = 0, UMOUNT = 1, RESULT = 2;

export interface MountEvent {
  kind: u8;
  pid: u32;
  tid: u32;
  ppid: u32;
  mntns: u32;
  ret: i32;
  flags: u64;
  comm: Str<16>;
  pcomm: Str<16>;
  source: Str<128>;
  target: Str<256>;
  fstype: Str<32>;
  data: Str<128>;
}

export class MountSnoop extends Tracer {
  events = new RingBuf<MountEvent>(256 * 1024);
  /** Only this process (0: every process). */
  targetPid: u32 = 0;

  @tracepoint("syscalls:sys_enter_mount")
  onMount(args: TracepointArgs) {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    const task = curtask();
    this.events.submit({
      kind: MOUNT, pid: pid(), tid: tid(), ppid: ppid(), mntns: task.nsproxy.mnt_ns.ns.inum, ret: 0, flags: args.flags,
      comm: comm(), pcomm: str(task.real_parent.comm), source: str(args.dev_name), target: str(args.dir_name), fstype: str(args.type),
      data: str(args.data),
    });
  }

  @tracepoint("syscalls:sys_enter_umount")
  onUmount(args: TracepointArgs) {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    const task = curtask();
    this.events.submit({
      kind: UMOUNT, pid: pid(), tid: tid(), ppid: ppid(), mntns: task.nsproxy.mnt_ns.ns.inum, ret: 0, flags: args.flags,
      comm: comm(), pcomm: str(task.real_parent.comm), source: "", target: str(args.name), fstype: "", data: "",
    });
  }

  @tracepoint("syscalls:sys_exit_mount")
  onMountExit(args: TracepointArgs) {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    this.events.submit({
      kind: RESULT, pid: pid(), tid: tid(), ppid: 0, mntns: 0, ret: args.ret, flags: 0n, comm: "", pcomm: "", source: "", target: "", fstype: "", data: "",
    });
  }

  @tracepoint("syscalls:sys_exit_umount")
  onUmountExit(args: TracepointArgs) {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    this.events.submit({
      kind: RESULT, pid: pid(), tid: tid(), ppid: 0, mntns: 0, ret: args.ret, flags: 0n, comm: "", pcomm: "", source: "", target: "", fstype: "", data: "",
    });
  }
}

type Event = Omit<MountEvent, "comm" | "pcomm" | "source" | "target" | "fstype" | "data"> & {
  comm: string; pcomm: string; source: string; target: string; fstype: string; data: string;
};

const MOUNT_FLAGS: [string, number][] = [
  ["MS_RDONLY", 1], ["MS_NOSUID", 2], ["MS_NODEV", 4], ["MS_NOEXEC", 8], ["MS_SYNCHRONOUS", 16], ["MS_REMOUNT", 32],
  ["MS_MANDLOCK", 64], ["MS_DIRSYNC", 128], ["MS_NOATIME", 1024], ["MS_NODIRATIME", 2048], ["MS_BIND", 4096], ["MS_MOVE", 8192],
  ["MS_REC", 16384], ["MS_SILENT", 32768], ["MS_POSIXACL", 1 << 16], ["MS_UNBINDABLE", 1 << 17], ["MS_PRIVATE", 1 << 18],
  ["MS_SLAVE", 1 << 19], ["MS_SHARED", 1 << 20], ["MS_RELATIME", 1 << 21], ["MS_KERNMOUNT", 1 << 22], ["MS_I_VERSION", 1 << 23],
  ["MS_STRICTATIME", 1 << 24], ["MS_LAZYTIME", 1 << 25], ["MS_ACTIVE", 1 << 30], ["MS_NOUSER", 2 ** 31],
];
const UMOUNT_FLAGS: [string, number][] = [["MNT_FORCE", 1], ["MNT_DETACH", 2], ["MNT_EXPIRE", 4], ["UMOUNT_NOFOLLOW", 8]];
const ERRNO: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 5: "EIO", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 15: "ENOTBLK", 16: "EBUSY", 19: "ENODEV",
  20: "ENOTDIR", 22: "EINVAL", 24: "EMFILE", 30: "EROFS", 36: "ENAMETOOLONG", 40: "ELOOP",
};

/** Names of the set bits, then what is left in hex; "0x0" for none (bcc's _decode_flags). */
function flagNames(flags: number, names: [string, number][]): string[] {
  const out: string[] = [];
  let rest = flags;
  for (const [name, bit] of names) {
    if (Math.floor(rest / bit) % 2 === 1) {
      out.push(name);
      rest -= bit;
    }
  }
  if (rest || out.length === 0) out.push(`0x${rest.toString(16)}`);
  return out;
}

/** bcc's decoding of mount(2) flags, including the old magic number in the upper half. */
export function mountFlags(flags: bigint): string {
  let f = Number(flags & 0xffffffffn);
  const out: string[] = [];
  if (Math.floor(f / 0x10000) === 0xc0ed) {
    out.push("MS_MGC_VAL");
    f %= 0x10000;
  }
  return [...out, ...flagNames(f, MOUNT_FLAGS)].join("|");
}

/** bcc's decoding of umount2(2) flags. */
export function umountFlags(flags: bigint): string {
  return flagNames(Number(flags & 0xffffffffn), UMOUNT_FLAGS).join("|");
}

/** A string as a C literal, as bcc prints it. */
function quoted(s: string): string {
  const esc: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\" };
  return `"${[...s].map((c) => esc[c] ?? (c >= " " && c <= "~" ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)).join("")}"`;
}

const result = (ret: number) => (ret < 0 && ERRNO[-ret] ? `-${ERRNO[-ret]}` : String(ret));

/** The CALL column: the call as C, with its result. */
export function describeCall(call: Event, ret: number): string {
  if (call.kind === MOUNT) {
    const args = [quoted(call.source), quoted(call.target), quoted(call.fstype), mountFlags(call.flags), quoted(call.data)];
    return `mount(${args.join(", ")}) = ${result(ret)}`;
  }
  return `umount(${quoted(call.target)}, ${umountFlags(call.flags)}) = ${result(ret)}`;
}

/** Joins each call's arguments with its result (per thread); calls `done` with both. */
export function joinCalls(done: (call: Event, ret: number) => void): (e: Event) => void {
  const pending = new Map<number, Event>();
  return (e) => {
    if (e.kind !== RESULT) pending.set(e.tid, e);
    else {
      const call = pending.get(e.tid);
      pending.delete(e.tid);
      if (call) done(call, e.ret);
    }
  };
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "mountsnoop",
    description: "trace mount() and umount() syscalls",
    options: {
      parent_process: { type: "boolean", short: "P", help: "also snoop the parent process" },
      pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" },
    },
    examples: [["", "trace every mount() and umount()"], ["-P", "also show the parent process"]],
  });
  requireTracepoints("mountsnoop", ["syscalls:sys_enter_mount", "syscalls:sys_exit_mount", "syscalls:sys_enter_umount", "syscalls:sys_exit_umount"], "CONFIG_FTRACE_SYSCALLS");
  const tracer = new MountSnoop();
  tracer.targetPid = intOption("-p", values.pid);
  await tracer.start(start);
  const parent = values.parent_process;
  textOnly(parent
    ? `${"COMM".padEnd(16)} ${"PID".padEnd(7)} ${"TID".padEnd(7)} ${"PCOMM".padEnd(16)} ${"PPID".padEnd(7)} ${"MNT_NS".padEnd(11)} CALL`
    : `${"COMM".padEnd(16)} ${"PID".padEnd(7)} ${"TID".padEnd(7)} ${"MNT_NS".padEnd(11)} CALL`);
  const onEvent = joinCalls((c, ret) => {
    if (values.json) {
      const args = c.kind === MOUNT
        ? { call: "mount", source: c.source, target: c.target, type: c.fstype, flags: mountFlags(c.flags), data: c.data }
        : { call: "umount", target: c.target, flags: umountFlags(c.flags) };
      console.log(jsonLine({ comm: c.comm, pid: c.pid, tid: c.tid, ...(parent && { pcomm: c.pcomm, ppid: c.ppid }), mnt_ns: c.mntns, ...args, ret }));
      return;
    }
    const who = parent
      ? `${c.comm.padEnd(16)} ${String(c.pid).padEnd(7)} ${String(c.tid).padEnd(7)} ${c.pcomm.padEnd(16)} ${String(c.ppid).padEnd(7)}`
      : `${c.comm.padEnd(16)} ${String(c.pid).padEnd(7)} ${String(c.tid).padEnd(7)}`;
    printLine(`${who} ${String(c.mntns).padEnd(11)} ${describeCall(c, ret)}`);
  });
  for await (const e of tracer.events) onEvent(e);
}
