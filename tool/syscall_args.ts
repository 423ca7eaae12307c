// A system call's arguments and result as strace prints them: flags, signals, socket families
// and errno by name, strings and buffers escaped, sockaddrs, stat and timespec structs, from what
// a tracer read in the kernel at the call's entry and exit (examples/strace.ts is the tracer).
// Which arguments are strings or structs comes from the C types of this kernel's
// syscalls:sys_enter_* format files (syscallArguments()).
import type { SyscallArgument } from "./system.ts";

/**
 * What a tracer read for one call, at its entry (or exit): the six raw arguments, the result,
 * up to two strings, a buffer's first bytes, a sockaddr (family, port and addresses in network
 * byte order; for IPv6, addr4 holds the flow info and mode the scope id; for AF_UNIX, str1 the
 * path), and a stat's or statx's mode and size (statx: len its mask, sec its attributes) or a timespec.
 */
export interface SyscallReads {
  /** The raw arguments (pointers as addresses: 0 prints NULL). */
  args: readonly (bigint | number)[];
  /** The return value (negative: -errno). */
  ret: bigint;
  /** The first string argument read. */
  str0: string;
  /** The second string argument read (AF_UNIX: the path). */
  str1: string;
  /** A buffer's first bytes. */
  data: string;
  /** The sockaddr's family. */
  family: number;
  /** The sockaddr's port, in network byte order. */
  port: number;
  /** The IPv4 address (IPv6: the flow info). */
  addr4: number;
  /** The IPv6 address's 16 bytes. */
  addr6: readonly number[];
  /** A stat's mode (IPv6: the scope id). */
  mode: number;
  /** A length read (statx: its mask). */
  len: number;
  /** A stat's size. */
  size: bigint;
  /** A timespec's seconds (statx: its attributes). */
  sec: bigint;
  /** A timespec's nanoseconds. */
  nsec: bigint;
}

/** A system call: its name, its arguments as the kernel declares them, and how each is read and printed (argKind). */
export interface SyscallSignature {
  /** The call's name ("openat"). */
  name: string;
  /** Its arguments as the kernel declares them. */
  args: SyscallArgument[];
  /** How each argument is read and printed. */
  kinds: ArgKind[];
}

/** How an argument is read and printed. */
export type ArgKind = "value" | "string" | "data" | "out-data" | "sockaddr" | "out-sockaddr" | "out-len" | "stat" | "statx" | "timespec";

/** Calls whose sockaddr argument is filled in by the kernel (read at exit). */
const SOCKADDR_OUT = new Set(["accept", "accept4", "getsockname", "getpeername", "recvfrom"]);

/** How argument `a` of `call` is read and printed (`previous`: the kind of the argument before it). */
export function argKind(call: string, a: SyscallArgument, previous?: ArgKind): ArgKind {
  const t = a.cType;
  if (previous === "out-sockaddr" && t === "int *") return "out-len";
  if (/struct sockaddr\b/.test(t)) return SOCKADDR_OUT.has(call) ? "out-sockaddr" : "sockaddr";
  if (/^struct stat \*$/.test(t)) return "stat";
  if (/^struct statx \*$/.test(t)) return "statx";
  if (/^const struct (__kernel_)?timespec \*$/.test(t)) return "timespec";
  if (a.name === "optval") return "value"; // setsockopt's value is an int or a struct, not text
  if (/^(const )?char \*$/.test(t)) {
    if (a.name === "buf" || a.name === "ubuf") return t.startsWith("const") ? "data" : "out-data";
    return "string";
  }
  return "value";
}


// ---- Names for numbers ----

/** A table of names for numbers or bits: [value, name] pairs. */
export type Names = [number, string][];

