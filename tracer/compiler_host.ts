// What the compiler shares with the rest of tsbpf when it runs from Bun's bytecode build of it
// (pack/bytecode.ts): that build takes these modules from here, so there is one copy of each (one
// CompileError class that `instanceof` recognizes, one ProbeLookupError the target throws and
// the compiler catches). Every start loads them already (import "tsbpf"). pack/bytecode.ts fails
// the build if the compiler imports a module outside compiler/ that is neither here nor a pure
// table it may copy, or if an entry here lacks one of its module's exports.
//
// Named imports, not `import * as`: a namespace object would make the start chunk carry esbuild's
// helper for it, shared with the lazy chunks as a file of its own that every start then loads.
import { isUserFacing, USER_FACING, UserFacingError } from "../spec/user_facing.ts";
import { closest, Code, CompileError, DiagnosticBag, didYouMean, renderDiagnostic, renderDiagnosticLine } from "../spec/diagnostics.ts";
import {
  alignOf, alignUp, bool, cgroupType, holdsKernelSymbol, i16, i32, i64, i8, inetType, INT_TYPES, intType, isScalar, ksymType, kstackType, layoutStruct,
  probeNameType, sameType, sizeOf, typeName, u16, u32, u64, u8, ustackType, usymType, voidType,
} from "../spec/layout.ts";
import {
  CGROUP_MAP, DEFAULT_PERF_BUFFER_BYTES, DEFAULT_RINGBUF_BYTES, DROPPED_MAP, fixedEntries, fromBase64, HISTOGRAM_SUM_BUCKET, LOST_MAP,
  MAX_MAP_ENTRIES, MAX_STACK_DEPTH, PARAMS_MAP, probeId, SCRATCH_MAP, STACKS_MAP, toBase64, UNITS,
} from "../spec/tracer_spec.ts";
import { isProbeLookupError, OverrideRefusedError, ProbeLookupError, SYSCALL_EXIT_INDEX } from "../spec/target.ts";

/** The modules' exports, by the module's path from the package root: what the bytecode build's imports of them resolve to. */
export function compilerHost(): Readonly<Record<string, object>> {
  return {
    "spec/user_facing.ts": { isUserFacing, USER_FACING, UserFacingError },
    "spec/diagnostics.ts": { closest, Code, CompileError, DiagnosticBag, didYouMean, renderDiagnostic, renderDiagnosticLine },
    "spec/layout.ts": {
      alignOf, alignUp, bool, cgroupType, holdsKernelSymbol, i16, i32, i64, i8, inetType, INT_TYPES, intType, isScalar, ksymType, kstackType, layoutStruct,
      probeNameType, sameType, sizeOf, typeName, u16, u32, u64, u8, ustackType, usymType, voidType,
    },
    "spec/tracer_spec.ts": {
      CGROUP_MAP, DEFAULT_PERF_BUFFER_BYTES, DEFAULT_RINGBUF_BYTES, DROPPED_MAP, fixedEntries, fromBase64, HISTOGRAM_SUM_BUCKET, LOST_MAP,
      MAX_MAP_ENTRIES, MAX_STACK_DEPTH, PARAMS_MAP, probeId, SCRATCH_MAP, STACKS_MAP, toBase64, UNITS,
    },
    "spec/target.ts": { isProbeLookupError, OverrideRefusedError, ProbeLookupError, SYSCALL_EXIT_INDEX },
  };
}
