// Compiles a handler on the real kernel's probes, loads it through the verifier and runs it
// with BPF_PROG_TEST_RUN: the language tests' way of asking the kernel what code computes.
import { compile, type MapSpec, type TracerSpec } from "../../compiler/mod.ts";
import { hostTarget } from "../../tracer/compile_target.ts";
import { createMap, loadProgram } from "../../tracer/loader.ts";
import { progTestRun } from "../../runtime/bpf.ts";
import type { OwnedFd } from "../../runtime/fd.ts";
import { libc } from "../../runtime/ffi/mod.ts";
import { handlersSource } from "../unit/handler_source.ts";

export { handlersSource, PRELUDE } from "../unit/handler_source.ts";

await libc();
const target = await hostTarget();

export function compileSource(source: string): TracerSpec {
  return compile(source, "/test/handler.ts", target)[0];
}

/** Loads every program of the spec; `run(name, args)` test-runs one and returns its 32-bit result. */
export function load(spec: TracerSpec) {
  const maps = new Map<string, OwnedFd>();
  const progs = new Map<string, OwnedFd>();
  try {
    // Sized as the constructor says, as a started tracer would size them.
    for (const m of spec.maps) maps.set(m.name, createMap(m, { maxEntries: m.size }, spec.programs.length));
    for (const p of spec.programs) progs.set(p.name, loadProgram(p, maps, spec.file, undefined));
  } catch (e) {
    for (const fd of [...progs.values(), ...maps.values()]) fd.close();
    throw e;
  }
  return {
    /** A tracer field bound to its kernel map, for reading from JavaScript. */
    bind<M extends { bind(b: { fd: number; spec: MapSpec }): void }>(name: string, field: M): M {
      field.bind({ fd: maps.get(name)!.fd, spec: spec.maps.find((m) => m.name === name)! });
      if ("keyed" in field) (field as { keyed: boolean }).keyed = spec.maps.find((m) => m.name === name)!.userKey !== undefined;
      return field;
    },
    run(name: string, args: bigint[] = []): number {
      const ctx = new Uint8Array(12 * 8); // every argument slot a raw tracepoint may read
      const v = new DataView(ctx.buffer);
      args.forEach((a, i) => v.setBigUint64(i * 8, BigInt.asUintN(64, a), true));
      return progTestRun(progs.get(name)!.fd, ctx).retval;
    },
    close() {
      for (const fd of [...progs.values(), ...maps.values()]) fd.close();
    },
  };
}

/** Runs each body as a handler and returns what each returned (low 32 bits, as the kernel reports). */
export function runBodies(bodies: string[], args: bigint[] = [], extra = ""): number[] {
  const loaded = load(compileSource(handlersSource(bodies, extra)));
  try {
    return bodies.map((_, i) => loaded.run(`h${i}`, args));
  } finally {
    loaded.close();
  }
}