const O_FLAGS: Names = [
  [0o100, "O_CREAT"], [0o200, "O_EXCL"], [0o400, "O_NOCTTY"], [0o1000, "O_TRUNC"], [0o2000, "O_APPEND"], [0o4000, "O_NONBLOCK"],
  [0o4010000, "O_SYNC"], [0o10000, "O_DSYNC"], [0o20000, "O_ASYNC"], [0o40000, "O_DIRECT"], [0o100000, "O_LARGEFILE"],
  [0o400000, "O_NOFOLLOW"], [0o1000000, "O_NOATIME"], [0o2000000, "O_CLOEXEC"], [0o10000000, "O_PATH"], [0o20200000, "O_TMPFILE"],
  [0o200000, "O_DIRECTORY"],
];
const AT_FLAGS: Names = [
  [0x100, "AT_SYMLINK_NOFOLLOW"], [0x200, "AT_REMOVEDIR"], [0x400, "AT_SYMLINK_FOLLOW"], [0x800, "AT_NO_AUTOMOUNT"], [0x1000, "AT_EMPTY_PATH"],
  [0x2000, "AT_STATX_FORCE_SYNC"], [0x4000, "AT_STATX_DONT_SYNC"], [0x8000, "AT_RECURSIVE"],
];
const PROT: Names = [[1, "PROT_READ"], [2, "PROT_WRITE"], [4, "PROT_EXEC"], [0x1000000, "PROT_GROWSDOWN"], [0x2000000, "PROT_GROWSUP"]];
const MAP: Names = [
  [0x10, "MAP_FIXED"], [0x20, "MAP_ANONYMOUS"], [0x40, "MAP_32BIT"], [0x100, "MAP_GROWSDOWN"], [0x800, "MAP_DENYWRITE"], [0x1000, "MAP_EXECUTABLE"],
  [0x2000, "MAP_LOCKED"], [0x4000, "MAP_NORESERVE"], [0x8000, "MAP_POPULATE"], [0x10000, "MAP_NONBLOCK"], [0x20000, "MAP_STACK"], [0x40000, "MAP_HUGETLB"],
  [0x80000, "MAP_SYNC"], [0x100000, "MAP_FIXED_NOREPLACE"],
];
const ACCESS: Names = [[4, "R_OK"], [2, "W_OK"], [1, "X_OK"]];
const STATX_MASK: Names = [
  [0x7ff, "STATX_BASIC_STATS"], [1, "STATX_TYPE"], [2, "STATX_MODE"], [4, "STATX_NLINK"], [8, "STATX_UID"], [0x10, "STATX_GID"], [0x20, "STATX_ATIME"],
  [0x40, "STATX_MTIME"], [0x80, "STATX_CTIME"], [0x100, "STATX_INO"], [0x200, "STATX_SIZE"], [0x400, "STATX_BLOCKS"], [0x800, "STATX_BTIME"],
  [0x1000, "STATX_MNT_ID"], [0x2000, "STATX_DIOALIGN"],
];
const SOCK_FLAGS: Names = [[0o4000, "SOCK_NONBLOCK"], [0o2000000, "SOCK_CLOEXEC"]];
const CLOEXEC_NONBLOCK: Names = [[0o4000, "O_NONBLOCK"], [0o2000000, "O_CLOEXEC"]];
const GRND: Names = [[1, "GRND_NONBLOCK"], [2, "GRND_RANDOM"], [4, "GRND_INSECURE"]];
const AF: Record<number, string> = { 0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 10: "AF_INET6", 16: "AF_NETLINK", 17: "AF_PACKET", 40: "AF_VSOCK" };
const SOCK_TYPE: Record<number, string> = { 1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM", 5: "SOCK_SEQPACKET", 10: "SOCK_PACKET" };
const IPPROTO: Record<number, string> = { 0: "IPPROTO_IP", 1: "IPPROTO_ICMP", 6: "IPPROTO_TCP", 17: "IPPROTO_UDP", 58: "IPPROTO_ICMPV6", 132: "IPPROTO_SCTP" };
const SEEK: Record<number, string> = { 0: "SEEK_SET", 1: "SEEK_CUR", 2: "SEEK_END", 3: "SEEK_DATA", 4: "SEEK_HOLE" };
const FCNTL: Record<number, string> = {
  0: "F_DUPFD", 1: "F_GETFD", 2: "F_SETFD", 3: "F_GETFL", 4: "F_SETFL", 5: "F_GETLK", 6: "F_SETLK", 7: "F_SETLKW", 8: "F_SETOWN", 9: "F_GETOWN",
  1030: "F_DUPFD_CLOEXEC", 1033: "F_ADD_SEALS", 1034: "F_GET_SEALS",
};
const CLOCKS: Record<number, string> = { 0: "CLOCK_REALTIME", 1: "CLOCK_MONOTONIC", 2: "CLOCK_PROCESS_CPUTIME_ID", 3: "CLOCK_THREAD_CPUTIME_ID", 4: "CLOCK_MONOTONIC_RAW", 5: "CLOCK_REALTIME_COARSE", 6: "CLOCK_MONOTONIC_COARSE", 7: "CLOCK_BOOTTIME" };
const RLIMITS = ["RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME"];
const SIGNALS = ["0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"];
const SIG_HOW = ["SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"];
const ARCH_PRCTL: Record<number, string> = { 0x1001: "ARCH_SET_GS", 0x1002: "ARCH_SET_FS", 0x1003: "ARCH_GET_FS", 0x1004: "ARCH_GET_GS", 0x3001: "ARCH_CET_STATUS" };
const IOCTL: Record<number, string> = { 0x5401: "TCGETS", 0x5402: "TCSETS", 0x5403: "TCSETSW", 0x540f: "TIOCGPGRP", 0x5410: "TIOCSPGRP", 0x5413: "TIOCGWINSZ", 0x5421: "FIONBIO", 0x541b: "FIONREAD", 0x5450: "FIONCLEX", 0x5451: "FIOCLEX" };
const FUTEX = ["FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_FD", "FUTEX_REQUEUE", "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP", "FUTEX_LOCK_PI", "FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI", "FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET"];
const MADVISE: Record<number, string> = { 0: "MADV_NORMAL", 1: "MADV_RANDOM", 2: "MADV_SEQUENTIAL", 3: "MADV_WILLNEED", 4: "MADV_DONTNEED", 8: "MADV_FREE", 14: "MADV_HUGEPAGE", 15: "MADV_NOHUGEPAGE", 100: "MADV_HWPOISON" };
const FADVISE: Record<number, string> = { 0: "POSIX_FADV_NORMAL", 1: "POSIX_FADV_RANDOM", 2: "POSIX_FADV_SEQUENTIAL", 3: "POSIX_FADV_WILLNEED", 4: "POSIX_FADV_DONTNEED", 5: "POSIX_FADV_NOREUSE" };
const SHUT = ["SHUT_RD", "SHUT_WR", "SHUT_RDWR"];
const SOL: Record<number, string> = { 0: "SOL_IP", 1: "SOL_SOCKET", 6: "SOL_TCP", 17: "SOL_UDP", 41: "SOL_IPV6" };
const SO: Record<number, string> = {
  1: "SO_DEBUG", 2: "SO_REUSEADDR", 3: "SO_TYPE", 4: "SO_ERROR", 5: "SO_DONTROUTE", 6: "SO_BROADCAST", 7: "SO_SNDBUF", 8: "SO_RCVBUF",
  9: "SO_KEEPALIVE", 10: "SO_OOBINLINE", 13: "SO_LINGER", 15: "SO_REUSEPORT", 20: "SO_RCVTIMEO_OLD", 21: "SO_SNDTIMEO_OLD",
};

/** errno names and glibc's messages. */
const ERRNO: Record<number, [string, string]> = {
  1: ["EPERM", "Operation not permitted"], 2: ["ENOENT", "No such file or directory"], 3: ["ESRCH", "No such process"],
  4: ["EINTR", "Interrupted system call"], 5: ["EIO", "Input/output error"], 6: ["ENXIO", "No such device or address"],
  7: ["E2BIG", "Argument list too long"], 8: ["ENOEXEC", "Exec format error"], 9: ["EBADF", "Bad file descriptor"],
  10: ["ECHILD", "No child processes"], 11: ["EAGAIN", "Resource temporarily unavailable"], 12: ["ENOMEM", "Cannot allocate memory"],
  13: ["EACCES", "Permission denied"], 14: ["EFAULT", "Bad address"], 16: ["EBUSY", "Device or resource busy"], 17: ["EEXIST", "File exists"],
  18: ["EXDEV", "Invalid cross-device link"], 19: ["ENODEV", "No such device"], 20: ["ENOTDIR", "Not a directory"], 21: ["EISDIR", "Is a directory"],
  22: ["EINVAL", "Invalid argument"], 23: ["ENFILE", "Too many open files in system"], 24: ["EMFILE", "Too many open files"],
  25: ["ENOTTY", "Inappropriate ioctl for device"], 26: ["ETXTBSY", "Text file busy"], 27: ["EFBIG", "File too large"],
  28: ["ENOSPC", "No space left on device"], 29: ["ESPIPE", "Illegal seek"], 30: ["EROFS", "Read-only file system"], 31: ["EMLINK", "Too many links"],
  32: ["EPIPE", "Broken pipe"], 33: ["EDOM", "Numerical argument out of domain"], 34: ["ERANGE", "Numerical result out of range"],
  35: ["EDEADLK", "Resource deadlock avoided"], 36: ["ENAMETOOLONG", "File name too long"], 38: ["ENOSYS", "Function not implemented"],
  39: ["ENOTEMPTY", "Directory not empty"], 40: ["ELOOP", "Too many levels of symbolic links"], 61: ["ENODATA", "No data available"],
  62: ["ETIME", "Timer expired"], 75: ["EOVERFLOW", "Value too large for defined data type"], 88: ["ENOTSOCK", "Socket operation on non-socket"],
  95: ["EOPNOTSUPP", "Operation not supported"], 97: ["EAFNOSUPPORT", "Address family not supported by protocol"],
  98: ["EADDRINUSE", "Address already in use"], 99: ["EADDRNOTAVAIL", "Cannot assign requested address"], 101: ["ENETUNREACH", "Network is unreachable"],
  104: ["ECONNRESET", "Connection reset by peer"], 106: ["EISCONN", "Transport endpoint is already connected"],
  107: ["ENOTCONN", "Transport endpoint is not connected"], 110: ["ETIMEDOUT", "Connection timed out"], 111: ["ECONNREFUSED", "Connection refused"],
  113: ["EHOSTUNREACH", "No route to host"], 114: ["EALREADY", "Operation already in progress"], 115: ["EINPROGRESS", "Operation now in progress"],
  512: ["ERESTARTSYS", "To be restarted if SA_RESTART is set"], 513: ["ERESTARTNOINTR", "To be restarted"],
  514: ["ERESTARTNOHAND", "To be restarted if no handler"], 516: ["ERESTART_RESTARTBLOCK", "Interrupted by signal"],
};

/** A signal's name (SIGTERM), or undefined for a number past the table. */
export function signalName(sig: number): string | undefined {
  return SIGNALS[sig];
}

/** An errno's name (ENOENT), or undefined for one the table lacks. */
export function errnoName(errno: number): string | undefined {
  return ERRNO[errno]?.[0];
}

/** Set bits by name in the table's order, then what is left in hex; `zero` when nothing is set. */
export function flagNames(value: number, names: Names, zero = "0"): string {
  const out: string[] = [];
  let rest = value;
  for (const [bits, name] of names) {
    if (bits !== 0 && (rest & bits) === bits) {
      out.push(name);
      rest &= ~bits;
    }
  }
  if (rest) out.push(`0x${(rest >>> 0).toString(16)}`);
  return out.length ? out.join("|") : zero;
}

/** open(2) flags as strace prints them: the access mode, then the other flags. */
export function openFlags(flags: number): string {
  const access = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][flags & 3];
  const rest = flagNames(flags & ~3, O_FLAGS, "");
  return rest ? `${access}|${rest}` : access;
}

