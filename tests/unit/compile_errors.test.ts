// Bad scripts fail with diagnostics that name the file, line and column: the compiler's own
// checks, against the fake target (no kernel, no privileges). Diagnostics that depend on what the
// real kernel offers (probe lookups, the verifier) are in tests/kernel/errors.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile, CompileError } from "../../compiler/mod.ts";
import { fakeTarget } from "./fake_target.ts";
import { refusals } from "./refusals.ts";

const kernel = fakeTarget();

const HEADER = `import { Count, RingBuf, Tracer, tracepoint, kprobe, pid, comm, curtask, str, type i64, type u32, type Str } from "tsbpf";
interface E { pid: u32; name: Str<16> }
class T extends Tracer {
  events = new RingBuf<E>();
`;

function diagnostics(body: string) {
  return refusals(HEADER + body + "\n}\n", kernel);
}

function fileDiagnostics(source: string, target = kernel) {
  return refusals(source, target);
}

test("a map named like a Tracer method (every, dropped, metricsAddress) is refused where it is declared", () => {
  for (const name of ["every", "dropped", "metricsAddress", "handlerStats"]) {
    const [d] = diagnostics(`  ${name} = new RingBuf<E>();\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) {}`);
    assert.equal(d.line, 5, name);
    assert.match(d.message, new RegExp(`"${name}" would hide Tracer\\.${name}\\(\\)`));
  }
});

test("a map named begin or end is refused where it is declared; begin() and end() methods are not", () => {
  for (const name of ["begin", "end"]) {
    const [d] = diagnostics(`  ${name} = new RingBuf<E>();\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) {}`);
    assert.equal(d?.line, 5, name);
    assert.match(d.message, new RegExp(`"${name}" would hide Tracer\\.${name}\\(\\)`));
    compile(HEADER + `  override ${name}(): void {}\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) {}\n}\n`, "/x/t.ts", kernel);
  }
});

test("a string pointer put where a string goes: the hint says to read it with str()", () => {
  const [d] = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { this.events.submit({ pid: pid(), name: args.filename }); }`);
  assert.equal(d.line, 6);
  assert.equal(d.column, 57);
  assert.match(d.message, /expected Str<16> here, got .*char \*/);
  assert.deepEqual(d.hints, ["that is a pointer: read the string it points to with str(args.filename)"]);
});

test("a string pointer compared with a literal or tested with startsWith(): the hint says to read it with str()", () => {
  for (const test of [`args.filename === "/etc/passwd"`, `args.filename.startsWith("/etc")`]) {
    const [d] = diagnostics(`  c = new Count<u32>();\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { if (${test}) this.c.add(1); }`);
    assert.equal(d.column, 22, test);
    assert.deepEqual(d.hints, ["that is a pointer: read the string it points to with str(args.filename)"], test);
  }
});

test("a kernel char array used as a number (a one-liner's count(curtask().comm)) says it is a string to read with str()", () => {
  const [d] = diagnostics(`  c = new Count<i64>();\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { this.c.add(curtask().comm); }`);
  assert.equal(d.line, 7);
  assert.match(d.message, /expected a number here, got char\[16\] of kernel memory/);
  assert.match(d.hints.join(" "), /a char array holds a string: read it with str\(\.\.\.\)/);
});

test("bpftrace's plain names in a handler: a helper is told to be called, retval and argN to be parameters", () => {
  const cases: [string, RegExp, RegExp][] = [
    ["comm", /^"comm" is a function in a handler: call it, comm\(\)$/, /tsbpf's helpers are calls/],
    ["str", /^"str" is a function in a handler: call it, str\(\.\.\.\)$/, /tsbpf's helpers are calls/],
    ["retval", /^unknown name "retval": in tsbpf, the return value is the handler's parameter$/, /kretprobe\("vfs_read", ret => \.\.\.\)/],
    ["arg1", /^unknown name "arg1": in tsbpf, the arguments are the handler's parameters$/, /kprobe\("vfs_read", \(file, buf, count\) => \.\.\.\)/],
  ];
  for (const [name, message, hint] of cases) {
    const [d] = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { const x = ${name}; }`);
    assert.equal(d?.line, 6, name);
    assert.equal(d.column, 28, name);
    assert.match(d.message, message, name);
    assert.match(d.hints.join("\n"), hint, name);
  }
});

