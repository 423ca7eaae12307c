// Hints a one-liner user sees are in one-liner syntax: every message or hint in the compiler,
// the probes and the runtime that names a decorator (`@kprobe("f")`, `@tracepoint`) or a map
// as `this.<map>` reads in one-liner form once cli/oneliner/hints.ts has translated it, which
// cli/oneliner/oneliner_runtime.ts (remap) does to every error a one-liner shows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { oneLinerHints, toOneLinerSyntax } from "../../cli/oneliner/hints.ts";
import { PROBE_DECORATORS } from "../../compiler/collect.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const SCRIPT_SYNTAX = new RegExp(`@(${Object.keys(PROBE_DECORATORS).join("|")})\\b|\\bthis\\.<map>`);

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? sources(path) : name.endsWith(".ts") ? [path] : [];
  });
}

/** The string and template literals of the code lines (comments are not shown to anyone). */
function literals(text: string): string[] {
  const code = text.split("\n").filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l)).join("\n");
  return [...code.matchAll(/"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g)].map((m) => m[0]);
}

test("every message in script syntax that can reach a one-liner translates to one-liner syntax", () => {
  const found: string[] = [];
  for (const file of ["compiler", "probes", "runtime", "tracer", "spec"].flatMap(sources)) {
    for (const lit of literals(readFileSync(join(ROOT, file), "utf8"))) {
      if (!SCRIPT_SYNTAX.test(lit)) continue;
      found.push(`${file}: ${lit}`);
      assert.doesNotMatch(toOneLinerSyntax(lit), SCRIPT_SYNTAX, `${file}: ${lit}`);
    }
  }
  // The scan sees the known ones (the kprobe, profile and raw tracepoint hints at least).
  assert.ok(found.some((f) => f.startsWith("probes/kprobe.ts") && f.includes("@tracepoint")), found.join("\n"));
  assert.ok(found.some((f) => f.startsWith("probes/profile.ts")), found.join("\n"));
  assert.ok(found.length >= 6, found.join("\n"));
});

test("decorator calls become probe calls; names become calls; this.<map> becomes $.name", () => {
  assert.equal(toOneLinerSyntax("trace a @tracepoint or @rawTracepoint instead"), "trace a tracepoint() or rawTracepoint() instead");
  assert.equal(toOneLinerSyntax(`attach to the copy: @kprobe("tcp_v4_rcv.isra.0") (its parameters ...)`), `attach to the copy: kprobe("tcp_v4_rcv.isra.0", ...) (its parameters ...)`);
  assert.equal(toOneLinerSyntax("@profile's rate; e.g. @profile(99)"), "profile()'s rate; e.g. profile(99, ...)");
  assert.equal(toOneLinerSyntax("use this.<map> to reach a map"), "use $.name to reach a map");
  assert.equal(toOneLinerSyntax("mail me@example.org about @x"), "mail me@example.org about @x");
});

test("a bpftrace builtin named or called in a one-liner is answered with tsbpf's form; a misspelt one-liner call with the nearest", () => {
  assert.match(oneLinerHints('unknown name "nsecs"', []).join("\n"), /bpftrace's "nsecs": tsbpf's ktime\(\)/);
  assert.match(oneLinerHints('unknown function "jiffies"', []).join("\n"), /bpftrace's "jiffies": use ktime\(\)/);
  assert.deepEqual(oneLinerHints('unknown function "conut"', []), ['did you mean "count"?']);
  // The compiler's own suggestion (one of its helpers) stands.
  assert.deepEqual(oneLinerHints('unknown function "pdi"', ['did you mean "pid"?']), ['did you mean "pid"?']);
});

test("every bpftrace builtin tsbpf has no form of says what to write instead", () => {
  // bpftrace's reference guide's builtins and functions that a one-liner cannot call by that name.
  const names = ["rand", "numaid", "usermode", "cgroupid", "cgroup_path", "uaddr", "kaddr", "kptr", "uptr", "macaddr", "path", "len", "has_key", "bswap",
    "pton", "socket_cookie", "skboutput", "percpu_kaddr", "nsecs", "jiffies", "username", "func", "system", "cat", "signal", "override", "buf", "sizeof", "offsetof", "strcontains", "zero"];
  for (const name of names) {
    const [hint] = oneLinerHints(`unknown function "${name}"`, []);
    assert.match(hint ?? "", new RegExp(`^bpftrace's "${name}": .{10,}`), name);
  }
});
