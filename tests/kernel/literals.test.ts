// Literals that cannot mean what they say are compile errors at their position, not silently
// wrapped integers or comparisons compiled to a constant false.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile, CompileError } from "../../compiler/mod.ts";
import { hostTarget } from "../../tracer/compile_target.ts";
import { libc } from "../../runtime/ffi/mod.ts";
import { compileSource, handlersSource, load } from "./harness.ts";

await libc();
const kernel = await hostTarget();

const source = (body: string, top = "") => `import { tracepoint, Tracer, comm, str, type u64, type Str } from "tsbpf";
${top}
class T extends Tracer {
  @tracepoint("syscalls:sys_enter_openat")
  h(args: any) {
    ${body}
  }
}
`;

function diagnostic(src: string) {
  try {
    compile(src, "/x/t.ts", kernel);
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    assert.equal(e.diagnostics.length, 1, e.message);
    const d = e.diagnostics[0];
    return { ...d, at: src.split("\n")[d.line - 1].slice(d.column - 1, d.column - 1 + d.length) };
  }
  assert.fail("expected a compile error");
}

test("an integer literal past 64 bits is an error at the literal, with the range", () => {
  const d = diagnostic(source("const x: u64 = 123456789012345678901234567890n; return x;"));
  assert.deepEqual([d.code, d.line, d.at], ["TSB1005", 6, "123456789012345678901234567890n"]);
  assert.match(d.message, /does not fit in 64 bits/);
  assert.match(d.hints.join(" "), /2\^64/);
  // Number literals too, and a top-level const at its definition (not "not a constant").
  assert.equal(diagnostic(source("return 99999999999999999999;")).at, "99999999999999999999");
  const top = diagnostic(source("return BIG;", "const BIG = 0x1_0000_0000_0000_0000n;"));
  assert.deepEqual([top.line, top.at], [2, "0x1_0000_0000_0000_0000n"]);
});

test("the largest 64-bit literals keep every digit, as BigInt and as number", () => {
  const loaded = load(compileSource(handlersSource([
    "    return (18446744073709551615 >>> 40) as u32;", // exact: 2^64 - 1, not the double 2^64 (which wraps to 0)
    "    return (0xffff_ffff_ffff_fffen & 0xffn) as u32;",
    "    return (9007199254740993 & 0xff) as u32;", // 2^53 + 1: a double would lose the 1
  ])));
  try {
    assert.equal(loaded.run("h0"), 0xffffff);
    assert.equal(loaded.run("h1"), 0xfe);
    assert.equal(loaded.run("h2"), 1);
  } finally {
    loaded.close();
  }
});

test("comparing comm() with a literal longer than 15 characters is an error with a hint, not a constant false", () => {
  const d = diagnostic(source(`if (comm() === "a 28-character literal here") return 1; return 0;`));
  assert.deepEqual([d.code, d.line, d.at], ["TSB1005", 6, `"a 28-character literal here"`]);
  assert.match(d.message, /comm\(\).*at most 15.*always be false/);
  assert.match(d.hints[0], /startsWith\("a 28-character "\)/);
  const prefix = diagnostic(source(`if (comm().startsWith("sixteen-chars-xx")) return 1; return 0;`));
  assert.match(prefix.message, /prefix test would always be false/);
  // 15 characters fit.
  compile(source(`if (comm() === "fifteen-chars-x" || comm().startsWith("fifteen-chars-x")) return 1; return 0;`), "/x/t.ts", kernel);
});

test("comparing a Str<N> with a longer literal is an error naming its size", () => {
  const d = diagnostic(source(`const s: Str<8> = str(args.filename); if (s === "/etc/passwd") return 1; return 0;`));
  assert.equal(d.at, `"/etc/passwd"`);
  assert.match(d.message, /11 bytes but this string \(8 bytes, its NUL included\) holds at most 7/);
  assert.match(d.hints.join(" "), /Str<N> with a larger N/);
});
