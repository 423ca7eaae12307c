// USDT probes of a small C program built here with <sys/sdt.h>: arguments in registers (-O2),
// in stack memory (-O0), constants, globals addressed relative to rip (PIE and not), and a
// probe behind a semaphore, which fires only because the kernel counts the semaphore up.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { libc } from "../../runtime/ffi/mod.ts";
import { pmuType } from "../../runtime/features.ts";
import { compile, CompileError } from "../../compiler/mod.ts";
import { hostTarget } from "../../tracer/compile_target.ts";
import { buildC, cannotBuild, importScript, removeMade } from "./user_programs.ts";
import { waitFor } from "./util.ts";
const kernel = await hostTarget();

await libc();
after(removeMade);
const noUprobes = pmuType("uprobe") === undefined && "this kernel has no uprobe PMU (CONFIG_UPROBES)";
const skip = noUprobes || cannotBuild(["sys/sdt.h"]) || false;

// Every probe has a semaphore (so the program can ask whether anyone listens); only "guarded"
// is skipped while nobody does.
const PROGRAM = `
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
#include <stdio.h>
#include <stdlib.h>
unsigned short tsbpf_tick_semaphore __attribute__((section(".probes")));
unsigned short tsbpf_konst_semaphore __attribute__((section(".probes")));
unsigned short tsbpf_guarded_semaphore __attribute__((section(".probes")));
unsigned short tsbpf_global_semaphore __attribute__((section(".probes")));
long counter = 7;
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3;
  fputs(argv[0], stderr); /* a probe cannot fault the string's page in */
  for (int i = 0; i < n; i++) {
    short neg = -i - 1;
    long big = 1000000000000L + i;
    DTRACE_PROBE4(tsbpf, tick, i, neg, big, argv[0]);
    DTRACE_PROBE1(tsbpf, konst, 42);
    if (tsbpf_guarded_semaphore) DTRACE_PROBE1(tsbpf, guarded, i);
    DTRACE_PROBE1(tsbpf, global, counter);
    counter++;
  }
  return 0;
}
`;

const builds = skip ? [] : [
  { name: "-O0 (stack memory)", path: buildC("usdt_o0", PROGRAM, ["-O0"]) },
  { name: "-O2 (registers)", path: buildC("usdt_o2", PROGRAM, ["-O2"]) },
  { name: "-O2, not PIE (absolute globals)", path: buildC("usdt_nopie", PROGRAM, ["-O2", "-fno-pie", "-no-pie"]) },
];

interface Hit {
  probe: number;
  i: bigint;
  neg: number;
  big: bigint;
  name: string;
}

for (const build of builds) {
  test(`USDT arguments are decoded from their locations: ${build.name}`, { skip }, async () => {
    const p = build.path;
    const { T } = await importScript("usdt", ["usdt", "RingBuf", "str", "Tracer", "type i16", "type i32", "type i64", "type u8", "type u64", "type Str"], `
interface Hit { probe: u8; i: i64; neg: i16; big: i64; name: Str<128> }
export class T extends Tracer {
  hits = new RingBuf<Hit>();
  @usdt("${p}:tsbpf:tick")
  onTick(i: i32, neg: i16, big: i64, name: u64) {
    this.hits.submit({ probe: 1, i, neg, big, name: str(name) });
  }
  @usdt("${p}:tsbpf:konst")
  onKonst(k: i32) {
    this.hits.submit({ probe: 2, i: k, neg: 0, big: 0n, name: "" });
  }
  @usdt("${p}:tsbpf:guarded")
  onGuarded(i: i32) {
    this.hits.submit({ probe: 3, i, neg: 0, big: 0n, name: "" });
  }
  @usdt("${p}:tsbpf:global")
  onGlobal(counter: i64) {
    this.hits.submit({ probe: 4, i: counter, neg: 0, big: 0n, name: "" });
  }
}`);
    const tracer = new T();
    tracer.end = () => {};
    await tracer.start({ exitOnError: false });
    try {
      const hits: Hit[] = [];
      tracer.hits.on((h: Hit) => hits.push(h));
      assert.equal(spawnSync(p, ["2"]).status, 0);
      assert.ok(await waitFor(() => hits.length >= 8, 60_000), `${hits.length} of 8 probe hits`);
      const of = (probe: number) => hits.filter((h) => h.probe === probe);
      assert.deepEqual(of(1).map((h) => [h.i, h.neg, h.big, h.name]), [[0n, -1, 1000000000000n, p], [1n, -2, 1000000000001n, p]]);
      assert.deepEqual(of(2).map((h) => h.i), [42n, 42n]);
      assert.deepEqual(of(3).map((h) => h.i), [0n, 1n], "the guarded probe fired: the semaphore was counted up");
      assert.deepEqual(of(4).map((h) => h.i), [7n, 8n]);
    } finally {
      await tracer.stop();
    }
    // Detached: the semaphore is back to 0, the guarded probe is skipped again (nothing to see,
    // but the program must still run).
    assert.equal(spawnSync(p, ["1"]).status, 0);
  });
}

function compileError(target: string): string {
  const source = `import { usdt, Tracer } from "tsbpf";\nclass T extends Tracer {\n  @usdt(${JSON.stringify(target)})\n  on() {}\n}\n`;
  try {
    compile(source, "/test/usdt.ts", kernel);
  } catch (e) {
    if (e instanceof CompileError) return e.message;
    throw e;
  }
  assert.fail(`"${target}" compiled`);
}

test("a wrong USDT target is a compile error with what to do", { skip }, () => {
  const p = builds[0].path;
  assert.match(compileError(`${p}:tsbpf:tik`), /has no USDT probe "tsbpf:tik"[^]*did you mean "tsbpf:tick"/);
  assert.match(compileError("/bin/true:a:b"), /"\/bin\/true" has no USDT probes/);
  assert.match(compileError(`${p}:tick`), /does not name a USDT probe/);
});

// A pointer-sized argument (argv[0] here) is a user address; declared u64 it is a number too, as a uprobe's register.
test("a USDT argument that may be a pointer, declared u64: a number in arithmetic, and str() still reads it", { skip }, () => {
  for (const { path } of builds) {
    const source = `import { usdt, Tracer, Histogram, str, type u64, type Str } from "tsbpf";
class T extends Tracer {
  h = new Histogram();
  @usdt(${JSON.stringify(`${path}:tsbpf:tick`)})
  on(i: any, neg: any, big: any, name: u64) { const s: Str<16> = str(name); this.h.add(name + 1); }
}
`;
    compile(source, "/test/usdt.ts", kernel);
  }
});
