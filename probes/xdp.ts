// @xdp("eth0"): a program run for every packet arriving on a network device, before the kernel
// allocates an sk_buff for it (BPF_PROG_TYPE_XDP). It reads the packet with xdpLoad() and
// returns what becomes of it: XDP_ABORTED 0, XDP_DROP 1, XDP_PASS 2 (also when it ends without
// return), XDP_TX 3, XDP_REDIRECT 4. Attached with a BPF link (5.9+), so it detaches when the
// tracer stops or its process dies; in the driver's own XDP where it has one, else generic XDP
// (`{ mode: "generic" }` asks for generic always).
import { type ContextField, type ProbeContext, ProbeLookupError, type ProbeOptions } from "../spec/target.ts";
import { ProgType, XDP_FLAGS_SKB_MODE, xdpLinkCreate } from "../runtime/bpf.ts";
import { readTextFile } from "../runtime/files.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { attachError } from "./errors.ts";

/** struct xdp_md (uapi): the fields a program may read besides its packet pointers. */
const FIELDS: ContextField[] = [
  { name: "ingress_ifindex", offset: 12, size: 4, signed: false, kind: "int", cType: "__u32", space: "kernel" },
  { name: "rx_queue_index", offset: 16, size: 4, signed: false, kind: "int", cType: "__u32", space: "kernel" },
];

/** A device name as the kernel allows it (IFNAMSIZ, no slash or space): it becomes a /sys path. */
function ifindex(device: string): number {
  if (!/^[^/\s]{1,15}$/.test(device) || device === "." || device === "..") throw new ProbeLookupError(`"${device}" is not a network device name`, ["list them with: ip link"]);
  const text = readTextFile(`/sys/class/net/${device}/ifindex`);
  if (text === undefined) throw new ProbeLookupError(`there is no network device "${device}" in this network namespace`, ["list them with: ip link"]);
  return Number(text.trim());
}

export const xdpProbe = {
  kind: "xdp",
  context(target: string, options?: ProbeOptions): ProbeContext {
    if (options?.mode !== undefined && options.mode !== "generic") throw new ProbeLookupError(`@xdp's mode is "generic" or not given, not ${JSON.stringify(options.mode)}`);
    return {
      progType: ProgType.XDP, fields: FIELDS, packet: "xdp",
      verdict: { fallthrough: 2n, meaning: "XDP_PASS (2), XDP_DROP (1), XDP_TX (3), XDP_REDIRECT (4) or XDP_ABORTED (0)", notBool: "true would be XDP_DROP (1) and false XDP_ABORTED (0)" },
      describe: `xdp ${target}`,
    };
  },
  attach(progFd: number, target: string, _progType: number, options?: ProbeOptions): OwnedFd[] {
    const label = `xdp on ${target}`;
    try {
      return [xdpLinkCreate(progFd, ifindex(target), options?.mode === "generic" ? XDP_FLAGS_SKB_MODE : 0, label)];
    } catch (e) {
      throw attachError(label, e);
    }
  },
};
