// A signed bundle loads its precompiled programs as they are (no parser, no compiler) only when a
// key root trusts signed exactly what it embeds (tracer/bundle_signature.ts). Attacked as nobody:
// edited programs under the old signature, programs re-signed with the attacker's key, the
// attacker's key listed in a trusted-keys file or a host key directory root must not believe
// (someone else's, writable by others, a symlink): none of their programs reaches the kernel;
// the tracer runs the programs compiled from the embedded source, which leave mark 1 (the
// attacker's leave 777). A signing key others could write or read is refused by `tsbpf build`.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asNobody, isBun, ROOT, rootDir, run, tsbpf } from "./attacker.ts";

const NOBODY = Number(spawnSync("id", ["-u", "nobody"], { encoding: "utf8" }).stdout.trim());
const FIXTURE = join(ROOT, "tests/security/fixtures/bundle_mark.ts");
const dir = rootDir("signature");
chmodSync(dir, 0o755); // nobody passes through to the shared directory below
// Removed once the tests have run: Deno's test runner runs no process "exit" listeners.
after(() => rmSync(dir, { recursive: true, force: true }));
const config = join(dir, "config"); // root's private config: the host key lives here
mkdirSync(config, { mode: 0o700 });
const noKeys = join(dir, "no-trusted-keys"); // absent: only the host's key is trusted
const shared = join(dir, "shared");
mkdirSync(shared, { mode: 0o1777 });
chmodSync(shared, 0o1777);

const env = (extra: Record<string, string> = {}) => ({
  PATH: "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", NO_COLOR: "1", TSBPF_NO_CACHE: "1", TSBPF_VERBOSE: "1",
  XDG_CONFIG_HOME: config, TSBPF_TRUSTED_KEYS: noKeys, ...extra,
});

async function build(source: string, out: string, extra: string[] = [], envExtra: Record<string, string> = {}) {
  const r = await tsbpf(["build", source, "-o", out, ...extra], { env: env(envExtra), timeoutMs: 120_000 });
  return { ...r, output: r.stdout + r.stderr };
}

async function runBundle(file: string, envExtra: Record<string, string> = {}) {
  const argv = isBun ? [process.execPath, file] : [process.execPath, "run", "--allow-ffi", "--allow-run", "--allow-env", file];
  const r = await run(argv, { env: env(envExtra), timeoutMs: 120_000 });
  return { status: r.status, output: r.stdout + r.stderr };
}

/** The bundle's three banner lines (tracers, sources, signature; after a "// @bun" line, if any) and the rest. */
function parts(file: string) {
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  const at = bannerAt(lines);
  const json = (line: string) => JSON.parse(line.slice(line.indexOf(" = ") + 3).replace(/;$/, ""));
  return { tracers: json(lines[at]), signature: json(lines[at + 2]), lines };
}

const bannerAt = (lines: string[]) => lines.findIndex((l) => l.startsWith("globalThis.__TSBPF_BUNDLE__ = "));

function write(file: string, tracers: unknown, signature: unknown, lines: string[]) {
  const at = bannerAt(lines);
  const out = [...lines.slice(0, at), `globalThis.__TSBPF_BUNDLE__ = ${JSON.stringify(tracers)};`, lines[at + 1], `globalThis.__TSBPF_BUNDLE_SIGNATURE__ = ${JSON.stringify(signature)};`, ...lines.slice(at + 3)];
  writeFileSync(file, out.join("\n"));
}

/** A new Ed25519 key as PKCS#8 PEM, and its public line. */
async function newKey(file: string, mode = 0o600): Promise<{ line: string; key: CryptoKey; publicKey: string }> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]) as CryptoKeyPair;
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const publicKey = btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey))));
  writeFileSync(file, `-----BEGIN PRIVATE KEY-----\n${btoa(String.fromCharCode(...der))}\n-----END PRIVATE KEY-----\n`, { mode });
  chmodSync(file, mode);
  return { line: `tsbpf-ed25519 ${publicKey} test`, key: pair.privateKey, publicKey };
}

/**
 * What an attacker does with their own key: signs the tracers they put in, with the code digest
 * copied. Version 2 signs the tracers' JSON text itself; version 1 (bundles built before) its SHA-256.
 */
