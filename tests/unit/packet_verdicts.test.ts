// What the compiler makes of a packet program's return value, unprivileged (tests/unit/fake_target.ts
// models the packet probes): verdicts the kernel would refuse are compile errors at their line,
// ending without return lets the packet pass, and the spec says whether a program can drop,
// which `tsbpf plan` turns into a warning. tests/kernel/{cgroup_skb,socket_filter,xdp}.test.ts
// run the same handlers in the kernel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile } from "../../compiler/mod.ts";
import { describePlan, kernelWarnings } from "../../compiler/plan.ts";
import { CompileError } from "../../spec/diagnostics.ts";
import { fromBase64 } from "../../compiler/mod.ts";
import { decode } from "../../spec/bpf/isa.ts";
import { fakeTarget } from "./fake_target.ts";

function source(decorator: string, body: string): string {
  return `import { cgroupSkb, socketFilter, xdp, skbCgroup, skbLoad, xdpLoad, Tracer, type SkBuff } from "tsbpf";
class N extends Tracer {
  @${decorator}
  h(p: SkBuff) {
    ${body}
  }
}
`;
}

function errorOf(decorator: string, body: string): string | undefined {
  try {
    compile(source(decorator, body), "/x/n.ts", fakeTarget());
  } catch (e) {
    assert.ok(e instanceof CompileError, String(e));
    return e.message;
  }
  return undefined;
}

function program(decorator: string, body: string) {
  return compile(source(decorator, body), "/x/n.ts", fakeTarget())[0].programs[0];
}

test("a cgroup skb verdict is 0 or 1: other constants and unbounded values are refused at their line", () => {
  assert.match(errorOf('cgroupSkb("egress")', "return 2;") ?? "", /n\.ts:5:12: .*returns 0 to 1, not 2/);
  assert.match(errorOf('cgroupSkb("egress")', "return p.len > 9 ? 1 : 7;") ?? "", /n\.ts:5:28: .*not 7/);
  assert.match(errorOf('cgroupSkb("egress")', "return p.mark;") ?? "", /cannot check that this value stays in that range/);
  for (const ok of ["return p.len > 9;", "return false;", "return 0;", "return;", "if (p.len > 9) return 0; return 1;"]) {
    assert.equal(errorOf('cgroupSkb("egress")', ok), undefined, ok);
  }
});

test("socket filters and XDP refuse a bool and say what it would mean", () => {
  assert.match(errorOf("socketFilter()", "return p.len > 9;") ?? "", /not a bool: true would keep 1 byte/);
  assert.match(errorOf('xdp("eth0")', "return true;") ?? "", /not a bool: true would be XDP_DROP/);
  assert.match(errorOf('xdp("eth0")', "return skbLoad(p, 0, 1);") ?? "", /skbLoad\(\) reads the packet of @cgroupSkb and @socketFilter handlers, not of a xdp eth0 \(use xdpLoad\)/);
  assert.match(errorOf('cgroupSkb("egress")', "return xdpLoad(p, 0, 1) === 1;") ?? "", /xdpLoad\(\) reads the packet of @xdp handlers.*\(use skbLoad\)/);
  assert.match(errorOf("socketFilter(1)", "") ?? "", /@socketFilter takes no arguments/);
  assert.match(errorOf("socketFilter()", "skbCgroup(p);") ?? "", /skbCgroup\(\) is the cgroup of a @cgroupSkb handler's packet; a socket filter has none/);
});

test("ending without return lets the packet pass: 1, all bytes, XDP_PASS", () => {
  for (const [decorator, pass] of [['cgroupSkb("ingress")', 1], ["socketFilter()", -1], ['xdp("eth0")', 2]] as const) {
    const insns = decode(fromBase64(program(decorator, "").insns));
    const exit = insns.findIndex((i) => i.code === 0x95);
    const setR0 = insns.slice(0, exit).reverse().find((i) => i.dst === 0 && (i.code === 0xb7 || i.code === 0xb4 || i.code === 0x18)); // mov, mov32, lddw (0xffffffff)
    assert.equal(setR0?.imm, pass, `${decorator}: ${JSON.stringify(insns)}`);
  }
});

test("the spec says which packet programs can drop; plan warns of those only", () => {
  const cases: [string, string, boolean][] = [
    ['cgroupSkb("egress")', "", false], ['cgroupSkb("egress")', "return true;", false], ['cgroupSkb("egress")', "return p.len < 9;", true],
    ['cgroupSkb("egress")', "if (p.mark === 1) return 0;", true], ["socketFilter()", "return 0;", true], ['xdp("eth0")', "return 2;", false], ['xdp("eth0")', "return 1;", true],
  ];
  for (const [decorator, body, drops] of cases) {
    const specs = compile(source(decorator, body), "/x/n.ts", fakeTarget());
    assert.equal(specs[0].programs[0].mayDrop, drops, `${decorator} ${body}`);
    assert.equal(kernelWarnings(specs).length, drops ? 1 : 0, `${decorator} ${body}`);
    assert.match(describePlan(specs, { cpus: 2 }), drops ? /WARNINGS:\n    \w+ .*→ h\(\) decides/ : /warnings: none in the kernel/);
  }
  // A tracing program's return means nothing: no mayDrop in its spec.
  const traced = compile(`import { tracepoint, Tracer } from "tsbpf";
class T extends Tracer {
  @tracepoint("syscalls:sys_enter_openat")
  h() { return 1; }
}
`, "/x/t.ts", fakeTarget())[0].programs[0];
  assert.equal(traced.mayDrop, undefined);
});
