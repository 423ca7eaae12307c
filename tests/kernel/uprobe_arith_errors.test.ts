// A uprobe's arguments and a uretprobe's value are user addresses until the script says they are
// numbers: arithmetic on one is an error whose hint says how (`r as u64`), not only how to read memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile, CompileError } from "../../compiler/mod.ts";
import { hostTarget } from "../../tracer/compile_target.ts";
import { libc } from "../../runtime/ffi/mod.ts";

await libc();
const kernel = await hostTarget();

function diagnostic(decorator: string, body: string) {
  const source = `import { Histogram, Tracer, uprobe, uretprobe } from "tsbpf";
class T extends Tracer {
  h = new Histogram();
  ${decorator}
  on(r: any) { ${body} }
}
`;
  try {
    compile(source, "/x/t.ts", kernel);
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics[0];
    throw e;
  }
  assert.fail("expected a compile error");
}

test("arithmetic on a uretprobe's value: the hint says to cast it to a number", () => {
  const d = diagnostic(`@uretprobe("/bin/bash:readline")`, "this.h.add(r + 1);");
  assert.equal(d.line, 5);
  assert.match(d.message, /arithmetic needs numbers/);
  assert.match(d.hints.join("\n"), /as u64/);
});

test("arithmetic on a uprobe's argument: the same hint", () => {
  const d = diagnostic(`@uprobe("/bin/bash:readline")`, "const n = r * 2; this.h.add(n as u64);");
  assert.match(d.hints.join("\n"), /as u64/);
});

function compiles(decorator: string, params: string, body: string) {
  const source = `import { Histogram, Tracer, uprobe, uretprobe, str, type u64, type i64, type Str } from "tsbpf";
class T extends Tracer {
  h = new Histogram();
  ${decorator}
  on(${params}) { ${body} }
}
`;
  compile(source, "/x/t.ts", kernel);
}

// bpftrace's argN is a 64-bit integer; the one-liner's translation says so with `(arg0: u64)`.
test("a register declared u64 or i64 is a number in arithmetic, and str() still reads through it", () => {
  compiles(`@uprobe("/bin/bash:readline")`, "n: u64", "this.h.add(n); this.h.add(n * 2 + 1);");
  compiles(`@uprobe("/bin/bash:readline")`, "n: i64", "this.h.add(-n);");
  compiles(`@uretprobe("/bin/bash:readline")`, "r: u64", "this.h.add(r);");
  compiles(`@uprobe("/bin/bash:readline")`, "p: u64", "const s: Str<32> = str(p); this.h.add(p);");
});
