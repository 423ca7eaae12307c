// @tpBtf: a raw tracepoint as a BTF-typed tracing program. This host refuses fentry but loads
// tp_btf; where a kernel refuses both, the test skips with the reason (the VM lane runs it too).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { readdirSync, readFileSync } from "node:fs";
import { libc } from "../../runtime/ffi/mod.ts";
import { hasTpBtf } from "../../runtime/features.ts";
import { compile } from "../../compiler/mod.ts";
import { hostTarget } from "../../tracer/compile_target.ts";
import { RingBuf, str, tpBtf, Tracer, type Str, type u32 } from "../../mod.ts";
import { waitFor } from "./util.ts";

await libc();
const target = await hostTarget();
const skip = hasTpBtf() ? false : "this kernel refuses tp_btf programs (BPF_PROG_TYPE_TRACING)";

interface Task {
  pid: u32;
  tgid: u32;
  comm: Str<16>;
}

interface Switch {
  prevPid: u32;
  prevComm: Str<16>;
  nextPid: u32;
  nextComm: Str<16>;
}

class Switches extends Tracer {
  events = new RingBuf<Switch>();
  self: u32 = 0;

  @tpBtf("sched_switch")
  onSwitch(args: { prev: Task; next: Task }) {
    if (args.prev.tgid !== this.self && args.next.tgid !== this.self) return;
    this.events.submit({ prevPid: args.prev.pid, prevComm: str(args.prev.comm), nextPid: args.next.pid, nextComm: str(args.next.comm) });
  }
}

test("a tp_btf handler reads sched_switch's task_structs: this process's threads, by pid and name", { skip }, async () => {
  // The threads of this process, by tid and name, as /proc shows them.
  const threads = () => new Map(readdirSync("/proc/self/task").map((t) => [Number(t), readFileSync(`/proc/self/task/${t}/comm`, "utf8").trim()]));
  // A runtime names its helper threads after creating them (a collector thread switches in as
  // "bun" first): only threads that had their name before the tracer started are compared.
  const named = threads();
  const tracer = new Switches();
  tracer.self = process.pid;
  await tracer.start({ exitOnError: false });
  try {
    const events: Switch[] = [];
    tracer.events.on((e) => events.push(e));
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 5)); // sleeping switches us out, and back in
    const ours = () => {
      const names = threads();
      return events.flatMap((e) => [[e.prevPid, e.prevComm], [e.nextPid, e.nextComm]] as const).filter(([p]) => names.has(p) && names.get(p) === named.get(p)).map(([p, c]) => [p, c, names.get(p)!] as const);
    };
    assert.ok(await waitFor(() => ours().length >= 2, 60_000), "no switch names a thread of this process");
    const mine = ours();
    for (const [p, comm, name] of mine) assert.equal(comm, name.slice(0, 15), `thread ${p}'s name`);
  } finally {
    await tracer.stop();
  }
});

test("@tpBtf compiles to a tracing program attached to btf_trace_<name>", { skip }, () => {
  const source = `import { tpBtf, Tracer } from "tsbpf";\nclass T extends Tracer {\n  @tpBtf("sched_switch")\n  h(args: any) {}\n}\n`;
  const [spec] = compile(source, "/test/t.ts", target);
  assert.equal(spec.programs[0].progType, 26); // BPF_PROG_TYPE_TRACING
  assert.equal(spec.programs[0].expectedAttachType, 23); // BPF_TRACE_RAW_TP
});

test("@tpBtf on an unknown tracepoint names the close ones", () => {
  const source = `import { tpBtf, Tracer } from "tsbpf";\nclass T extends Tracer {\n  @tpBtf("sched_swich")\n  h(args: any) {}\n}\n`;
  assert.throws(() => compile(source, "/test/t.ts", target), /unknown raw tracepoint "sched_swich"[\s\S]*sched_switch/);
});