async function resign(tracers: unknown, signature: { code: string }, key: { key: CryptoKey; publicKey: string }, version: 1 | 2 = 2) {
  const text = JSON.stringify(tracers);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  const message = new TextEncoder().encode(`tsbpf bundle signature ${version}\0${signature.code}\0${version === 1 ? hex : text}`);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key.key, message));
  return { version, key: key.publicKey, code: signature.code, signature: btoa(String.fromCharCode(...sig)) };
}

/** The host's key `tsbpf build` made in root's private directory (for bundles signed as an older tsbpf did). */
async function hostKey(): Promise<{ key: CryptoKey; publicKey: string }> {
  const pem = readFileSync(join(config, "tsbpf", "bundle-signing-key.pem"), "utf8");
  const der = Uint8Array.from(atob(pem.replace(/-----[A-Z ]+-----|\s/g, "")), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, true, ["sign"]);
  const publicKey = (await crypto.subtle.exportKey("jwk", key)).x!.replace(/-/g, "+").replace(/_/g, "/") + "=";
  return { key, publicKey };
}

const honest = join(dir, "honest.bundle.js");
const evilSource = join(dir, "evil_mark.ts");
writeFileSync(evilSource, readFileSync(FIXTURE, "utf8").replace("this.mark.add(1)", "this.mark.add(777)"));
const evil = join(dir, "evil.bundle.js");
const built = await build(FIXTURE, honest);
const builtEvil = await build(evilSource, evil);
const attacker = await newKey(join(dir, "attacker.pem"));

/** Honest tracers with the attacker's programs in them. */
function withEvilPrograms() {
  const a = parts(honest), b = parts(evil);
  assert.notDeepEqual(a.tracers.Mark.spec.programs[0].insns, b.tracers.Mark.spec.programs[0].insns, "the two marks compile differently");
  a.tracers.Mark.spec.programs[0].insns = b.tracers.Mark.spec.programs[0].insns;
  return a;
}

/** Written by nobody into the shared directory, where root picks it up. */
function planted(name: string, text: string): string {
  const file = join(shared, name);
  const w = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh", "-c", `cat > ${file}`], { input: text });
  assert.equal(w.status, 0, `setpriv: ${w.stderr}`);
  return file;
}

test("tsbpf build signs with the host's key, made on first use in root's private directory", () => {
  assert.equal(built.status, 0, built.output);
  assert.match(built.output, /signed with the host key of /);
  const pem = join(config, "tsbpf", "bundle-signing-key.pem");
  const st = spawnSync("stat", ["-c", "%a %u %F", pem], { encoding: "utf8" }).stdout.trim();
  assert.equal(st, `600 ${process.getuid!()} regular file`);
  assert.equal(builtEvil.status, 0, builtEvil.output);
  // The compiler and its parser ride along after the code, imported only to compile (build/bundle.ts
  // lazyCompiler; tests/security/bundle_section.test.ts): a signed bundle's start does not even parse their code.
  const text = readFileSync(honest, "utf8");
  assert.match(text, /\n\/\/ tsbpf-section compiler [A-Za-z0-9+/=]{100000,}\n(\/\/ tsbpf-section modules [A-Za-z0-9+/=]+\n)?$/);
  assert.doesNotMatch(text, /allowReturnOutsideFunction/, "Babel's code is in the bundle as code");
});

