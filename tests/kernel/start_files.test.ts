// What a start reads from the kernel's files, seen from outside (strace, no timing): every file
// under /proc/sys and /sys/kernel once at most, beyond what the runtime itself opens (Deno reads
// osrelease too). The memlock check before each map, program and BTF read
// /proc/sys/kernel/osrelease again every time (4 times more for a tracer with a RingBuf).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { hasStrace, openedFiles } from "./opened_files.ts";

declare const Bun: unknown;
const ROOT = new URL("../..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "tsbpf-start-files-"));
// Removed once the tests have run: Deno's test runner runs no process "exit" listeners.
after(() => rmSync(dir, { recursive: true, force: true }));

/** The files under /proc/sys and /sys/kernel that `code` opened, run by this runtime under strace. */
function kernelFilesOpened(code: string, env: Record<string, string | undefined>): string[] {
  const script = join(dir, "start.ts");
  writeFileSync(script, code);
  const runtime = typeof Bun !== "undefined" ? [process.execPath, script] : [process.execPath, "run", "-A", "--quiet", script];
  const r = openedFiles(runtime, { cwd: ROOT, env });
  assert.equal(r.status, 0, r.stderr);
  return r.opened.filter((f) => /^(\/proc\/sys|\/sys\/kernel)\//.test(f));
}

const START = [
  `import { pid, RingBuf, Tracer, tracepoint, type u32 } from ${JSON.stringify(join(ROOT, "mod.ts"))};`,
  `class Start extends Tracer {`,
  `  events = new RingBuf<{ pid: u32 }>();`,
  `  @tracepoint("syscalls:sys_enter_getppid")`,
  `  onGetppid() { this.events.submit({ pid: pid() }); }`,
  `}`,
  `const t = await new Start().start({ exitOnError: false });`,
  `await t.stop();`,
].join("\n");

/** The kernel files a start of a one-probe tracer with a RingBuf opened more often than once plus the runtime's own opens. */
function openedTwice(cached: boolean): { twice: string[]; opened: string[] } {
  const env = { ...process.env, NO_COLOR: "1", XDG_CACHE_HOME: join(dir, "cache"), TSBPF_NO_CACHE: cached ? "" : "1" };
  // A script that imports a module: Deno reads osrelease as it opens its module caches.
  const runtimeOwn = kernelFilesOpened(`import ${JSON.stringify(join(ROOT, "runtime/kernel_release.ts"))};\nconsole.log(1);\n`, env);
  if (cached) kernelFilesOpened(START, env); // fills the cache
  const opened = kernelFilesOpened(START, env);
  const count = (files: string[], f: string) => files.filter((g) => g === f).length;
  return { twice: [...new Set(opened)].filter((f) => count(opened, f) > 1 + count(runtimeOwn, f)), opened };
}

const skip = !hasStrace && "strace is not installed";

test("a start from the cache opens each kernel file once at most", { skip }, () => {
  const { twice, opened } = openedTwice(true);
  assert.ok(opened.includes("/proc/sys/kernel/osrelease"), `the cache key's kernel release was not read: ${opened.join(", ")}`);
  assert.deepEqual(twice, [], `opened: ${opened.join(", ")}`);
});

test("a cold start opens each kernel file once at most", { skip }, () => {
  const { twice, opened } = openedTwice(false);
  assert.deepEqual(twice, [], `opened: ${opened.join(", ")}`);
});
