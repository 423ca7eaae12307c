// tcpretrans: one line per TCP retransmission: both ends of the connection and its state (or,
// with -c, a count per connection at the end). Like bcc's tcpretrans, on the tcp_retransmit_skb
// raw tracepoint (the struct sock read through BTF). The PID is that of the task on the CPU,
// often 0: retransmissions usually run from a timer, not a process. bcc's -l (tail loss
// probes) needs a kprobe on tcp_send_loss_probe, which tsbpf tools avoid: -l says so.
//
//   sudo bun run examples/tcpretrans.ts [-s] [-c] [-4 | -6] [--json]
//   sudo deno run --allow-ffi examples/tcpretrans.ts -c
//
// Stop it with Ctrl-C.
import process from "node:process";
import { Count, pid, rawTracepoint, RingBuf, Tracer, type TracepointArgs, type u16, type u32, type u8 } from "tsbpf";
import { hms, ipAddress as address, jsonLine, notice, parseToolArgs, printLine, requireTracepoints, textOnly, usageError } from "tsbpf/tool";

const AF_INET = 2, AF_INET6 = 10;

/** A connection: family, ports, and addresses as u32 words (IPv4 in s0/d0). */
export interface Flow {
  family: u16;
  lport: u16;
  dport: u16;
  s0: u32;
  s1: u32;
  s2: u32;
  s3: u32;
  d0: u32;
  d1: u32;
  d2: u32;
  d3: u32;
}

export interface Retransmit {
  flow: Flow;
  pid: u32;
  seq: u32;
  state: u8;
}

export class TcpRetrans extends Tracer {
  events = new RingBuf<Retransmit>(256 * 1024);
  counts = new Count<Flow>();
  /** Count per connection instead of printing each retransmission. */
  countOnly = false;
  /** AF_INET or AF_INET6 only (0: both). */
  family: u16 = 0;

  @rawTracepoint("tcp_retransmit_skb")
  onRetransmit(args: TracepointArgs) { // (sk: struct sock *, skb: struct sk_buff *, err)
    const c = args.sk.__sk_common;
    const family = c.skc_family;
    if (family !== AF_INET && family !== AF_INET6) return;
    if (this.family !== 0 && family !== this.family) return;
    const v6 = family === AF_INET6;
    const flow: Flow = {
      family, lport: c.skc_num, dport: ((c.skc_dport & 0xff) << 8) | (c.skc_dport >> 8),
      s0: v6 ? c.skc_v6_rcv_saddr.in6_u.u6_addr32[0] : c.skc_rcv_saddr, s1: v6 ? c.skc_v6_rcv_saddr.in6_u.u6_addr32[1] : 0,
      s2: v6 ? c.skc_v6_rcv_saddr.in6_u.u6_addr32[2] : 0, s3: v6 ? c.skc_v6_rcv_saddr.in6_u.u6_addr32[3] : 0,
      d0: v6 ? c.skc_v6_daddr.in6_u.u6_addr32[0] : c.skc_daddr, d1: v6 ? c.skc_v6_daddr.in6_u.u6_addr32[1] : 0,
      d2: v6 ? c.skc_v6_daddr.in6_u.u6_addr32[2] : 0, d3: v6 ? c.skc_v6_daddr.in6_u.u6_addr32[3] : 0,
    };
    if (this.countOnly) {
      this.counts.add(flow);
      return;
    }
    // The sequence number: the first field of the skb's control block (struct tcp_skb_cb).
    const cb = args.skb.cb;
    const seq = (cb[0] as u32) | ((cb[1] as u32) << 8) | ((cb[2] as u32) << 16) | ((cb[3] as u32) << 24);
    this.events.submit({ flow, pid: pid(), seq, state: c.skc_state });
  }
}

