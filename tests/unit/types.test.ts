// `tsbpf types`: TypeScript declarations from BTF. Small hand-built BTF for each C corner
// (keyword names, colliding names, anonymous members, typedefs of anonymous structs, bitfields,
// enums, forward declarations, function prototypes), then the running kernel's whole vmlinux:
// fast, deterministic, and accepted by `deno check` together with code that uses it.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Btf } from "../../btf/reader.ts";
import { kernelDeclarations } from "../../cli/commands/dts.ts";
import { tsbpf } from "../kernel/cli_run.ts";

/** A BTF blob built type by type (kinds as in include/uapi/linux/btf.h). */
class RawBtf {
  words: number[] = [];
  strs: number[] = [0];
  count = 0;
  str(s: string): number {
    if (!s) return 0;
    const off = this.strs.length;
    this.strs.push(...new TextEncoder().encode(s), 0);
    return off;
  }
  add(kind: number, name: string, vlen: number, third: number, extra: number[] = [], kflag = false): number {
    this.words.push(this.str(name), ((kflag ? 1 << 31 : 0) | (kind << 24) | vlen) >>> 0, third >>> 0, ...extra.map((w) => w >>> 0));
    return ++this.count;
  }
  int(name: string, size: number, signed = false, bool = false) {
    return this.add(1, name, 0, size, [((signed ? 1 : bool ? 4 : 0) << 24) | (size * 8)]);
  }
  ptr(t: number) { return this.add(2, "", 0, t); }
  array(elem: number, index: number, n: number) { return this.add(3, "", 0, 0, [elem, index, n]); }
  /** members: [name, type, bitOffset, bitSize?] */
  struct(name: string, size: number, members: [string, number, number, number?][], union = false) {
    const bitfields = members.some((m) => m[3]);
    return this.add(union ? 5 : 4, name, members.length, size, members.flatMap(([n, t, off, bits]) => [this.str(n), t, bitfields ? ((bits ?? 0) << 24) | off : off]), bitfields);
  }
  enumType(name: string, values: [string, number][]) {
    return this.add(6, name, values.length, 4, values.flatMap(([n, v]) => [this.str(n), v]));
  }
  fwd(name: string) { return this.add(7, name, 0, 0); }
  typedef(name: string, t: number) { return this.add(8, name, 0, t); }
  constOf(t: number) { return this.add(10, "", 0, t); }
  proto(ret: number, params: [string, number][]) { return this.add(13, "", params.length, ret, params.flatMap(([n, t]) => [this.str(n), t])); }
  func(name: string, proto: number) { return this.add(12, name, 1, proto); }
  bytes(): Uint8Array {
    const types = new Uint8Array(new Uint32Array(this.words).buffer);
    const out = new Uint8Array(24 + types.length + this.strs.length);
    const v = new DataView(out.buffer);
    v.setUint16(0, 0xeb9f, true);
    v.setUint8(2, 1);
    v.setUint32(4, 24, true);
    v.setUint32(12, types.length, true);
    v.setUint32(16, types.length, true);
    v.setUint32(20, this.strs.length, true);
    out.set(types, 24);
    out.set(this.strs, 24 + types.length);
    return out;
  }
}

