// Bad scripts fail with diagnostics that name the file, line and column, on the real kernel: what
// depends on its probes and its verifier. The compiler's own checks run unprivileged, against a
// fake target, in tests/unit/compile_errors.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync, unlinkSync } from "node:fs";
import { compile } from "../../compiler/mod.ts";
import { hostTarget } from "../../tracer/compile_target.ts";
import { libc } from "../../runtime/ffi/mod.ts";
import { VerifierError } from "../../runtime/verifier_error.ts";
import { compileSource, handlersSource, load } from "./harness.ts";
import { refusals } from "../unit/refusals.ts";
const kernel = await hostTarget();

await libc();

const HEADER = `import { RingBuf, Tracer, tracepoint, kprobe, pid, comm, str, type u32, type Str } from "tsbpf";
interface E { pid: u32; name: Str<16> }
class T extends Tracer {
  events = new RingBuf<E>();
`;

function diagnostics(body: string) {
  return refusals(HEADER + body + "\n}\n", kernel);
}

test("unknown tracepoint: points at the decorator and suggests the right name", () => {
  const [d] = diagnostics(`  @tracepoint("syscalls:sys_enter_opneat")\n  h(args: any) {}`);
  assert.equal(d.code, "TSB1007");
  assert.equal(d.line, 5);
  assert.equal(d.column, 3);
  assert.match(d.hints.join(" "), /sys_enter_openat/);
});

