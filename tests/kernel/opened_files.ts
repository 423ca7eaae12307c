// Which files a command opened, seen by strace: the kernel's view, on either runtime.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Whether strace is installed; tests that need it skip without it. */
export const hasStrace = spawnSync("strace", ["-V"], { stdio: "ignore" }).status === 0;

/**
 * Runs `command` under strace; its status and output, every path it opened successfully (as
 * given, relative to a directory's descriptor for openat2), and `read`: the file each open to
 * read (not O_PATH, which opens nothing) reached, as the kernel names it (strace -y), so a file
 * reopened through /proc/self/fd/N after an O_PATH open is named.
 *
 * One log per thread (-ff): in one shared log, an open that another thread's call interrupts is
 * split over two lines ("<unfinished ...>", then "<... openat resumed>"), so a match on one line
 * misses it at random.
 */
export function openedFiles(
  command: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; timeout?: number } = {},
): { status: number | null; stdout: string; stderr: string; opened: string[]; read: string[] } {
  const logs = mkdtempSync(join(tmpdir(), "tsbpf-strace-"));
  try {
    const r = spawnSync("strace", ["-ff", "-qq", "-y", "-e", "trace=open,openat,openat2", "-o", join(logs, "thread"), ...command], {
      cwd: options.cwd, env: options.env, encoding: "utf8", timeout: options.timeout ?? 60_000,
    });
    const calls = readdirSync(logs).sort().flatMap((log) => [
      ...readFileSync(join(logs, log), "utf8").matchAll(/open(?:at2?)?\((?:(?:AT_FDCWD|\d+)(?:<[^>]*>)?, )?"([^"]+)", ([^)]*)\) = \d+(?:<([^>]*)>)?/g),
    ]);
    const opened = calls.map((m) => m[1]);
    const read = calls.filter((m) => !m[2].includes("O_PATH")).map((m) => m[3] ?? m[1]);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, opened, read };
  } finally {
    rmSync(logs, { recursive: true, force: true });
  }
}
