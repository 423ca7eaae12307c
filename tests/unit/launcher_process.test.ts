// `tsbpf -e '...'` is one process (issue 20): bin/tsbpf, reached through the link npm makes in
// node_modules/.bin, finds its package and the runtime with shell builtins only and execs the
// runtime. Every program it started on the way (readlink, a subshell for $(...)) cost about a
// millisecond of every one-liner's start. Checked by what the kernel saw (strace), not by time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;
const hasStrace = spawnSync("strace", ["-V"], { stdio: "ignore" }).status === 0;

/** A project with the package installed as npm installs it, and a stand-in runtime that prints what it was given. */
function installed(scope = ""): { project: string; pkg: string; bin: string; runtimes: string; cleanup(): void } {
  const project = mkdtempSync(join(tmpdir(), "tsbpf-launcher-"));
  const pkg = join(project, "node_modules", scope, "tsbpf");
  mkdirSync(join(pkg, "bin"), { recursive: true });
  copyFileSync(join(ROOT, "bin/tsbpf"), join(pkg, "bin/tsbpf"));
  chmodSync(join(pkg, "bin/tsbpf"), 0o755);
  mkdirSync(join(pkg, "dist"));
  writeFileSync(join(pkg, "dist/cli_main.js"), "");
  mkdirSync(join(project, "node_modules/.bin"));
  const bin = join(project, "node_modules/.bin/tsbpf");
  symlinkSync(join("..", scope, "tsbpf/bin/tsbpf"), bin);
  const runtimes = join(project, "runtimes");
  mkdirSync(runtimes);
  for (const name of ["bun", "deno"]) {
    writeFileSync(join(runtimes, name), `#!/bin/sh\nprintf '%s\\n' "${name}" "$@"\n`);
    chmodSync(join(runtimes, name), 0o755);
  }
  return { project, pkg, bin, runtimes, cleanup: () => rmSync(project, { recursive: true, force: true }) };
}