test("did you mean never offers a one-letter name because it is inside the unknown one", () => {
  const [d] = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(a: any) { const x = rand; }`);
  assert.match(d.message, /^unknown name "rand"$/);
  assert.deepEqual(d.hints.filter((h) => h.startsWith("did you mean")), []);
});

test("a map or event typed string is told to use Str<N>, at the type", () => {
  for (const decl of ["  c = new Count<string>();", "  c = new RingBuf<{ name: string }>();"]) {
    const [d] = diagnostics(`${decl}\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) {}`);
    assert.equal(d?.line, 5, decl);
    assert.match(d.message, /a string .* has a fixed size: write Str<N>/, decl);
    assert.match(d.hints.join(" "), /Str<16> for a command name/, decl);
  }
});

// One mistake, one error: the handlers using a map whose declaration was refused say nothing more.
test("a map refused at its declaration: its uses report nothing after the declaration's error", () => {
  for (const decl of ["  c = new Count<string>();", "  c = new Count<u32, u32, u32>();", "  c = new RingBuf<{ name: string }>();"]) {
    const ds = diagnostics(`${decl}\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { this.c.add(comm()); this.c.submit({ name: comm() }); }`);
    assert.deepEqual(ds.map((d) => d.line), [5], `${decl}: ${ds.map((d) => d.message).join(" | ")}`);
  }
});

test("a Str without a usable length: says which length it got and what would do", () => {
  const [d] = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { let s: Str<0> = str(args.filename); }`);
  assert.equal(d.line, 6);
  assert.match(d.message, /from 1 to 4096, not Str<0>/);
  assert.match(d.hints.join(" "), /Str<16>/);
});

test("a string local given a longer string than it holds: says its size and how to declare it with room", () => {
  const [d] = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { let s = "ab"; s = "a string longer than sixteen"; }`);
  assert.equal(d.line, 6);
  assert.equal(d.column, 36);
  assert.match(d.message, /"s" holds a Str<16> \(15 bytes and a NUL\); this string needs 29/);
  assert.match(d.hints.join(" "), /let s: Str<29> = \.\.\./);
});

test("unknown tracepoint field: names the field and offers the real ones", () => {
  const [d] = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { const f = args.filenam; }`);
  assert.equal(d.code, "TSB1004");
  assert.equal(d.line, 6);
  assert.equal(d.column, 33);
  assert.match(d.hints[0], /"filename"/);
});

