// A wildcard over syscalls:sys_enter_* or sys_exit_* (or both: syscalls:*) attached once, to raw_syscalls:sys_enter
// (sys_exit), instead of one perf event and link per syscall: stopping those waits two RCU
// grace periods per tracepoint, ≈ 19 s for 360 (bench/NOTES.md, "Stopping many probes").
//
// The kernel's syscalls:* events are probes on the raw_syscalls tracepoint: a syscall's event
// fires for the number whose sys_call_table entry is its sys_<name> function (the kernel matches
// each entry's symbol to the syscall metadata at boot), never for a 32-bit syscall (ia32 or x32,
// arch_trace_is_compat_syscall), and a BPF program sees the same record layout in both: the
// number at offset 8, then the arguments (or ret) in 8-byte slots from offset 16. So a raw
// program that runs only for the matched 64-bit numbers, and says which by the number, sees
// what the per-syscall programs would.
import { type ContextField, SYSCALL_EXIT_INDEX } from "../spec/target.ts";

/**
 * The x86-64 syscall table's entry points, by number: the tracepoint sys_enter_<name> fires for
 * that number ("" where the entry is sys_ni_syscall or the number is unused). Generated from the
 * kernel's arch/x86/entry/syscalls/syscall_64.tbl (the "common" and "64" rows; numbers are
 * ABI, and names are its entry points without "sys_", e.g. 4 stat is sys_newstat), Linux 6.19;
 * tests/kernel/raw_syscalls.test.ts checks it against the running kernel's __syscall_nr.
 */
const ENTRY_POINTS = [
  "read", "write", "open", "close", "newstat", "newfstat", "newlstat", "poll", "lseek", "mmap", "mprotect",
  "munmap", "brk", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "ioctl", "pread64", "pwrite64", "readv",
  "writev", "access", "pipe", "select", "sched_yield", "mremap", "msync", "mincore", "madvise", "shmget",
  "shmat", "shmctl", "dup", "dup2", "pause", "nanosleep", "getitimer", "alarm", "setitimer", "getpid",
  "sendfile64", "socket", "connect", "accept", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown", "bind",
  "listen", "getsockname", "getpeername", "socketpair", "setsockopt", "getsockopt", "clone", "fork", "vfork",
  "execve", "exit", "wait4", "kill", "newuname", "semget", "semop", "semctl", "shmdt", "msgget", "msgsnd",
  "msgrcv", "msgctl", "fcntl", "flock", "fsync", "fdatasync", "truncate", "ftruncate", "getdents", "getcwd",
  "chdir", "fchdir", "rename", "mkdir", "rmdir", "creat", "link", "unlink", "symlink", "readlink", "chmod",
  "fchmod", "chown", "fchown", "lchown", "umask", "gettimeofday", "getrlimit", "getrusage", "sysinfo",
  "times", "ptrace", "getuid", "syslog", "getgid", "setuid", "setgid", "geteuid", "getegid", "setpgid",
  "getppid", "getpgrp", "setsid", "setreuid", "setregid", "getgroups", "setgroups", "setresuid", "getresuid",
  "setresgid", "getresgid", "getpgid", "setfsuid", "setfsgid", "getsid", "capget", "capset", "rt_sigpending",
  "rt_sigtimedwait", "rt_sigqueueinfo", "rt_sigsuspend", "sigaltstack", "utime", "mknod", "", "personality",
  "ustat", "statfs", "fstatfs", "sysfs", "getpriority", "setpriority", "sched_setparam", "sched_getparam",
  "sched_setscheduler", "sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min",
  "sched_rr_get_interval", "mlock", "munlock", "mlockall", "munlockall", "vhangup", "modify_ldt",
  "pivot_root", "", "prctl", "arch_prctl", "adjtimex", "setrlimit", "chroot", "sync", "acct", "settimeofday",
  "mount", "umount", "swapon", "swapoff", "reboot", "sethostname", "setdomainname", "iopl", "ioperm", "",
  "init_module", "delete_module", "", "", "quotactl", "", "", "", "", "", "", "gettid", "readahead",
  "setxattr", "lsetxattr", "fsetxattr", "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr",
  "flistxattr", "removexattr", "lremovexattr", "fremovexattr", "tkill", "time", "futex", "sched_setaffinity",
  "sched_getaffinity", "", "io_setup", "io_destroy", "io_getevents", "io_submit", "io_cancel", "", "",
  "epoll_create", "", "", "remap_file_pages", "getdents64", "set_tid_address", "restart_syscall",
  "semtimedop", "fadvise64", "timer_create", "timer_settime", "timer_gettime", "timer_getoverrun",
  "timer_delete", "clock_settime", "clock_gettime", "clock_getres", "clock_nanosleep", "exit_group",
  "epoll_wait", "epoll_ctl", "tgkill", "utimes", "", "mbind", "set_mempolicy", "get_mempolicy", "mq_open",
  "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr", "kexec_load", "waitid",
  "add_key", "request_key", "keyctl", "ioprio_set", "ioprio_get", "inotify_init", "inotify_add_watch",
  "inotify_rm_watch", "migrate_pages", "openat", "mkdirat", "mknodat", "fchownat", "futimesat", "newfstatat",
  "unlinkat", "renameat", "linkat", "symlinkat", "readlinkat", "fchmodat", "faccessat", "pselect6", "ppoll",
  "unshare", "set_robust_list", "get_robust_list", "splice", "tee", "sync_file_range", "vmsplice",
  "move_pages", "utimensat", "epoll_pwait", "signalfd", "timerfd_create", "eventfd", "fallocate",
  "timerfd_settime", "timerfd_gettime", "accept4", "signalfd4", "eventfd2", "epoll_create1", "dup3", "pipe2",
  "inotify_init1", "preadv", "pwritev", "rt_tgsigqueueinfo", "perf_event_open", "recvmmsg", "fanotify_init",
  "fanotify_mark", "prlimit64", "name_to_handle_at", "open_by_handle_at", "clock_adjtime", "syncfs",
  "sendmmsg", "setns", "getcpu", "process_vm_readv", "process_vm_writev", "kcmp", "finit_module",
  "sched_setattr", "sched_getattr", "renameat2", "seccomp", "getrandom", "memfd_create", "kexec_file_load",
  "bpf", "execveat", "userfaultfd", "membarrier", "mlock2", "copy_file_range", "preadv2", "pwritev2",
  "pkey_mprotect", "pkey_alloc", "pkey_free", "statx", "io_pgetevents", "rseq", "uretprobe", "uprobe", "", "",
  "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
  "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
  "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
  "", "", "", "", "pidfd_send_signal", "io_uring_setup", "io_uring_enter", "io_uring_register", "open_tree",
  "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "pidfd_open", "clone3", "close_range", "openat2",
  "pidfd_getfd", "faccessat2", "process_madvise", "epoll_pwait2", "mount_setattr", "quotactl_fd",
  "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "memfd_secret",
  "process_mrelease", "futex_waitv", "set_mempolicy_home_node", "cachestat", "fchmodat2", "map_shadow_stack",
  "futex_wake", "futex_wait", "futex_requeue", "statmount", "listmount", "lsm_get_self_attr",
  "lsm_set_self_attr", "lsm_list_modules", "mseal", "setxattrat", "getxattrat", "listxattrat",
  "removexattrat", "open_tree_attr", "file_getattr", "file_setattr", "listns",
];

