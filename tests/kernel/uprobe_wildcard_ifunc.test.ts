// A one-liner's uprobe wildcard attaches to the functions it matches and leaves out the IFUNCs
// among them (a uprobe on one traces only the loader's choice, which the error for a named IFUNC
// explains): libc's str* matched strlen, an IFUNC, and the whole one-liner failed with that error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import process from "node:process";

const TSBPF = join(import.meta.dirname!, "../../bin/tsbpf");

function tsbpf(...args: string[]) {
  return spawnSync(TSBPF, args, { cwd: "/", encoding: "utf8", timeout: 240_000, env: { ...process.env, TSBPF_NO_CACHE: "1" } });
}

test("a uprobe wildcard that matches IFUNCs attaches to the plain functions it matches", { timeout: 300_000 }, () => {
  // libc's strn*: strndup, and IFUNCs (strnlen, strncmp, ...).
  const r = tsbpf("-d", "200ms", "-e", 'uprobe("libc.so.6:strn*", () => count(probe()))');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^Attaching [1-9]\d* probes?\.\.\./m, r.stderr);
  assert.doesNotMatch(r.stderr, /IFUNC/, r.stderr);
});

test("a uprobe on an IFUNC by name is still refused, saying why", { timeout: 300_000 }, () => {
  const r = tsbpf("-d", "200ms", "-e", 'uprobe("libc.so.6:strnlen", () => count(probe()))');
  assert.notEqual(r.status, 0, r.stderr);
  assert.match(r.stderr, /"strnlen" in ".*libc\.so\.6" is an IFUNC/, r.stderr);
});

test("a uprobe wildcard matching a name that is both an IFUNC and a function attaches to the function", { timeout: 300_000 }, () => {
  // libc's memcpy: an IFUNC in .dynsym, a plain function of the same name beside it. The
  // wildcard's match was looked up again by name and found the IFUNC: the one-liner failed.
  const r = tsbpf("-d", "200ms", "-e", 'uprobe("libc.so.6:memcpy*", () => count(probe()))');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^Attaching [1-9]\d* probes?\.\.\./m, r.stderr);
});
