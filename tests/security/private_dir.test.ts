// The private-directory rules (runtime/private_dir.ts) one by one, each component made unsafe
// by nobody in turn: what must be refused is refused, and what is safe is still used.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, chownSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { libc } from "../../runtime/ffi/mod.ts";
import { freshPrivateDir, privateDir, trustedCodeDir, UntrustedDirError } from "../../runtime/private_dir.ts";
import { asNobody, rootDir } from "./attacker.ts";

await libc();

function refused(base: string, own: string[], reason: RegExp): void {
  assert.throws(() => privateDir(base, own), (e: unknown) => e instanceof UntrustedDirError && reason.test(e.message), `${base} ${own.join("/")}`);
}

test("private directories: made 0700, reused while safe, refused once anyone else can change them", () => {
  const root = rootDir("private");
  chmodSync(root, 0o755);
  try {
    const made = privateDir(join(root, "cache"), ["tsbpf"]);
    assert.equal(made, join(root, "cache", "tsbpf"));
    assert.equal(privateDir(join(root, "cache"), ["tsbpf"]), made, "a safe directory is used again");

    chmodSync(made, 0o770);
    refused(join(root, "cache"), ["tsbpf"], /writable by its group/);
    chmodSync(made, 0o700);

    // An ancestor owned by nobody: nobody could swap what is below it.
    mkdirSync(join(root, "nobodys"), { mode: 0o755 });
    chownSync(join(root, "nobodys"), 65534, 65534);
    refused(join(root, "nobodys"), ["tsbpf"], /owned by uid 65534/);

    // tsbpf's own directory planted by nobody as a symlink, in a world-writable sticky dir.
    mkdirSync(join(root, "sticky"), { mode: 0o1777 });
    chmodSync(join(root, "sticky"), 0o1777);
    asNobody(["ln", "-s", join(root, "nobodys"), join(root, "sticky", "tsbpf")]);
    refused(join(root, "sticky"), ["tsbpf"], /symbolic link, not a directory/);

    // A symlink on the way, made by root, to root's own directory: followed and accepted.
    symlinkSync(join(root, "cache"), join(root, "link"));
    assert.equal(privateDir(join(root, "link"), ["tsbpf"]), made);
    // ... and one pointing into nobody's directory: its target is checked too.
    symlinkSync(join(root, "nobodys"), join(root, "badlink"));
    refused(join(root, "badlink"), ["tsbpf"], /owned by uid 65534/);

    // nobody's symlink on the way, in the sticky dir, to root's own directory: nobody can point
    // it elsewhere at any time (its target checked now proves nothing about the next use), as
    // the kernel's protected_symlinks would refuse root following it there.
    asNobody(["ln", "-s", join(root, "cache"), join(root, "sticky", "cache")]);
    refused(join(root, "sticky", "cache"), ["tsbpf"], /symbolic link owned by uid 65534/);
    assert.throws(() => trustedCodeDir(join(root, "sticky", "cache", "tsbpf"), [0, 0]), /symbolic link owned by uid 65534/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a fresh private directory: new, unpredictable, 0700, ours", () => {
  const a = freshPrivateDir("tsbpf-sec");
  const b = freshPrivateDir("tsbpf-sec");
  try {
    assert.notEqual(a, b);
    // In TMPDIR (tests/run.sh gives a run its own, root's and sticky like /tmp), else /tmp.
    assert.equal(a.slice(0, a.lastIndexOf("/")), tmpdir().replace(/\/+$/, ""));
    assert.match(a, /\/tsbpf-sec-[0-9a-f]{16}$/);
    assert.equal(privateDir(a, []), a);
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});