/** Above this many matches, a syscall wildcard is attached once (fewer: one attachment each, as they cost little). */
export const RAW_SYSCALLS_ABOVE = 8;

const numbers = new Map<string, number>();

/** The syscall number whose table entry the tracepoint `sys_enter_<name>`/`sys_exit_<name>` names. */
export function syscallNumber(name: string): number | undefined {
  if (!numbers.size) ENTRY_POINTS.forEach((n, nr) => n && numbers.set(n, nr));
  return numbers.get(name);
}

/**
 * The raw tracepoints a syscall wildcard's matches are attached through (raw_syscalls:sys_enter,
 * sys_exit, or both for syscalls:*), and the probe() index of each match in order: its syscall
 * number, with SYSCALL_EXIT_INDEX added to an exit's when the wildcard has both sides (the exit's
 * attachment has that bit in its cookie). Undefined when the matches are not all
 * syscalls:sys_enter_* or sys_exit_* of numbers this table knows, and more than a few. The table
 * is x86-64's: the caller checks the kernel is (probes/tracepoint.ts).
 */
export function rawSyscalls(targets: string[]): { events: string[]; numbers: number[] } | undefined {
  if (targets.length <= RAW_SYSCALLS_ABOVE) return undefined;
  const sides = new Set<string>();
  const nrs: { side: string; nr: number }[] = [];
  for (const t of targets) {
    const m = /^syscalls:sys_(enter|exit)_(.+)$/.exec(t);
    const nr = m ? syscallNumber(m[2]) : undefined;
    if (nr === undefined) return undefined;
    sides.add(m![1]);
    nrs.push({ side: m![1], nr });
  }
  const both = sides.size === 2;
  return {
    events: ["enter", "exit"].filter((s) => sides.has(s)).map((s) => `raw_syscalls:sys_${s}`),
    numbers: nrs.map(({ side, nr }) => (both && side === "exit" ? nr + SYSCALL_EXIT_INDEX : nr)),
  };
}

/**
 * The arguments of a syscall wildcard attached once (`numbers[i]` is the number of the match whose
 * fields are `fields[i]`) that are not among the `shared` fields: each name that some matches have
 * with one type (a `const` qualifier aside), with its place in each of them (`places`). Every
 * argument is in an 8-byte slot from offset 16, so its place is its position among the syscall's
 * arguments: `filename` is at 16 in open's record and at 24 in openat's. A handler reading one
 * runs only in the syscalls that have it (compiler/syscall_fields.ts).
 */
export function syscallArguments(fields: ContextField[][], numbers: number[], shared: ContextField[]): ContextField[] {
  const skip = new Set(shared.map((f) => f.name));
  const byName = new Map<string, { field: ContextField; places: Map<number, number[]> } | null>();
  const type = (f: ContextField) => [f.size, f.signed, f.kind, f.space, f.cType.replace(/\bconst\s+/g, "")].join("/");
  fields.forEach((list, i) => {
    for (const f of list) {
      // The common header and the number are shared; arguments are ints and pointers in their slots.
      if (skip.has(f.name) || f.offset < 16 || (f.kind !== "int" && f.kind !== "ptr")) continue;
      const known = byName.get(f.name);
      if (known === null) continue;
      if (known && type(known.field) !== type(f)) {
        byName.set(f.name, null); // another type in another syscall: one program cannot give it one type
        continue;
      }
      const entry = known ?? { field: f, places: new Map<number, number[]>() };
      byName.set(f.name, entry);
      const at = entry.places.get(f.offset) ?? [];
      at.push(numbers[i]);
      entry.places.set(f.offset, at);
    }
  });
  return [...byName.values()].filter((e) => e !== null).map(({ field, places }) => ({
    ...field,
    cType: field.cType.replace(/\bconst\s+/g, ""),
    places: [...places].map(([offset, syscalls]) => ({ offset, syscalls })),
  }));
}
