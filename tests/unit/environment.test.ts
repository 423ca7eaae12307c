// tsbpf reads its settings (TSBPF_NO_CACHE, TSBPF_VERBOSE, HOME, XDG_CACHE_HOME, PATH, TMPDIR)
// through the runtime boundary's getenv. A script may change process.env before it starts a
// tracer; both runtimes must then see the same value (Bun's process.env does not reach libc's
// environment, so its getenv must not ask libc).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { libc, libcSync } from "../../runtime/ffi/mod.ts";

await libc();

test("getenv sees what the script set in process.env, and its removal", () => {
  const name = `TSBPF_TEST_ENV_${process.pid}`;
  assert.equal(libcSync().getenv(name), undefined);
  process.env[name] = "set by the script";
  try {
    assert.equal(libcSync().getenv(name), "set by the script");
  } finally {
    delete process.env[name];
  }
  assert.equal(libcSync().getenv(name), undefined);
  assert.equal(libcSync().getenv("PATH"), process.env.PATH, "the inherited environment is seen as well");
});
