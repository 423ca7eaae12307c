// A script under review must not drive the terminal that shows its review. `tsbpf plan` and the
// errors of `tsbpf run URL` quote the script (probe names, import specifiers, source lines) and
// the server's answer; a script from a link is another person's text until root says yes. With
// raw escapes it could hide the plan's "spawns processes" lines (SGR 8 conceals everything after
// it) or rewrite the verdict above the prompt. Here nobody writes the script and serves it;
// root's output must hold no control character but line breaks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asNobody, bareEnv, tsbpf } from "./attacker.ts";
import { listeningPort } from "../kernel/util.ts";

const CONCEAL = "\x1b[8m", TITLE = "\x1b]0;owned\x07", UP = "\x1b[1A\x1b[2K";

// Every place a script's own text reaches the plan or an error: a probe name, an import
// specifier, a source line quoted by a compile error.
const SCRIPTS: Record<string, string> = {
  "probe.ts": `import { Tracer, tracepoint, pid } from "tsbpf";
import { execSync } from "node:child_process";
class T extends Tracer {
  @tracepoint("syscalls:sys_enter_execve${CONCEAL}${TITLE}")
  onExec() { pid(); }
}
execSync("id");
await new T().start();
`,
  "import.ts": `import { Tracer, tracepoint, pid } from "tsbpf";
import "./gone${UP}${CONCEAL}.ts";
class T extends Tracer {
  @tracepoint("syscalls:sys_enter_execve")
  onExec() { pid(); }
}
await new T().start();
`,
  "handler.ts": `import { Tracer, tracepoint, pid } from "tsbpf";
class T extends Tracer {
  @tracepoint("syscalls:sys_enter_execve")
  onExec() { try { pid(); } catch { "${UP}${CONCEAL}"; } }
}
await new T().start();
`,
};

const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

function assertPrintable(what: string, text: string): void {
  const m = CONTROL.exec(text);
  assert.equal(m, null, `${what} printed a raw control character ${JSON.stringify(m?.[0])} near ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 60), (m?.index ?? 0) + 20))}`);
}

async function withNobodysGist(f: (dir: string, base: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-sec-plan-escapes-"));
  rmSync(dir, { recursive: true });
  asNobody(["mkdir", "-m", "0755", dir]);
  for (const [name, text] of Object.entries(SCRIPTS)) asNobody(["sh", "-c", 'printf "%s" "$1" > "$2"', "sh", text, `${dir}/${name}`]);
  // Port 0: a port of its own (one derived from the pid could be another's server, which the
  // test would then talk to); the port it took is read from its listening socket.
  const server = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", dir], { stdio: "ignore", cwd: "/" });
  try {
    const base = `http://127.0.0.1:${await boundPort(server.pid!)}`;
    await waitForServer(`${base}/`);
    await f(dir, base);
  } finally {
    server.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

async function boundPort(pid: number): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    const port = listeningPort(pid);
    if (port !== undefined) return port;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nobody's server (pid ${pid}) never listened`);
}

async function waitForServer(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await (await fetch(url)).body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`nobody's server at ${url} never answered`);
}

test("tsbpf plan of nobody's script, from a link or a file, prints no control character", async () => {
  await withNobodysGist(async (dir, base) => {
    for (const name of Object.keys(SCRIPTS)) {
      for (const target of [`${base}/${name}`, `${dir}/${name}`]) {
        const r = await tsbpf(["plan", target], { env: bareEnv(), timeoutMs: 120_000 });
        assert.equal(r.timedOut, false, `plan ${target} hung`);
        assertPrintable(`plan ${target} (stdout)`, r.stdout);
        assertPrintable(`plan ${target} (stderr)`, r.stderr);
        // (plan names a handler's compile error by its message, without the source line)
        if (name !== "handler.ts") assert.match(r.stdout + r.stderr, /\\x1b/, `plan ${target} does not show the escape it quotes: ${r.stdout}${r.stderr}`);
      }
    }
  });
});

test("tsbpf run --yes of nobody's link: its refusal and its compile error print no control character", async () => {
  await withNobodysGist(async (_dir, base) => {
    for (const name of ["import.ts", "handler.ts", "probe.ts"]) {
      const r = await tsbpf(["run", "--yes", `${base}/${name}`], { env: bareEnv(), timeoutMs: 120_000 });
      assert.notEqual(r.status, 0, `${name} ran: ${r.stdout}`);
      assertPrintable(`run ${name} (stdout)`, r.stdout);
      assertPrintable(`run ${name} (stderr)`, r.stderr);
      assert.match(r.stderr, /\\x1b/, `run ${name} does not show the escape it quotes: ${r.stderr}`);
    }
  });
});
