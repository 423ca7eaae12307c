// The tsbpf command (bin/tsbpf) looks for Bun or Deno in PATH and then beside the package, so that
// `sudo tsbpf` works when sudo's PATH lacks them. "Beside the package" must mean the node_modules
// it is installed in, never a directory above it: installed from /tmp (`cd /tmp && npm install
// tsbpf`), two levels up from node_modules/tsbpf is /tmp itself, where anyone can create
// .bin/bun, which root then ran. Here nobody plants that runtime and root runs the command.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { asNobody, ROOT } from "./attacker.ts";

test("bin/tsbpf installed under a directory anyone can write does not run a runtime planted above its node_modules", () => {
  const project = mkdtempSync("/tmp/tsbpf-sec-launcher-");
  chmodSync(project, 0o1777); // like /tmp
  const marker = `${project}-ran`;
  try {
    const pkg = join(project, "node_modules/tsbpf");
    mkdirSync(join(pkg, "bin"), { recursive: true });
    copyFileSync(join(ROOT, "bin/tsbpf"), join(pkg, "bin/tsbpf"));
    chmodSync(join(pkg, "bin/tsbpf"), 0o755);
    for (const runtime of ["bun", "deno"]) {
      asNobody(["sh", "-c", `mkdir -p ${project}/.bin && printf '#!/bin/sh\\ntouch ${marker}\\n' > ${project}/.bin/${runtime} && chmod 755 ${project}/.bin/${runtime}`]);
    }
    const pathWithoutRuntimes = "/usr/sbin:/usr/bin:/sbin:/bin";
    for (const runtime of ["bun", "deno"]) {
      const found = spawnSync("sh", ["-c", `command -v ${runtime}`], { env: { PATH: pathWithoutRuntimes } });
      assert.notEqual(found.status, 0, `${runtime} is in ${pathWithoutRuntimes}: this test needs a PATH without it`);
    }
    const r = spawnSync(join(pkg, "bin/tsbpf"), ["list", "syscalls:sys_enter_openat"], { cwd: "/", env: { PATH: pathWithoutRuntimes }, encoding: "utf8", timeout: 30_000 });
    assert.equal(existsSync(marker), false, `root ran nobody's runtime from ${project}/.bin: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /needs Bun or Deno/);
  } finally {
    rmSync(project, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});
