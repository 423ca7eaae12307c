// The digest of tsbpf's code that the package's builds carry (tracer/code_version.ts): what its
// caches key their entries by, made here, when the package is packed, so that a start reads
// nothing for it. SHA-256 of every TypeScript source under CODE_DIRS and of CODE_FILES, path and
// text, in path order; the package's version beside it, for whoever reads a key.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { CODE_DIRS, CODE_FILES } from "../tracer/code_version.ts";

/** "tsbpf 0.1.0 sha256:…" for the sources under `root` (the package root, ending in "/"). */
export function codeDigest(root: string): string {
  const files = [...CODE_FILES];
  for (const dir of CODE_DIRS) {
    for (const path of readdirSync(`${root}${dir}`, { recursive: true, encoding: "utf8" })) {
      if (path.endsWith(".ts") && !path.endsWith(".d.ts")) files.push(`${dir}/${path}`);
    }
  }
  const hash = createHash("sha256");
  for (const file of files.sort()) hash.update(`${file}\0`).update(readFileSync(`${root}${file}`)).update("\0");
  const { version } = JSON.parse(readFileSync(`${root}package.json`, "utf8"));
  return `tsbpf ${version} sha256:${hash.digest("hex")}`;
}
