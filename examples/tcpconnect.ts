// tcpconnect: every outgoing TCP connection (IPv4): who connects where. Like bcc's tcpconnect,
// and the seeds' "who calls connect". Needs kprobes or fentry (tcp_connect), so it runs on
// kernels that have them (the VM lane's 6.1; not this host's 6.18 without CONFIG_KPROBES).
//
//   sudo bun run examples/tcpconnect.ts [-p PID]
//   sudo deno run --allow-ffi examples/tcpconnect.ts
import { parseArgs } from "node:util";
import { comm, kprobe, pid, RingBuf, Tracer, type Str, type u16, type u32 } from "tsbpf";

interface Connect {
  pid: u32;
  comm: Str<16>;
  saddr: u32;
  daddr: u32;
  dport: u16;
}

const AF_INET = 2;

export class TcpConnect extends Tracer {
  events = new RingBuf<Connect>();
  targetPid: u32 = 0;

  @kprobe("tcp_connect")
  onConnect(sk: { __sk_common: { skc_family: u16; skc_rcv_saddr: u32; skc_daddr: u32; skc_dport: u16 } }) {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    const common = sk.__sk_common;
    if (common.skc_family !== AF_INET) return;
    this.events.submit({ pid: pid(), comm: comm(), saddr: common.skc_rcv_saddr, daddr: common.skc_daddr, dport: common.skc_dport });
  }
}

/** A u32 IPv4 address as the kernel stores it (network byte order), dotted. */
export function ipv4(addr: number): string {
  return [addr & 255, (addr >>> 8) & 255, (addr >>> 16) & 255, addr >>> 24].join(".");
}

/** A port as the kernel stores it (network byte order). */
export function port(p: number): number {
  return ((p & 255) << 8) | (p >>> 8);
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { pid: { type: "string", short: "p" } } });
  const tracer = new TcpConnect();
  tracer.targetPid = Number(values.pid ?? 0);
  await tracer.start();
  console.log(`${"PID".padStart(7)} ${"COMM".padEnd(16)} ${"SADDR".padEnd(16)} ${"DADDR".padEnd(16)} DPORT`);
  for await (const e of tracer.events) {
    console.log(`${String(e.pid).padStart(7)} ${e.comm.padEnd(16)} ${ipv4(e.saddr).padEnd(16)} ${ipv4(e.daddr).padEnd(16)} ${port(e.dport)}`);
  }
}