function mmapFlags(flags: number): string {
  const type = ["0", "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE"][flags & 3] ?? String(flags & 0xf);
  const rest = flagNames(flags & ~0xf, MAP, "");
  return rest ? `${type}|${rest}` : type;
}

function named(table: Record<number, string> | string[], v: number): string {
  return (table as Record<number, string>)[v] ?? String(v);
}

/** A file mode as strace prints it: S_IFREG|0644. */
function fileMode(mode: number): string {
  const types: Record<number, string> = { 0o140000: "S_IFSOCK", 0o120000: "S_IFLNK", 0o100000: "S_IFREG", 0o60000: "S_IFBLK", 0o40000: "S_IFDIR", 0o20000: "S_IFCHR", 0o10000: "S_IFIFO" };
  const type = types[mode & 0o170000];
  const perm = `0${(mode & 0o7777).toString(8).padStart(3, "0")}`;
  return type ? `${type}|${perm}` : perm;
}

/** Calls whose result is an address (printed in hex). */
const RETURNS_ADDRESS = new Set(["mmap", "brk", "mremap", "shmat"]);

/** Whether a call's result is an address (mmap, brk...), printed in hex, rather than a count. */
export function returnsAddress(call: string): boolean {
  return RETURNS_ADDRESS.has(call);
}