test("a try statement and a class expression are both reported, each at its own column", () => {
  const ds = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) {\n    try { pid(); } catch {}\n    const k = class {};\n  }`);
  assert.deepEqual(ds.map((d) => [d.code, d.line, d.column]), [["TSB1002", 7, 5], ["TSB1002", 8, 15]]);
  assert.match(ds[0].message, /"try"/);
  assert.match(ds[1].message, /class expression/);
});

test("the rendered error shows file:line:col, the source line and a caret", () => {
  try {
    compile(HEADER + `  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { this.events.submit({ pid: pid(), name: comm(), extra: 1 }); }\n}\n`, "/x/t.ts", kernel);
    assert.fail("expected a compile error");
  } catch (e) {
    assert.ok(e instanceof CompileError);
    const text = (e as Error).message;
    assert.match(text, /^\/x\/t\.ts:6:65: error\[TSB1004\]: E has no field "extra"/);
    assert.match(text, /\n6 \|   h\(args: any\)/);
    assert.match(text, /\n  \| {65}\^{5}/);
  }
});

test("a line indented with tabs is shown with spaces and the caret under the column the error names (tabs printed as \\x09 moved it)", () => {
  const source = HEADER.replace(/^  /gm, "\t") + `\t@tracepoint("syscalls:sys_enter_openat")\n\th(args: any) {\t\tthis.events.submit({ pid: pid(), name: comm(), extra: 1 }); }\n}\n`;
  try {
    compile(source, "/x/t.ts", kernel);
    assert.fail("expected a compile error");
  } catch (e) {
    assert.ok(e instanceof CompileError);
    const lines = (e as Error).message.split("\n");
    assert.match(lines[0], /^\/x\/t\.ts:6:65: error\[TSB1004\]: E has no field "extra"/);
    // Tab stops every 4 columns, as editors show them; the caret sits under "extra" in the line as printed.
    assert.equal(lines[2], "6 |     h(args: any) {      this.events.submit({ pid: pid(), name: comm(), extra: 1 }); }");
    const caret = lines[3].indexOf("^");
    assert.equal(lines[2].slice(caret, caret + 5), "extra");
    assert.match(lines[3], /\^{5}$/);
    assert.ok(!lines.join("\n").includes("\t"));
  }
});

// One test per diagnostic code: [code, handler body (or a whole class member), line, column].
const KINDS: [string, string, number, number][] = [
  ["TSB1003", "  @tracepoint(\"syscalls:sys_enter_openat\")\n  h(args: any) { return pidd(); }", 6, 25],
  ["TSB1005", "  @tracepoint(\"syscalls:sys_enter_openat\")\n  h(args: any) { const x = comm() + 1; }", 6, 28],
  ["TSB1006", "  @tracepoint(42)\n  h(args: any) {}", 5, 3],
  ["TSB1008", "  m = new HashMap<u32>();\n  @tracepoint(\"syscalls:sys_enter_openat\")\n  h(args: any) {}", 5, 7],
  ["TSB1009", "  @tracepoint(\"syscalls:sys_enter_openat\")\n  h(args: any) { let x: Foo = 1; }", 6, 25],
  ["TSB1010", "  @tracepoint(\"syscalls:sys_enter_openat\")\n  h(args: any) { const a: Str<300> = str(args.filename); const b: Str<300> = str(args.filename); if (a === \"x\" || b === \"y\") return; }", 6, 3],
  ["TSB1011", "  @tracepoint(\"syscalls:sys_enter_openat\")\n  h(args: any) { this.events.push(1); }", 6, 30],
  ["TSB1012", "  @tracepoint(\"syscalls:sys_enter_openat\")\n  h(args: any) { switch (pid()) { case pid(): return 1; } }", 6, 40],
  ["TSB1002", "  @tracepoint(\"syscalls:sys_enter_openat\")\n  h(args: any) { for (let i = 0; i < pid(); i++) {} }", 6, 18],
];

for (const [code, body, line, column] of KINDS) {
  test(`${code} is reported at ${line}:${column}`, () => {
    const src = HEADER.replace('import { RingBuf,', 'import { HashMap, RingBuf,') + body + "\n}\n";
    let ds;
    try {
      compile(src, "/x/t.ts", kernel);
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
      ds = e.diagnostics;
    }
    assert.ok(ds, "expected a compile error");
    assert.deepEqual([ds[0].code, ds[0].line, ds[0].column], [code, line, column], ds.map((d) => `${d.code} ${d.line}:${d.column} ${d.message}`).join("\n"));
    assert.ok(ds[0].hints.length > 0 || ds[0].message.length > 20, "a diagnostic should explain itself");
  });
}

test("no tracer class in the file", () => {
  try {
    compile("const x = 1;\n", "/x/none.ts", kernel);
    assert.fail("expected a compile error");
  } catch (e) {
    assert.ok(e instanceof CompileError);
    assert.equal(e.diagnostics[0].code, "TSB1013");
  }
});

test("?? on anything but a kernel struct's field says what it is for", () => {
  const [d] = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { const f = args.flags ?? 3; }`);
  assert.equal(d.line, 6);
  assert.match(d.message, /\?\? needs a kernel struct's field on its left, not a field of the probe's arguments/);
  assert.match(d.hints.join(" "), /a\.field \?\? b\.other/);
});

