// uprobes and uretprobes on this host's kernel: arguments and return values read from the traced
// program's registers, every way of naming the code (symbol, symbol+offset, address, library
// name), the pid option, and the errors a wrong target gets.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { libc } from "../../runtime/ffi/mod.ts";
import { pmuType } from "../../runtime/features.ts";
import { compile, CompileError } from "../../compiler/mod.ts";
import { hostTarget } from "../../tracer/compile_target.ts";
import { Elf } from "../../elf/mod.ts";
import { buildC, cannotBuild, importScript, removeMade } from "./user_programs.ts";
import { waitFor } from "./util.ts";
const kernel = await hostTarget();

await libc();
after(removeMade);
const noUprobes = pmuType("uprobe") === undefined && "this kernel has no uprobe PMU (CONFIG_UPROBES)";
const skip = noUprobes || cannotBuild(["stdio.h", "unistd.h"]) || false;

// tsbpf_add's body starts after one nop, at tsbpf_add_body: a second instruction boundary to
// attach at as "tsbpf_add+N".
const PROGRAM = `
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((noinline)) long tsbpf_add(long a, long b, const char *s) {
  __asm__ volatile("nop\\n.globl tsbpf_add_body\\ntsbpf_add_body:\\n" ::: "memory");
  return a + b + s[0];
}
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1, ms = argc > 2 ? atoi(argv[2]) : 0;
  long total = 0;
  // A probe cannot fault a page in: have the string read first (by write(2) on a pipe, not /dev/null).
  fputs("hello", stderr);
  for (int i = 0; i < n; i++) {
    total += tsbpf_add(40, i, "hello");
    if (ms) usleep(ms * 1000);
  }
  printf("%ld\\n", total);
  return 0;
}
`;
const program = skip ? "" : buildC("uprobe_target", PROGRAM, ["-O1"]);

function symbolValue(name: string): number {
  return Elf.parse(new Uint8Array(readFileSync(program))).symbols().lookup(name)!.value;
}

test("uprobe parameters are the argument registers; a uretprobe's is the return value; symbol+offset and addresses attach", { skip }, async () => {
  const body = symbolValue("tsbpf_add_body") - symbolValue("tsbpf_add");
  const { T } = await importScript("args", ["uprobe", "uretprobe", "RingBuf", "Count", "str", "Tracer", "type bool", "type u64", "type Str"], `
interface Call { entry: bool; a: u64; b: u64; s: Str<16>; ret: u64 }
export class T extends Tracer {
  calls = new RingBuf<Call>();
  hits = new Count<u64>();
  @uprobe("${program}:tsbpf_add")
  onAdd(a: u64, b: u64, s: u64) {
    this.calls.submit({ entry: true, a: a as u64, b: b as u64, s: str(s), ret: 0n });
  }
  @uretprobe("${program}:tsbpf_add")
  onReturn(ret: u64) {
    this.calls.submit({ entry: false, a: 0n, b: 0n, s: "", ret: ret as u64 });
  }
  @uprobe("${program}:tsbpf_add+${body}")
  atBody() { this.hits.add(1n); }
  @uprobe("${program}:0x${symbolValue("tsbpf_add").toString(16)}")
  atAddress() { this.hits.add(2n); }
}`);
  const tracer = new T();
  tracer.end = () => {};
  await tracer.start({ exitOnError: false });
  try {
    const calls: { entry: boolean; a: bigint; b: bigint; s: string; ret: bigint }[] = [];
    tracer.calls.on((c: (typeof calls)[number]) => calls.push(c));
    const out = spawnSync(program, ["3"], { encoding: "utf8" });
    assert.equal(out.stdout.trim(), String(3 * (40 + 104) + 3), "the traced program ran");
    assert.ok(await waitFor(() => calls.length >= 6, 60_000), `saw ${calls.length} of 6 events`);
    assert.deepEqual(calls.filter((c) => c.entry).map((c) => [c.a, c.b, c.s]), [[40n, 0n, "hello"], [40n, 1n, "hello"], [40n, 2n, "hello"]]);
    assert.deepEqual(calls.filter((c) => !c.entry).map((c) => c.ret), [144n, 145n, 146n]);
    assert.equal(tracer.hits.get(1n), 3n, "tsbpf_add+offset fired once per call");
    assert.equal(tracer.hits.get(2n), 3n, "the address fired once per call");
  } finally {
    await tracer.stop();
  }
});