/** A result: `-1 ENOENT (No such file or directory)`, an address in hex, or the number. */
export function formatResult(call: string, ret: bigint): string {
  if (ret < 0n && ret > -4096n) {
    const errno = Number(-ret), known = ERRNO[errno];
    if (errno >= 512 && errno <= 516) return `? ${known?.[0] ?? `ERESTART(${errno})`} (${known?.[1] ?? "To be restarted"})`;
    return known ? `-1 ${known[0]} (${known[1]})` : `-1 E${errno} (errno ${errno})`;
  }
  if (RETURNS_ADDRESS.has(call)) return `0x${BigInt.asUintN(64, ret).toString(16)}`;
  return String(ret);
}

// ---- Printing arguments ----

/** A C string as strace prints it: escapes, octal for the rest, `...` after the quote when there is more. */
export function quoted(text: string | Uint8Array, more = false): string {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const escapes: Record<number, string> = { 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 34: '\\"', 92: "\\\\" };
  let out = "";
  bytes.forEach((b, i) => {
    if (escapes[b]) out += escapes[b];
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else {
      const next = bytes[i + 1];
      out += `\\${next !== undefined && next >= 0x30 && next <= 0x37 ? b.toString(8).padStart(3, "0") : b.toString(8)}`;
    }
  });
  return `"${out}"${more ? "..." : ""}`;
}

