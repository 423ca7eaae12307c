// Where tsbpf's own modules are, as this copy runs. From a clone, and on Bun from the npm
// package, they are the .ts sources; on Deno and Node from the npm package, the .js emitted
// beside them (pack/emit.sh); imported from a URL (JSR, a web server), they are not files at all.
// So tsbpf's own files are found relative to this module, never by a fixed extension or scheme.

/** The URL of the package root (ends with "/"): `file:` when installed, `https:` from a URL. */
export const OWN_ROOT: string = new URL("..", import.meta.url).href;

/** The extension tsbpf's modules run with here: ".ts" (sources) or ".js" (emitted). */
export const OWN_EXT: string = import.meta.url.endsWith(".js") ? ".js" : ".ts";

/** The URL of tsbpf's own module `path` (from the package root, without extension: "cli/preload"). */
export function ownModule(path: string): string {
  return new URL(`${path}${OWN_EXT}`, OWN_ROOT).href;
}

/** The local path of tsbpf's own file `path` (any file: "bunfig.toml"); tsbpf must be installed as files. */
export function ownPath(path: string): string {
  return decodeURIComponent(new URL(path, OWN_ROOT).pathname);
}
