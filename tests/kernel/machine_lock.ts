// Tests that read or change machine-wide state (a sysctl) take turns with every other test run on
// the machine (two worktrees, Bun's run beside Deno's): each holds an exclusive flock(2) on the
// state's own file while it looks. The lock is held by a child `flock` whose command ends when its
// stdin closes, so a test process that dies, however, lets the next run go.
import { spawn } from "node:child_process";
import { waitFor } from "./util.ts";

declare const Deno: any;

/**
 * Waits (at most `ms`) for the exclusive lock on `path` and holds it until the returned function
 * is called. Throws if another run holds it all that time.
 */
export async function holdMachineLock(path: string, ms: number): Promise<() => Promise<void>> {
  const seconds = String(Math.ceil(ms / 1000));
  // flock -w: the bound is flock's own, so a holder that never lets go ends in an error here.
  const args = ["-x", "-w", seconds, path, "sh", "-c", "echo locked; exec cat >/dev/null"];
  let out = "", ended = false;
  let release: () => Promise<number>;
  if (typeof Deno !== "undefined") {
    const child = new Deno.Command("flock", { args, stdin: "piped", stdout: "piped", stderr: "inherit" }).spawn();
    const stdin = child.stdin.getWriter();
    const pumped = (async () => {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) out += chunk;
    })();
    const status = child.status.then((s: { code: number }) => ((ended = true), s.code));
    release = async () => {
      await stdin.close().catch(() => {});
      await pumped;
      return await status;
    };
  } else {
    const child = spawn("flock", args, { stdio: ["pipe", "pipe", "inherit"] });
    child.stdout!.on("data", (d) => (out += d));
    const status = new Promise<number>((r) => child.on("exit", (code) => ((ended = true), r(code ?? 1))));
    release = () => (child.stdin!.end(), status);
  }
  await waitFor(() => ended || out.includes("locked"), ms + 5000);
  if (!out.includes("locked")) {
    const code = await release();
    throw new Error(`another test run held the lock on ${path} for ${seconds} s (flock exited ${code}): the test looks at state the whole machine shares and cannot run beside it`);
  }
  return async () => void (await release());
}
