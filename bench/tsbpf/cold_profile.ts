// Where a cold start goes (issue 20): the steps a launch takes when nothing is cached, each with a
// clock around it, in the order a tracer's start() meets them, with the parser's import and its
// first parse apart from the rest of the compile. Not a benchmark of its own: bench/run.ts --jobs
// coldprofile runs it. Prints one line "E step=ms ..."; it reaches into tsbpf's internals.
const boot = performance.now();
import type { u32 } from "tsbpf";
const times: Record<string, number> = { boot };
let at = performance.now();
const lap = (name: string) => {
  const now = performance.now();
  times[name] = now - at;
  at = now;
};
const { pid, RingBuf, Tracer, tracepoint } = await import("tsbpf");
lap("import_tsbpf");
const { libc } = await import("../../runtime/ffi/mod.ts");
await libc();
lap("libc");
const [{ parseSource, prepareParse }, { DiagnosticBag }] = await Promise.all([import("../../compiler/parse.ts"), import("../../spec/diagnostics.ts")]);
lap("import_parser");
const { readTextFile } = await import("../../runtime/files.ts");
const file = new URL(import.meta.url).pathname;
const source = readTextFile(file)!;
// As tracer.ts does: the lean parser reads the source, and Babel loads only if it gives up.
await prepareParse(source, () => {}); // the lean parser reads it: Babel (and the check of its place) is not loaded
parseSource(source, new DiagnosticBag(file, source));
lap("first_parse");
parseSource(source, new DiagnosticBag(file, source));
lap("second_parse");
const { compile } = await import("../../compiler/compile.ts");
lap("import_compiler");
const { hostTarget } = await import("../../tracer/compile_target.ts");
const target = await hostTarget([], source);
lap("target");
const [spec] = compile(source, file, target);
lap("compile");
const { kernelBtf } = await import("../../runtime/kernel_btf.ts");
const btf = kernelBtf();
lap("btf_load");
btf.findByName("task_struct", "struct");
lap("btf_first_lookup");
const { createMap, loadProgram } = await import("../../tracer/loader.ts");
const { probeKind } = await import("../../probes/mod.ts");
const maps = new Map(spec.maps.map((m) => [m.name, createMap(m, {}, spec.programs.length)]));
lap("maps");
const progs = spec.programs.map((p) => loadProgram(p, maps, file, source));
lap("prog_load");
const links = spec.programs.flatMap((p, i) => probeKind(p.probe).attach(progs[i].fd, p.probe.target, p.progType));
lap("attach");
console.log("E " + Object.entries(times).map(([k, v]) => `${k}=${v.toFixed(2)}`).join(" "));
for (const fd of [...links, ...progs, ...maps.values()]) fd.close();

// The tracer compiled above: a tracepoint with a pid filter and a ring buffer, like launch1.ts.
interface Call {
  pid: u32;
}
class ColdProfile extends Tracer {
  events = new RingBuf<Call>();

  @tracepoint("syscalls:sys_enter_getppid")
  onGetppid() {
    if (pid() !== 4294967295) return;
    this.events.submit({ pid: pid() });
  }
}
void ColdProfile;
