// A static web server for .ci/pack-check.sh, on 127.0.0.1:PORT:
//   /NAME                      DIR/NAME, as a gist host serves a raw file
//   /@tsbpf/tsbpf/VERSION/...  the repository's sources, in JSR's path shape and with the bare
//                              npm imports written as npm: specifiers, as `deno publish` does
// TypeScript goes out as application/typescript (JSR's type); an unknown path is a 404.
//   bun .ci/serve.ts DIR PORT REPO
import { readFileSync, statSync } from "node:fs";
import { join, normalize } from "node:path";

const [dir, port, repo] = process.argv.slice(2);
const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));
const JSR_PREFIX = `/@tsbpf/tsbpf/${pkg.version}/`;
const TYPES: Record<string, string> = { ts: "application/typescript; charset=utf-8", js: "text/javascript; charset=utf-8", json: "application/json" };

function file(path: string): Uint8Array | undefined {
  try {
    return statSync(path).isFile() ? readFileSync(path) : undefined;
  } catch {
    return undefined;
  }
}

/** What `deno publish` does to a bare import of an npm dependency. */
function unfurl(text: string): string {
  return text.replace(/from "(@babel\/parser)"/g, (_, name) => `from "npm:${name}@${pkg.dependencies[name]}"`);
}

Bun.serve({
  hostname: "127.0.0.1",
  port: Number(port),
  fetch(request) {
    const path = normalize(decodeURIComponent(new URL(request.url).pathname));
    const jsr = path.startsWith(JSR_PREFIX);
    const bytes = jsr ? file(join(repo, path.slice(JSR_PREFIX.length))) : file(join(dir, path));
    if (!bytes) return new Response("not found", { status: 404 });
    const ext = path.slice(path.lastIndexOf(".") + 1);
    const body = jsr && ext === "ts" ? unfurl(new TextDecoder().decode(bytes)) : bytes;
    return new Response(body, { headers: { "content-type": TYPES[ext] ?? "application/octet-stream" } });
  },
});
console.error(`serving ${dir} and ${repo} on 127.0.0.1:${port}`);
