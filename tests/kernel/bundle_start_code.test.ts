// What a `tsbpf build` bundle parses on every start (build/lazy_section.ts): the kernel's BTF
// reader (≈ 20 KB of code) only when its programs read kernel structs, whose offsets the start
// checks (tracer/assumptions.ts); a bundle that reads none carries the reader in its lazily
// loaded section, and still starts with its signed programs on Bun and Deno.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundle } from "../../build/bundle.ts";
import { SECTION_PREFIX } from "../../tracer/bundle_section.ts";

const root = new URL("../../", import.meta.url).pathname;
/** A line of btf/reader.ts's code (its error for a typedef cycle), as esbuild keeps it. */
const BTF_READER = "does not resolve within";

const NO_STRUCTS = `import { comm, pid, RingBuf, Tracer, tracepoint, type Str, type u32 } from "tsbpf";
interface Exec { pid: u32; comm: Str<16> }
class Execs extends Tracer {
  events = new RingBuf<Exec>();
  @tracepoint("syscalls:sys_enter_execve")
  onExec() {
    this.events.submit({ pid: pid(), comm: comm() });
  }
}
const t = await new Execs().start();
for await (const e of t.events) {
  console.log(\`exec \${e.pid}\`);
  break;
}
await t.stop();
`;

/** The bundle's code: what the runtime parses, without the sections after it. */
function code(file: string): string {
  const text = readFileSync(file, "utf8");
  const at = text.indexOf(`\n${SECTION_PREFIX}`);
  return at < 0 ? text : text.slice(0, at);
}

test("a bundle whose programs read no kernel struct does not parse the BTF reader at its start, and runs", { timeout: 300000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-bundle-start-"));
  try {
    writeFileSync(`${dir}/execs.ts`, NO_STRUCTS);
    const out = `${dir}/execs.bundle.js`;
    await bundle(`${dir}/execs.ts`, out);
    assert.ok(!code(out).includes(BTF_READER), "the BTF reader is in the code every start parses");
    assert.ok(readFileSync(out, "utf8").includes(`\n${SECTION_PREFIX}modules `), "no modules section");
    for (const runtime of [`${root}node_modules/.bin/bun`, `${root}node_modules/.bin/deno run --allow-ffi`]) {
      const script = `${runtime} ${out} & while kill -0 $! 2>/dev/null; do /bin/true; sleep 0.2; done; wait $!`;
      const r = spawnSync("sh", ["-c", script], { cwd: "/tmp", encoding: "utf8", timeout: 120000, env: { ...process.env, TSBPF_NO_CACHE: "1", TSBPF_VERBOSE: "1" } });
      const output = (r.stdout ?? "") + (r.stderr ?? "");
      assert.equal(r.status, 0, output);
      assert.match(output, /precompiled programs, signed by this host's own key, load as they are|precompiled programs match its source/, output);
      assert.match(output, /^exec \d+$/m, output);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tsbpf installed as a package (under node_modules) builds the same lean start: the modules section, no BTF reader in the code", { timeout: 300000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-bundle-start-"));
  try {
    // The sources as npm installs them: every path of tsbpf's own then has /node_modules/ in it.
    const copy = `${dir}/project/node_modules/tsbpf`;
    mkdirSync(copy, { recursive: true });
    // What npm installs is package.json's "files", not the working tree (whose .cache may hold the
    // VM lane's FIFOs while it runs beside this test).
    const files: string[] = JSON.parse(readFileSync(`${root}package.json`, "utf8")).files;
    for (const entry of ["package.json", ...files].filter((f) => !/^(docs|examples)\/$/.test(f))) {
      if (existsSync(`${root}${entry}`)) cpSync(`${root}${entry}`, `${copy}/${entry}`, { recursive: true });
    }
    symlinkSync(`${root}node_modules`, `${copy}/node_modules`);
    writeFileSync(`${dir}/project/execs.ts`, NO_STRUCTS);
    const out = `${dir}/execs.bundle.js`;
    // Built by Bun under either runner: Deno does not strip types from .ts files under node_modules.
    writeFileSync(`${dir}/build.ts`, `import { bundle } from ${JSON.stringify(`${copy}/build/bundle.ts`)};\nawait bundle(${JSON.stringify(`${dir}/project/execs.ts`)}, ${JSON.stringify(out)});\n`);
    const r = spawnSync(`${root}node_modules/.bin/bun`, [`${dir}/build.ts`], { cwd: dir, encoding: "utf8", timeout: 120000 });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(readFileSync(out, "utf8").includes(`\n${SECTION_PREFIX}modules `), "no modules section: every start parses the modules it never runs");
    assert.ok(!code(out).includes(BTF_READER), "the BTF reader is in the code every start parses");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a bundle whose programs read kernel structs keeps the BTF reader in its code, to check their offsets", { timeout: 300000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-bundle-start-"));
  try {
    const out = `${dir}/first_exec.bundle.js`;
    await bundle(`${root}tests/fixtures/first_exec.ts`, out);
    const tracers = JSON.parse(/^globalThis\.__TSBPF_BUNDLE__ = (.*);$/m.exec(readFileSync(out, "utf8"))![1]);
    assert.ok(tracers.ExecSnoop.spec.assumptions.some((a: string) => a.startsWith("member struct task_struct.")), "execsnoop reads task_struct");
    assert.ok(code(out).includes(BTF_READER), "the BTF reader went to the section: every start would import it");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Counts what the start does with stack traces: sets of Error.prepareStackTrace (the decorators
// looking for the script's file) and captures of the caller of on() (where a listener was given).
const STACK_TRACES = `import { pid, RingBuf, Tracer, tracepoint, type u32 } from "tsbpf";
let prepares = 0, captures = 0, inOn = false;
let prepare = (Error as any).prepareStackTrace;
Object.defineProperty(Error, "prepareStackTrace", { configurable: true, get: () => prepare, set: (f) => { prepares++; prepare = f; } });
const capture = (Error as any).captureStackTrace;
(Error as any).captureStackTrace = function (o: object, f?: unknown) {
  if (inOn) captures++;
  return capture.call(this, o, f);
};
interface Call { pid: u32 }
class Calls extends Tracer {
  events = new RingBuf<Call>();
  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    this.events.submit({ pid: pid() });
  }
}
const t = await new Calls().start();
inOn = true;
const off = t.events.on(() => {});
inOn = false;
console.log(\`stack traces: \${prepares} prepares, \${captures} captures\`);
off();
await t.stop();
`;

test("a bundle's start makes no stack trace that its runtime does not need (Deno re-parses the bundle's whole code to place its top level)", { timeout: 300000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-bundle-start-"));
  try {
    writeFileSync(`${dir}/calls.ts`, STACK_TRACES);
    const out = `${dir}/calls.bundle.js`;
    await bundle(`${dir}/calls.ts`, out);
    // The decorators know the file without a stack: every frame is in the bundle. Only Bun, which
    // drops the frame of a listener that ends in a call, needs to capture where on() was called.
    for (const [runtime, captures] of [[`${root}node_modules/.bin/bun`, 1], [`${root}node_modules/.bin/deno run --allow-ffi`, 0]] as const) {
      const r = spawnSync("sh", ["-c", `${runtime} ${out}`], { cwd: "/tmp", encoding: "utf8", timeout: 120000, env: { ...process.env, TSBPF_NO_CACHE: "1" } });
      const output = (r.stdout ?? "") + (r.stderr ?? "");
      assert.equal(r.status, 0, output);
      assert.match(output, new RegExp(`^stack traces: 0 prepares, ${captures} captures$`, "m"), `${runtime}: ${output}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
