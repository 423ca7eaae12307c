// Handlers too large for one BPF program are refused with a clear error, early and with bounded
// work: helpers that call each other many times (an exponential expansion from a few lines),
// and blocks too long for a BPF jump's 16-bit offset (which would otherwise wrap around and
// jump elsewhere). Against the fake target: no kernel, no privileges, no timing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile, CompileError, type CompileOptions } from "../../compiler/mod.ts";
import type { Diagnostic } from "../../spec/diagnostics.ts";
import { fakeTarget } from "./fake_target.ts";
import { livenessWork } from "../../compiler/flow.ts";

const kernel = fakeTarget();

function refusals(source: string, options: CompileOptions = {}): Diagnostic[] {
  try {
    compile(source, "/x/t.ts", kernel, options);
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics;
    throw e;
  }
  assert.fail("expected a compile error");
}

/** Helper fN calls f(N-1) `fanout` times: the handler's one call to f`depth` expands to fanout^depth map updates. */
function helperTree(depth: number, fanout: number): string {
  const helpers = [`  f0(x: u64) { this.m.add(x, 1); }`];
  for (let d = 1; d <= depth; d++) {
    helpers.push(`  f${d}(x: u64) { ${Array.from({ length: fanout }, (_, k) => `this.f${d - 1}(x + ${k});`).join(" ")} }`);
  }
  return `import { Tracer, HashMap, tracepoint, pid, type u32, type u64 } from "tsbpf";
class T extends Tracer {
  m = new HashMap<u32, u64>(1000);
${helpers.join("\n")}
  @tracepoint("syscalls:sys_enter_openat")
  h(args: any) {
    this.f${depth}(pid());
  }
}
`;
}

test("a handler past the lowering budget is refused once, at the call that crossed it, without lowering the rest", () => {
  // 1000 map updates, about 30 IR instructions each: far past a budget of 5000.
  const ds = refusals(helperTree(3, 10), { loweringBudget: 5000 });
  assert.equal(ds.length, 1, ds.map((d) => d.message).join("\n"));
  assert.equal(ds[0].code, "TSB1015");
  assert.match(ds[0].message, /expands to more than 5,000 instructions/);
  assert.ok(ds[0].line >= 4 && ds[0].line <= 7, `at a helper's call, not line ${ds[0].line}`);
});

test("helpers that expand exponentially (10^6 copies from 10 lines) are refused, not lowered whole", () => {
  // Without a budget this lowers some 30 million instructions (minutes, gigabytes).
  const ds = refusals(helperTree(6, 10));
  assert.equal(ds.length, 1);
  assert.equal(ds[0].code, "TSB1015");
  assert.match(ds[0].message, /more than 2,000,000 instructions/);
});

test("the same helpers within the budget still compile", () => {
  const [spec] = compile(helperTree(2, 10), "/x/t.ts", kernel);
  assert.equal(spec.programs.length, 1);
});

test("an if whose block is longer than a BPF jump reaches is refused at the if, not encoded with a wrapped offset", () => {
  // About 37 BPF instructions a map update: 1000 of them make a block past the jump's 32767.
  const body = Array.from({ length: 1000 }, (_, i) => `      this.m.add(pid() + ${i}, 1);`).join("\n");
  const source = `import { Tracer, HashMap, tracepoint, pid, type u32, type u64 } from "tsbpf";
class T extends Tracer {
  m = new HashMap<u32, u64>(1000);
  @tracepoint("syscalls:sys_enter_openat")
  h(args: any) {
    if (pid() === 7) {
${body}
    }
    this.m.add(1, 1);
  }
}
`;
  const ds = refusals(source);
  assert.equal(ds.length, 1);
  assert.equal(ds[0].code, "TSB1015");
  assert.match(ds[0].message, /jumps over [\d,]+ BPF instructions; a BPF jump reaches at most 32,768/);
  assert.equal(ds[0].line, 6, "at the if");
});

/** n values computed one after another, all used together at the end: n of them live at once. */
function liveAtOnce(n: number, value = (i: number) => `const v${i} = pid() + ${i};`): string {
  return `import { Tracer, HashMap, rawTracepoint, pid, type u32, type u64 } from "tsbpf";
class T extends Tracer {
  m = new HashMap<u32, u64>(1000);
  @rawTracepoint("sys_enter")
  h(args: any) {
${Array.from({ length: n }, (_, i) => `    ${value(i)}`).join("\n")}
    this.m.add(1, ${Array.from({ length: n }, (_, i) => `v${i}`).join(" + ")});
  }
}
`;
}

test("a handler keeping hundreds of values live at once is refused where they stop fitting, before allocating registers", () => {
  // Allocating them first built an interference graph of n × n edges (1000 values: seconds and
  // gigabytes) only to fail on the stack. Each value needs a register or a stack slot: some 70 fit.
  for (const n of [250, 1000]) {
    const ds = refusals(liveAtOnce(n));
    assert.equal(ds.length, 1, ds.map((d) => d.message).join("\n"));
    assert.equal(ds[0].code, "TSB1010");
    assert.match(ds[0].message, new RegExp(`keeps up to ${n} values live at once, more than fit from here on`));
    assert.match(ds[0].hints.join("\n"), /keep fewer values alive at once/);
    // At the const that crossed the limit (v0 is on line 6), whatever comes after it.
    assert.ok(ds[0].line >= 6 + 60 && ds[0].line <= 6 + 80, `at the value that no longer fits, not line ${ds[0].line}`);
  }
});

test("values copied from a call's result and written on one branch count too", () => {
  const ds = refusals(liveAtOnce(250, (i) => `let v${i} = pid(); if (v${i} > ${i}) v${i} = v${i} * 3;`));
  assert.equal(ds.length, 1);
  assert.match(ds[0].message, /keeps up to 250 values live at once/);
  assert.ok(ds[0].line >= 6 + 60 && ds[0].line <= 6 + 80, `at the value that no longer fits, not line ${ds[0].line}`);
});

test("as many values live at once as registers and stack hold still compile", () => {
  const [spec] = compile(liveAtOnce(60), "/x/t.ts", kernel);
  assert.equal(spec.programs.length, 1);
});

/** n values from calls, each changed on a branch of its own, all used at the end: n values live across some 3n blocks. */
function liveAcrossBranches(n: number): string {
  return liveAtOnce(n, (i) => `let v${i} = pid(); if (v${i} > ${i}) v${i} = v${i} * 3;`);
}

test("liveness before the refusal of a crowded handler grows linearly with its size, not with its square", () => {
  // Counted in (register, block) pairs liveness finds, not in time. Each of n values is live
  // across most of the handler's blocks, so finding them all is n × blocks: 4× the work for 2×
  // the handler. The handler is refused either way (far more values than registers and stack hold).
  const work = (n: number) => {
    const before = livenessWork.entries;
    const ds = refusals(liveAcrossBranches(n));
    assert.equal(ds.length, 1, ds.map((d) => d.message).join("\n"));
    assert.equal(ds[0].code, "TSB1010");
    assert.match(ds[0].message, /values live at once/);
    return livenessWork.entries - before;
  };
  const small = work(400), large = work(800);
  assert.ok(large < 2.5 * small, `400 values: ${small} pairs; 800 values: ${large} (${(large / small).toFixed(2)}×)`);
});