/**
 * A buffer of `length` bytes, of which the kernel read `text` (to its first NUL, at most 64
 * bytes): its first 32 bytes as strace -s 32 shows them, `...` when there is more than shown.
 */
export function bufferText(text: string, length: number): string {
  const bytes = new TextEncoder().encode(text).slice(0, Math.min(length, 32));
  return quoted(bytes, length > bytes.length);
}

function hex(v: bigint): string {
  return v === 0n ? "NULL" : `0x${v.toString(16)}`;
}

/** In network byte order as read little-endian: the port's value. */
function portOf(raw: number): number {
  return ((raw & 0xff) << 8) | (raw >> 8);
}

function sockaddrText(e: SyscallReads): string {
  const family = e.family;
  if (family === 2) {
    const b = [e.addr4 & 0xff, (e.addr4 >>> 8) & 0xff, (e.addr4 >>> 16) & 0xff, e.addr4 >>> 24];
    return `{sa_family=AF_INET, sin_port=htons(${portOf(e.port)}), sin_addr=inet_addr("${b.join(".")}")}`;
  }
  if (family === 10) {
    const bytes = new Uint8Array(new Uint32Array(e.addr6).buffer);
    const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16));
    let text = groups.join(":");
    const run = /(^|:)0(:0)+(:|$)/.exec(text);
    if (run) text = `${text.slice(0, run.index)}::${text.slice(run.index + run[0].length)}`;
    const flow = ((e.addr4 & 0xff) << 24 | ((e.addr4 >>> 8) & 0xff) << 16 | ((e.addr4 >>> 16) & 0xff) << 8 | (e.addr4 >>> 24)) >>> 0;
    return `{sa_family=AF_INET6, sin6_port=htons(${portOf(e.port)}), sin6_flowinfo=htonl(${flow}), inet_pton(AF_INET6, "${text}", &sin6_addr), sin6_scope_id=${e.mode}}`;
  }
  if (family === 1) return `{sa_family=AF_UNIX, sun_path=${quoted(e.str1)}}`;
  return `{sa_family=${AF[family] ?? family}}`;
}