test("a signed bundle loads its precompiled programs as they are, without the parser or the compiler", { timeout: 120000 }, async () => {
  const r = await runBundle(honest);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /^mark 1$/m);
  assert.match(r.output, /Mark: the bundle's precompiled programs, signed by this host's own key, load as they are \(neither the parser nor the compiler is loaded\)/);
  assert.doesNotMatch(r.output, /compiling the handlers/);
  // `tsbpf plan` says which case applies.
  const plan = await tsbpf(["plan", honest], { env: env(), timeoutMs: 60_000 });
  assert.match(plan.stdout, /signed by this host's own key \(trusted\): its JavaScript is as the signer built it/);
  assert.match(plan.stdout, /Mark: the precompiled programs load as they are on this kernel/);
  // Its JavaScript edited (the tracers untouched): plan, run by the installed tsbpf, says so.
  const edited = join(dir, "js-edited.bundle.js");
  const original = readFileSync(honest, "utf8"), at = original.lastIndexOf("mark ${");
  assert.ok(at > original.indexOf("\n", original.indexOf("__TSBPF_BUNDLE_SIGNATURE__")), "the edit is in the JavaScript");
  writeFileSync(edited, `${original.slice(0, at)}MARK${original.slice(at + 4)}`);
  const planEdited = await tsbpf(["plan", edited], { env: env(), timeoutMs: 60_000 });
  assert.match(planEdited.stdout, /signed by this host's own key, but its JavaScript was changed after signing .*: do not run it/);
});

test("edited programs under the old signature are not loaded: compiled from the source, and said", { timeout: 120000 }, async () => {
  const a = withEvilPrograms();
  const file = planted("edited.bundle.js", "");
  write(file, a.tracers, a.signature, a.lines);
  chownSync(file, NOBODY, NOBODY);
  const r = await runBundle(file);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /^mark 1$/m, `the edited programs ran in the kernel:\n${r.output}`);
  assert.match(r.output, /does not match what it embeds: it was edited after it was signed/);
  assert.match(r.output, /precompiled programs differ from its embedded source/);
  const plan = await tsbpf(["plan", file], { env: env(), timeoutMs: 60_000 });
  assert.match(plan.stdout, /not trusted: .*edited after it was signed/);
  assert.match(plan.stdout, /Mark: compiled from the embedded source where it runs/);
});

test("programs re-signed with a key root does not trust are not loaded", { timeout: 120000 }, async () => {
  const a = withEvilPrograms();
  const file = planted("resigned.bundle.js", "");
  write(file, a.tracers, await resign(a.tracers, a.signature, attacker), a.lines);
  const r = await runBundle(file);
  assert.match(r.output, /^mark 1$/m, r.output);
  assert.match(r.output, /signed by a key this host does not trust/);
});

test("the attacker's key in a trusted-keys file root must not believe is not trusted; in root's own file it is", { timeout: 240000 }, async () => {
  const a = withEvilPrograms();
  const file = join(dir, "resigned-root.bundle.js");
  write(file, a.tracers, await resign(a.tracers, a.signature, attacker), a.lines);
  const etc = join(dir, "etc");
  mkdirSync(etc, { mode: 0o755 });
  chmodSync(etc, 0o755);
  // Written by nobody (in a directory of root's).
  const byNobody = join(etc, "by-nobody");
  writeFileSync(byNobody, `${attacker.line}\n`, { mode: 0o644 });
  chownSync(byNobody, NOBODY, NOBODY);
  // Root's, but any user may write it.
  const writable = join(etc, "writable");
  writeFileSync(writable, `${attacker.line}\n`, { mode: 0o666 });
  chmodSync(writable, 0o666);
  // A symlink to a file root wrote.
  const good = join(etc, "good");
  writeFileSync(good, `# the fleet's keys\n${attacker.line}\n`, { mode: 0o644 });
  const link = join(etc, "link");
  symlinkSync(good, link);
  // Root's own file in a directory nobody can write to.
  const inShared = join(shared, "trusted-keys");
  writeFileSync(inShared, `${attacker.line}\n`, { mode: 0o644 });
  for (const [keys, why] of [[byNobody, /owned by uid \d+, not by uid 0/], [writable, /writable by every user/], [link, /symbolic link/], [inShared, /its directory .*writable by every user/]] as const) {
    const r = await runBundle(file, { TSBPF_TRUSTED_KEYS: keys });
    assert.match(r.output, /^mark 1$/m, `${keys}: ${r.output}`);
    assert.match(r.output, /signed by a key this host does not trust/, keys);
    assert.match(r.output, why, keys);
  }
  // The control: the same key in root's own file is trusted, and its programs run as they are.
  const r = await runBundle(file, { TSBPF_TRUSTED_KEYS: good });
  assert.match(r.output, /^mark 777$/m, r.output);
  assert.match(r.output, /signed by .*good:2, load as they are/);
});

