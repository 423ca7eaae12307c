// Opening a device or a FIFO as root acts on it, even non-blocking and without reading: a
// watchdog device arms, a tape rewinds, a serial line raises its modem lines, a writer waiting
// on a FIFO is let through. A traced user names such paths (its mapped files, the debug link
// in its ELF files, a symlink in its directory), so root must see what a path is before it
// opens it for reading. Observed here with a FIFO: its writer's open() returns only once
// someone opens the FIFO to read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, ROOT, rootDir, script } from "./attacker.ts";

const env = { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" };

for (const [what, call] of [
  ["the symbolizer's mapFile (mapped files and debug files)", `mapFile(path)`],
  ["readCheckedFile (perf maps, uprobe binaries, --btf)", `(() => { try { return readCheckedFile(path, { maxBytes: 1 << 20 }); } catch (e) { return String(e); } })()`],
]) {
  test(`${what} does not open a FIFO nobody planted behind a symlink`, async () => {
    const dir = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-special-XXXXXX")]).trim();
    asNobody(["chmod", "755", dir]);
    asNobody(["mkfifo", join(dir, "fifo")]);
    asNobody(["ln", "-s", join(dir, "fifo"), join(dir, "lib.debug")]);
    // nobody's writer: its open() returns only when someone opens the FIFO to read.
    const writer = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh", "-c", `echo opened > ${dir}/fifo; echo done`], { stdio: ["ignore", "pipe", "ignore"] });
    let wrote = "";
    writer.stdout!.on("data", (d) => (wrote += d));
    const own = rootDir("special");
    const file = join(own, "open.ts");
    writeFileSync(file, `import { libc } from ${JSON.stringify(join(ROOT, "runtime/ffi/mod.ts"))};
import { mapFile } from ${JSON.stringify(join(ROOT, "runtime/symbolize/mapped_file.ts"))};
import { readCheckedFile } from ${JSON.stringify(join(ROOT, "runtime/files.ts"))};
await libc();
const path = ${JSON.stringify(join(dir, "lib.debug"))};
const got = ${call};
await new Promise((r) => setTimeout(r, 300));
console.log(JSON.stringify({ got: got === undefined ? null : typeof got === "string" ? got : got.length }));
`);
    try {
      await new Promise((r) => setTimeout(r, 200));
      const r = await script(file, { env, timeoutMs: 30_000 });
      assert.equal(r.status, 0, r.stderr);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(wrote, "", "root opened nobody's FIFO (its writer got through)");
    } finally {
      writer.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      rmSync(own, { recursive: true, force: true });
    }
  });
}

// A library's or debug file's path may lead to a pseudo filesystem, where a root-owned file
// reads as whatever the kernel makes of a read: some act when read (/proc/kmsg takes the kernel's
// messages from syslog), a PCI device's resource file maps its registers. None is an ELF file.
test("the symbolizer's mapFile does not read a file on a pseudo filesystem that nobody's link leads to", async () => {
  const target = "/sys/devices/system/cpu/online";
  const dir = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-special-XXXXXX")]).trim();
  asNobody(["chmod", "755", dir]);
  asNobody(["ln", "-s", target, join(dir, "lib.debug")]);
  const own = rootDir("special");
  const file = join(own, "open.ts");
  writeFileSync(file, `import { libc } from ${JSON.stringify(join(ROOT, "runtime/ffi/mod.ts"))};
import { mapFile } from ${JSON.stringify(join(ROOT, "runtime/symbolize/mapped_file.ts"))};
await libc();
console.log(JSON.stringify({ pseudo: mapFile(${JSON.stringify(join(dir, "lib.debug"))})?.length ?? null, regular: mapFile("/etc/passwd")?.length ?? null }));
`);
  try {
    const r = await script(file, { env, timeoutMs: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout.trim().split("\n").pop()!);
    assert.ok(got.regular > 0, `a regular file was not read either: ${r.stdout}`);
    assert.equal(got.pseudo, null, `root read ${target} through nobody's link (${got.pseudo} bytes)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(own, { recursive: true, force: true });
  }
});