/** An integer argument by its C type: int is 32-bit signed, pointers and unsigned longs unsigned. */
function numeric(cType: string, raw: bigint): bigint {
  let width = widths.get(cType);
  if (width === undefined) {
    width = /\*|unsigned long|size_t|u64|__u64|aio_context_t/.test(cType) ? 0
      : /^(unsigned( int)?|u32|__u32|uid_t|gid_t|umode_t|qid_t|key_serial_t|mqd_t|unsigned short)$/.test(cType) ? 32
      : /long|off_t|loff_t|ssize_t|time_t/.test(cType) ? -64 : -32;
    widths.set(cType, width);
  }
  return width === 0 ? raw : width > 0 ? BigInt.asUintN(width, raw) : BigInt.asIntN(-width, raw);
}
/** By C type: 0 as it is, 32 unsigned 32-bit, -64 and -32 signed (the regular expressions run once per type). */
const widths = new Map<string, number>();

/** A number argument, by name where a name helps: AT_FDCWD, open flags, PROT_READ, SIGTERM... */
function valueText(call: string, a: SyscallArgument, raw: bigint, all: bigint[]): string | undefined {
  const v = numeric(a.cType, raw), n = Number(v);
  if (a.cType.includes("*")) return hex(raw);
  switch (a.name) {
    case "dfd": case "olddfd": case "newdfd": return n === -100 ? "AT_FDCWD" : undefined;
    case "fd": return String(BigInt.asIntN(32, raw));
    case "addr": case "start": case "brk": case "new_addr": return /unsigned long/.test(a.cType) ? hex(raw) : undefined;
    case "arg2": return call === "arch_prctl" ? hex(raw) : undefined;
    case "option": return call === "arch_prctl" ? ARCH_PRCTL[n] ?? `0x${n.toString(16)}` : undefined;
    case "sig": return call === "rseq" ? `0x${(n >>> 0).toString(16)}` : named(SIGNALS, n);
    case "flags":
      if (call === "open" || call === "openat") return openFlags(n);
      if (call === "mmap") return mmapFlags(n);
      if (call === "statx") return [["AT_STATX_SYNC_AS_STAT", "AT_STATX_FORCE_SYNC", "AT_STATX_DONT_SYNC", "0x6000"][(n >> 13) & 3], flagNames(n & ~0x6000, AT_FLAGS, "")].filter(Boolean).join("|");
      if (/^(unlinkat|faccessat2|fchmodat2?|fchownat|linkat|utimensat|statx|execveat|name_to_handle_at|open_tree|newfstatat)$/.test(call)) return flagNames(n, AT_FLAGS);
      if (/^(pipe2|dup3|eventfd2|inotify_init1|epoll_create1|signalfd4|timerfd_create)$/.test(call)) return flagNames(n, CLOEXEC_NONBLOCK);
      if (call === "accept4") return flagNames(n, SOCK_FLAGS);
      if (call === "getrandom") return flagNames(n, GRND);
      if (call === "clock_nanosleep") return n === 1 ? "TIMER_ABSTIME" : String(n);
      return n === 0 ? "0" : `0x${(n >>> 0).toString(16)}`;
    case "flag": return flagNames(n, AT_FLAGS);
    case "mode":
      if (/^(access|faccessat2?)$/.test(call)) return n === 0 ? "F_OK" : flagNames(n, ACCESS);
      return `0${(n & 0o7777).toString(8).padStart(3, "0")}`;
    case "prot": return flagNames(n, PROT, "PROT_NONE");
    case "family": return call === "socket" || call === "socketpair" ? named(AF, n) : undefined;
    case "type":
      if (call !== "socket" && call !== "socketpair") return undefined;
      return [named(SOCK_TYPE, n & 0xf), flagNames(n & ~0xf, SOCK_FLAGS, "")].filter(Boolean).join("|");
    case "protocol": return (call === "socket" || call === "socketpair") && (Number(all[0]) === 2 || Number(all[0]) === 10) ? named(IPPROTO, n) : undefined;
    case "whence": case "origin": return named(SEEK, n);
    case "cmd": return call === "fcntl" ? named(FCNTL, n) : call === "ioctl" ? IOCTL[n >>> 0] ?? `0x${(n >>> 0).toString(16)}` : undefined;
    case "how": return call === "rt_sigprocmask" ? named(SIG_HOW, n) : call === "shutdown" ? named(SHUT, n) : undefined;
    case "which_clock": return named(CLOCKS, n);
    case "resource": return named(RLIMITS, n);
    case "behavior": return named(MADVISE, n);
    case "advice": return named(FADVISE, n);
    case "op": return call === "futex" ? `${FUTEX[n & 0x7f] ?? n & 0x7f}${n & 128 ? "_PRIVATE" : ""}` : undefined;
    case "level": return /^[gs]etsockopt$/.test(call) ? named(SOL, n) : undefined;
    case "optname": return /^[gs]etsockopt$/.test(call) && Number(all[1]) === 1 ? named(SO, n) : /^[gs]etsockopt$/.test(call) && Number(all[1]) === 6 && n === 1 ? "TCP_NODELAY" : undefined;
    case "mask": return call === "statx" ? flagNames(n, STATX_MASK) : undefined;
    case "off": return call === "mmap" ? `0x${raw.toString(16)}`.replace(/^0x0$/, "0") : undefined;
  }
  return undefined;
}

