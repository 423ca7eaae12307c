// Root trusts the keys in a file only root can change; on procfs and sysfs "root's, writable by
// no one else" says nothing of who writes the text: any user puts lines into /proc/net/unix by
// binding a socket whose name holds a newline. As nobody, a key line is put there, and
// TSBPF_TRUSTED_KEYS naming that file (or another pseudo-filesystem file) is refused, said in
// the notes, and the key not trusted.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isBun, ROOT, rootDir, run } from "./attacker.ts";

const dir = rootDir("pseudo-keys");
after(() => import("node:fs").then((fs) => fs.rmSync(dir, { recursive: true, force: true })));
const PRINT = join(ROOT, "tests/security/fixtures/print_trusted_keys.ts");

async function trustedWith(file: string): Promise<{ keys: string[]; notes: string[] }> {
  const argv = isBun ? [process.execPath, PRINT] : [process.execPath, "run", "-A", PRINT];
  const r = await run(argv, { env: { PATH: "/usr/bin:/bin", HOME: dir, XDG_CONFIG_HOME: dir, TSBPF_TRUSTED_KEYS: file }, timeoutMs: 60000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

test("a key line nobody writes into /proc/net/unix is not trusted", { timeout: 120000 }, async () => {
  const key = randomBytes(32).toString("base64");
  assert.match(key, /^[A-Za-z0-9+/]{43}=$/);
  const code = "import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.bind(b'\\0tsbpf-test\\ntsbpf-ed25519 ' + sys.argv[1].encode() + b' attacker\\n')\nprint('ready', flush=True)\nsys.stdin.read()";
  const attacker = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", code, key], { stdio: ["pipe", "pipe", "inherit"] });
  try {
    await new Promise<void>((resolve, reject) => {
      attacker.stdout!.on("data", (d) => String(d).includes("ready") && resolve());
      attacker.on("exit", (status) => reject(new Error(`the attacker's socket was not bound (status ${status})`)));
    });
    assert.match(readFileSync("/proc/net/unix", "utf8"), new RegExp(`^tsbpf-ed25519 ${key.replace(/[+/]/g, "\\$&")} attacker`, "m"), "the attack itself did not work: no key line in /proc/net/unix");
    const r = await trustedWith("/proc/net/unix");
    assert.ok(!r.keys.includes(key), "nobody's key from /proc/net/unix is trusted");
    assert.match(r.notes.join("\n"), /not trusting the keys in \/proc\/net\/unix: .*(procfs|proc).*not a file on disk|pseudo/i, r.notes.join("\n"));
  } finally {
    attacker.stdin!.end();
    attacker.kill();
  }
});

test("trusted-key files on sysfs and procfs are refused with the reason", { timeout: 120000 }, async () => {
  for (const file of ["/sys/kernel/mm/transparent_hugepage/enabled", "/proc/sys/kernel/hostname"]) {
    const r = await trustedWith(file);
    assert.match(r.notes.join("\n"), new RegExp(`not trusting the keys in ${file}: .*(sysfs|procfs)`), `${file}: ${r.notes.join("\n")}`);
  }
});
