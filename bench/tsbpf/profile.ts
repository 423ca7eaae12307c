// Where the launch time of a tsbpf script goes: the steps of Tracer.start() (tracer/tracer.ts)
// done one by one with a clock around each, then a real start() and the wait for its first
// event. Not a benchmark of its own: bench/run.ts --jobs profile runs it to explain job 1.
// Prints one line "E step=ms ..." (times in ms; "boot" is the runtime's own start-up until this
// module's body runs, from performance.now()'s origin). It reaches into tsbpf's internals, so
// update it when Tracer.start() changes.
const boot = performance.now();
import { pid, RingBuf, Tracer, tracepoint, type u32 } from "tsbpf";
import { libc } from "../../runtime/ffi/mod.ts";
import { readTextFile } from "../../runtime/files.ts";
import { hostTarget } from "../../tracer/compile_target.ts";
import { cacheKey, readCache } from "../../tracer/compile_cache.ts";
import { createMap, loadProgram } from "../../tracer/loader.ts";
import { loadProbeKinds, probeKind } from "../../probes/mod.ts";
import type { OwnedFd } from "../../runtime/fd.ts";

interface Call {
  pid: u32;
}

class Profile extends Tracer {
  events = new RingBuf<Call>();

  @tracepoint("syscalls:sys_enter_getppid")
  onGetppid() {
    if (pid() !== 4294967295) return;
    this.events.submit({ pid: pid() });
  }
}

const times: Record<string, number> = { boot };
let at = performance.now();
const lap = (name: string) => {
  const now = performance.now();
  times[name] = now - at;
  at = now;
};
await libc();
lap("libc");
const file = new URL(import.meta.url).pathname;
const source = readTextFile(file)!;
await loadProbeKinds(["tracepoint"]);
lap("target");
const key = await cacheKey(source, file);
lap("hash");
let specs = readCache(key);
lap("cache_read");
if (!specs) {
  const { compile } = await import("../../compiler/mod.ts");
  lap("import_compiler");
  specs = compile(source, file, await hostTarget());
  lap("compile");
}
const spec = specs[0];
const fds: OwnedFd[] = [];
const maps = new Map<string, OwnedFd>();
for (const m of spec.maps) maps.set(m.name, createMap(m, {}, spec.programs.length));
lap("maps");
const progs = spec.programs.map((p) => loadProgram(p, maps, file, source));
lap("prog_load");
spec.programs.forEach((p, i) => fds.push(...probeKind(p.probe).attach(progs[i].fd, p.probe.target, p.progType)));
lap("attach");
for (const fd of [...fds, ...progs, ...maps.values()]) fd.close();
lap("close");

// The real thing, now that everything above is warm: start() and the wait for the first event.
const t = new Profile();
await t.start();
lap("start_again");
await new Promise<void>((resolve) => {
  const off = t.events.on(() => {
    off();
    resolve();
  });
});
lap("first_event_wait");
console.log("E " + Object.entries(times).map(([k, v]) => `${k}=${v.toFixed(2)}`).join(" "));
await t.stop();
