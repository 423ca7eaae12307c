// tcplife: one line per TCP connection when it closes: the process, both ends, the bytes sent
// and received, and how long it lived. Like bcc's tcplife, on the inet_sock_set_state raw
// tracepoint (the struct sock, read through BTF: addresses, ports, protocol). The process is
// the one that connected (SYN_SENT) or closed (LAST_ACK), as in bcc, else the current task.
//
// Bytes: bcc reads tcp_sock's bytes_acked and bytes_received; a handler cannot yet view a
// struct sock as the tcp_sock around it, so tcplife counts what the sock:sock_send_length and
// sock:sock_recv_length tracepoints report for the socket instead: the bytes the application
// sent and received through sendmsg()/recvmsg() (write, send, read, recv...; not sendfile or
// splice).
//
//   sudo bun run examples/tcplife.ts [-T] [-t] [-w] [-s] [-p PID] [-L PORTS] [-D PORTS] [-4 | -6] [--json]
//   sudo deno run --allow-ffi examples/tcplife.ts -D 80,443
//
// Stop it with Ctrl-C.
import { comm, HashMap, ktime, LruHashMap, pid, rawTracepoint, RingBuf, type Str, Tracer, tracepoint, type TracepointArgs, type u16, type u32, type u64, type u8 } from "tsbpf";
import { hms, intOption, ipAddress as address, jsonLine, parseToolArgs, printLine, requireTracepoints, textOnly, usageError } from "tsbpf/tool";

const AF_INET = 2, AF_INET6 = 10, IPPROTO_TCP = 6;
const TCP_SYN_SENT = 2, TCP_FIN_WAIT1 = 4, TCP_CLOSE = 7, TCP_LAST_ACK = 9;

interface Birth {
  ts: u64;
  /** The local port is gone from the sock by TCP_CLOSE (the port is released first): kept from here. */
  lport: u16;
}

interface Owner {
  pid: u32;
  comm: Str<16>;
}

export interface Life {
  ts: u64;
  spanUs: u64;
  tx: u64;
  rx: u64;
  pid: u32;
  family: u16;
  lport: u16;
  dport: u16;
  /** IPv4 addresses in s0/d0; IPv6 in s0..s3/d0..d3 (each as the kernel stores it, network order). */
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

export class TcpLife extends Tracer {
  /** Socket → when it started connecting or listening, and its local port then. */
  birth = new HashMap<u64, Birth>();
  /** Socket → the process that connected or closed it. */
  owner = new HashMap<u64, Owner>();
  /** Socket → bytes sent and received by the application. */
  sent = new LruHashMap<u64, u64>(65536);
  received = new LruHashMap<u64, u64>(65536);
  /** Only these ports, when the filter is on (filled in after start). */
  localPorts = new HashMap<u16, u8>(64);
  remotePorts = new HashMap<u16, u8>(64);
  events = new RingBuf<Life>(256 * 1024);
  targetPid: u32 = 0;
  filterLocalPorts = false;
  filterRemotePorts = false;
  /** AF_INET or AF_INET6 only (0: both). */
  family: u16 = 0;

  @tracepoint("sock:sock_send_length")
  onSend(args: TracepointArgs) {
    if (args.protocol === IPPROTO_TCP && args.ret > 0) this.sent.add(args.sk as u64, args.ret as u64);
  }

  @tracepoint("sock:sock_recv_length")
  onReceive(args: TracepointArgs) {
    // MSG_PEEK (2) reads leave the data in the socket: not counted.
    if (args.protocol === IPPROTO_TCP && args.ret > 0 && (args.flags & 2) === 0) this.received.add(args.sk as u64, args.ret as u64);
  }