test("?? after a map's get() or a helper (the JavaScript idiom for a missing key) says that handler values are never undefined", () => {
  const body = (expr: string) => `  counts = new HashMap<u32, u64>();\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { const n = ${expr}; }`;
  for (const expr of ["this.counts.get(pid()) ?? 0n", "pid() ?? 1"]) {
    const [d] = refusals(HEADER.replace("kprobe,", "kprobe, HashMap, type u64,") + body(expr) + "\n}\n", kernel);
    assert.equal(d.line, 7, expr);
    assert.match(d.message, /never null or undefined/, expr);
    assert.match(d.hints.join(" "), /get\(\) gives 0 for a key that is absent/, expr);
  }
});

test("a string helper where a number is wanted (a u32 key, a histogram's value) says a number is wanted, not only where strings go", () => {
  const head = HEADER.replace("kprobe,", "kprobe, HashMap, Histogram, type u64,");
  const body = (field: string, stmt: string) => `  ${field};\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { ${stmt} }`;
  for (const [field, stmt] of [["seen = new HashMap<u32, u64>()", "this.seen.set(comm(), 1);"], ["lat = new Histogram()", "this.lat.add(comm());"]]) {
    const [d] = refusals(head + body(field, stmt) + "\n}\n", kernel);
    assert.equal(d.line, 7, stmt);
    assert.match(d.message, /comm\(\) gives a string, where a number is wanted/, stmt);
  }
});

test("an aggregation's add() with a key it was not declared with names its own class in the hint", () => {
  const head = HEADER.replace("kprobe,", "kprobe, Histogram, Sum,");
  for (const [field, cls] of [["lat = new Histogram()", "Histogram"], ["bytes = new Sum()", "Sum"]]) {
    const name = field.split(" ")[0];
    const [d] = refusals(head + `  ${field};\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { this.${name}.add(pid(), 3); }` + "\n}\n", kernel);
    assert.match(d.hints.join(" "), new RegExp(`new ${cls}<Str<16>>`), field);
  }
});

