// Where tsbpf's own modules are, as this copy runs. From a clone they are the .ts sources; from
// the npm package, the pre-bundled graph in dist/ (pack/bundle.ts), on Bun and Deno alike;
// imported from a URL (JSR, a web server), they are not files at all. So tsbpf's own files are
// found relative to this module, never by a fixed extension or scheme.

/**
 * Whether this copy runs from dist/: this module is then part of a chunk, not its own file. The
 * chunks sit one level below the package root, as runtime/ does, so OWN_ROOT holds either way.
 */
export const OWN_BUNDLED: boolean = !/\/runtime\/own_files\.[jt]s$/.test(import.meta.url);

/** The URL of the package root (ends with "/"): `file:` when installed, `https:` from a URL. */
export const OWN_ROOT: string = new URL("..", import.meta.url).href;

/** The extension tsbpf's modules run with here: ".ts" (sources) or ".js" (emitted or bundled). */
export const OWN_EXT: string = import.meta.url.endsWith(".js") ? ".js" : ".ts";

/**
 * The URL of tsbpf's own module `path` (from the package root, without extension: "cli/preload").
 * Bundled, it is the entry pack/bundle.ts made of it (its ENTRIES), which shares this copy's chunks.
 */
export function ownModule(path: string): string {
  if (OWN_BUNDLED) return new URL(`dist/${path.replaceAll("/", "_")}.js`, OWN_ROOT).href;
  return new URL(`${path}${OWN_EXT}`, OWN_ROOT).href;
}

/** The local path of tsbpf's own file `path` (any file: "bunfig.toml"); tsbpf must be installed as files. */
export function ownPath(path: string): string {
  return decodeURIComponent(new URL(path, OWN_ROOT).pathname);
}