function sample(): string {
  const b = new RawBtf();
  const u32 = b.int("unsigned int", 4);
  const int = b.int("int", 4, true);
  const char = b.int("char", 1, true);
  const u8 = b.int("unsigned char", 1);
  const ulong = b.int("long unsigned int", 8);
  const comm = b.array(char, int, 16);
  const grid = b.array(b.array(u8, int, 3), int, 2);
  const common = b.struct("sock_common", 8, [["skc_daddr", u32, 0], ["skc_family", u8, 32]]);
  const sockFwd = b.fwd("sock");
  const fnProto = b.proto(int, [["", b.ptr(sockFwd)], ["flags", int]]);
  const anon = b.struct("", 8, [["a", u32, 0], ["b", int, 0]], true);
  const sock = b.struct("sock", 64, [
    ["__sk_common", common, 0], ["", anon, 64], ["comm", comm, 128], ["next", b.ptr(sockFwd), 256],
    ["name", b.ptr(b.constOf(char)), 320], ["state", u8, 384, 4], ["cb", b.ptr(fnProto), 448], ["grid", grid, 0],
  ]);
  b.struct("string", 4, [["len", u32, 0]]);
  b.struct("delete", 4, [["x", u32, 0]]);
  b.struct("dup", 4, [["x", u32, 0]]);
  b.struct("dup", 8, [["y", ulong, 0]]);
  b.typedef("spin_t", b.struct("", 4, [["lock", u32, 0]]));
  b.typedef("sock", sock);
  b.typedef("u32", u32);
  b.typedef("__u32", u32);
  b.typedef("u8", int); // a kernel "u8" that is not 8 bits unsigned keeps its own (mangled) alias
  b.fwd("opaque");
  b.enumType("color", [["RED", 0], ["GREEN", 1]]);
  b.enumType("", [["FOO", 1], ["color", 9], ["new", 2]]);
  b.func("tcp_connect", b.proto(int, [["sk", b.ptr(sock)]]));
  b.func("weird", b.proto(0, [["new", int], ["new", int], ["", u8]]));
  b.func("foo.isra.0", b.proto(0, []));
  return kernelDeclarations(Btf.parse(b.bytes()), "test").text;
}

test("structs: fields typed u8..i64, nested structs, struct pointers as the struct, other pointers as Ptr<T>", () => {
  const text = sample();
  const sock = /export interface sock \{\n([^}]*(?:\}[^\n]*\n[^}]*)*?)\n\}/.exec(text)?.[1] ?? "";
  assert.match(text, /\/\*\* struct sock, 64 bytes \*\/\nexport interface sock \{/);
  assert.match(sock, /^  __sk_common: sock_common;$/m);
  assert.match(sock, /^  a: u32;$/m, "an anonymous union's members are the struct's own");
  assert.match(sock, /^  b: i32;$/m);
  assert.match(sock, /^  comm: i8\[\]; \/\/ \[16\]$/m);
  assert.match(sock, /^  next: sock;$/m, "a pointer to a struct is the struct (through its forward declaration)");
  assert.match(sock, /^  name: Ptr<i8>;$/m);
  assert.match(sock, /^  state: u8; \/\/ unsigned char :4$/m);
  assert.match(sock, /^  cb: Ptr<\(arg0: sock, flags: i32\) => i32>;$/m);
  assert.match(sock, /^  grid: u8\[\]\[\]; \/\/ \[2\]\[3\]$/m);
  assert.match(text, /export interface sock_common \{\n  skc_daddr: u32;\n  skc_family: u8;\n\}/);
});

