// bin/tsbpf reads its environment listing back with `.` from the here-document on fd 3, as root,
// only when that descriptor is a pipe. bash before 5.1 (the /bin/sh of RHEL 8, SLES 15, Amazon
// Linux 2) keeps a here-document in a file in $TMPDIR, which the caller names under sudo -E, and
// opens it again by its name: the owner of that directory can put a named pipe (a FIFO) there in
// between, and a FIFO is a pipe too. Here nobody's FIFO is on fd 3, with nobody writing into it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { asNobody, ROOT, rootDir } from "./attacker.ts";

test("bin/tsbpf runs no text from another user's named pipe on its here-document's descriptor", { timeout: 60_000 }, () => {
  const dir = rootDir("listing-fifo");
  const evil = join(dir, "nobody");
  const marker = join(dir, "ran");
  let writer: ReturnType<typeof spawn> | undefined;
  try {
    spawnSync("mkdir", [evil]);
    chownSync(evil, 65534, 65534);
    spawnSync("chmod", ["755", dir]);
    const fifo = join(evil, "sh-thd.listing");
    asNobody(["mkfifo", fifo]);
    // nobody holds the FIFO open for writing, with a command in it, until root has read it.
    writer = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh", "-c", `exec 4>"$1"; printf 'id -u > ${marker}\\n' >&4; sleep 1`, "sh", fifo], { stdio: "ignore" });
    const functions = [...readFileSync(join(ROOT, "bin/tsbpf"), "utf8").matchAll(/^(?:drop_listed_jsc_options|drop_jsc_export)\(\) \{\n[\s\S]*?\n\}$/gm)].map((m) => m[0]);
    assert.equal(functions.length, 2);
    const r = spawnSync("sh", ["-c", `${functions.join("\n")}\njsc_listed=\ndrop_listed_jsc_options 3<"$1"; echo "status $? listed=$jsc_listed"`, "sh", fifo], {
      env: { PATH: "/usr/bin:/bin", BUN_JSC_x: "1" }, encoding: "utf8", timeout: 20_000,
    });
    assert.equal(existsSync(marker), false, `root ran nobody's text from the FIFO: ${existsSync(marker) ? readFileSync(marker, "utf8") : ""}`);
    assert.equal(r.stdout.trim(), "status 1 listed=", r.stderr);
  } finally {
    writer?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
