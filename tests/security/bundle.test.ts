// A bundle runs what the source it embeds says (tracer/bundled.ts): instructions edited into a
// bundle are not loaded (the programs are compiled from the embedded source, with a note), and a
// bundle whose JavaScript attaches another probe than its source names is refused. `tsbpf plan`
// reviews a bundle's embedded source without printing the bundle. Here no signing key is
// trusted, so every bundle compiles from its source; signed bundles: bundle_signature.test.ts.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { bundle } from "../../build/bundle.ts";
import { runCommand } from "../kernel/util.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const PREFIX = "globalThis.__TSBPF_BUNDLE__ = ";
declare const Deno: unknown;
const deno = typeof Deno !== "undefined";
const dir = mkdtempSync(join(tmpdir(), "tsbpf-bundle-test-"));
// Removed once the tests have run: Deno's test runner runs no process "exit" listeners.
after(() => rmSync(dir, { recursive: true, force: true }));
// Signed with a key of the test's own, which the runs below do not trust (nor the host's key).
const key = join(dir, "key.pem");
const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]) as CryptoKeyPair;
const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
writeFileSync(key, `-----BEGIN PRIVATE KEY-----\n${btoa(String.fromCharCode(...der))}\n-----END PRIVATE KEY-----\n`, { mode: 0o600 });
const TRUST_NOTHING = { XDG_CONFIG_HOME: join(dir, "no-config"), TSBPF_TRUSTED_KEYS: join(dir, "no-trusted-keys") };

const honest = join(dir, "mark.bundle.js");
await bundle(join(ROOT, "tests/security/fixtures/bundle_mark.ts"), honest, { key });
// The same tracer with another mark: its instructions are what an attacker puts in the bundle.
const evilSource = join(dir, "evil_mark.ts");
writeFileSync(evilSource, readFileSync(join(ROOT, "tests/security/fixtures/bundle_mark.ts"), "utf8").replace("this.mark.add(1)", "this.mark.add(777)"));
const evil = join(dir, "evil.bundle.js");
await bundle(evilSource, evil, { key });

/** The tracers line's data, what comes before that line (a "// @bun" line) and what after. */
function embedded(file: string) {
  const text = readFileSync(file, "utf8");
  const start = text.indexOf(PREFIX), end = text.indexOf("\n", start);
  return { head: text.slice(0, start), data: JSON.parse(text.slice(start + PREFIX.length, end).replace(/;$/, "")), rest: text.slice(end) };
}

async function run(file: string, env: Record<string, string> = { TSBPF_NO_CACHE: "1" }) {
  const r = runCommand(process.execPath, deno ? ["run", "--allow-ffi", "--allow-run", "--allow-env", file] : [file], { ...TRUST_NOTHING, ...env });
  const status = await r.exited;
  return { status, output: r.output() };
}

test("an honest bundle leaves the mark its source says", { timeout: 120000 }, async () => {
  const r = await run(honest, { TSBPF_NO_CACHE: "1", TSBPF_VERBOSE: "1" });
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /^mark 1$/m);
  assert.match(r.output, /precompiled programs match its source/);
});

test("a bundle with edited instructions runs the programs compiled from its source, and says so", { timeout: 120000 }, async () => {
  const a = embedded(honest), b = embedded(evil);
  assert.notEqual(a.data.Mark.spec.programs[0].insns, b.data.Mark.spec.programs[0].insns, "the two marks compile differently");
  a.data.Mark.spec.programs[0].insns = b.data.Mark.spec.programs[0].insns;
  // Edited by another user where root picks it up (a shared directory, a download).
  chmodSync(dir, 0o755); // the test's own directory: others may pass through to the shared one
  const shared = join(dir, "shared");
  mkdirSync(shared, { mode: 0o1777 });
  chmodSync(shared, 0o1777);
  const tampered = join(shared, "tampered.bundle.js");
  const write = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", `cat > ${tampered}`], { input: a.head + PREFIX + JSON.stringify(a.data) + ";" + a.rest });
  assert.equal(write.status, 0, `setpriv: ${write.stderr}`);
  assert.equal(statSync(tampered).uid, 65534);
  const r = await run(tampered);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /^mark 1$/m, `the edited instructions ran in the kernel:\n${r.output}`);
  assert.match(r.output, /Mark: the bundle's precompiled programs differ from its embedded source/);
});