/** Runs the launcher (by `shell` if given, not by its #!) under strace; the programs it executed and the processes it forked. */
function traced(bin: string, env: Record<string, string>, shell: string[] = []): { stdout: string; execs: string[]; forks: number } {
  const log = `${bin}.strace`;
  const r = spawnSync("strace", ["-f", "-qq", "-e", "trace=execve,fork,vfork,clone,clone3", "-o", log, ...shell, bin, "-e", "x"], { env, encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const lines = readFileSync(log, "utf8").split("\n");
  const execs = lines.filter((l) => /execve\(/.test(l) && !/= -1 /.test(l)).map((l) => /execve\("([^"]*)"/.exec(l)![1]);
  const forks = lines.filter((l) => /^\d+\s+(fork|vfork|clone3?)\(/.test(l) && !/CLONE_THREAD/.test(l)).length;
  return { stdout: r.stdout, execs, forks };
}

for (const runtime of ["bun", "deno"]) {
  for (const scope of ["", "@scope"]) {
    test(`bin/tsbpf -e through node_modules/.bin${scope ? ` (a ${scope} package)` : ""} on ${runtime} starts no program but the runtime`, { skip: !hasStrace && "needs strace" }, () => {
      const p = installed(scope);
      try {
        const { stdout, execs, forks } = traced(p.bin, { PATH: `${p.runtimes}:/usr/bin:/bin`, TSBPF_RUNTIME: runtime });
        const args = stdout.split("\n");
        assert.equal(args[0], runtime);
        assert.ok(args.includes(`${p.pkg}/dist/cli_main.js`), `the runtime was not given the package's command: ${stdout}`);
        assert.deepEqual(args.slice(-3), ["-e", "x", ""]);
        // The launcher itself, then the stand-in runtime (a shell script: its interpreter is not one more exec).
        assert.deepEqual(execs, [p.bin, join(p.runtimes, runtime)], `programs started: ${execs.join(", ")}`);
        assert.equal(forks, 0, "the launcher forked (a $(...) or a program) before the runtime");
      } finally {
        p.cleanup();
      }
    });
  }
}

test("bin/tsbpf installed globally (PREFIX/bin/tsbpf -> ../lib/node_modules/tsbpf/bin/tsbpf) starts no program but the runtime", { skip: !hasStrace && "needs strace" }, () => {
  const p = installed();
  try {
    const prefix = join(p.project, "usr");
    mkdirSync(join(prefix, "bin"), { recursive: true });
    mkdirSync(join(prefix, "lib"));
    symlinkSync(join(p.project, "node_modules"), join(prefix, "lib/node_modules"), "dir");
    const bin = join(prefix, "bin/tsbpf");
    symlinkSync("../lib/node_modules/tsbpf/bin/tsbpf", bin);
    const { stdout, execs, forks } = traced(bin, { PATH: `${p.runtimes}:/usr/bin:/bin`, TSBPF_RUNTIME: "bun" });
    assert.ok(stdout.split("\n").includes(`${prefix}/lib/node_modules/tsbpf/dist/cli_main.js`), stdout);
    assert.deepEqual(execs, [bin, join(p.runtimes, "bun")]);
    assert.equal(forks, 0);
  } finally {
    p.cleanup();
  }
});

test("bin/tsbpf still finds its package through a link it cannot guess, and from a relative path", () => {
  const p = installed();
  try {
    const elsewhere = join(p.project, "elsewhere");
    mkdirSync(elsewhere);
    symlinkSync(join(p.pkg, "bin/tsbpf"), join(elsewhere, "t"));
    // A package under another name: node_modules/.bin/other -> ../tsbpf/bin/tsbpf is guessed; ../renamed/... is not.
    renameSync(p.pkg, join(p.project, "node_modules/renamed"));
    symlinkSync("renamed", p.pkg);
    for (const [command, cwd] of [[join(elsewhere, "t"), "/"], ["node_modules/.bin/tsbpf", p.project], ["./tsbpf", join(p.project, "node_modules/.bin")]]) {
      const r = spawnSync(command, ["-e", "x"], { cwd, env: { PATH: `${p.runtimes}:/usr/bin:/bin`, TSBPF_RUNTIME: "bun" }, encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(r.stdout.split("\n").includes(`${join(p.project, "node_modules/renamed")}/dist/cli_main.js`), `${command} in ${cwd}: ${r.stdout}`);
    }
  } finally {
    p.cleanup();
  }
});

// The environment read whatever its size, and under bash as /bin/sh too.
const PADDINGS = [0, 3000, 20000];
const SHELLS = [[], ...(spawnSync("bash", ["--version"], { stdio: "ignore" }).status === 0 ? [["bash", "--posix"], ["bash"]] : [])];

for (const shell of SHELLS) {
  for (const padding of PADDINGS) {
    test(`bin/tsbpf${shell.length ? ` run by ${shell.join(" ")}` : ""} passes Bun no BUN_JSC_ option but its own, whatever its name, and forks for none (${padding} more bytes of environment)`, { skip: !hasStrace && "needs strace" }, () => {
      const p = installed();
      try {
        // The stand-in runtime prints its environment after its arguments.
        writeFileSync(join(p.runtimes, "bun"), `#!/bin/sh\nprintf '%s\\n' bun "$@" ENV; env -0\n`);
        const env = {
          PATH: `${p.runtimes}:/usr/bin:/bin`, TSBPF_RUNTIME: "bun",
          // One a later Bun might add, one Bun 1.4 has, one hidden after a value that spells a name,
          // one after a value of several lines, one whose value has quotes, and the caller's own value of one tsbpf sets.
          BUN_JSC_someFutureDumpDirectory: "/tmp/x", BUN_JSC_jitDumpDirectory: "/tmp/y", DECOY: "BUN_JSC_", BUN_JSC_afterDecoy: "1",
          LINES: "a\nBUN_JSC_notAVariable=1\nb", BUN_JSC_afterLines: "2", BUN_JSC_thresholdForJITSoon: "123", KEEP: "BUN_JSC_kept=value",
          BUN_JSC_quoted: "it's \"$(x)\"\n'", QUOTES: "'; BUN_JSC_fake=1 '\"", PAD: "x".repeat(padding),
          // Names the launcher once used for its own work: the caller's values are passed on as they are.
          name: "caller's name", entries: "caller's entries",
        };
        const { stdout, forks } = traced(p.bin, env, shell);
        const vars = stdout.slice(stdout.indexOf("\nENV\n") + 5).split("\0");
        assert.deepEqual(vars.filter((l) => /^BUN_JSC_/.test(l)).sort(), ["BUN_JSC_thresholdForJITAfterWarmUp=10000", "BUN_JSC_thresholdForJITSoon=123"]);
        for (const kept of ["name=caller's name", "entries=caller's entries", "KEEP=BUN_JSC_kept=value", "DECOY=BUN_JSC_", "LINES=a\nBUN_JSC_notAVariable=1\nb", "QUOTES='; BUN_JSC_fake=1 '\"", `PAD=${"x".repeat(padding)}`]) {
          assert.ok(vars.includes(kept), `${kept.slice(0, 40)} was not passed on`);
        }
        assert.equal(forks, 1, "the launcher forked (a $(...) or a program) before the runtime (the one fork is the stand-in's env)");
      } finally {
        p.cleanup();
      }
    });
  }
}

test("bin/tsbpf starts Deno without its update check (a network request and ≈ 14 % of a warm start's CPU)", () => {
  const p = installed();
  try {
    writeFileSync(join(p.runtimes, "deno"), `#!/bin/sh\nprintf '%s\\n' "update check off: \${DENO_NO_UPDATE_CHECK:-no}"\n`);
    const r = spawnSync(p.bin, ["-e", "x"], { env: { PATH: `${p.runtimes}:/usr/bin:/bin`, TSBPF_RUNTIME: "deno" }, encoding: "utf8", timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "update check off: 1");
  } finally {
    p.cleanup();
  }
});