test("unknown tracepoint: the hint lists the category it names, or says there is no such category", () => {
  const [sched] = diagnostics(`  @tracepoint("sched:sched_proces_exec")\n  h(args: any) {}`);
  assert.match(sched.hints.join("\n"), /sched:sched_process_exec/);
  assert.match(sched.hints.join("\n"), /list them with: tsbpf list 'sched:\*'/);
  const [category] = diagnostics(`  @tracepoint("shced:sched_switch")\n  h(args: any) {}`);
  assert.match(category.hints.join("\n"), /there is no category "shced" \(did you mean "sched"/);
  const [wildcard] = diagnostics(`  @tracepoint("sched:nothing_*")\n  h(args: any) {}`);
  assert.match(wildcard.message, /no tracepoint matches "sched:nothing_\*"/);
  assert.match(wildcard.hints.join("\n"), /list them with: tsbpf list 'sched:\*'/);
});

test("a program the verifier rejects is reported at the TypeScript line it failed on", () => {
  const body = [
    "    let s: u64 = args[0];",
    "    for (let i = 0; i < 60000; i++) {",
    "      if ((s & 1n) === 1n) s = s * 3n + 1n;",
    "      else s = s / 2n;",
    "      if (s > args[1]) s -= args[1];",
    "    }",
    "    return s;",
  ];
  const source = handlersSource([body.join("\n")]);
  const spec = compileSource(source);
  try {
    load(spec).close();
    assert.fail("the verifier accepted a loop it cannot walk");
  } catch (e) {
    assert.ok(e instanceof VerifierError, String(e));
    const lines = source.split("\n");
    const loopStart = lines.findIndex((l) => l.includes("for (let i = 0; i < 60000")) + 1;
    assert.ok(e.diagnostic!.line >= loopStart && e.diagnostic!.line <= loopStart + 4, `reported at line ${e.diagnostic!.line}, the loop is at ${loopStart}-${loopStart + 4}`);
    assert.equal(e.diagnostic!.code, "TSB2001");
    assert.match(e.diagnostic!.hints.join(" "), /loop/);
    assert.ok(e.log.length > 100, "the verifier log is kept");
    // The hint names a file that holds the log (it named an error.log nobody wrote): this one
    // passes 1 MiB, so on a kernel that keeps a long log's end (6.4+) it is that end.
    const path = /the (?:whole verifier log|end of the verifier log) \(\d+ lines\) is in (\S+)$/m.exec(e.diagnostic!.hints.join("\n"))?.[1];
    assert.ok(path, `no log file in the hints: ${e.diagnostic!.hints.join(" | ")}`);
    try {
      assert.equal(readFileSync(path, "utf8"), e.log);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.match(path, /\/tsbpf-verifier-h0-[0-9a-f]{16}\.log$/);
    } finally {
      unlinkSync(path);
    }
  }
});

test("an unknown kernel function for a kprobe suggests the right one", () => {
  const [d] = diagnostics(`  @kprobe("tcp_conect")\n  h(sk: any) {}`.replace("@kprobe", "@kprobe"));
  assert.equal(d.code, "TSB1007");
  assert.match(d.message, /unknown kernel function "tcp_conect"/);
  assert.match(d.hints.join(" "), /"tcp_connect"/);
});

test("a 65th program on one tracepoint: the kernel's limit of 64 explained, not a bare E2BIG", async () => {
  const { tracepointProbe } = await import("../../probes/tracepoint.ts");
  const { loadProgram } = await import("../../tracer/loader.ts");
  const spec = compile(HEADER + `  @tracepoint("syscalls:sys_enter_sysfs")\n  h(args: any) { pid(); }\n}\n`, "/x/t.ts", kernel)[0];
  const fds: { close(): void }[] = [];
  let failure: unknown;
  try {
    for (let i = 0; i < 65 && !failure; i++) {
      const prog = loadProgram(spec.programs[0], new Map(), "/x/t.ts", undefined);
      fds.push(prog);
      try {
        fds.push(...tracepointProbe.attach(prog.fd, "syscalls:sys_enter_sysfs"));
      } catch (e) {
        failure = e;
      }
    }
  } finally {
    for (const fd of fds.reverse()) fd.close();
  }
  assert.ok(failure instanceof Error, "65 programs attached to one tracepoint");
  assert.equal(failure.name, "TracerError", String(failure));
  assert.match(failure.message, /at most 64 BPF programs on one tracepoint \(BPF_TRACE_MAX_PROGS\)/);
  assert.match(failure.message, /hint: .*bpftool perf list/);
});

/** All diagnostics of a whole source file (not wrapped in HEADER). */
function fileDiagnostics(source: string, target = kernel) {
  return refusals(source, target);
}

test("a decorator target that is not a string is reported at the decorator, for every probe kind with a name", async () => {
  const given: [string, unknown, RegExp][] = [
    ["tracepoint", 42, /the number 42/], ["tracepoint", undefined, /undefined/], ["rawTracepoint", undefined, /undefined/],
    ["tpBtf", null, /null/], ["kprobe", {}, /an object/], ["kretprobe", 1n, /the bigint 1/], ["fentry", true, /the boolean true/],
    ["fexit", [], /an array/], ["uprobe", undefined, /undefined/], ["uretprobe", 3, /the number 3/], ["usdt", undefined, /undefined/],
  ];
  for (const [kind, value, described] of given) {
    const target = await hostTarget([{ kind, target: value as string, method: "h" }]);
    const ds = fileDiagnostics(`import { ${kind}, Tracer } from "tsbpf";\nclass T extends Tracer {\n  @${kind}(value as any)\n  h(args: any) {}\n}\n`, target);
    assert.equal(ds.length, 1, ds.map((d) => d.message).join("\n"));
    assert.deepEqual([ds[0].code, ds[0].line, ds[0].column], ["TSB1007", 3, 3], `@${kind}`);
    assert.match(ds[0].message, new RegExp(`^@${kind} was called with ${described.source}.*, not a string naming the probe$`));
    assert.match(ds[0].hints.join(" "), /unset environment variable/);
  }
});

test("the decorator factories take any value without throwing (the tracer reports it)", async () => {
  const decorators = await import("../../probes/decorators.ts");
  for (const f of [decorators.tracepoint, decorators.kprobe, decorators.uprobe, decorators.usdt, decorators.profile, decorators.interval, decorators.perfEvent]) {
    for (const v of [undefined, null, 42, {}]) (f as (x: unknown) => (v: unknown, c: unknown) => void)(v)(() => {}, { name: "h" });
  }
  for (const f of [decorators.uprobe, decorators.uretprobe, decorators.usdt]) {
    for (const options of [null, 42, "x"]) (f as (t: string, o: unknown) => (v: unknown, c: unknown) => void)("/bin/true:main", options)(() => {}, { name: "h" });
  }
});

test("an unset setting as a tracepoint's name: start() fails at the decorator's line, on this runtime", async () => {
  const { runScript } = await import("./util.ts");
  const run = runScript(new URL("../fixtures/unset_probe.ts", import.meta.url).pathname);
  const status = await run.exited;
  assert.notEqual(status, 0);
  assert.match(run.output(), /unset_probe\.ts:8:3: error\[TSB1007\]: @tracepoint was called with undefined, not a string naming the probe/);
  assert.doesNotMatch(run.output(), /TypeError/);
});

test("a decorator target written as a template: computed when it has substitutions, a literal when not", async () => {
  const source = (arg: string) => `import { tracepoint, Tracer, pid } from "tsbpf";\nconst name = "openat";\nclass T extends Tracer {\n  @tracepoint(${arg})\n  h(args: any) { return args.flags; }\n}\n`;
  // Was "@tracepoint takes one string literal naming the probe" for both.
  const computed = await hostTarget([{ kind: "tracepoint", target: "syscalls:sys_enter_openat", method: "h" }]);
  // Computed: the program is compiled for the value the decorator was called with (args.flags exists there).
  assert.deepEqual(compile(source("`syscalls:sys_enter_${name}`"), "/x/t.ts", computed)[0].programs[0].probe, { kind: "tracepoint", target: "", method: "h" });
  assert.equal(compile(source("`syscalls:sys_enter_openat`"), "/x/t.ts", kernel)[0].programs[0].probe.target, "syscalls:sys_enter_openat");
});

test("a rate or period held in a variable: a bad value is an error at the decorator; without one (plan) it compiles", async () => {
  const decorators = await import("../../probes/decorators.ts");
  const cases: [string, (v: unknown) => unknown, RegExp][] = [
    ["interval", decorators.interval as (v: unknown) => unknown, /@interval's period \(milliseconds\) must be a positive integer, got "undefined"/],
    ["profile", decorators.profile as (v: unknown) => unknown, /@profile's rate \(samples per second\) must be a positive integer, got "undefined"/],
    ["perfEvent", decorators.perfEvent as (v: unknown) => unknown, /perf event type must be "software" or "hardware", got "undefined"/],
  ];
  for (const [kind, factory, message] of cases) {
    // What the decorator records when it is called with undefined (an unset setting).
    const fn = () => {};
    (factory(undefined) as (v: unknown, c: unknown) => void)(fn, { name: "h" });
    const { handlersOf } = decorators;
    const meta = handlersOf({ __proto__: { h: fn } } as object)[0];
    const target = await hostTarget([{ kind, target: meta.target, options: meta.options, method: "h" }]);
    const source = `import { ${kind}, Tracer, pid } from "tsbpf";\nconst setting: any = undefined;\nclass T extends Tracer {\n  @${kind}(setting)\n  h() { pid(); }\n}\n`;
    const ds = fileDiagnostics(source, target);
    assert.deepEqual([ds.length, ds[0].code, ds[0].line, ds[0].column], [1, "TSB1007", 4, 3], ds.map((d) => d.message).join("\n"));
    assert.match(ds[0].message, message);
    assert.equal(compile(source, "/x/t.ts", kernel)[0].programs.length, 1, "compiled without the value (tsbpf plan)");
  }
});

test("a rate, period or frequency written as a string (@profile(\"99\")) is an error at the decorator, not read as a number", async () => {
  const decorators = await import("../../probes/decorators.ts");
  const cases: [string, string, unknown, RegExp][] = [
    // " 0x63 " was taken as 99 by Number(); "99" as 99: the decorator takes a number, as its type says.
    ["profile", `"99"`, "99", /@profile's rate \(samples per second\) must be a positive integer, got "99" \(a string\)/],
    ["profile", `" 0x63 "`, " 0x63 ", /@profile's rate \(samples per second\) must be a positive integer, got " 0x63 " \(a string\)/],
    ["interval", `"1000"`, "1000", /@interval's period \(milliseconds\) must be a positive integer, got "1000" \(a string\)/],
    ["perfEvent", `{ type: "software", config: "page-faults", period: "1" }`, { type: "software", config: "page-faults", period: "1" }, /period must be a positive integer, got "1" \(a string\)/],
  ];
  for (const [kind, written, value, message] of cases) {
    const fn = () => {};
    ((decorators as unknown as Record<string, (v: unknown) => (f: unknown, c: unknown) => void>)[kind](value))(fn, { name: "h" });
    const meta = decorators.handlersOf({ __proto__: { h: fn } } as object)[0];
    const target = await hostTarget([{ kind, target: meta.target, options: meta.options, method: "h" }]);
    const source = `import { ${kind}, Tracer, pid } from "tsbpf";\nclass T extends Tracer {\n  @${kind}(${written})\n  h() { pid(); }\n}\n`;
    let ds;
    try {
      ds = fileDiagnostics(source, target);
    } catch (e) {
      assert.fail(`@${kind}(${written}) compiled: ${e}`);
    }
    assert.deepEqual([ds.length, ds[0]?.code, ds[0]?.line, ds[0]?.column], [1, "TSB1007", 3, 3], `${kind}(${written}): ${ds.map((d) => d.message).join("\n")}`);
    assert.match(ds[0].message, message);
    assert.match(ds[0].hints.join(" "), /a number, not a string/);
  }
});

test("bpftrace's units written as the decorator's string (@profile(\"ms:10\"), @interval(\"s:2\")) get the number they mean in the hint", async () => {
  const decorators = await import("../../probes/decorators.ts");
  const cases: [string, string, string][] = [
    ["profile", "ms:10", "@profile(100)"], ["profile", "hz:49", "@profile(49)"], ["profile", "99", "@profile(99)"],
    ["interval", "s:2", "@interval(2000)"], ["interval", "1s", "@interval(1000)"], ["interval", "ms:250", "@interval(250)"],
  ];
  for (const [kind, value, want] of cases) {
    const fn = () => {};
    ((decorators as unknown as Record<string, (v: unknown) => (f: unknown, c: unknown) => void>)[kind](value))(fn, { name: "h" });
    const meta = decorators.handlersOf({ __proto__: { h: fn } } as object)[0];
    const target = await hostTarget([{ kind, target: meta.target, options: meta.options, method: "h" }]);
    const source = `import { ${kind}, Tracer, pid } from "tsbpf";\nclass T extends Tracer {\n  @${kind}(${JSON.stringify(value)})\n  h() { pid(); }\n}\n`;
    const ds = fileDiagnostics(source, target);
    assert.equal(ds.length, 1, `${kind}("${value}")`);
    assert.equal(ds[0].hints.join(" "), `write a number, not a string: ${want}`, `${kind}("${value}")`);
  }
});
