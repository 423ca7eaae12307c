// Bun keeps the modules it transpiles in a cache on disk ($XDG_CACHE_HOME/bun/@t@, else
// ~/.bun/install/cache/@t@) and runs an entry whose header matches the source's length and hash
// and whose own hashes match its contents: all computable by anyone who can read tsbpf's sources.
// The threat model counts a preserved XDG_CACHE_HOME or another user's HOME (sudo -E) as that
// user's; here nobody fills such a cache with entries for tsbpf's sources whose code writes a
// marker, and root runs the tsbpf command with that XDG_CACHE_HOME.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, ROOT } from "./attacker.ts";

const BUN = join(ROOT, "node_modules/.bin/bun");

// Run by nobody under Bun: each entry of DIR again, with CODE before its output, hashes redone
// (the header: Bun's RuntimeTranspilerCache Metadata; its hash is wyhash with seed 42).
const FORGE = `
const [dir, code] = process.argv.slice(2);
const { readdirSync, readFileSync, writeFileSync } = await import("node:fs");
for (const name of readdirSync(dir)) {
  const b = new Uint8Array(readFileSync(dir + "/" + name));
  const dv = new DataView(b.buffer);
  const u = (o) => Number(dv.getBigUint64(o, true));
  const off = u(0x1e), len = u(0x26), smOff = u(0x36), smLen = u(0x3e), esmOff = u(0x4e), esmLen = u(0x56);
  const payload = new TextEncoder().encode(code);
  const out = new Uint8Array(off + payload.length + len + smLen + esmLen);
  out.set(b.subarray(0, off));
  out.set(payload, off);
  out.set(b.subarray(off, off + len), off + payload.length);
  out.set(b.subarray(smOff, smOff + smLen), off + payload.length + len);
  out.set(b.subarray(esmOff, esmOff + esmLen), off + payload.length + len + smLen);
  const w = new DataView(out.buffer);
  w.setBigUint64(0x26, BigInt(payload.length + len), true);
  w.setBigUint64(0x2e, Bun.hash.wyhash(out.subarray(off, off + payload.length + len), 42n), true);
  w.setBigUint64(0x36, BigInt(off + payload.length + len), true);
  w.setBigUint64(0x4e, BigInt(off + payload.length + len + smLen), true);
  writeFileSync(dir + "/" + name, out);
}
`;

for (const named of [false, true]) {
test(`the tsbpf command runs no module another user forged in Bun's transpiler cache ${named ? "named by BUN_RUNTIME_TRANSPILER_CACHE_PATH" : "under XDG_CACHE_HOME"}`, { timeout: 120_000 }, () => {
  const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-transpiler-"));
  chmodSync(shared, 0o755);
  const marker = `${shared}-ran`;
  try {
    const cache = join(shared, "cache");
    mkdirSync(cache);
    chownSync(cache, 65534, 65534);
    writeFileSync(join(shared, "forge.js"), FORGE);
    // nobody runs tsbpf's sources (readable by all) with its own cache: Bun writes their entries.
    asNobody(["env", `HOME=${cache}`, `XDG_CACHE_HOME=${cache}`, BUN, join(ROOT, "cli/main.ts"), "--help"]);
    const entries = join(cache, "bun/@t@");
    assert.ok(existsSync(entries) && readdirSync(entries).length > 0, `Bun wrote no transpiler cache entries in ${entries}`);
    // Preserved by sudo -E as XDG_CACHE_HOME is: the variable names nobody's directory itself.
    const env = named ? { BUN_RUNTIME_TRANSPILER_CACHE_PATH: entries } : { XDG_CACHE_HOME: cache };
    const code = `process.getBuiltinModule("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran as " + process.getuid());\n`;
    asNobody(["env", `HOME=${cache}`, BUN, join(shared, "forge.js"), entries, code]);
    const r = spawnSync("sh", [join(ROOT, "bin/tsbpf"), "--help"], {
      cwd: "/", env: { PATH: `${join(ROOT, "node_modules/.bin")}:/usr/bin:/bin`, TSBPF_RUNTIME: "bun", HOME: shared, ...env, NO_COLOR: "1" },
      encoding: "utf8", timeout: 60_000,
    });
    assert.equal(existsSync(marker), false, `root ran nobody's code from ${entries}: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /tsbpf/);
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});
}