test("with the compile cache: the second start reuses the programs compiled from the source, and an edit is still noticed", { timeout: 120000 }, async () => {
  const cache = mkdtempSync(join(tmpdir(), "tsbpf-bundle-cache-"));
  try {
    const env = { XDG_CACHE_HOME: cache, TSBPF_VERBOSE: "1", TSBPF_NO_CACHE: "" }; // tests/run.sh turns the cache off
    assert.match((await run(honest, env)).output, /match its source \(compiled again here to check\)/);
    const second = await run(honest, env);
    assert.match(second.output, /match its source \(as compiled here before: cache\)/);
    assert.match(second.output, /^mark 1$/m);
    const a = embedded(honest), b = embedded(evil);
    a.data.Mark.spec.programs[0].insns = b.data.Mark.spec.programs[0].insns;
    const tampered = join(dir, "tampered-cached.bundle.js");
    writeFileSync(tampered, a.head + PREFIX + JSON.stringify(a.data) + ";" + a.rest);
    const r = await run(tampered, env);
    assert.match(r.output, /^mark 1$/m, r.output);
    assert.match(r.output, /precompiled programs differ from its embedded source/);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test("a bundle whose JavaScript attaches another probe than its source names is refused", { timeout: 120000 }, async () => {
  const { head, data, rest } = embedded(honest);
  assert.ok(rest.includes(`"syscalls:sys_enter_execve"`));
  const tampered = join(dir, "retargeted.bundle.js");
  writeFileSync(tampered, head + PREFIX + JSON.stringify(data) + ";" + rest.replaceAll(`"syscalls:sys_enter_execve"`, `"syscalls:sys_enter_getpid"`));
  const r = await run(tampered);
  assert.notEqual(r.status, 0, r.output);
  assert.match(r.output, /Mark\.onExec is attached to tracepoint "syscalls:sys_enter_getpid" at run time, but the source compiled for it says tracepoint "syscalls:sys_enter_execve" \(line 11\): the bundle was edited/);
  assert.doesNotMatch(r.output, /^mark /m);
});

test("plan reviews a bundle's embedded source in short lines", { timeout: 60000 }, async () => {
  const r = runCommand(process.execPath, [...(deno ? ["run", "-A"] : ["run"]), join(ROOT, "cli/main.ts"), "plan", honest]);
  assert.equal(await r.exited, 0, r.output());
  const out = r.output();
  assert.match(out, /^bundle .*: 1 tracer \(Mark\)/m);
  assert.match(out, /tracepoint syscalls:sys_enter_execve {2}→ {2}onExec\(\)/);
  assert.match(out, /spawns processes:\n {4}node:child_process spawnSync at .*bundle_mark\.ts:4:1/);
  assert.match(out, /cannot vouch for:\n(.*\n)*  the bundle's JavaScript/);
  assert.doesNotMatch(out, /it only observes/);
  assert.ok(out.split("\n").every((l) => l.length < 1000), "plan printed a line of the bundle");
});

test("plan of a bundle follows the script's own modules from its entry, and notices two copies that differ", { timeout: 120000 }, async () => {
  const gist = join(dir, "gist.bundle.js");
  await bundle(join(ROOT, "tests/security/fixtures/hides/gist.ts"), gist, { key });
  const planOf = async (file: string) => {
    const r = runCommand(process.execPath, [...(deno ? ["run", "-A"] : ["run"]), join(ROOT, "cli/main.ts"), "plan", file]);
    assert.equal(await r.exited, 0, r.output());
    return r.output();
  };
  const out = await planOf(gist);
  for (const name of ["Opens", "Hidden", "Conditional", "Anonymous", "Helper"]) assert.match(out, new RegExp(`^  ${name} at `, "m"));
  assert.match(out, /node:fs writeFileSync at .*gist\.ts:4:1/);
  assert.match(out, /eval: eval\("1 \+ 1"\)/);
  // The runtime compiles the tracer's copy; a different second copy is said, not silently reviewed.
  const text = readFileSync(honest, "utf8");
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.startsWith("globalThis.__TSBPF_BUNDLE_SOURCES__ = "));
  assert.ok(at >= 0 && at < 3, "the sources line is in the banner");
  lines[at] = lines[at].replace("this.mark.add(1)", "this.mark.add(2)");
  const edited = join(dir, "two-copies.bundle.js");
  writeFileSync(edited, lines.join("\n"));
  assert.match(await planOf(edited), /bundle_mark\.ts: the bundle embeds two different copies of this module/);
});