test("names: TS keywords and predefined types are mangled, C's separate namespaces do not collide", () => {
  const text = sample();
  assert.match(text, /export interface string_ \{/);
  assert.match(text, /export interface delete_ \{/);
  assert.match(text, /export interface dup \{\n  x: u32;/, "the lower BTF id keeps the name");
  assert.match(text, /export interface dup\$2 \{\n  y: u64;/);
  assert.match(text, /export interface spin_t \{\n  lock: u32;\n\}/, "a typedef of an anonymous struct names the interface");
  assert.doesNotMatch(text, /export type sock =/, "typedef struct sock sock needs no alias");
  assert.equal(text.match(/export type u32 =/g)?.length, 1, "the kernel's u32 is tsbpf's u32");
  assert.match(text, /export type __u32 = u32;/);
  assert.match(text, /export type u8_ = i32;/, "a kernel u8 that is not tsbpf's gets its own name");
  assert.match(text, /export interface opaque \{\}/);
  assert.match(text, /export declare const enum color \{\n  RED = 0,\n  GREEN = 1,\n\}/);
  assert.match(text, /export declare const RED: 0;/);
  assert.match(text, /export declare const FOO: 1;/);
  assert.doesNotMatch(text, /declare const color:/, "a constant may not take an enum's name");
  assert.doesNotMatch(text, /declare const new/, "a constant named by a reserved word is left out");
});

test("functions: one KernelFunctions method each, parameters named safely", () => {
  const text = sample();
  assert.match(text, /export interface KernelFunctions \{\n  "foo\.isra\.0"\(\): void;\n  tcp_connect\(sk: sock\): i32;\n  weird\(_new: i32, _new1: i32, arg2: u8\): void;\n\}/);
});

test("declarations are sorted, so the same BTF always gives the same file", () => {
  const text = sample();
  assert.equal(text, sample());
  const names = [...text.matchAll(/^export interface (\S+) \{/gm)].map((m) => m[1]).filter((n) => n !== "KernelFunctions");
  assert.deepEqual(names, [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
});

const DENO = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../node_modules/.bin/deno");

/** Runs `deno check` on the files in dir; returns its output when it fails. */
function denoCheck(dir: string, files: string[]): string | undefined {
  const r = spawnSync(DENO, ["check", "--quiet", ...files], { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return r.status === 0 ? undefined : `${r.stdout}${r.stderr}`.slice(0, 4000);
}

const USAGE = `import type { KernelFunctions, Ptr, sock, task_struct, u32 } from "./kernel.d.ts";
declare const sk: sock;
const daddr: u32 = sk.__sk_common.skc_daddr;
const family: number = sk.__sk_common.skc_family;
const first: sock = null as unknown as Parameters<KernelFunctions["tcp_connect"]>[0];
declare const task: task_struct;
const ppid: number = task.real_parent.tgid;
const comm: number[] = task.comm;
const start: bigint = task.start_time;
const files: Ptr<unknown> = 0n as Ptr;
// @ts-expect-error: no such field
sk.__sk_common.no_such_field;
export { comm, daddr, family, files, first, ppid, start };
`;

const VMLINUX = "/sys/kernel/btf/vmlinux";

test("tsbpf types --btf: a blob whose types refer to themselves is a BTF error, not a hang or a stack overflow", { timeout: 60_000 }, async () => {
  // Each blob is valid record by record; only following its references never ends.
  const blobs: [string, (b: RawBtf) => void][] = [
    ["an array of itself as a member", (b) => {
      b.struct("s", 8, [["a", 2, 0]]);
      b.array(2, 2, 4);
    }],
    // The prototype is type 1, its function type 2.
    ["a prototype returning itself", (b) => b.func("f", b.proto(1, []))],
    ["a prototype taking itself", (b) => b.func("g", b.proto(0, [["x", 1]]))],
    ["a const of itself as a member", (b) => {
      b.struct("t", 8, [["c", 2, 0]]);
      b.constOf(2);
    }],
  ];
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-types-cycle-"));
  try {
    for (const [what, make] of blobs) {
      const b = new RawBtf();
      make(b);
      const file = join(dir, "cycle.btf");
      writeFileSync(file, b.bytes());
      const r = await tsbpf(["types", "--btf", file, "-o", "-"], 20_000);
      assert.equal(r.status, 1, `${what}: status ${r.status} (SIGKILL: it hung)\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /internal error/, what);
      assert.match(r.stderr, /cycle/, what);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the hand-built sample type-checks", { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-types-"));
  try {
    writeFileSync(join(dir, "sample.d.ts"), sample());
    assert.equal(denoCheck(dir, ["sample.d.ts"]), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the running kernel's vmlinux: whole, deterministic, type-checks with code using it", { skip: !existsSync(VMLINUX) && `${VMLINUX} is missing: this kernel has no BTF`, timeout: 180_000 }, () => {
  const bytes = new Uint8Array(readFileSync(VMLINUX));
  const first = kernelDeclarations(Btf.parse(bytes), "vmlinux");
  assert.ok(first.stats.structs > 1000 && first.stats.functions > 10_000, JSON.stringify(first.stats));
  assert.equal(kernelDeclarations(Btf.parse(bytes), "vmlinux").text, first.text, "two runs differ");
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-types-"));
  try {
    writeFileSync(join(dir, "kernel.d.ts"), first.text);
    writeFileSync(join(dir, "usage.ts"), USAGE);
    assert.equal(denoCheck(dir, ["kernel.d.ts", "usage.ts"]), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
