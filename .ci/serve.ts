// A static web server for .ci/pack-check.sh, on 127.0.0.1:PORT:
//   /NAME                      DIR/NAME, as a gist host serves a raw file
//   /@tsbpf/tsbpf/VERSION/...  the repository's sources, in JSR's path shape and with the bare
//                              npm imports written as npm: specifiers, as `deno publish` does
//   /npm/...                   an npm registry (NPM_CONFIG_REGISTRY) that has TARBALL as tsbpf,
//                              as if it were published, and passes other names on to npmjs.org
// TypeScript goes out as application/typescript (JSR's type); an unknown path is a 404.
//   bun .ci/serve.ts DIR PORT REPO TARBALL
import { readFileSync, statSync } from "node:fs";
import { join, normalize } from "node:path";

const [dir, port, repo, tarball] = process.argv.slice(2);
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

const UPSTREAM = "https://registry.npmjs.org";

/** The registry's answer for `path` (after /npm): tsbpf from TARBALL, anything else from upstream. */
async function registry(path: string, origin: string): Promise<Response> {
  const bytes = readFileSync(tarball);
  const file = `tsbpf-${pkg.version}.tgz`;
  if (path === `/tsbpf/-/${file}`) return new Response(bytes, { headers: { "content-type": "application/octet-stream" } });
  if (path === "/tsbpf") {
    const integrity = `sha512-${new Bun.CryptoHasher("sha512").update(bytes).digest("base64")}`;
    const shasum = new Bun.CryptoHasher("sha1").update(bytes).digest("hex");
    const { scripts: _, devDependencies: __, files: ___, ...manifest } = pkg;
    const version = { ...manifest, dist: { tarball: `${origin}/npm/tsbpf/-/${file}`, integrity, shasum } };
    return Response.json({ name: "tsbpf", "dist-tags": { latest: pkg.version }, versions: { [pkg.version]: version } });
  }
  const up = await fetch(`${UPSTREAM}${path}`, { headers: { accept: "application/json" } });
  return new Response(up.body, { status: up.status, headers: { "content-type": up.headers.get("content-type") ?? "application/json" } });
}

Bun.serve({
  hostname: "127.0.0.1",
  port: Number(port),
  fetch(request) {
    const url = new URL(request.url);
    if (tarball && url.pathname.startsWith("/npm/")) return registry(url.pathname.slice(4), url.origin);
    const path = normalize(decodeURIComponent(url.pathname));
    const jsr = path.startsWith(JSR_PREFIX);
    const bytes = jsr ? file(join(repo, path.slice(JSR_PREFIX.length))) : file(join(dir, path));
    if (!bytes) return new Response("not found", { status: 404 });
    const ext = path.slice(path.lastIndexOf(".") + 1);
    const body = jsr && ext === "ts" ? unfurl(new TextDecoder().decode(bytes)) : bytes;
    return new Response(body, { headers: { "content-type": TYPES[ext] ?? "application/octet-stream" } });
  },
});
console.error(`serving ${dir} and ${repo} on 127.0.0.1:${port}`);