  @rawTracepoint("inet_sock_set_state")
  onState(args: TracepointArgs) { // (sk: struct sock *, oldstate, newstate)
    const sk = args.sk;
    if (sk.sk_protocol !== IPPROTO_TCP) return;
    const key = sk as u64;
    const state = args.newstate;
    if (state < TCP_FIN_WAIT1) this.birth.set(key, { ts: ktime(), lport: sk.__sk_common.skc_num });
    if (state === TCP_SYN_SENT || state === TCP_LAST_ACK) {
      if (this.targetPid !== 0 && pid() !== this.targetPid) return;
      this.owner.set(key, { pid: pid(), comm: comm() });
    }
    if (state !== TCP_CLOSE) return;
    const birth = this.birth.get(key)!;
    // Not seen connecting or closing first: the current task is the best guess.
    if (!this.owner.has(key)) this.owner.set(key, { pid: pid(), comm: comm() });
    const who = this.owner.get(key)!;
    const c = sk.__sk_common;
    const family = c.skc_family;
    const lport = birth.lport, dport = ((c.skc_dport & 0xff) << 8) | (c.skc_dport >> 8);
    const wanted = birth.ts !== 0n && // 0: created before tracing started
      (this.targetPid === 0 || who.pid === this.targetPid) && (this.family === 0 || family === this.family) &&
      (!this.filterLocalPorts || this.localPorts.has(lport)) && (!this.filterRemotePorts || this.remotePorts.has(dport));
    if (wanted) {
      const now = ktime();
      const v6 = family === AF_INET6;
      this.events.submit({
        ts: now, spanUs: (now - birth.ts) / 1000n, tx: this.sent.get(key)!, rx: this.received.get(key)!, pid: who.pid, family, lport, dport,
        s0: v6 ? c.skc_v6_rcv_saddr.in6_u.u6_addr32[0] : c.skc_rcv_saddr, s1: v6 ? c.skc_v6_rcv_saddr.in6_u.u6_addr32[1] : 0,
        s2: v6 ? c.skc_v6_rcv_saddr.in6_u.u6_addr32[2] : 0, s3: v6 ? c.skc_v6_rcv_saddr.in6_u.u6_addr32[3] : 0,
        d0: v6 ? c.skc_v6_daddr.in6_u.u6_addr32[0] : c.skc_daddr, d1: v6 ? c.skc_v6_daddr.in6_u.u6_addr32[1] : 0,
        d2: v6 ? c.skc_v6_daddr.in6_u.u6_addr32[2] : 0, d3: v6 ? c.skc_v6_daddr.in6_u.u6_addr32[3] : 0,
        comm: who.comm,
      });
    }
    // The deletes come after the submit on purpose: the submit leaves the stack 4-byte aligned (its lost-event key) and
    // register spills placed after that would be misaligned; the deletes' keys realign it.
    this.birth.delete(key);
    this.owner.delete(key);
    this.sent.delete(key);
    this.received.delete(key);
  }
}

type Event = Omit<Life, "comm"> & { comm: string };

export const localAddress = (e: Event) => address(e.family, [e.s0, e.s1, e.s2, e.s3]);
export const remoteAddress = (e: Event) => address(e.family, [e.d0, e.d1, e.d2, e.d3]);

/** bcc's columns: default, wide (-w) or CSV (-s). */
export function formatLife(e: Event, o: { wide?: boolean; csv?: boolean } = {}): string {
  const ip = e.family === AF_INET ? "4" : "6";
  const [tx, rx, ms] = [String(e.tx / 1024n), String(e.rx / 1024n), (Number(e.spanUs) / 1000).toFixed(2)];
  if (o.csv) return [e.pid, e.comm, ip, localAddress(e), e.lport, remoteAddress(e), e.dport, tx, rx, ms].join(",");
  if (o.wide) {
    return `${String(e.pid).padEnd(5)} ${e.comm.slice(0, 16).padEnd(16)} ${ip.padEnd(2)} ${localAddress(e).padEnd(26)} ${String(e.lport).padEnd(5)} ` +
      `${remoteAddress(e).padEnd(26)} ${String(e.dport).padEnd(5)} ${tx.padStart(6)} ${rx.padStart(6)} ${ms}`;
  }
  return `${String(e.pid).padEnd(5)} ${e.comm.slice(0, 10).padEnd(10)} ${localAddress(e).padEnd(15)} ${String(e.lport).padEnd(5)} ` +
    `${remoteAddress(e).padEnd(15)} ${String(e.dport).padEnd(5)} ${tx.padStart(5)} ${rx.padStart(5)} ${ms}`;
}

/** Fills the port filters (after start(): they are maps) from comma-separated lists. */
export function setPorts(t: TcpLife, local?: number[], remote?: number[]): void {
  for (const p of local ?? []) t.localPorts.set(p, 1);
  for (const p of remote ?? []) t.remotePorts.set(p, 1);
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "tcplife",
    description: "Trace the lifespan of TCP sessions and summarize",
    options: {
      time: { type: "boolean", short: "T", help: "include time column on output (HH:MM:SS)" },
      timestamp: { type: "boolean", short: "t", help: "include timestamp on output (seconds)" },
      wide: { type: "boolean", short: "w", help: "wide column output (fits IPv6 addresses)" },
      csv: { type: "boolean", short: "s", help: "comma separated values output" },
      pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" },
      localport: { type: "string", short: "L", value: "LOCALPORT", help: "comma-separated list of local ports to trace." },
      remoteport: { type: "string", short: "D", value: "REMOTEPORT", help: "comma-separated list of remote ports to trace." },
      ipv4: { type: "boolean", short: "4", help: "trace IPv4 family only" },
      ipv6: { type: "boolean", short: "6", help: "trace IPv6 family only" },
    },
    examples: [
      ["", "trace all TCP connect()s"], ["-T", "include time column (HH:MM:SS)"], ["-w", "wider columns (fit IPv6)"], ["-stT", "csv output, with times & timestamps"],
      ["-p 181", "only trace PID 181"], ["-L 80", "only trace local port 80"], ["-L 80,81", "only trace local ports 80 and 81"], ["-D 80", "only trace remote port 80"],
      ["-4", "only trace IPv4 family"], ["-6", "only trace IPv6 family"],
    ],
  });
  if (values.ipv4 && values.ipv6) usageError("argument -6/--ipv6: not allowed with argument -4/--ipv4");
  requireTracepoints("tcplife", ["sock:inet_sock_set_state", "sock:sock_send_length", "sock:sock_recv_length"],
    "inet_sock_set_state is in Linux 4.16 and later, sock_send_length and sock_recv_length in 6.3 and later");
  const ports = (s: string | undefined) => s?.split(",").map((p) => intOption("port", p));
  const tracer = new TcpLife();
  tracer.targetPid = intOption("-p", values.pid);
  tracer.filterLocalPorts = values.localport !== undefined;
  tracer.filterRemotePorts = values.remoteport !== undefined;
  tracer.family = values.ipv4 ? AF_INET : values.ipv6 ? AF_INET6 : 0;
  const local = ports(values.localport), remote = ports(values.remoteport);
  await tracer.start(start);
  setPorts(tracer, local, remote);
  const sep = values.csv ? "," : " ";
  if (!values.json) {
    const head = values.csv ? ["PID", "COMM", "IP", "LADDR", "LPORT", "RADDR", "RPORT", "TX_KB", "RX_KB", "MS"].join(",")
      : values.wide ? `${"PID".padEnd(5)} ${"COMM".padEnd(16)} ${"IP".padEnd(2)} ${"LADDR".padEnd(26)} ${"LPORT".padEnd(5)} ${"RADDR".padEnd(26)} ${"RPORT".padEnd(5)} ${"TX_KB".padStart(6)} ${"RX_KB".padStart(6)} MS`
      : `${"PID".padEnd(5)} ${"COMM".padEnd(10)} ${"LADDR".padEnd(15)} ${"LPORT".padEnd(5)} ${"RADDR".padEnd(15)} ${"RPORT".padEnd(5)} ${"TX_KB".padStart(5)} ${"RX_KB".padStart(5)} MS`;
    textOnly(`${values.time ? (values.csv ? "TIME," : "TIME".padEnd(8) + " ") : ""}${values.timestamp ? (values.csv ? "TIME(s)," : "TIME(s)".padEnd(9) + " ") : ""}${head}`);
  }
  let first: bigint | undefined;
  for await (const e of tracer.events) {
    first ??= e.ts;
    const seconds = (Number(e.ts - first) / 1e9).toFixed(6);
    if (values.json) {
      console.log(jsonLine({
        ...(values.time && { time: hms() }), ...(values.timestamp && { timestamp: Number(seconds) }), pid: e.pid, comm: e.comm,
        ip: e.family === AF_INET ? 4 : 6, laddr: localAddress(e), lport: e.lport, raddr: remoteAddress(e), rport: e.dport,
        tx_bytes: e.tx, rx_bytes: e.rx, ms: Number(e.spanUs) / 1000,
      }));
      continue;
    }
    const time = values.time ? (values.csv ? hms() + sep : hms().padEnd(8) + " ") : "";
    const ts = values.timestamp ? (values.csv ? seconds + sep : seconds.padEnd(9) + " ") : "";
    printLine(`${time}${ts}${formatLife(e, values)}`);
  }
}