const STATES = ["", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"];

export const tcpState = (s: number) => STATES[s] ?? String(s);
const local = (f: Flow) => address(f.family, [f.s0, f.s1, f.s2, f.s3]);
const remote = (f: Flow) => address(f.family, [f.d0, f.d1, f.d2, f.d3]);

/** bcc's line for one retransmission ("R>": a retransmission; bcc's "L>" loss probes need a kprobe). */
export function formatRetransmit(e: Retransmit, o: { sequence?: boolean; time?: string } = {}): string {
  const f = e.flow;
  const line = `${(o.time ?? hms()).padEnd(8)} ${String(e.pid).padEnd(7)} ${(f.family === AF_INET ? "4" : "6").padEnd(2)} ` +
    `${`${local(f)}:${f.lport}`.padEnd(20)} R> ${`${remote(f)}:${f.dport}`.padEnd(20)}`;
  return o.sequence ? `${line} ${tcpState(e.state).padEnd(12)} ${e.seq}` : `${line} ${tcpState(e.state)}`;
}

/** bcc's -c table: one line per connection, fewest retransmissions first. */
export function countLines(t: TcpRetrans): string[] {
  const rows = t.counts.entries().sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return [
    "",
    `${"LADDR:LPORT".padEnd(25)} ${"RADDR:RPORT".padEnd(25)} ${"RETRANSMITS".padEnd(10)}`,
    ...rows.map(([f, n]) => `${`[${local(f)}]#${f.lport}`.padEnd(20)} <-> ${`[${remote(f)}]#${f.dport}`.padEnd(20)} ${String(n).padStart(10)}`),
  ];
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "tcpretrans",
    description: "Trace TCP retransmits",
    options: {
      sequence: { type: "boolean", short: "s", help: "display TCP sequence numbers" },
      lossprobe: { type: "boolean", short: "l", help: "include tail loss probe attempts (needs kprobes: not supported)" },
      count: { type: "boolean", short: "c", help: "count occurred retransmits per flow" },
      ipv4: { type: "boolean", short: "4", help: "trace IPv4 family only" },
      ipv6: { type: "boolean", short: "6", help: "trace IPv6 family only" },
    },
    examples: [["", "trace TCP retransmits"], ["-c", "summarize retransmits per connection"], ["-4", "trace IPv4 family only"], ["-6", "trace IPv6 family only"]],
  });
  if (values.lossprobe) {
    console.error("tcpretrans: -l traces tail loss probes with a kprobe on tcp_send_loss_probe (there is no tracepoint for them); this tool uses tracepoints only");
    process.exit(1);
  }
  if (values.ipv4 && values.ipv6) usageError("argument -6/--ipv6: not allowed with argument -4/--ipv4");
  requireTracepoints("tcpretrans", ["tcp:tcp_retransmit_skb"], "Linux 4.15 or later");
  const tracer = new TcpRetrans();
  tracer.countOnly = !!values.count;
  tracer.family = values.ipv4 ? AF_INET : values.ipv6 ? AF_INET6 : 0;
  await tracer.start(start);
  notice("Tracing retransmits ... Hit Ctrl-C to end");
  if (values.count) {
    tracer.end = () => {
      if (values.json) for (const [f, n] of tracer.counts.entries()) console.log(jsonLine({ laddr: local(f), lport: f.lport, raddr: remote(f), rport: f.dport, retransmits: n }));
      else countLines(tracer).forEach((l) => printLine(l));
    };
    await tracer.stopped;
  } else {
    textOnly(`${"TIME".padEnd(8)} ${"PID".padEnd(7)} ${"IP".padEnd(2)} ${"LADDR:LPORT".padEnd(20)} T> ${"RADDR:RPORT".padEnd(20)} ${values.sequence ? `${"STATE".padEnd(12)} ${"SEQ".padEnd(10)}` : "STATE".padEnd(4)}`);
    for await (const e of tracer.events) {
      if (values.json) {
        console.log(jsonLine({
          time: hms(), pid: e.pid, ip: e.flow.family === AF_INET ? 4 : 6, laddr: local(e.flow), lport: e.flow.lport, type: "R",
          raddr: remote(e.flow), rport: e.flow.dport,
          state: tcpState(e.state), ...(values.sequence && { seq: e.seq }),
        }));
      } else printLine(formatRetransmit(e, values));
    }
  }
}