test("a library by name, and { pid }: only that process is traced", { skip }, async () => {
  // Both run until killed: however long the tracer takes to start, the chosen one is still there.
  const traced = spawn(program, ["1000000", "20"], { stdio: "ignore" });
  const other = spawn(program, ["1000000", "20"], { stdio: "ignore" });
  try {
    const { T } = await importScript("pid", ["uprobe", "Count", "pid", "Tracer", "type u32"], `
export class T extends Tracer {
  calls = new Count<u32>();
  @uprobe("libc:usleep", { pid: ${traced.pid} })
  onSleep() { this.calls.add(pid()); }
}`);
    const tracer = new T();
    tracer.end = () => {};
    await tracer.start({ exitOnError: false });
    try {
      assert.ok(await waitFor(() => (tracer.calls.get(traced.pid) ?? 0n) >= 5n, 60_000), "the chosen process's usleep calls were counted");
      const counted = tracer.calls.entries() as [number, bigint][];
      assert.deepEqual(counted.map(([p]) => p), [traced.pid], "only the chosen process was counted");
    } finally {
      await tracer.stop();
    }
  } finally {
    traced.kill();
    other.kill();
  }
});

// C's int and unsigned short arguments, in registers whose upper bytes hold garbage (the calling
// convention leaves them undefined): only the low bytes are the value.
const NARROW = `
#include <stdio.h>
__attribute__((noinline)) int tsbpf_narrow(int x, unsigned short y) { return x + y; }
int main(void) {
  long r;
  __asm__ volatile("movabs $0x12345678fffffffb, %%rdi\\n movabs $0x7777777700010007, %%rsi\\n call tsbpf_narrow"
                   : "=a"(r) : : "rdi", "rsi", "rcx", "rdx", "r8", "r9", "r10", "r11", "memory");
  printf("%d\\n", (int)r);
  return 0;
}
`;

test("a uprobe parameter annotated i32 or u16 (C's int, unsigned short) is the register's low bytes as that type", { skip }, async () => {
  const narrow = buildC("uprobe_narrow", NARROW, ["-O1", "-mno-red-zone"]);
  const { T } = await importScript("narrow", ["uprobe", "uretprobe", "RingBuf", "Tracer", "type i32", "type u16", "type i64"], `
interface Call { x: i64; y: i64; ret: i64 }
export class T extends Tracer {
  calls = new RingBuf<Call>();
  @uprobe("${narrow}:tsbpf_narrow")
  onCall(x: i32, y: u16) { this.calls.submit({ x, y, ret: 0 }); }
  @uretprobe("${narrow}:tsbpf_narrow")
  onReturn(ret: i32) { this.calls.submit({ x: 0, y: 0, ret }); }
}`);
  const tracer = new T();
  tracer.end = () => {};
  await tracer.start({ exitOnError: false });
  try {
    const calls: { x: bigint; y: bigint; ret: bigint }[] = [];
    tracer.calls.on((c: (typeof calls)[number]) => calls.push(c));
    assert.equal(spawnSync(narrow, { encoding: "utf8" }).stdout.trim(), "2", "the traced program ran");
    assert.ok(await waitFor(() => calls.length >= 2, 60_000), `saw ${calls.length} of 2 events`);
    assert.deepEqual(calls, [{ x: -5n, y: 7n, ret: 0n }, { x: 0n, y: 0n, ret: 2n }]);
  } finally {
    await tracer.stop();
  }
});

function compileError(target: string): string {
  const source = `import { uprobe, Tracer } from "tsbpf";\nclass T extends Tracer {\n  @uprobe(${JSON.stringify(target)})\n  on() {}\n}\n`;
  try {
    compile(source, "/test/uprobe.ts", kernel);
  } catch (e) {
    if (e instanceof CompileError) return e.message;
    throw e;
  }
  assert.fail(`"${target}" compiled`);
}

test("a wrong uprobe target is a compile error at the decorator, with what to do", { skip: noUprobes }, () => {
  assert.match(compileError("/bin/bsh:readline"), /uprobe\.ts:3:3: error.*cannot find "\/bin\/bsh"/);
  const misspelt = compileError("/bin/bash:readlin");
  assert.match(misspelt, /"\/bin\/bash" has no function "readlin"/);
  assert.match(misspelt, /did you mean "readline"/);
  assert.match(misspelt, /"\/bin\/bash" is stripped/);
  assert.match(compileError("libc:stdout"), /"stdout" in ".*libc\.so\.6" is a variable, not a function/);
  assert.match(compileError("/bin/bash:0x1"), /address 0x1 is not in the code of "\/bin\/bash"/);
  assert.match(compileError("readline"), /does not name a function/);
  assert.match(compileError("no-such-library-xyz:f"), /cannot find "no-such-library-xyz"/);
});
