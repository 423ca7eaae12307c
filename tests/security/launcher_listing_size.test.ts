// bin/tsbpf writes `export -p` into a pipe that nothing reads until the listing is written, so a
// listing larger than the pipe blocks the launcher, run as root, for ever. It takes that way only
// when the listing fits (listing_fits_pipe): without CAP_SYS_RESOURCE and CAP_SYS_ADMIN (a
// container's root) a pipe may hold one page (a user over fs.pipe-user-pages-soft: two pages on
// Linux 6, one before), and an environment of at most 896 bytes is taken to list in 4x that. But
// the shell lists more than its environment: PWD (dash exports the working directory, which may
// be another user's, up to 4 KiB long) and the launcher's own variables when the caller named
// them. Here nobody's directory is the working directory and nobody's environment is 890 bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { asNobody, ROOT, stickyDir } from "./attacker.ts";

test("bin/tsbpf lists its environment into a pipe only when the whole listing fits one page, without the capabilities of larger pipes", { timeout: 60_000 }, () => {
  const dir = stickyDir("listing-size");
  try {
    const deep = join(dir, ...Array(14).fill("d".repeat(250)));
    asNobody(["mkdir", "-p", deep]);
    // nobody's environment: one-letter empty variables (4x their size when listed), the rest a value of quotes.
    const env: Record<string, string> = { PATH: "/usr/bin:/bin" };
    for (const c of "ABCDEFGHIJKLMNOQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_") env[c] = "";
    const size = () => Object.entries(env).reduce((n, [k, v]) => n + k.length + v.length + 2, 0);
    env.Z = "a'".repeat(Math.floor((890 - size() - 3) / 2));
    const fits = readFileSync(join(ROOT, "bin/tsbpf"), "utf8").match(/^listing_fits_pipe\(\) \{\n[\s\S]*?\n\}$/m)?.[0];
    assert.ok(fits);
    // As root without capabilities: where listing_fits_pipe says yes, the launcher lists. (env -i:
    // Deno's spawnSync adds its own environment to the one given.)
    const r = spawnSync("env", ["-i", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), "setpriv", "--inh-caps=-all", "--bounding-set=-all", "dash", "-c", `${fits}\nif listing_fits_pipe; then export -p | wc -c; else echo environ; fi`], {
      cwd: deep, encoding: "utf8", timeout: 20_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.trim();
    assert.ok(out === "environ" || Number(out) <= 4096, `a ${size()}-byte environment listed in ${out} bytes into a pipe that may hold 4096`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