/** execve's argv (as read at entry), the number of its environment strings (`envMore`: counting stopped there), and whether argv went on past what was read. */
export interface ExecArgs {
  /** The arguments read. */
  argv: string[];
  /** How many environment strings were counted. */
  env?: number;
  /** Counting the environment stopped before its end. */
  envMore?: boolean;
  /** argv went on past what was read. */
  more: boolean;
}

/** The arguments of a call as strace shows them, with what was read at entry (and at exit, if it returned). */
export function formatArgs(sig: SyscallSignature, enter: SyscallReads, exit?: SyscallReads, exec?: ExecArgs): string[] {
  const all = enter.args.map((a) => BigInt(a));
  let strings = 0;
  const texts = sig.args.map((a, i) => {
    const raw = all[i], kind = sig.kinds[i];
    if (kind === "string") {
      const which = strings++;
      // A path in a page the process had not touched yet reads as "" at entry; the exit reads it again.
      const first = enter.str0 === "" && exit?.str0 ? exit.str0 : enter.str0;
      return raw === 0n ? "NULL" : which === 0 ? quoted(first) : which === 1 ? quoted(enter.str1) : hex(raw);
    }
    if (raw === 0n && kind !== "value") return "NULL";
    if (exec && a.name === "argv") return `[${exec.argv.map((w) => bufferText(w, new TextEncoder().encode(w).length)).join(", ")}${exec.more ? ", ..." : ""}]`;
    if (exec?.env !== undefined && a.name === "envp") return `${hex(raw)} /* ${exec.env}${exec.envMore ? "+" : ""} vars */`;
    if (kind === "sockaddr") return sockaddrText(enter);
    if (kind === "timespec") return `{tv_sec=${enter.sec}, tv_nsec=${enter.nsec}}`;
    if (kind === "data") return bufferText(enter.data, Number(all[i + 1] ?? 0n));
    if (exit && exit.ret >= 0n) {
      if (kind === "out-data") return bufferText(exit.data, Number(exit.ret));
      if (kind === "stat") return `{st_mode=${fileMode(exit.mode)}, st_size=${exit.size}, ...}`;
      if (kind === "statx") return `{stx_mask=${flagNames(exit.len, STATX_MASK)}, stx_attributes=${exit.sec === 0n ? "0" : `0x${exit.sec.toString(16)}`}, stx_mode=${fileMode(exit.mode)}, stx_size=${exit.size}, ...}`;
      if (kind === "out-sockaddr") return sockaddrText(exit);
      if (kind === "out-len") return `[${exit.len}]`;
    }
    if (kind !== "value") return hex(raw);
    return valueText(sig.name, a, raw, all) ?? String(numeric(a.cType, raw));
  });
  // open and openat show the mode only when it is used, as strace does.
  if ((sig.name === "open" || sig.name === "openat") && !(Number(all[sig.name === "open" ? 1 : 2]) & 0o20100100)) texts.pop();
  return texts;
}
