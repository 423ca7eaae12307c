// override(value) (bpf_override_return) against the fake compile target: where it compiles (a
// @kprobe on a function in the kernel's error injection list), the clear refusal everywhere else
// (not a kprobe, a function not in the list, a kernel without CONFIG_BPF_KPROBE_OVERRIDE), and
// plan's warning. tests/kernel/override.test.ts runs it on a kernel (the VM lane has kprobes).
import { test } from "node:test";
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { compile } from "../../compiler/mod.ts";
import { describePlan } from "../../compiler/plan.ts";
import { fromBase64 } from "../../spec/tracer_spec.ts";
import { decode } from "../../spec/bpf/isa.ts";
import { fakeTarget } from "./fake_target.ts";
import { refusals } from "./refusals.ts";
import { overrideAllowed, parseErrorInjectionList } from "../../probes/error_injection.ts";

const FAIL_OPENS = `import { kprobe, override, pid, Tracer, type u32 } from "tsbpf";
class FailOpens extends Tracer {
  victim: u32 = 0;
  @kprobe("__x64_sys_openat")
  onOpen(regs: any) {
    if (pid() === this.victim) override(-2);
  }
}
`;

const diagnostics = refusals;

test("override() in a @kprobe on an error-injectable function calls bpf_override_return with the context and the value", () => {
  const [spec] = compile(FAIL_OPENS, "/x/fail.ts", fakeTarget());
  const [p] = spec.programs;
  assert.equal(p.progType, 2, "a kprobe program");
  const insns = decode(fromBase64(p.insns));
  const call = insns.findIndex((i) => i.code === 0x85 && i.src === 0 && i.imm === 58);
  assert.ok(call > 0, "calls helper 58");
  // r2 = -2 is set before the call (as a 64-bit value).
  assert.ok(insns.slice(0, call).some((i) => i.dst === 2 && i.imm === -2), "the value is -2");
});

test("plan flags override() as changing what the kernel returns", () => {
  const report = describePlan(compile(FAIL_OPENS, "/x/fail.ts", fakeTarget()), { cpus: 2 });
  assert.match(report, /^  WARNINGS:\n    bpf_override_return changes what the kernel returns: /m);
  assert.match(report, /^    override_return +in onOpen$/m);
});

test("override() outside a kprobe is refused at the call, saying where it works", () => {
  const source = FAIL_OPENS.replace(`@kprobe("__x64_sys_openat")`, `@tracepoint("syscalls:sys_enter_openat")`).replace("import { kprobe,", "import { kprobe, tracepoint,");
  const [d] = diagnostics(source);
  assert.match(d.message, /override\(\) changes what a kernel function returns, so it works only in a @kprobe handler .*; this is a tracepoint syscalls:sys_enter_openat handler/);
  assert.deepEqual([d.line, d.column], [6, 32]);
});

test("override() in a @kretprobe is refused at the call: it must run at the function's entry", () => {
  const [d] = diagnostics(FAIL_OPENS.replace(`@kprobe("__x64_sys_openat")`, `@kretprobe("__x64_sys_openat")`).replace("import { kprobe,", "import { kprobe, kretprobe,"));
  assert.match(d.message, /override\(\) works only in a @kprobe handler, which runs at the function's entry; this is a @kretprobe handler/);
  assert.deepEqual([d.line, d.column], [6, 32]);
});

test("override() on a function not in the error injection list is refused, naming the list", () => {
  const [d] = diagnostics(FAIL_OPENS.replace(`"__x64_sys_openat"`, `"tcp_connect"`));
  assert.match(d.message, /"tcp_connect" is not in the kernel's error injection list \(\/sys\/kernel\/debug\/error_injection\/list\)/);
  assert.deepEqual([d.line, d.column], [6, 32]);
});

test("override() on a kernel without CONFIG_BPF_KPROBE_OVERRIDE, or without the list, is refused saying so", () => {
  let [d] = diagnostics(FAIL_OPENS, fakeTarget({ errorInjection: { helper: false, list: undefined } }));
  assert.match(d.message, /built without CONFIG_BPF_KPROBE_OVERRIDE/);
  [d] = diagnostics(FAIL_OPENS, fakeTarget({ errorInjection: { helper: true, list: undefined } }));
  assert.match(d.message, /has no error injection list/);
});

test("override() reached through a function the handler calls is found too", () => {
  const source = FAIL_OPENS.replace("if (pid() === this.victim) override(-2);", "this.fail();").replace("  victim: u32 = 0;", "  victim: u32 = 0;\n  fail() { if (pid() === this.victim) override(-13); }");
  const [spec] = compile(source, "/x/fail.ts", fakeTarget());
  assert.ok(decode(fromBase64(spec.programs[0].insns)).some((i) => i.code === 0x85 && i.imm === 58));
  const [d] = diagnostics(source.replace(`"__x64_sys_openat"`, `"tcp_connect"`));
  assert.match(d.message, /not in the kernel's error injection list/);
  assert.equal(d.line, 4, "at the call in the method");
});

test("the error injection list is read from its text alone", () => {
  const list = parseErrorInjectionList("__x64_sys_openat\tERRNO\nshould_failslab\tERRNO\nshould_fail_bio\tERRNO\n");
  assert.equal(list.get("should_failslab"), "ERRNO");
  assert.equal(overrideAllowed("kprobe", "should_failslab", false, { helper: true, list: "should_failslab\tERRNO\n" }), "ERRNO");
  const refused = overrideAllowed("kprobe", "should_failslub", false, { helper: true, list: "should_failslab\tERRNO\n" });
  assert.ok(refused instanceof Error && /did you mean "should_failslab"/.test(refused.hints.join(" ")));
});

test("docs/fault_injection.md's tracer is the one tests/kernel/override.test.ts runs, and compiles with plan's warning as shown", () => {
  const doc = readFileSync(new URL("../../docs/fault_injection.md", import.meta.url), "utf8");
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(doc)![1];
  const kernelTest = readFileSync(new URL("../kernel/override.test.ts", import.meta.url), "utf8");
  const cls = /^class FailOneOpen[\s\S]*?^}$/m.exec(kernelTest)![0];
  assert.ok(block.includes(cls.replace("override(-2);", "override(-2); // -ENOENT: openat fails without running")), "the doc's class differs from the kernel test's");
  const report = describePlan(compile(block, "/x/doc.ts", fakeTarget()), { cpus: 2 });
  const shown = /^    (bpf_override_return changes what the kernel returns: .*)$/m.exec(doc)![1];
  assert.ok(report.includes(shown), report);
});
