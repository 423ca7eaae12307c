// @socketFilter(): a program that decides what a socket receives (BPF_PROG_TYPE_SOCKET_FILTER),
// attached with `tracer.attachSocket(fd)` to sockets of the tracer's process (SO_ATTACH_BPF).
// The handler reads the packet as `SkBuff` (without the socket fields: it runs before the packet
// is queued to one) and its bytes with skbLoad(), from where the socket's protocol starts (a UDP
// socket: the UDP header). It returns how many bytes of the packet to keep: 0 drops it.
import type { ProbeContext } from "../spec/target.ts";
import { ProgType } from "../runtime/bpf.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { skBuffFields } from "./sk_buff.ts";

export const socketFilterProbe = {
  kind: "socketFilter",
  context(): ProbeContext {
    return {
      progType: ProgType.SOCKET_FILTER, fields: skBuffFields("socket"), packet: "skb",
      verdict: { fallthrough: 0xffff_ffffn, meaning: "the number of bytes of the packet to keep: 0 drops it, skb.len keeps it whole", notBool: "true would keep 1 byte of the packet" },
      describe: "socket filter",
    };
  },
  /** Attached to sockets later, by tracer.attachSocket(fd): nothing at start. */
  attach(): OwnedFd[] {
    return [];
  },
};
