// For the user-space probe tests: small C programs built by the test itself (so the traced code
// and its symbols are known), and tracer scripts written at run time (a probe's target must be a
// string literal in the script, and the program's path is only known once it is built).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";

const made: string[] = [];

/** Removes every program and script made here (for `after()`). */
export function removeMade(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(`${tmpdir()}/tsbpf-${prefix}-`);
  made.push(dir);
  return dir;
}

/** The repository's mod.ts, as generated scripts import it (the same module the tests use). */
const MOD = new URL("../../mod.ts", import.meta.url).pathname;

/** Why C programs cannot be built here, or undefined when gcc works. */
export function cannotBuild(headers: string[] = []): string | undefined {
  const probe = spawnSync("gcc", ["-x", "c", "-fsyntax-only", "-"], { input: headers.map((h) => `#include <${h}>\n`).join("") + "int main(void) { return 0; }\n" });
  if (probe.error) return "gcc is not installed: the traced programs cannot be built (apt-get install gcc)";
  if (probe.status !== 0) {
    const sdt = headers.includes("sys/sdt.h") ? " (<sys/sdt.h>: apt-get install systemtap-sdt-dev)" : "";
    return `gcc cannot compile ${headers.map((h) => `<${h}>`).join(", ")}${sdt}: ${String(probe.stderr).trim().split("\n")[0]}`;
  }
  return undefined;
}

/** Builds `source` with gcc and `flags` in a fresh directory; returns the program's path. */
export function buildC(name: string, source: string, flags: string[] = []): string {
  const dir = tempDir(name);
  writeFileSync(`${dir}/${name}.c`, source);
  execFileSync("gcc", [...flags, "-o", `${dir}/${name}`, `${dir}/${name}.c`], { stdio: ["ignore", "ignore", "inherit"] });
  return `${dir}/${name}`;
}

/**
 * Writes a tracer script and imports it. `source` may use every export of mod.ts by name; it is
 * compiled from that file, as a user's script would be.
 */
// deno-lint-ignore no-explicit-any
export async function importScript(name: string, imports: string[], body: string): Promise<Record<string, any>> {
  const dir = tempDir("script");
  const file = `${dir}/${name}.ts`;
  writeFileSync(file, `import { ${imports.join(", ")} } from "${MOD}";\n${body}`);
  return await import(file);
}