test("a probe decorator on a property (an arrow function), a static method or an accessor is refused at the decorator, not ignored", () => {
  const members = [
    ["onClose = () => { this.events.submit({ pid: pid(), name: comm() }); };", /property/],
    ["static onClose() {}", /static/],
    ["get onClose() { return 1; }", /getter|accessor/],
  ] as const;
  for (const [member, what] of members) {
    const ds = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) {}\n  @tracepoint("syscalls:sys_enter_close")\n  ${member}`);
    const d = ds.find((x) => x.line === 7);
    assert.ok(d, `${member}: no diagnostic at the decorator: ${JSON.stringify(ds)}`);
    assert.equal(d.column, 3, member);
    assert.match(d.message, what, member);
    assert.match(d.hints.join(" "), /onClose\(\) \{/, member);
  }
});

test("&& and || whose value is kept, with an integer operand, are refused: JavaScript would give the operand, a handler gives 0 or 1", () => {
  const head = HEADER.replace("kprobe,", "kprobe, HashMap, type u64,");
  const body = (stmt: string) => `  m = new HashMap<u32, u64>();\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { ${stmt} }`;
  for (const stmt of ["const v = this.m.get(pid()) || 7n;", "const v = pid() && 3;", "let v: u64 = 0; v = this.m.get(pid()) || v;"]) {
    const ds = refusals(head + body(stmt) + "\n}\n", kernel);
    assert.equal(ds.length, 1, `${stmt}: ${JSON.stringify(ds)}`);
    assert.equal(ds[0].line, 7, stmt);
    assert.match(ds[0].message, /gives 0 or 1 in a handler, not one of its operands/, stmt);
    assert.match(ds[0].hints.join(" "), /\? .* : /, stmt);
  }
  // Booleans kept, and integers tested where only truth counts, stay as they were.
  for (const stmt of ["const ok = pid() > 1 || args.flags === 3;", "if (this.m.get(pid()) || pid() > 5) return;", "const t = !pid() || pid() > 9;"]) {
    assert.doesNotThrow(() => compile(head + body(stmt) + "\n}\n", "/x/ok.ts", kernel), stmt);
  }
});

test("&& and || as a statement are an if: the right side may give nothing (a map's set, a submit)", () => {
  const head = HEADER.replace("kprobe,", "kprobe, HashMap, ktime, type u64,");
  const body = (stmt: string) => `  m = new HashMap<u32, u64>();\n  note() { this.m.set(9, 9n); }\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { ${stmt} }`;
  for (const stmt of [
    "pid() > 3 && this.m.set(pid(), 1n);", "pid() > 3 || this.m.set(pid(), 1n);", "(pid() > 3 && this.m.delete(pid()));",
    "pid() == 1 && this.events.submit({ pid: pid(), name: comm() });", "pid() > 3 && this.note();",
    "pid() > 3 && pid() < 9 && this.m.set(pid(), 1n);", "pid() > 3 && (pid() < 9 || this.m.set(pid(), ktime()));", "this.m.get(pid()) && this.m.delete(pid());",
  ]) {
    try {
      compile(head + body(stmt) + "\n}\n", "/x/ok.ts", kernel);
    } catch (e) {
      assert.fail(`${stmt}: ${e instanceof CompileError ? e.diagnostics.map((d) => d.message).join("; ") : e}`);
    }
  }
  // Its value kept, a void side is still no value.
  const [d] = refusals(head + body("const v = pid() > 3 && this.m.set(pid(), 1n);") + "\n}\n", kernel);
  assert.match(d?.message ?? "", /void/);
});

test("a method or function declared \`: void\` is called from a handler like one without a return type", () => {
  const head = HEADER.replace("kprobe,", "kprobe, HashMap, type u64,").replace("class T extends Tracer {", "function twice(x: u32): void { x * 2; }\nclass T extends Tracer {");
  const source = head + `  m = new HashMap<u32, u64>();\n  note(k: u32): void { this.m.set(k, 1n); }\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { this.note(pid()); twice(pid()); pid() > 3 && this.note(1); }\n}\n`;
  try {
    compile(source, "/x/void.ts", kernel);
  } catch (e) {
    assert.fail(e instanceof CompileError ? e.diagnostics.map((d) => `${d.line}:${d.column}: ${d.message}`).join("; ") : String(e));
  }
});

test("two tracer classes of one name: an error naming both places, not the wrong one loaded", () => {
  const tracer = (probe: string) => `class T extends Tracer {\n  @tracepoint("${probe}")\n  h(args: any) {}\n}`;
  const ds = fileDiagnostics(`import { tracepoint, Tracer } from "tsbpf";\nfunction a() {\n${tracer("syscalls:sys_enter_openat")}\n}\nfunction b() {\n${tracer("syscalls:sys_enter_close")}\n}\n`);
  assert.equal(ds.length, 1);
  assert.deepEqual([ds[0].code, ds[0].line, ds[0].column], ["TSB1014", 9, 7]);
  assert.match(ds[0].message, /two tracer classes are named "T" in this file, at 3:7 and at 9:7/);
  assert.match(ds[0].hints.join(" "), /its own name/);
});

test("an async or generator handler is an error at its name, with a hint", () => {
  for (const [head, what] of [["async h", "async"], ["*h", "a generator"], ["async *h", "async"]]) {
    const ds = fileDiagnostics(`import { tracepoint, Tracer, pid } from "tsbpf";\nclass T extends Tracer {\n  @tracepoint("syscalls:sys_enter_openat")\n  ${head}(args: any) { pid(); }\n}\n`);
    assert.equal(ds.length, 1, ds.map((d) => d.message).join("\n"));
    assert.equal(ds[0].line, 4);
    assert.equal(ds[0].column, 2 + head.length); // at the name
    assert.match(ds[0].message, new RegExp(`handler "h" is ${what}: handlers run to completion in the kernel`));
    assert.match(ds[0].hints[0], /^remove /);
  }
  const [d] = fileDiagnostics(`import { tracepoint, Tracer } from "tsbpf";\nconst f = async (x: number) => x;\nclass T extends Tracer {\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { return f(1); }\n}\n`);
  assert.deepEqual([d.line, d.column], [5, 25]);
  assert.match(d.message, /"f" is async, so a handler cannot call it/);
});

test("recursion is named as recursion, with its cycle, once", () => {
  const cases: [string, string, number, number, RegExp][] = [
    ["function f(x: u64): u64 { return f(x); }", "f(1)", 2, 34, /recursion: "f" calls itself/],
    ["function a(x: u64): u64 { return b(x); }\nfunction b(x: u64): u64 { return a(x); }", "a(1)", 3, 34, /recursion: "a" calls "b", which calls "a"/],
    ["function a(): u64 { return b(); }\nfunction b(): u64 { return c(); }\nfunction c(): u64 { return 1 + a(); }", "a()", 4, 32, /recursion: "a" calls "b", which calls "c", which calls "a"/],
  ];
  for (const [fns, call, line, column, message] of cases) {
    const ds = fileDiagnostics(`import { tracepoint, Tracer, type u64 } from "tsbpf";\n${fns}\nclass T extends Tracer {\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { return ${call}; }\n}\n`);
    assert.equal(ds.length, 1, ds.map((d) => `${d.line}:${d.column} ${d.message}`).join("\n"));
    assert.deepEqual([ds[0].line, ds[0].column], [line, column]);
    assert.match(ds[0].message, message);
    assert.doesNotMatch(ds[0].message, /void/);
    assert.match(ds[0].hints.join(" "), /bounded loop/);
  }
  const [m] = fileDiagnostics(`import { tracepoint, Tracer, type u64 } from "tsbpf";\nclass T extends Tracer {\n  a(): u64 { return this.b(); }\n  b(): u64 { return this.a(); }\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { return this.a(); }\n}\n`);
  assert.match(m.message, /recursion: "a" calls "b", which calls "a"/);
});

test("console in a handler: says why, and what to use instead", () => {
  const [d] = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { console.log(pid()); }`);
  assert.deepEqual([d.line, d.column], [6, 18]);
  assert.match(d.message, /console cannot be used in a handler/);
  assert.match(d.hints.join(" "), /this\.events\.submit/);
  assert.match(d.hints.join(" "), /print\(\.\.\.\) and printf\(\.\.\.\)/);
});

