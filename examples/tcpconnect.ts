// tcpconnect: every outgoing TCP connection: who connects where, IPv4 and IPv6. Like bcc's tcpconnect,
// and the seeds' "who calls connect". Needs kprobes or fentry (tcp_connect), so it runs on
// kernels that have them (the VM lane's 6.1; not this host's 6.18 without CONFIG_KPROBES).
//
//   sudo bun run examples/tcpconnect.ts [-t] [-p PID] [-P PORTS] [-4 | -6] [-U] [-u USER] [--json]
//   sudo deno run --allow-ffi examples/tcpconnect.ts -P 80,443
//
// Stop it with Ctrl-C.
import { comm, HashMap, kprobe, ktime, pid, RingBuf, type Str, Tracer, type u16, type u32, type u64, type u8, uid } from "tsbpf";
import { intOption, ipAddress as address, jsonLine, parseToolArgs, printLine, requireKernelFunctions, textOnly, uidOption, usageError } from "tsbpf/tool";

const AF_INET = 2, AF_INET6 = 10;

/** The fields of struct sock the handler reads (for the editor; the compiler uses BTF). */
interface Sock {
  __sk_common: {
    skc_family: u16;
    skc_dport: u16;
    skc_rcv_saddr: u32;
    skc_daddr: u32;
    skc_v6_rcv_saddr: { in6_u: { u6_addr32: u32[] } };
    skc_v6_daddr: { in6_u: { u6_addr32: u32[] } };
  };
}

export interface Connect {
  ts: u64;
  pid: u32;
  uid: u32;
  family: u16;
  /** Host byte order. */
  dport: u16;
  /** IPv4 addresses in s0/d0; IPv6 in s0..s3/d0..d3 (network order, as the kernel stores them). */
  s0: u32;
  s1: u32;
  s2: u32;
  s3: u32;
  d0: u32;
  d1: u32;
  d2: u32;
  d3: u32;
  comm: Str<16>;
}

export class TcpConnect extends Tracer {
  events = new RingBuf<Connect>();
  /** Only these destination ports, when `filterPorts` (filled in after start). */
  ports = new HashMap<u16, u8>(64);
  filterPorts = false;
  targetPid: u32 = 0;
  /** Only this user, when `filterUid`. */
  targetUid: u32 = 0;
  filterUid = false;
  /** AF_INET or AF_INET6 only (0: both). */
  family: u16 = 0;

  @kprobe("tcp_connect")
  onConnect(sk: Sock) {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    if (this.filterUid && uid() !== this.targetUid) return;
    const c = sk.__sk_common;
    const family = c.skc_family;
    if ((family !== AF_INET && family !== AF_INET6) || (this.family !== 0 && family !== this.family)) return;
    const dport = ((c.skc_dport & 0xff) << 8) | (c.skc_dport >> 8);
    if (this.filterPorts && !this.ports.has(dport)) return;
    const v6 = family === AF_INET6;
    this.events.submit({
      ts: ktime(), pid: pid(), uid: uid(), family, dport,
      s0: v6 ? c.skc_v6_rcv_saddr.in6_u.u6_addr32[0] : c.skc_rcv_saddr, s1: v6 ? c.skc_v6_rcv_saddr.in6_u.u6_addr32[1] : 0,
      s2: v6 ? c.skc_v6_rcv_saddr.in6_u.u6_addr32[2] : 0, s3: v6 ? c.skc_v6_rcv_saddr.in6_u.u6_addr32[3] : 0,
      d0: v6 ? c.skc_v6_daddr.in6_u.u6_addr32[0] : c.skc_daddr, d1: v6 ? c.skc_v6_daddr.in6_u.u6_addr32[1] : 0,
      d2: v6 ? c.skc_v6_daddr.in6_u.u6_addr32[2] : 0, d3: v6 ? c.skc_v6_daddr.in6_u.u6_addr32[3] : 0,
      comm: comm(),
    });
  }
}

type Event = Omit<Connect, "comm"> & { comm: string };

export const sourceAddress = (e: Event) => address(e.family, [e.s0, e.s1, e.s2, e.s3]);
export const destAddress = (e: Event) => address(e.family, [e.d0, e.d1, e.d2, e.d3]);

/** bcc's columns: PID COMM IP SADDR DADDR DPORT (UID first with -U). */
export function formatConnect(e: Event, withUid = false): string {
  return `${withUid ? String(e.uid).padEnd(6) + " " : ""}${String(e.pid).padEnd(7)} ${e.comm.slice(0, 12).padEnd(12)} ` +
    `${(e.family === AF_INET ? "4" : "6").padEnd(2)} ${sourceAddress(e).padEnd(16)} ${destAddress(e).padEnd(16)} ${e.dport}`;
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "tcpconnect",
    description: "Trace TCP connects",
    options: {
      timestamp: { type: "boolean", short: "t", help: "include timestamp on output" },
      pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" },
      port: { type: "string", short: "P", value: "PORT", help: "comma-separated list of destination ports to trace" },
      ipv4: { type: "boolean", short: "4", help: "trace IPv4 family only" },
      ipv6: { type: "boolean", short: "6", help: "trace IPv6 family only" },
      "print-uid": { type: "boolean", short: "U", help: "include UID on output" },
      uid: { type: "string", short: "u", value: "USER", help: "trace this UID only (a uid or a user name)" },
    },
    examples: [
      ["", "trace all TCP connect()s"], ["-t", "include timestamps"], ["-p 181", "only trace PID 181"], ["-P 80,81", "only trace port 80 and 81"],
      ["-U", "include UID"], ["-u 1000", "only trace UID 1000"], ["-4", "trace IPv4 family only"],
    ],
  });
  if (values.ipv4 && values.ipv6) usageError("-4 and -6 exclude each other");
  const ports = values.port?.split(",").map((p) => intOption("-P", p.trim()));
  requireKernelFunctions("tcpconnect", "tcp_connect()");
  const tracer = new TcpConnect();
  tracer.targetPid = intOption("-p", values.pid);
  tracer.filterUid = values.uid !== undefined;
  tracer.targetUid = uidOption("-u", values.uid);
  tracer.family = values.ipv4 ? AF_INET : values.ipv6 ? AF_INET6 : 0;
  tracer.filterPorts = ports !== undefined;
  await tracer.start(start);
  for (const p of ports ?? []) tracer.ports.set(p, 1);
  const withUid = !!values["print-uid"];
  textOnly(`${values.timestamp ? "TIME(s)".padEnd(9) : ""}${withUid ? "UID".padEnd(6) + " " : ""}${"PID".padEnd(7)} ${"COMM".padEnd(12)} ` +
    `${"IP".padEnd(2)} ${"SADDR".padEnd(16)} ${"DADDR".padEnd(16)} DPORT`);
  let first: bigint | undefined;
  for await (const e of tracer.events) {
    first ??= e.ts;
    if (values.json) {
      console.log(jsonLine({ pid: e.pid, uid: e.uid, comm: e.comm, ip: e.family === AF_INET ? 4 : 6, saddr: sourceAddress(e), daddr: destAddress(e), dport: e.dport }));
      continue;
    }
    const stamp = values.timestamp ? (Number(e.ts - first) / 1e9).toFixed(3).padEnd(9) : "";
    printLine(stamp + formatConnect(e, withUid));
  }
}
