// A bundle carries its compiler after the code, as a comment line the runtime neither parses nor
// evaluates at start (tracer/bundle_section.ts). A trusted start never reads it; a start that
// compiles imports it from the bundle's own file only if it is the compiler the running code was
// built with. Attacked: the section replaced by a module that prints PWNED, before the start and
// (as nobody, who can write the bundle's directory) between the start and the compile. Node's
// builtins load when the first module that uses them does, not all at the top of the file.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { Buffer } from "node:buffer";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { asNobody, isBun, ROOT, rootDir, tsbpf } from "./attacker.ts";

const NOBODY = Number(spawnSync("id", ["-u", "nobody"], { encoding: "utf8" }).stdout.trim());
const dir = rootDir("section");
chmodSync(dir, 0o755); // nobody passes through to its own directory below
// Removed once the tests have run: Deno's test runner runs no process "exit" listeners.
after(() => rmSync(dir, { recursive: true, force: true }));
const config = join(dir, "config"); // root's private config: the host key lives here
mkdirSync(config, { mode: 0o700 });
const untrusting = join(dir, "no-host-key"); // a config directory without the host's key: nothing is trusted
mkdirSync(untrusting, { mode: 0o700 });

const env = (extra: Record<string, string> = {}) => ({
  PATH: "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", NO_COLOR: "1", TSBPF_NO_CACHE: "1", TSBPF_VERBOSE: "1",
  XDG_CONFIG_HOME: config, TSBPF_TRUSTED_KEYS: join(dir, "no-trusted-keys"), ...extra,
});
const bundleArgv = (file: string) => isBun ? [process.execPath, file] : [process.execPath, "run", "--allow-ffi", "--allow-run", "--allow-env", file];

/** Runs a bundle; its standard input closes once `beforeStart` (called when it prints "waiting", if it does) returns. */
function runBundle(file: string, envExtra: Record<string, string> = {}, beforeStart?: () => void): Promise<{ status: unknown; output: string }> {
  const child = spawn(bundleArgv(file)[0], bundleArgv(file).slice(1), { stdio: ["pipe", "pipe", "pipe"], env: env(envExtra) });
  let output = "";
  child.stdout!.on("data", (d) => {
    output += d;
    if (beforeStart && output.includes("waiting\n")) {
      const f = beforeStart;
      beforeStart = undefined;
      f();
      child.stdin!.end();
    }
  });
  child.stderr!.on("data", (d) => (output += d));
  if (!beforeStart) child.stdin!.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  return new Promise((resolve) => child.on("exit", (code, signal) => (clearTimeout(timer), resolve({ status: code ?? signal, output }))));
}

const SECTION = "// tsbpf-section compiler ";
/** `text` with its section `name` replaced by a module that prints PWNED (deflated, as the real one is). */
function withEvilSection(text: string, name: string): string {
  const prefix = `\n// tsbpf-section ${name} `;
  const at = text.lastIndexOf(prefix);
  assert.ok(at > 0, `the bundle has no ${name} section`);
  const end = text.indexOf("\n", at + 1);
  return `${text.slice(0, at)}${prefix}${deflateRawSync('console.log("PWNED");').toString("base64")}${end < 0 ? "\n" : text.slice(end)}`;
}
const withEvilCompiler = (text: string) => withEvilSection(text, "compiler");

const honest = join(dir, "mark.bundle.js");
const built = await tsbpf(["build", join(ROOT, "tests/security/fixtures/bundle_mark.ts"), "-o", honest], { env: env(), timeoutMs: 120_000 });

test("the compiler rides after the code as a comment line, not as code or a string the start parses", () => {
  assert.equal(built.status, 0, built.stdout + built.stderr);
  const text = readFileSync(honest, "utf8");
  const at = text.lastIndexOf(`\n${SECTION}`);
  assert.ok(at > 0, "the bundle has no compiler section");
  // Deflated: Babel and the compiler in about a quarter of their size (every start reads and skips the section).
  const compiler = inflateRawSync(Buffer.from(text.slice(at + 1 + SECTION.length, text.indexOf("\n", at + 1)), "base64")).toString("latin1");
  assert.ok(compiler.length > 300_000, `the section holds the compiler (${compiler.length} bytes)`);
  assert.match(compiler, /allowReturnOutsideFunction/, "Babel is in the section");
  const line = text.indexOf("\n", at + 1) - at;
  assert.ok(line < compiler.length / 2, `the section is ${line} bytes for ${compiler.length} of code`);
  const code = text.slice(0, at);
  assert.doesNotMatch(code, /data:text\/javascript;base64,[A-Za-z0-9+/=]{1000}/, "the compiler is a string in the code");
  assert.doesNotMatch(code, /allowReturnOutsideFunction/, "Babel's code is in the bundle as code");
  // The code the runtime parses is well under the compiler it no longer parses.
  assert.ok(code.length < compiler.length / 2, `code ${code.length} bytes, compiler ${compiler.length}`);
});