test("Date.now(), performance.now(), Math.random() in a handler: say the handler runs in the kernel and what to use", () => {
  for (const [call, global] of [["Date.now()", "Date"], ["performance.now()", "performance"], ["Math.random()", "Math"]]) {
    const [d] = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { const t = ${call}; }`);
    assert.deepEqual([d.line, d.column], [6, 28], call);
    assert.match(d.message, new RegExp(`${global} cannot be used in a handler: handlers run in the kernel`), call);
    if (global !== "Math") assert.match(d.hints.join(" "), /ktime\(\)/, call);
  }
});

test("a module-level variable changed in a handler: says why it cannot be, and offers a map", () => {
  for (const change of ["counter++", "counter += 1", "counter = 2", "--counter"]) {
    const ds = fileDiagnostics(`import { Tracer, tracepoint } from "tsbpf";\nlet counter = 0;\nclass T extends Tracer {\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { ${change}; }\n}\n`);
    const d = ds[0];
    assert.equal(d.line, 5, change);
    assert.match(d.message, /"counter" is a variable of the script in user space: a handler runs in the kernel and cannot change it/, change);
    assert.match(d.hints.join(" "), /Count\(\)|Sum\(\)/, change);
  }
});

test("a string + something in a handler: says strings cannot be concatenated and what to do", () => {
  for (const sum of [`"x" + comm()`, `comm() + "x"`, `"a" + "b"`]) {
    const [d] = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { const s = ${sum}; }`);
    assert.equal(d.line, 6, sum);
    assert.match(d.message, /strings cannot be concatenated in a handler/, sum);
    assert.match(d.hints.join(" "), /printf/, sum);
  }
});

