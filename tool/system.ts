// What the tools look up about the machine: kernel files, disk names, system call names, and
// socket addresses as the kernel stores them.
import process from "node:process";
import { fileExists, readTextFile as readFileThroughLibc } from "../runtime/files.ts";
import { tracefs } from "../probes/tracefs.ts";
import { decodeInet } from "../runtime/maps/inet.ts";
import { ProcessFd } from "../runtime/process_fd.ts";
import { tracepointFormat } from "../probes/tracepoint.ts";
export { syscallName } from "../runtime/syscall_names.ts";

/** A kernel file's text (/proc, /sys), or undefined when it does not exist. Read through libc: Deno needs only --allow-ffi. */
export function readTextFile(path: string): string | undefined {
  return readFileThroughLibc(path);
}

/**
 * What tells whether process `pid` has exited, asked without waiting (by its pidfd, so a pid
 * handed to another process after the reaping still counts as exited), or undefined on a
 * kernel without pidfd_open (before 5.3). Tools that trace one process end with it, as strace -p does.
 */
export function processExited(pid: number): (() => boolean) | undefined {
  const target = ProcessFd.open(pid);
  return target && (() => target.exited());
}

/** A block device's name (`sda`, `loop0`) from its dev_t as tracepoints carry it (major << 20 | minor). */
export function diskName(dev: number): string {
  const major = dev >>> 20, minor = dev & 0xfffff;
  const uevent = readTextFile(`/sys/dev/block/${major}:${minor}/uevent`);
  return uevent?.match(/^DEVNAME=(.*)$/m)?.[1] ?? `${major},${minor}`;
}

/** A disk's dev_t as the kernel packs it (major << 20 | minor), from its name (`sda`, `/dev/sda`). */
export function diskNumber(name: string): number | undefined {
  if (name.includes("..")) return undefined;
  const dev = readTextFile(`/sys/class/block/${name.replace(/^\/dev\//, "")}/dev`)?.trim().split(":").map(Number);
  return dev ? (dev[0] << 20) | dev[1] : undefined;
}

/** The -d DISK option: the disk's dev_t, or the tool ends with bcc's message. */
export function diskOption(name: string): number {
  const dev = diskNumber(name);
  if (dev === undefined) {
    console.log(`no such disk '${name}'`);
    process.exit(1);
  }
  return dev;
}

/**
 * An IPv4 or IPv6 address as text, from the words the kernel stores it in (network byte order,
 * read as little-endian u32s: one word for IPv4, four for IPv6). IPv6 is printed in its short
 * form ("::1", "::ffff:10.0.0.1").
 */
export function ipAddress(family: number, words: number[]): string {
  // The layout the Inet decoder reads: the family, then the address's bytes as the words hold them.
  const record = new DataView(new ArrayBuffer(20));
  record.setUint32(0, family === 2 /* AF_INET */ ? 2 : 10, true);
  words.slice(0, 4).forEach((w, i) => record.setUint32(4 + 4 * i, w >>> 0, true));
  return decodeInet(new Uint8Array(record.buffer), 0);
}

/** One argument of a system call, as this kernel's `syscalls:sys_enter_<name>` tracepoint declares it. */
export interface SyscallArgument {
  /** The parameter's name in the kernel's source ("filename", "flags"). */
  name: string;
  /** Its C type ("const char *", "int", "struct sockaddr *"). */
  cType: string;
}

/**
 * The arguments of a system call in order, from its tracepoint's format file (so names and types
 * are this kernel's), or undefined when the kernel has no tracepoint for it.
 */
export function syscallArguments(name: string): SyscallArgument[] | undefined {
  // Checked before the path is built, and before asking: a miss would list every tracepoint for its hint.
  if (!/^[a-z0-9_]+$/.test(name) || !fileExists(`${tracefs()}/events/syscalls/sys_enter_${name}/format`)) return undefined;
  return tracepointFormat(`syscalls:sys_enter_${name}`).fields
    .filter((f) => !f.name.startsWith("common_") && f.name !== "__syscall_nr")
    .map((f) => ({ name: f.name, cType: f.cType }));
}
