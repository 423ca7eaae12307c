// `tsbpf build --compile`'s command line (cli/commands/build.ts compileCommand). Under Bun the
// executable carries JavaScriptCore's bytecode of the bundle, made when it is built: without it,
// every start of the executable parsed and compiled ≈ 1 MB of JavaScript (bench/NOTES.md).
// tests/kernel/compiled_executable.test.ts builds and runs one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileCommand } from "../../cli/commands/build.ts";

const args = (runtime: string) => compileCommand(runtime, "/usr/bin/rt", "/priv/bundle.js", "/priv/tool", "/priv/tsconfig.json");

test("under Bun, the bundle is compiled with its bytecode, as an ES module (it awaits at its top level)", () => {
  const cmd = args("bun");
  assert.deepEqual(cmd.slice(0, 3), ["/usr/bin/rt", "build", "--compile"]);
  assert.ok(cmd.includes("--bytecode"), cmd.join(" "));
  // Bun's bytecode defaults to CommonJS, which has no top-level await.
  assert.ok(cmd.includes("--format=esm"), cmd.join(" "));
});

test("the Bun executable still reads no bunfig.toml, .env, tsconfig.json or package.json where it runs", () => {
  const cmd = args("bun");
  for (const flag of ["--no-compile-autoload-bunfig", "--no-compile-autoload-dotenv", "--no-compile-autoload-tsconfig", "--no-compile-autoload-package-json", "--tsconfig-override=/priv/tsconfig.json"]) {
    assert.ok(cmd.includes(flag), `${flag} missing: ${cmd.join(" ")}`);
  }
  assert.deepEqual(cmd.slice(-3), ["/priv/bundle.js", "--outfile", "/priv/tool"]);
});

test("under Deno, deno compile without a configuration file", () => {
  assert.deepEqual(args("deno"), ["/usr/bin/rt", "compile", "--quiet", "--allow-all", "--no-config", "--output", "/priv/tool", "/priv/bundle.js"]);
});
