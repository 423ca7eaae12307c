// `tsbpf build --compile` under Bun: one executable, with the bundle's bytecode inside
// (cli/commands/build.ts compileCommand). It must trace as the bundle does, both when this host's
// key signed it (the precompiled programs load as they are) and when that key is not trusted
// (the compiler, inside the executable as a data: module, compiles the handlers here).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundle } from "../../build/bundle.ts";

const root = new URL("../../", import.meta.url).pathname;
const bunDir = `${root}node_modules/.bin`;

/** Runs the executable (a command line), running /bin/true beside it until it exits. */
function runWithExecs(exe: string, env: Record<string, string>) {
  const script = `${exe} & while kill -0 $! 2>/dev/null; do /bin/true; sleep 0.2; done; wait $!`;
  const r = spawnSync("sh", ["-c", script], { cwd: "/tmp", encoding: "utf8", timeout: 120000, env: { ...process.env, TSBPF_NO_CACHE: "1", TSBPF_VERBOSE: "1", ...env } });
  return { status: r.status, output: (r.stdout ?? "") + (r.stderr ?? "") };
}

test("an executable from tsbpf build --compile (Bun) traces with its signed programs, and compiles them where the key is not trusted", { timeout: 300000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-compiled-"));
  try {
    const exe = `${dir}/first_exec`;
    const built = spawnSync(`${root}bin/tsbpf`, ["build", "--compile", `${root}tests/fixtures/first_exec.ts`, "-o", exe], {
      encoding: "utf8", env: { ...process.env, PATH: `${bunDir}:${process.env.PATH ?? "/usr/bin:/bin"}`, TSBPF_RUNTIME: "bun" },
    });
    assert.equal(built.status, 0, built.stderr);
    assert.match(built.stderr, /one executable/);

    const trusted = runWithExecs(exe, {});
    assert.equal(trusted.status, 0, trusted.output);
    assert.match(trusted.output, /precompiled programs, signed by this host's own key, load as they are|precompiled programs match its source/, trusted.output);
    assert.match(trusted.output, /^exec \d+ \d+ \/bin\/true$/m, trusted.output);

    // A configuration directory without the host's key: the signature is by a key not trusted here.
    const config = `${dir}/config`;
    mkdirSync(config);
    chmodSync(config, 0o700);
    const untrusted = runWithExecs(exe, { XDG_CONFIG_HOME: config });
    assert.equal(untrusted.status, 0, untrusted.output);
    assert.match(untrusted.output, /compiling the handlers from the bundle's source/, untrusted.output);
    assert.match(untrusted.output, /^exec \d+ \d+ \/bin\/true$/m, untrusted.output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("Bun's executable carries the compiler deflated, and inflates it to compile where the key is not trusted", { timeout: 300000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-compiled-"));
  try {
    // The JavaScript that build --compile gives bun build: no section after the code, the compiler in it.
    const js = `${dir}/first_exec.js`;
    await bundle(`${root}tests/fixtures/first_exec.ts`, js, { inlineCompiler: "deflated" });
    const text = readFileSync(js, "utf8");
    // As a data: URL, Babel and the compiler were 1.1 MB of base64 in an executable that holds its
    // code twice (text and bytecode); deflated they are about a quarter of that.
    assert.doesNotMatch(text, /data:text\/javascript;base64,[A-Za-z0-9+/]{1000}/, "the compiler is a data: URL, not deflated");
    assert.ok(text.length < 700_000, `the bundle is ${text.length} bytes`);
    const config = `${dir}/config`;
    mkdirSync(config);
    chmodSync(config, 0o700);
    const r = runWithExecs(`${bunDir}/bun ${js}`, { XDG_CONFIG_HOME: config });
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /compiling the handlers from the bundle's source/, r.output);
    assert.match(r.output, /^exec \d+ \d+ \/bin\/true$/m, r.output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