test("a later start loads the spec its first start checked (root's private cache); a key no longer trusted or edited programs still do not load", { timeout: 240000 }, async () => {
  const cache = join(dir, "cache");
  mkdirSync(cache, { mode: 0o700 });
  const cached = { XDG_CACHE_HOME: cache, TSBPF_NO_CACHE: "" };
  const file = join(dir, "cached.bundle.js");
  writeFileSync(file, readFileSync(honest, "utf8"));
  const first = await runBundle(file, cached);
  assert.match(first.output, /^mark 1$/m, first.output);
  assert.match(first.output, /signed by this host's own key, load as they are \(neither the parser nor the compiler is loaded\)/);
  // The second start finds what the first checked (signature, form, assumptions) and checks only the key's trust.
  const second = await runBundle(file, cached);
  assert.match(second.output, /^mark 1$/m, second.output);
  assert.match(second.output, /signed by this host's own key, load as they are \(neither the parser nor the compiler is loaded; their signature, form and assumptions as checked at an earlier start here: cache\)/);
  // The attacker's programs edited in under the same signature, as nobody: the programs the first start verified load, not theirs.
  const a = withEvilPrograms();
  const edited = planted("cached-edited.bundle.js", "");
  write(edited, a.tracers, a.signature, a.lines);
  const r = await runBundle(edited, cached);
  assert.match(r.output, /^mark 1$/m, `the edited programs ran in the kernel:\n${r.output}`);
  // The host's key no longer trusted (its public key gone from root's directory): the cache is not asked.
  const pub = join(config, "tsbpf", "bundle-signing-key.pub");
  const line = readFileSync(pub, "utf8");
  rmSync(pub);
  try {
    const revoked = await runBundle(file, cached);
    assert.match(revoked.output, /^mark 1$/m, revoked.output);
    assert.match(revoked.output, /signed by a key this host does not trust/, revoked.output);
    assert.doesNotMatch(revoked.output, /load as they are/);
  } finally {
    writeFileSync(pub, line, { mode: 0o600 });
  }
});

test("a host key directory someone else controls is not trusted", { timeout: 120000 }, async () => {
  const a = withEvilPrograms();
  const file = join(dir, "resigned-host.bundle.js");
  write(file, a.tracers, await resign(a.tracers, a.signature, attacker), a.lines);
  // nobody's own config directory, with the attacker's key where the host's would be.
  const theirs = join(shared, "config");
  asNobody(["sh", "-c", `mkdir -m 700 ${theirs} ${theirs}/tsbpf && echo '${attacker.line}' > ${theirs}/tsbpf/bundle-signing-key.pub && chmod 600 ${theirs}/tsbpf/bundle-signing-key.pub`]);
  const r = await runBundle(file, { XDG_CONFIG_HOME: theirs });
  assert.match(r.output, /^mark 1$/m, r.output);
  assert.match(r.output, /not trusting this host's key: .*owned by uid/);
});

test("tsbpf build refuses a --key others could write or read, or a symlink", { timeout: 120000 }, async () => {
  const out = join(dir, "fleet.bundle.js");
  const fleet = join(dir, "fleet.pem");
  await newKey(fleet);
  const ok = await build(FIXTURE, out, ["--key", fleet]);
  assert.equal(ok.status, 0, ok.output);
  assert.match(ok.output, new RegExp(`signed with the ${fleet}`));
  const show = await tsbpf(["build", "--show-key", "--key", fleet], { env: env(), timeoutMs: 30_000 });
  assert.match(show.stdout, /^tsbpf-ed25519 [A-Za-z0-9+/]{43}= /);
  const readable = join(dir, "readable.pem");
  await newKey(readable, 0o644);
  const theirs = join(dir, "theirs.pem");
  await newKey(theirs);
  chownSync(theirs, NOBODY, NOBODY);
  const link = join(dir, "link.pem");
  symlinkSync(fleet, link);
  for (const [key, why] of [[readable, /other users may read it/], [theirs, /owned by uid/], [link, /symbolic link/]] as const) {
    const r = await build(FIXTURE, join(dir, "refused.bundle.js"), ["--key", key]);
    assert.notEqual(r.status, 0, `${key}: ${r.output}`);
    assert.match(r.output, why, key);
  }
});

test("a bundle is signed over its tracers' text (version 2); one signed as before (version 1) still loads; a signature relabelled to the other version, or of a version unknown, does not", { timeout: 240000 }, async () => {
  const a = parts(honest);
  assert.equal(a.signature.version, 2, "tsbpf build signs version 2");
  // The same bundle signed by the same (trusted) key as tsbpf signed before: version 1, over the tracers' SHA-256.
  const v1 = await resign(a.tracers, a.signature, await hostKey(), 1);
  assert.equal(v1.key, a.signature.key, "the host's key");
  const old = join(dir, "version1.bundle.js");
  write(old, a.tracers, v1, a.lines);
  const r = await runBundle(old);
  assert.match(r.output, /^mark 1$/m, r.output);
  assert.match(r.output, /Mark: the bundle's precompiled programs, signed by this host's own key, load as they are/, r.output);
  // Relabelled, by nobody: each signature checked as a message of the other form does not match.
  for (const [name, signature] of [["relabelled-1.bundle.js", { ...a.signature, version: 1 }], ["relabelled-2.bundle.js", { ...v1, version: 2 }]] as const) {
    const file = planted(name, "");
    write(file, a.tracers, signature, a.lines);
    const s = await runBundle(file);
    assert.match(s.output, /^mark 1$/m, s.output);
    assert.match(s.output, /does not match what it embeds: it was edited after it was signed/, `${name}: ${s.output}`);
    assert.doesNotMatch(s.output, /load as they are/, name);
  }
  // A version this tsbpf does not know is refused by name.
  const future = planted("version3.bundle.js", "");
  write(future, a.tracers, { ...a.signature, version: 3 }, a.lines);
  const f = await runBundle(future);
  assert.match(f.output, /^mark 1$/m, f.output);
  assert.match(f.output, /its signature is of a form this tsbpf does not know \(version 3\): build it again with this tsbpf/, f.output);
});

test("fields the signature does not cover, put in as an object literal's __proto__, do not reach the programs loaded", { timeout: 120000 }, async () => {
  // The tracers line is JavaScript: a "__proto__" key there sets the object's prototype, which
  // JSON.stringify (what the signature is checked against) leaves out, while a read of a field the
  // object lacks finds it. The honest program made a tail-call target that way is loaded but never attached.
  const text = readFileSync(honest, "utf8");
  const programs = '"programs":[{';
  assert.ok(text.includes(programs), "the bundle's tracers line lists programs");
  const file = planted("proto.bundle.js", text.replace(programs, `${programs}"__proto__":{"tailCallTarget":true},`));
  const r = await runBundle(file);
  assert.match(r.output, /^mark 1$/m, `a field the signature does not cover changed what was loaded:\n${r.output}`);
});

test("a cache directory of nobody's (XDG_CACHE_HOME kept by sudo -E) holding the signed bundle's entry with their programs is not used", { timeout: 240000 }, async () => {
  // The entry root's own cache holds for the signed bundle, made by a start.
  const mine = join(dir, "cache-for-copy");
  mkdirSync(mine, { mode: 0o700 });
  const file = join(dir, "copied-entry.bundle.js");
  writeFileSync(file, readFileSync(honest, "utf8"));
  const first = await runBundle(file, { XDG_CACHE_HOME: mine, TSBPF_NO_CACHE: "" });
  assert.match(first.output, /^mark 1$/m, first.output);
  const names = readdirSync(join(mine, "tsbpf")).filter((n) => readFileSync(join(mine, "tsbpf", n), "utf8").includes("signed bundle"));
  assert.equal(names.length, 1, `one entry of the signed bundle: ${names.join(", ")}`);
  const entry = JSON.parse(readFileSync(join(mine, "tsbpf", names[0]), "utf8"));
  entry.specs[0].programs[0].insns = parts(evil).tracers.Mark.spec.programs[0].insns;
  // nobody's cache directory, private to nobody, with that entry holding their programs.
  const theirs = join(shared, "cache");
  const w = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh", "-c", `mkdir -m 700 ${theirs} ${theirs}/tsbpf && umask 077 && cat > ${theirs}/tsbpf/${names[0]}`], { input: JSON.stringify(entry) });
  assert.equal(w.status, 0, `setpriv: ${w.stderr}`);
  const r = await runBundle(file, { XDG_CACHE_HOME: theirs, TSBPF_NO_CACHE: "" });
  assert.match(r.output, /^mark 1$/m, `programs from nobody's cache ran in the kernel:\n${r.output}`);
  assert.doesNotMatch(r.output, /at an earlier start here: cache/, r.output);
  assert.match(r.output, /compiling without the cache: .*owned by uid/, r.output);
});