test("a trusted start never reads the compiler; a start that compiles refuses one that is not the bundle's own", { timeout: 240000 }, async () => {
  const evil = join(dir, "evil-compiler.bundle.js");
  writeFileSync(evil, withEvilCompiler(readFileSync(honest, "utf8")));
  const trusted = await runBundle(evil);
  assert.equal(trusted.status, 0, trusted.output);
  assert.match(trusted.output, /^mark 1$/m, trusted.output);
  assert.match(trusted.output, /load as they are/);
  assert.doesNotMatch(trusted.output, /PWNED/);
  const untrusted = await runBundle(evil, { XDG_CONFIG_HOME: untrusting });
  assert.notEqual(untrusted.status, 0, untrusted.output);
  assert.doesNotMatch(untrusted.output, /PWNED|^mark/m, untrusted.output);
  assert.match(untrusted.output, /its compiler differs from the one its code was built with/);
  // The control: the honest bundle, untrusted, compiles from its own section and runs.
  const control = await runBundle(honest, { XDG_CONFIG_HOME: untrusting });
  assert.equal(control.status, 0, control.output);
  assert.match(control.output, /^mark 1$/m, control.output);
  assert.match(control.output, /compiling the handlers from the bundle's source/);
});

test("a bundle swapped by another user after its start does not give the compile their code", { timeout: 240000 }, async () => {
  const waiting = join(dir, "wait.bundle.js");
  const b = await tsbpf(["build", join(ROOT, "tests/security/fixtures/bundle_wait_mark.ts"), "-o", waiting], { env: env(), timeoutMs: 120_000 });
  assert.equal(b.status, 0, b.stdout + b.stderr);
  // A directory nobody may write: they can rename another file over root's bundle.
  const theirs = join(dir, "nobodys");
  mkdirSync(theirs, { mode: 0o755 });
  chownSync(theirs, NOBODY, NOBODY);
  const file = join(theirs, "wait.bundle.js");
  writeFileSync(file, readFileSync(waiting));
  const evilText = withEvilCompiler(readFileSync(waiting, "utf8"));
  const swap = () => {
    const w = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh", "-c", `cat > ${theirs}/evil.js && mv ${theirs}/evil.js ${file}`], { input: evilText });
    assert.equal(w.status, 0, `setpriv: ${w.stderr}`);
  };
  const r = await runBundle(file, { XDG_CONFIG_HOME: untrusting }, swap);
  assert.equal(asNobody(["stat", "-c", "%U", file]).trim(), "nobody", "the file was swapped");
  assert.doesNotMatch(r.output, /PWNED|^mark/m, r.output);
  assert.match(r.output, /its compiler differs from the one its code was built with/, r.output);
  assert.notEqual(r.status, 0, r.output);
  // The control: not swapped, it compiles from its own section and runs.
  writeFileSync(file, readFileSync(waiting));
  const control = await runBundle(file, { XDG_CONFIG_HOME: untrusting }, () => {});
  assert.equal(control.status, 0, control.output);
  assert.match(control.output, /^mark 1$/m, control.output);
});

test("a builtin loads with the first module that uses it: the start does not load node:zlib for the OTLP exporter", { timeout: 240000 }, async () => {
  const text = readFileSync(honest, "utf8");
  // esbuild hoists a static import to the top of the one file, where it loads at every start.
  assert.ok(!/import[^;"]*from\s*"node:zlib"/.test(text), "node:zlib is imported at the top");
  assert.ok(!/import[^;"]*from\s*"node:process"/.test(text), "node:process is imported at the top");
  // The OTLP exporter, which uses node:zlib, is in the modules section, where it imports it lazily too.
  const at = text.indexOf("\n// tsbpf-section modules ") + "\n// tsbpf-section modules ".length;
  const modules = inflateRawSync(Buffer.from(text.slice(at, text.indexOf("\n", at)), "base64")).toString("latin1");
  assert.ok(!/import[^;"]*from\s*"node:zlib"/.test(modules), "node:zlib is imported at the top of the modules section");
  assert.ok(/await import\("node:zlib"\)/.test(modules), "node:zlib is imported where it is used");
  // A script's own builtins, imported in every form, are what the runtime gives.
  const file = join(dir, "builtins.bundle.js");
  const b = await tsbpf(["build", join(ROOT, "tests/security/fixtures/bundle_builtins.ts"), "-o", file], { env: env(), timeoutMs: 120_000 });
  assert.equal(b.status, 0, b.stdout + b.stderr);
  const r = await runBundle(file);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /^builtins function function string round trip$/m, r.output);
});

test("a script with characters outside ASCII makes an ASCII bundle that embeds its source as written", { timeout: 240000 }, async () => {
  // One such character (a "→" in a comment, embedded as the source) made the whole file two-byte
  // text for the runtimes, which then convert all of it on every start.
  const script = join(dir, "unicode.ts");
  const source = readFileSync(join(ROOT, "tests/security/fixtures/bundle_mark.ts"), "utf8")
    .replace("console.log(`mark ", "// Launch → first event ≈ 1 ms, 😀\nconsole.log(`mark → ");
  writeFileSync(script, source);
  const file = join(dir, "unicode.bundle.js");
  const b = await tsbpf(["build", script, "-o", file], { env: env(), timeoutMs: 120_000 });
  assert.equal(b.status, 0, b.stdout + b.stderr);
  const text = readFileSync(file, "utf8");
  const outside = [...text].filter((c) => c.charCodeAt(0) > 0x7f);
  assert.deepEqual(outside, [], "the bundle has characters outside ASCII");
  const banner = text.split("\n").find((l) => l.startsWith("globalThis.__TSBPF_BUNDLE__ = "))!;
  const embedded = JSON.parse(banner.replace(/^globalThis\.__TSBPF_BUNDLE__ = /, "").replace(/;$/, ""));
  assert.equal(embedded.Mark.source, source);
  // Still signed as built (the signature covers the tracers as the runtime reads them back) and run.
  const r = await runBundle(file);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /load as they are/, r.output);
  assert.match(r.output, /^mark → 1$/m, r.output);
});

test("Bun runs a bundle as it is: it starts with // @bun, and no transpiler cache is read or written for it", { timeout: 240000 }, async () => {
  const text = readFileSync(honest, "utf8");
  assert.equal(text.slice(0, text.indexOf("\n")), "// @bun");
  // Bun's transpiler cache lives under $HOME, which is another user's under `sudo -E`: whatever it
  // holds for the bundle is what Bun would run as root. Here it is a directory of the test's own.
  const cache = join(dir, "bun-transpiler-cache");
  mkdirSync(cache);
  const bun = join(ROOT, "node_modules/.bin/bun");
  const r = spawnSync(bun, [honest], { env: env({ BUN_RUNTIME_TRANSPILER_CACHE_PATH: cache }), encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^mark 1$/m, r.stdout + r.stderr);
  assert.deepEqual(readdirSync(cache), [], "Bun cached a transpiled copy of the bundle");
});

test("a bundle with a CommonJS dependency keeps Bun's transpiler (which gives it require) and runs", { timeout: 240000 }, async () => {
  const script = join(dir, "with_cjs.ts");
  writeFileSync(join(dir, "dep.cjs"), 'module.exports = { platform: require("node:os").platform() };\n');
  const source = readFileSync(join(ROOT, "tests/security/fixtures/bundle_mark.ts"), "utf8")
    .replace('import { Max, Tracer, tracepoint } from "tsbpf";', 'import { Max, Tracer, tracepoint } from "tsbpf";\nimport dep from "./dep.cjs";\nconsole.log(`cjs ${dep.platform}`);');
  writeFileSync(script, source);
  const file = join(dir, "with_cjs.bundle.js");
  const b = await tsbpf(["build", script, "-o", file], { env: env(), timeoutMs: 120_000 });
  assert.equal(b.status, 0, b.stdout + b.stderr);
  assert.notEqual(readFileSync(file, "utf8").slice(0, 8), "// @bun\n");
  const bun = join(ROOT, "node_modules/.bin/bun");
  const r = spawnSync(bun, [file], { env: env(), encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^cjs linux$/m, r.stdout + r.stderr);
  assert.match(r.stdout, /^mark 1$/m, r.stdout + r.stderr);
});

test("the modules a trusted start does not load ride in a section too, read and checked only when one is needed", { timeout: 240000 }, async () => {
  const text = readFileSync(honest, "utf8");
  const prefix = "\n// tsbpf-section modules ";
  const at = text.indexOf(prefix);
  assert.ok(at > 0, "the bundle has no modules section");
  const modules = inflateRawSync(Buffer.from(text.slice(at + prefix.length, text.indexOf("\n", at + 1)), "base64")).toString("latin1");
  // The exporters are there, not in the code the runtime parses.
  const code = text.slice(0, text.indexOf("\n// tsbpf-section "));
  assert.ok(modules.includes("function exposition"), "the Prometheus exporter is not in the modules section");
  assert.ok(!code.includes("function exposition"), "the Prometheus exporter is in the code");
  const evil = join(dir, "evil-modules.bundle.js");
  writeFileSync(evil, withEvilSection(text, "modules"));
  const trusted = await runBundle(evil);
  assert.equal(trusted.status, 0, trusted.output);
  assert.match(trusted.output, /^mark 1$/m, trusted.output);
  assert.match(trusted.output, /load as they are/);
  assert.doesNotMatch(trusted.output, /PWNED/);
  // An OTLP endpoint in the environment: the start imports the exporter's settings, from the section.
  const otlp = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" };
  const refused = await runBundle(evil, otlp);
  assert.notEqual(refused.status, 0, refused.output);
  assert.doesNotMatch(refused.output, /PWNED|^mark/m, refused.output);
  assert.match(refused.output, /its modules section differs from the one its code was built with/);
  // The control: the honest bundle imports it from its own section and runs.
  const control = await runBundle(honest, otlp);
  assert.match(control.output, /^mark 1$/m, control.output);
  assert.doesNotMatch(control.output, /differs/, control.output);
});
