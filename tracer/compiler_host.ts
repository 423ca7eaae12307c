// What the compiler shares with the rest of tsbpf when it runs from Bun's bytecode build of it
// (pack/bytecode.ts): that build holds compiler/ alone and takes every other module it imports
// from here, so there is one copy of each (one CompileError class that `instanceof` recognizes,
// one ProbeLookupError the target throws and the compiler catches). pack/bytecode.ts fails the
// build if the compiler imports a module outside compiler/ that is not listed here.
import * as userFacing from "../spec/user_facing.ts";
import * as diagnostics from "../spec/diagnostics.ts";
import * as layout from "../spec/layout.ts";
import * as tracerSpec from "../spec/tracer_spec.ts";
import * as target from "../spec/target.ts";
import * as helpers from "../spec/bpf/helpers.ts";
import * as isa from "../spec/bpf/isa.ts";

/** The modules, by their path from the package root: what the bytecode build's imports of them resolve to. */
export const COMPILER_HOST: Readonly<Record<string, object>> = {
  "spec/user_facing.ts": userFacing,
  "spec/diagnostics.ts": diagnostics,
  "spec/layout.ts": layout,
  "spec/tracer_spec.ts": tracerSpec,
  "spec/target.ts": target,
  "spec/bpf/helpers.ts": helpers,
  "spec/bpf/isa.ts": isa,
};
