// A program named without a path is found on PATH even where a library directory holds a
// directory of that name: `tsbpf list 'usdt:python3'` read /usr/lib/python3 (a directory) and
// failed with "Refusing to read ... it is a directory", where /usr/bin/python3 was meant. Library
// directories and PATH give only files. Root: it makes the directory in /usr/local/lib (one of the
// library directories searched) and the program in /usr/local/bin, and removes both.
// A script found there (a pyenv shim on PATH) is named as a script, by attaching and by
// `tsbpf list`, which said only "Bad ELF magic 23 21 2f 75", without the file.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import process from "node:process";
import { libc } from "../../runtime/ffi/mod.ts";
import { userBinary } from "../../probes/user_binary.ts";
import { resolveBinary, uprobeNames } from "../../cli/commands/list_user.ts";

await libc();

const name = `tsbpfnewuser${process.pid}`;
const dir = `/usr/local/lib/${name}`, program = `/usr/local/bin/${name}`, script = `/usr/local/bin/${name}sh`;
after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(program, { force: true });
  rmSync(script, { force: true });
});

test("a bare name: a directory of that name in a library directory is passed over for the program on PATH", () => {
  mkdirSync(dir, { recursive: true });
  mkdirSync("/usr/local/bin", { recursive: true });
  copyFileSync(realpathSync("/bin/true"), program);
  assert.ok((process.env.PATH ?? "/usr/local/bin").split(":").includes("/usr/local/bin"), "this test needs /usr/local/bin on PATH");
  assert.equal(userBinary(name).path, program);
});

test("a script where a binary is wanted is named as a script, by a probe and by tsbpf list", () => {
  mkdirSync("/usr/local/bin", { recursive: true });
  writeFileSync(script, "#!/bin/sh\nexec true\n", { mode: 0o755 });
  assert.throws(() => userBinary(`${name}sh`), /"\/usr\/local\/bin\/tsbpfnewuser\d+sh" is a script \(#!\/bin\/sh\), not a binary/);
  assert.throws(() => uprobeNames(resolveBinary(`${name}sh`), "*"), /is a script \(#!\/bin\/sh\), not a binary/);
});
