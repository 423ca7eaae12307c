// One marker says "this error's message is the whole story" (spec/user_facing.ts): every
// user-facing error class carries it, the command line and the tracer decide by it alone, and
// an error of a second copy of tsbpf's modules is recognised by the same brand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isUserFacing, USER_FACING } from "../../spec/user_facing.ts";
import { describeError, describeScriptError } from "../../cli/errors.ts";
import { CliError, UsageError } from "../../cli/errors.ts";
import { CompileError } from "../../spec/diagnostics.ts";
import { ProbeLookupError } from "../../spec/target.ts";
import { FfiPermissionError, PermissionError, SyscallError, TracerError } from "../../runtime/errors.ts";
import { UnsafeFileError } from "../../runtime/files.ts";
import { UntrustedDirError } from "../../runtime/private_dir.ts";
import { SpecSchemaError } from "../../spec/spec_schema.ts";
import { KernelOnlyError } from "../../lang/kernel_only.ts";
import { VerifierError } from "../../runtime/verifier_error.ts";
import { BtfError } from "../../btf/error.ts";
import { ElfError } from "../../elf/error.ts";
import { TracepointFormatError } from "../../probes/tracepoint_format.ts";
import { TracefsError } from "../../probes/tracefs.ts";
import { ProbeNameError } from "../../probes/names.ts";
import { PrintfFormatError } from "../../cli/oneliner/printf.ts";
import { MapValueError } from "../../runtime/maps/fit.ts";

const userFacing: [string, Error][] = [
  ["CompileError", new CompileError([], "")],
  ["VerifierError", new VerifierError("h", 13, "", undefined, "no reason")],
  ["SyscallError", new SyscallError("bpf(BPF_MAP_CREATE)", 22)],
  ["PermissionError", new PermissionError("bpf(BPF_PROG_LOAD)", 1)],
  ["TracerError", new TracerError("no handlers")],
  ["FfiPermissionError", new FfiPermissionError()],
  ["ProbeLookupError", new ProbeLookupError("unknown tracepoint")],
  ["ProbeNameError", new ProbeNameError("bad name")],
  ["TracefsError", new TracefsError("no tracefs")],
  ["TracepointFormatError", new TracepointFormatError("no ID line")],
  ["PrintfFormatError", new PrintfFormatError("bad format")],
  ["BtfError", new BtfError("bad magic")],
  ["ElfError", new ElfError("not an ELF file")],
  ["UnsafeFileError", new UnsafeFileError("/tmp/x", "a FIFO")],
  ["UntrustedDirError", new UntrustedDirError("/tmp/cache", "writable by others")],
  ["SpecSchemaError", new SpecSchemaError("programs[0].insns", "not base64")],
  ["CliError", new CliError("no such file")],
  ["UsageError", new UsageError("unknown option")],
  ["MapValueError", new MapValueError("key", 2 ** 32, "an integer from 0 to 4294967295", "m")],
];

test("every user-facing error class carries the marker", () => {
  for (const [name, e] of userFacing) assert.ok(isUserFacing(e), `${name} is not marked user-facing`);
});

test("errors that are bugs do not carry it", () => {
  for (const e of [new Error("x"), new TypeError("x"), new RangeError("x"), "a string", undefined]) assert.equal(isUserFacing(e), false);
});

test("a helper stub called from the script's JavaScript is the script's bug: shown with where it happened", () => {
  const e = new KernelOnlyError("pid");
  assert.equal(isUserFacing(e), false);
  assert.match(describeScriptError(e, false), /^KernelOnlyError: pid\(\) runs only inside a probe handler.* \(run tsbpf with --verbose/);
});

test("the command line prints a marked error as its message, never as an internal error", () => {
  for (const [name, e] of userFacing) {
    const text = describeError(e, false);
    assert.doesNotMatch(text, /internal error/, `${name}: ${text}`);
  }
  assert.match(describeError(new TypeError("boom"), false), /internal error/);
});

test("an error of another copy of tsbpf's modules is recognised by the same brand", () => {
  // Another copy has its own class objects, but Symbol.for gives it the same symbol.
  const brand = Symbol.for("tsbpf.user-facing");
  class Copy extends Error {
    constructor(message: string) {
      super(message);
      Object.defineProperty(this, brand, { value: true });
    }
  }
  assert.equal(Symbol.for("tsbpf.user-facing"), USER_FACING);
  assert.ok(isUserFacing(new Copy("from a bundled copy")));
  assert.doesNotMatch(describeError(new Copy("from a bundled copy"), false), /internal error/);
});

// A map read after stop() or a key out of range, in a script `tsbpf run` runs: the message says
// what is wrong, but it was printed without the line that did it (running the script with bun or
// deno directly shows that line), so the user could not tell which of their reads it was.
test("an explained error from the script's own call under tsbpf run says where the script made it", () => {
  const own = new URL("../../runtime/maps/kernel_map.ts", import.meta.url).href;
  const stacked = (e: Error, frames: string[]) => Object.assign(e, { stack: `${e.name}: ${e.message}\n${frames.map((f) => `    at ${f}`).join("\n")}` });
  const afterStop = stacked(new TracerError("a is not connected to the kernel: start() the tracer first (and read it before stop())"), [`ArrayMap.get (${own}:322:30)`, "file:///tmp/trace.ts:12:26"]);
  assert.equal(describeScriptError(afterStop, false), "tsbpf: a is not connected to the kernel: start() the tracer first (and read it before stop()) (at /tmp/trace.ts:12:26)");
  const range = stacked(new MapValueError("key", -1, "an integer from 0 to 4294967295", "a"), ["/tmp/trace.ts:10:5"]);
  assert.match(describeScriptError(range, false), /^tsbpf: a: key must be .*, got -1 \(at \/tmp\/trace\.ts:10:5\)$/);
  // A message that starts with its own place (a map field refused at start()) is left as it is.
  const placed = stacked(new TracerError("/tmp/trace.ts:4:3: T.m: HashMap needs between 1 and 10 entries, got 0"), ["/tmp/trace.ts:9:20"]);
  assert.equal(describeScriptError(placed, false), "tsbpf: /tmp/trace.ts:4:3: T.m: HashMap needs between 1 and 10 entries, got 0");
});
