// tcpaccept: every TCP connection accepted by a process: who accepted it, from where, on which
// local address and port. Like bcc's tcpaccept, at the return of inet_csk_accept() (fexit where
// the kernel allows, a kretprobe otherwise), in the accepting process's context.
//
// Kernels with neither kprobes nor fentry (such as a 6.18 without CONFIG_KPROBES) cannot run it:
// the one tracepoint that sees accepted connections, sock:inet_sock_set_state, fires in softirq
// context when the handshake completes, not in the process that accepts (bcc gives the same
// reason for staying on the kprobe), so it cannot say who accepted.
//
//   sudo bun run examples/tcpaccept.ts [-T] [-t] [-p PID] [-P PORTS] [-4 | -6] [--json]
//   sudo deno run --allow-ffi examples/tcpaccept.ts -P 22,80
//
// Stop it with Ctrl-C.
import { comm, HashMap, kretprobe, ktime, pid, RingBuf, type Str, Tracer, type u16, type u32, type u64, type u8 } from "tsbpf";
import { hms, intOption, ipAddress as address, jsonLine, parseToolArgs, printLine, requireKernelFunctions, textOnly, usageError } from "tsbpf/tool";

const AF_INET = 2, AF_INET6 = 10, IPPROTO_TCP = 6;

/** The fields of struct sock the handler reads (for the editor; the compiler uses BTF). */
interface Sock {
  sk_protocol: u16;
  __sk_common: {
    skc_family: u16;
    skc_num: u16;
    skc_dport: u16;
    skc_rcv_saddr: u32;
    skc_daddr: u32;
    skc_v6_rcv_saddr: { in6_u: { u6_addr32: u32[] } };
    skc_v6_daddr: { in6_u: { u6_addr32: u32[] } };
  };
}

export interface Accept {
  ts: u64;
  pid: u32;
  family: u16;
  lport: u16;
  dport: u16;
  /** IPv4 addresses in l0/r0; IPv6 in l0..l3/r0..r3 (network order, as the kernel stores them). */
  l0: u32;
  l1: u32;
  l2: u32;
  l3: u32;
  r0: u32;
  r1: u32;
  r2: u32;
  r3: u32;
  comm: Str<16>;
}

export class TcpAccept extends Tracer {
  events = new RingBuf<Accept>(256 * 1024);
  /** Only these local ports, when `filterPorts` (filled in after start). */
  ports = new HashMap<u16, u8>(64);
  filterPorts = false;
  targetPid: u32 = 0;
  /** AF_INET or AF_INET6 only (0: both). */
  family: u16 = 0;

  @kretprobe("inet_csk_accept")
  onAccept(newsk: Sock) {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    if ((newsk as unknown as u64) === 0n) return; // accept failed
    if (newsk.sk_protocol !== IPPROTO_TCP) return;
    const c = newsk.__sk_common;
    const family = c.skc_family;
    const lport = c.skc_num;
    if ((family !== AF_INET && family !== AF_INET6) || (this.family !== 0 && family !== this.family)) return;
    if (this.filterPorts && !this.ports.has(lport)) return;
    const v6 = family === AF_INET6;
    this.events.submit({
      ts: ktime(), pid: pid(), family, lport, dport: ((c.skc_dport & 0xff) << 8) | (c.skc_dport >> 8),
      l0: v6 ? c.skc_v6_rcv_saddr.in6_u.u6_addr32[0] : c.skc_rcv_saddr, l1: v6 ? c.skc_v6_rcv_saddr.in6_u.u6_addr32[1] : 0,
      l2: v6 ? c.skc_v6_rcv_saddr.in6_u.u6_addr32[2] : 0, l3: v6 ? c.skc_v6_rcv_saddr.in6_u.u6_addr32[3] : 0,
      r0: v6 ? c.skc_v6_daddr.in6_u.u6_addr32[0] : c.skc_daddr, r1: v6 ? c.skc_v6_daddr.in6_u.u6_addr32[1] : 0,
      r2: v6 ? c.skc_v6_daddr.in6_u.u6_addr32[2] : 0, r3: v6 ? c.skc_v6_daddr.in6_u.u6_addr32[3] : 0,
      comm: comm(),
    });
  }
}

type Event = Omit<Accept, "comm"> & { comm: string };

export const localAddress = (e: Event) => address(e.family, [e.l0, e.l1, e.l2, e.l3]);
export const remoteAddress = (e: Event) => address(e.family, [e.r0, e.r1, e.r2, e.r3]);

/** bcc's columns: PID COMM IP RADDR RPORT LADDR LPORT. */
export function formatAccept(e: Event): string {
  return `${String(e.pid).padEnd(7)} ${e.comm.slice(0, 12).padEnd(12)} ${(e.family === AF_INET ? "4" : "6").padEnd(2)} ` +
    `${remoteAddress(e).padEnd(16)} ${String(e.dport).padEnd(5)} ${localAddress(e).padEnd(16)} ${String(e.lport).padEnd(5)}`;
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "tcpaccept",
    description: "Trace TCP accepts",
    options: {
      time: { type: "boolean", short: "T", help: "include time column on output (HH:MM:SS)" },
      timestamp: { type: "boolean", short: "t", help: "include timestamp on output" },
      pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" },
      port: { type: "string", short: "P", value: "PORT", help: "comma-separated list of local ports to trace" },
      ipv4: { type: "boolean", short: "4", help: "trace IPv4 family only" },
      ipv6: { type: "boolean", short: "6", help: "trace IPv6 family only" },
    },
    examples: [
      ["", "trace all TCP accept()s"], ["-t", "include timestamps"], ["-P 80,81", "only trace port 80 and 81"], ["-p 181", "only trace PID 181"],
      ["-4", "trace IPv4 family only"], ["-6", "trace IPv6 family only"],
    ],
  });
  if (values.ipv4 && values.ipv6) usageError("-4 and -6 exclude each other");
  const ports = values.port?.split(",").map((p) => intOption("-P", p.trim()));
  requireKernelFunctions("tcpaccept", "inet_csk_accept()");
  const tracer = new TcpAccept();
  tracer.targetPid = intOption("-p", values.pid);
  tracer.family = values.ipv4 ? AF_INET : values.ipv6 ? AF_INET6 : 0;
  tracer.filterPorts = ports !== undefined;
  await tracer.start(start);
  for (const p of ports ?? []) tracer.ports.set(p, 1);
  textOnly(`${values.time ? "TIME".padEnd(9) : ""}${values.timestamp ? "TIME(s)".padEnd(9) : ""}${"PID".padEnd(7)} ${"COMM".padEnd(12)} ${"IP".padEnd(2)} ${"RADDR".padEnd(16)} ${"RPORT".padEnd(5)} ${"LADDR".padEnd(16)} LPORT`);
  let first: bigint | undefined;
  for await (const e of tracer.events) {
    first ??= e.ts;
    if (values.json) {
      console.log(jsonLine({ pid: e.pid, comm: e.comm, ip: e.family === AF_INET ? 4 : 6, raddr: remoteAddress(e), rport: e.dport, laddr: localAddress(e), lport: e.lport }));
      continue;
    }
    const time = values.time ? hms().padEnd(9) : "";
    const stamp = values.timestamp ? (Number(e.ts - first) / 1e9).toFixed(3).padEnd(9) : "";
    printLine(time + stamp + formatAccept(e));
  }
}