test("bpftrace's cpid in a handler: says what it is and what tsbpf does instead", () => {
  const [d] = diagnostics(`  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { if (pid() === cpid) return; }`);
  assert.deepEqual([d.line, d.column], [6, 32]);
  assert.match(d.message, /"cpid" is bpftrace's pid of the command started with -c/);
  assert.match(d.hints.join(" "), /-c CMD.*traces only CMD/);
  assert.match(d.hints.join(" "), /cliOptions\.pid/);
  assert.doesNotMatch(d.hints.join(" "), /did you mean/);
});

test("a tracer's integer field changed in a handler: says it is set from JavaScript, and offers a map", () => {
  for (const change of ["this.n++", "this.n += 2", "this.n = 1"]) {
    const [d] = diagnostics(`  n: u32 = 0;\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { ${change}; }`);
    assert.deepEqual([d.line, d.column], [7, 18], change);
    assert.match(d.message, /this\.n is a tracer field that JavaScript sets: handlers can read it but not change it/, change);
    assert.match(d.hints.join(" "), /Count\(\)/, change);
  }
});

test("a map's get() compared with undefined: the hint says get() is 0 where the key is absent", () => {
  const [d] = refusals(HEADER.replace("Count,", "Count, HashMap,") + `  c = new HashMap<u32, u32>();\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { const n = this.c.get(pid()); if (n !== undefined) this.c.delete(pid()); }\n}\n`, kernel);
  assert.equal(d.line, 7);
  assert.match(d.message, /undefined has no value in a handler/);
  assert.match(d.hints.join(" "), /get\(\) is 0 where the key is absent.*has\(\)/);
});

test("a stack stored in an integer key or field (Count<u32> given kstack()): refused, since it would print as a stack id", () => {
  const source = (key: string, call: string) => HEADER.replace("Count,", "Count, StackTraceMap, kstack, ustack, type u64, type KStack,") +
    `  st = new StackTraceMap(1024, 8);\n  c = new Count<${key}>();\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { this.c.add(${call}); }\n}\n`;
  for (const [key, call] of [["u32", "this.st.kstack()"], ["u64", "kstack()"], ["u32", "ustack()"]]) {
    const [d] = refusals(source(key, call), kernel);
    assert.equal(d?.line, 8, `${key} ${call}`);
    assert.match(d.message, /a (kernel|user) stack stored as (u32|u64) prints as its id/);
    assert.match(d.hints.join(" "), /declare it (KStack|UStack)/);
  }
  compile(source("KStack", "this.st.kstack()"), "/x/t.ts", kernel);
});

test("a map's struct value tested for absence (s === undefined, !s): the hint says get() gives a zeroed struct, has() tells", () => {
  for (const check of ["s === undefined", "!s"]) {
    const source = HEADER.replace("Count,", "Count, HashMap,") +
      `  c = new HashMap<u32, E>();\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { const s = this.c.get(pid()); if (${check}) return; this.events.submit(s); }\n}\n`;
    const [d, ...more] = refusals(source, kernel);
    assert.equal(d.line, 7, check);
    assert.equal(more.length, 0, check);
    assert.match(d.hints.join(" "), /get\(\) gives a zeroed E where the key is absent.*has\(key\)/, check);
  }
});

test("an error in a method called from several handlers is reported once, not once per handler", () => {
  const source = HEADER + `  note(p: i64) { this.events.submit({ pid: pid(), name: p }); }\n` +
    `  @tracepoint("syscalls:sys_enter_openat")\n  a(args: any) { this.note(1); }\n  @tracepoint("syscalls:sys_enter_openat")\n  b(args: any) { this.note(2); }\n}\n`;
  const ds = refusals(source, kernel);
  assert.equal(ds.length, 1, ds.map((d) => `${d.line}:${d.column} ${d.message}`).join("\n"));
  assert.equal(ds[0].line, 5);
});

test("super.m() of a base tracer method compiles; super.field is named as written, with what to do instead", () => {
  const source = (body: string) => `import { Count, Tracer, tracepoint, type u64 } from "tsbpf";
class Base extends Tracer {
  a = new Count<u64>();
  count(k: u64) { this.a.add(k); }
  @tracepoint("syscalls:sys_enter_openat")
  h() { this.count(1n); }
}
class Sub extends Base {
  override count(k: u64) { ${body} }
}
`;
  assert.ok(compile(source("super.count(k + 1n);"), "/x/t.ts", kernel));
  // Base's handler h calls this.count(), the override, which would call h again through super.
  const [cycle] = fileDiagnostics(source("super.h();"));
  assert.match(cycle.message, /^recursion: "count" calls "Base\.h", which calls "count"/);
  const [d] = fileDiagnostics(source("super.a.add(k);"));
  assert.equal(`${d.line}:${d.column}`, "9:28");
  assert.equal(d.message, "super is not supported in a handler");
  assert.match(d.hints.join("\n"), /super reaches only the methods of a base tracer class declared in this file \(super\.name\(\)\); read a map or parameter as this\.name/);
});

test("a tracer's map, field or method used without this. is named as the tracer's, with this.NAME to write", () => {
  const cases: [string, string, RegExp][] = [
    ["lat.add(pid());", "lat", /^unknown name "lat": it is a map of T; in a handler it is this\.lat$/],
    ["const x = limit;", "limit", /^unknown name "limit": it is a field of T; in a handler it is this\.limit$/],
    ["const x = who();", "who", /^unknown function "who": it is a method of T; in a handler it is this\.who\(\)$/],
    ["lat = 1;", "lat", /^unknown name "lat": it is a map of T; in a handler it is this\.lat$/],
  ];
  for (const [stmt, name, message] of cases) {
    const [d] = diagnostics(`  lat = new Count<u32>();\n  limit: u32 = 5;\n  who() { return pid(); }\n  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { ${stmt} }`);
    assert.equal(d?.line, 9, stmt);
    assert.equal(d.column, 18 + stmt.indexOf(name), stmt);
    assert.match(d.message, message, stmt);
    assert.doesNotMatch(d.hints.join("\n"), /did you mean/, stmt);
  }
});

test("an error inside a function a handler calls names the call, which brought the function into the kernel", () => {
  const source = `${HEADER}  @tracepoint("syscalls:sys_enter_openat")\n  h(args: any) { this.events.submit({ pid: show(pid()), name: comm() }); }\n}\nfunction show(x: u32) { console.log(x); return x; }\n`;
  const [d] = fileDiagnostics(source);
  assert.equal(d?.line, 8);
  assert.match(d.message, /^console cannot be used in a handler/);
  assert.ok(d.hints.includes(`"show" runs in the kernel: a handler calls it at line 6:44, and a function a handler calls is compiled into that handler; call it from JavaScript instead, on what the handler submits`), d.hints.join("\n"));
});
