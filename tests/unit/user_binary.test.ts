// How user-space probe targets are found (no privileges needed): ld.so.cache entries, library
// names, programs on PATH, paths through /proc/PID/root, and symbols to file offsets, checked
// against this machine's files and `ldconfig -p`.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { libc } from "../../runtime/ffi/mod.ts";
import { parseLdCache } from "../../probes/ld_cache.ts";
import { userBinary } from "../../probes/user_binary.ts";
import { symbolFileOffset } from "../../probes/user_symbol.ts";
import { splitUprobeTarget } from "../../probes/uprobe.ts";
import { ProbeLookupError } from "../../spec/target.ts";

await libc();
const noCache = existsSync("/etc/ld.so.cache") ? false : "this system has no /etc/ld.so.cache";

test("ld.so.cache: the x86-64 entries, as ldconfig -p lists them", { skip: noCache }, () => {
  const entries = parseLdCache(new Uint8Array(readFileSync("/etc/ld.so.cache")));
  let listed: string[];
  try {
    listed = execFileSync("ldconfig", ["-p"], { encoding: "utf8" }).split("\n").filter((l) => l.includes("x86-64"));
  } catch {
    listed = [];
  }
  if (listed.length) assert.equal(entries.length, listed.length);
  const libcEntry = entries.find((e) => e.name === "libc.so.6");
  assert.ok(libcEntry && existsSync(libcEntry.path), "libc.so.6 is in the cache");
});

test("ld.so.cache: not a cache, no entries", () => {
  assert.deepEqual(parseLdCache(new TextEncoder().encode("not a cache")), []);
  assert.deepEqual(parseLdCache(new Uint8Array()), []);
});

test("library names: libc, c and libc.so.6 are the same file; bash is found on PATH", { skip: noCache }, () => {
  const paths = ["libc", "c", "libc.so.6"].map((n) => userBinary(n).path);
  assert.equal(new Set(paths).size, 1, paths.join(", "));
  assert.match(paths[0], /\/libc\.so\.6$/);
  assert.equal(realpathSync(userBinary("bash").path), realpathSync("/bin/bash"));
});

test("with a pid, paths go through /proc/PID/root and libraries come from what it has mapped", () => {
  assert.equal(userBinary("/bin/bash", process.pid).path, `/proc/${process.pid}/root/bin/bash`);
  const mapped = userBinary("libc", process.pid);
  assert.match(mapped.path, new RegExp(`^/proc/${process.pid}/root/.*libc\\.so\\.6$`));
  assert.ok(readFileSync(`/proc/${process.pid}/maps`, "utf8").includes(mapped.display), "the library is the one this process maps");
});

test("a symbol's file offset is what the ELF's segments say; symbol+offset adds; missing files say so", () => {
  const bash = userBinary("/bin/bash");
  const readline = bash.elf.symbols().lookup("readline")!;
  assert.equal(symbolFileOffset(bash, "readline"), bash.elf.fileOffset(readline.value));
  assert.equal(symbolFileOffset(bash, "readline+4"), bash.elf.fileOffset(readline.value)! + 4);
  assert.equal(symbolFileOffset(bash, `0x${readline.value.toString(16)}`), bash.elf.fileOffset(readline.value));
  assert.throws(() => userBinary("/nonexistent/tsbpf"), (e: Error) => e instanceof ProbeLookupError && /cannot find "\/nonexistent\/tsbpf"/.test(e.message));
});

// glibc 2.34 moved libpthread's, libdl's and librt's functions into libc, leaving stubs (bpftrace's threadsnoop.bt names libpthread:pthread_create).
const stubPthread = (() => {
  try {
    const lib = userBinary("libpthread");
    return lib.elf.symbols().lookup("pthread_create") ? "this libpthread still has pthread_create" : false;
  } catch {
    return "this system has no libpthread";
  }
})();

test("a function glibc moved into libc, named in libpthread: the hint says to write libc:NAME", { skip: stubPthread }, () => {
  assert.throws(() => symbolFileOffset(userBinary("libpthread"), "pthread_create"),
    (e: Error) => e instanceof ProbeLookupError && /has no function "pthread_create"/.test(e.message) && (e as ProbeLookupError).hints.some((h) => /glibc 2\.34 moved .*into libc.*write "libc:pthread_create"/.test(h)));
});

test("uprobe targets split at the last colon", () => {
  assert.deepEqual(splitUprobeTarget("/bin/bash:readline"), ["/bin/bash", "readline"]);
  assert.deepEqual(splitUprobeTarget("/odd:dir/prog:main+0x10"), ["/odd:dir/prog", "main+0x10"]);
  assert.throws(() => splitUprobeTarget("readline"), /does not name a function/);
  assert.throws(() => splitUprobeTarget("/bin/bash:"), /does not name a function/);
});
