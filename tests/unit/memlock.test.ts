// Kernels before 5.11 charge BPF maps and programs to RLIMIT_MEMLOCK: tsbpf raises the limit
// there before its first map (runtime/memlock.ts), and leaves it alone on later kernels. The
// decision by release, and the real prlimit64 call in a process whose soft limit is 64 KiB.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { chargesMemlock } from "../../runtime/memlock.ts";

declare const Bun: unknown;
const FIXTURE = new URL("../fixtures/memlock.ts", import.meta.url).pathname;
const UNLIMITED = String(2n ** 64n - 1n);

test("which kernels charge BPF memory to RLIMIT_MEMLOCK: before 5.11", () => {
  for (const release of ["4.19.0-26-amd64", "5.4.0-150-generic", "5.8.0", "5.10.0-28-amd64", "5.10.209"]) assert.equal(chargesMemlock(release), true, release);
  for (const release of ["5.11.0", "5.15.0-97-generic", "6.1.0-18-amd64", "6.18.0", "10.0.0"]) assert.equal(chargesMemlock(release), false, release);
  assert.equal(chargesMemlock(""), false, "an unknown release leaves the limit alone");
});

function limitsAfter(release: string): { before: string; after: string } {
  const runtime = typeof Bun !== "undefined" ? `"${process.execPath}" "${FIXTURE}"` : `"${process.execPath}" run --allow-ffi --allow-read "${FIXTURE}"`;
  // Soft limit 64 KiB, hard as it was: raising the soft limit up to the hard one needs no privilege.
  const r = spawnSync("sh", ["-c", `ulimit -S -l 64 && exec ${runtime} ${release}`], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("on a 5.10 kernel the limit is raised (to unlimited with CAP_SYS_RESOURCE, else to the hard limit); on 6.1 it is left as it was", () => {
  const hard = spawnSync("sh", ["-c", "ulimit -H -l"], { encoding: "utf8" }).stdout.trim();
  const raised = [UNLIMITED, hard === "unlimited" ? UNLIMITED : String(BigInt(hard) * 1024n)];
  const old = limitsAfter("5.10.0-28-amd64");
  assert.equal(old.before, "65536");
  assert.ok(raised.includes(old.after), `after: ${old.after}, expected one of ${raised}`);
  assert.notEqual(old.after, "65536", "not raised");
  assert.deepEqual(limitsAfter("6.1.0-18-amd64"), { before: "65536", after: "65536" });
});
