// The running kernel's release (what `uname -r` prints), read once per process: the compile
// cache's key and the memlock check before the first BPF object both need it, and each read is
// an open, two reads into a fresh 64 KiB buffer and a close.
import { readTextFile } from "./files.ts";

let release: string | undefined;

/** "6.1.0-18-amd64"; "" where /proc/sys/kernel/osrelease cannot be read. */
export function kernelRelease(): string {
  return (release ??= readTextFile("/proc/sys/kernel/osrelease")?.trim() ?? "");
}
