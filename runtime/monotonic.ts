// The kernel's CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns() (ktime() in a handler), read in
// user space: a handler's ktime() minus a time read here is the time since then (bpftrace's
// elapsed). Neither runtime exposes this clock (Bun's and Deno's hrtime count from the process's
// start), so it is the clock_gettime system call itself.
import { libcSync, SYS } from "./ffi/mod.ts";

const CLOCK_MONOTONIC = 1n;

/** Nanoseconds of CLOCK_MONOTONIC, as bpf_ktime_get_ns() would give them now. */
export function monotonicNs(): bigint {
  const c = libcSync();
  const ts = new BigInt64Array(2);
  const r = c.syscall(SYS.clock_gettime, CLOCK_MONOTONIC, c.addressOf(new Uint8Array(ts.buffer)));
  if (r < 0) throw new Error(`clock_gettime(CLOCK_MONOTONIC) failed: errno ${-r}`);
  return ts[0] * 1_000_000_000n + ts[1];
}
