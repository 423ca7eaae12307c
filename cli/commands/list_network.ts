// The packet programs' targets for `tsbpf list`: the network devices of this network namespace
// (@xdp) and the cgroup v2 directories (@cgroupSkb). These are decorators of a tracer class, not
// one-liner probes, so what a handler receives (-v) is written as the decorator to use.
import { cgroup2Mount } from "../../runtime/cgroup.ts";
import { listDirs } from "../../runtime/file_stat.ts";
import { readTextFile } from "../../runtime/files.ts";
import { CliError } from "../errors.ts";
import { matcher } from "./probe_pattern.ts";

/** What to write instead of listing: a socket filter runs on the sockets it is given. */
export const SOCKET_FILTER_NOTE = "a socket filter has no probe to list: it runs on the sockets it is attached to: @socketFilter() on a handler, then tracer.attachSocket(fd) (docs/network.md)";

/** Network device names matching `pattern`, sorted (/sys/class/net: this network namespace's). */
export function networkDevices(pattern: string): string[] {
  const test = matcher(pattern);
  return listDirs("/sys/class/net", false).filter(test).sort();
}

export function xdpArgs(device: string): string[] {
  const index = readTextFile(`/sys/class/net/${device}/ifindex`)?.trim() ?? "?";
  return [`ifindex ${index}`, `@xdp(${JSON.stringify(device)}) handler(ctx: XdpMd): ingress_ifindex, rx_queue_index; the packet through xdpLoad(ctx, offset, size)`];
}

/**
 * Cgroup v2 directories matching `pattern`, as paths under the cgroup v2 mount (the form
 * @cgroupSkb and --cgroup take), sorted. Symlinks are not followed (listDirs reads the entry's type).
 */
export function cgroupPaths(pattern: string): string[] {
  const root = cgroup2Mount();
  if (!root) throw new CliError("no cgroup v2 file system is mounted, so there is no cgroup to attach @cgroupSkb to; mount one: mount -t cgroup2 none /sys/fs/cgroup");
  const test = matcher(pattern);
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of listDirs(dir)) {
      const path = rel ? `${rel}/${name}` : name;
      if (test(path)) out.push(path);
      walk(`${dir}/${name}`, path);
    }
  };
  walk(root, "");
  return out.sort();
}

export function cgroupSkbArgs(path: string): string[] {
  return [`@cgroupSkb("ingress" | "egress", ${JSON.stringify(path)}) handler(skb: SkBuff)`];
}
