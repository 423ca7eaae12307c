// @cgroupSkb("ingress" | "egress", cgroup?): a program run for every packet a cgroup's sockets
// receive or send (BPF_PROG_TYPE_CGROUP_SKB), what systemd's IPAccounting= and IPAddressDeny=
// are made of. The handler reads the packet's `__sk_buff` and returns whether it may pass:
// true or 1 lets it through, false or 0 drops it (a send then fails with EPERM).
// The cgroup is the decorator's, else the tracer's (start({ cgroup }), --cgroup). It is attached
// with a BPF link, so it detaches when the tracer stops or its process dies.
import { type ProbeContext, ProbeLookupError, type ProbeOptions } from "../spec/target.ts";
import { AttachType, linkCreate, ProgType } from "../runtime/bpf.ts";
import { openCgroup } from "../runtime/cgroup.ts";
import { libcSync } from "../runtime/ffi/mod.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { attachError } from "./errors.ts";
import { skBuffFields } from "./sk_buff.ts";

const DIRECTIONS: Record<string, number> = { ingress: AttachType.CGROUP_INET_INGRESS, egress: AttachType.CGROUP_INET_EGRESS };

function direction(target: string): number {
  const d = DIRECTIONS[target];
  if (d === undefined) throw new ProbeLookupError(`@cgroupSkb takes "ingress" or "egress", got "${target}"`, [`write @cgroupSkb("egress") for the packets the cgroup sends`]);
  return d;
}

export const cgroupSkbProbe = {
  kind: "cgroupSkb",
  context(target: string): ProbeContext {
    return {
      progType: ProgType.CGROUP_SKB, expectedAttachType: direction(target), fields: skBuffFields("cgroup"), cgroupAttached: true, packet: "skb",
      verdict: { fallthrough: 1n, range: [0, 1], meaning: "true or 1 lets the packet pass, false or 0 drops it" },
      describe: `cgroup skb ${target}`,
    };
  },
  attach(progFd: number, target: string, _progType: number, options?: ProbeOptions): OwnedFd[] {
    const label = `cgroup skb ${target}${options?.cgroup ? ` of ${options.cgroup}` : ""}`;
    try {
      if (typeof options?.cgroup !== "string" || !options.cgroup) {
        throw new ProbeLookupError(`@cgroupSkb("${target}") needs a cgroup to attach to`,
          [`name it in the decorator, @cgroupSkb("${target}", "system.slice/nginx.service"), or start the tracer with start({ cgroup }) or tsbpf --cgroup PATH`]);
      }
      const cg = openCgroup(options.cgroup);
      try {
        return [linkCreate(progFd, cg, direction(target), label)];
      } finally {
        libcSync().close(cg);
      }
    } catch (e) {
      throw attachError(label, e);
    }
  },
};
