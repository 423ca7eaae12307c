// Root runs tsbpf in a directory another user can write (/tmp, a project or home directory).
// Bun reads ./bunfig.toml (whose `preload` it imports before anything else) and loads ./.env
// into the environment (LD_PRELOAD, PATH, ... for every process tsbpf starts) from the working
// directory: neither may be taken from there, by the tsbpf command or by the child runtime
// `tsbpf run` starts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, ROOT, rootDir } from "./attacker.ts";

const BIN = join(ROOT, "bin/tsbpf");

/** A directory of nobody's holding a bunfig.toml that preloads a marker writer, and a .env. */
function plantedDir(): { dir: string; marker: string } {
  const dir = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-cwd-XXXXXX")]).trim();
  asNobody(["chmod", "755", dir]);
  const marker = join(dir, "preloaded");
  const preload = `import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(marker)}, "ran as " + process.getuid());\n`;
  asNobody(["sh", "-c", `printf '%s' '${preload.replaceAll("'", "'\\''")}' > ${dir}/evil.ts`]);
  asNobody(["sh", "-c", `printf 'preload = ["${dir}/evil.ts"]\\n' > ${dir}/bunfig.toml && printf 'TSBPF_SEC_PLANTED=from-dotenv\\n' > ${dir}/.env`]);
  return { dir, marker };
}

function runIn(cwd: string, args: string[]): Promise<{ status: number | string | null; stdout: string; stderr: string }> {
  const child = spawn(BIN, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" } });
  let stdout = "", stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code ?? signal, stdout, stderr });
    })
  );
}

test("tsbpf in a directory nobody owns: its bunfig.toml preload and .env are not used (one-liner)", async () => {
  const { dir, marker } = plantedDir();
  try {
    const r = await runIn(dir, ["-e", 'begin(() => { print("hello"); exit(); })']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /hello/);
    assert.ok(!existsSync(marker), "root ran nobody's bunfig.toml preload");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tsbpf run in a directory nobody owns: the child runtime takes neither bunfig.toml nor .env from it", async () => {
  const { dir, marker } = plantedDir();
  const own = rootDir("cwd");
  const script = join(own, "env.ts");
  writeFileSync(script, 'import process from "node:process";\nconsole.log("planted:", process.env.TSBPF_SEC_PLANTED ?? "none");\n');
  try {
    const r = await runIn(dir, ["run", script]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /planted: none/, "the .env of nobody's directory reached root's environment");
    assert.ok(!existsSync(marker), "root ran nobody's bunfig.toml preload");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(own, { recursive: true, force: true });
  }
});
