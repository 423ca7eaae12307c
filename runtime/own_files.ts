// Where tsbpf's own modules are, as this copy runs. From a clone they are the .ts sources; from
// the npm package, the pre-bundled graph in dist/ (pack/bundle.ts), on Bun and Deno alike, or on
// the Bun that packed it, the bytecode build's entries (pack/bun_library.ts); imported from a URL
// (JSR, a web server), they are not files at all. So tsbpf's own files are found relative to
// this module, never by a fixed extension or scheme.
//
// Relative to this module is only as good as the place this module runs from: a copy of the
// command bundled again by another bundler (into /tmp, say) would look for "its" dist/ beside
// the directory it sits in, where any user can create one. So a module or config file that
// loads code is taken only from the package's own layout (this module in dist/ when bundled),
// and only where no other user can have put it (ownCodeFile).
import { geteuid, lstat } from "./file_stat.ts";
import { type CheckedDirs, trustedCodeFile, UntrustedDirError } from "./private_dir.ts";
import { UserFacingError } from "../spec/user_facing.ts";
import { oneLine } from "./one_line.ts";

/**
 * Whether this copy runs from dist/: this module is then part of a chunk, not its own file. The
 * chunks sit one level below the package root, as runtime/ does, so OWN_ROOT holds either way.
 */
export const OWN_BUNDLED: boolean = !/\/runtime\/own_files\.[jt]s$/.test(import.meta.url);

/**
 * Whether this copy is Bun's bytecode build of the package (dist/bun_library.js, whose URL its
 * modules take as theirs): its modules are then loaded through its entries, dist/NAME.bun.js,
 * which give this very copy (the ES module chunks would be a second one).
 */
export const OWN_BUN_LIBRARY: boolean = /\/dist\/bun_library\.js$/.test(import.meta.url);

/** The URL of the package root (ends with "/"): `file:` when installed, `https:` from a URL. */
export const OWN_ROOT: string = new URL("..", import.meta.url).href;

/** The extension tsbpf's modules run with here: ".ts" (sources) or ".js" (emitted or bundled). */
export const OWN_EXT: string = import.meta.url.endsWith(".js") ? ".js" : ".ts";

/**
 * The URL of tsbpf's own module `path` (from the package root, without extension: "cli/preload").
 * Bundled, it is the entry pack/bundle.ts made of it (its ENTRIES), which shares this copy's chunks;
 * in Bun's bytecode build, the entry of that build. A local file is checked first (ownCodeFile).
 */
export function ownModule(path: string): string {
  return ownModules([path])[0];
}

/** ownModule of each of `paths`, their files checked together (ownCodeFiles). */
export function ownModules(paths: readonly string[]): string[] {
  const files = paths.map((path) => OWN_BUNDLED ? `dist/${path.replaceAll("/", "_")}${OWN_BUN_LIBRARY ? ".bun" : ""}.js` : `${path}${OWN_EXT}`);
  if (new URL(OWN_ROOT).protocol === "file:") ownCodeFiles(files);
  return files.map((file) => new URL(file, OWN_ROOT).href);
}

/** The local path of tsbpf's own file `path` (any file: "bunfig.toml"); tsbpf must be installed as files. */
export function ownPath(path: string): string {
  return decodeURIComponent(new URL(path, OWN_ROOT).pathname);
}

/** A module or config file of tsbpf's own that cannot be imported or used from where it would be found. */
export class UntrustedOwnFileError extends UserFacingError {
  constructor(readonly file: string, reason: string) {
    super(oneLine(`Not loading tsbpf's own module ${file}: ${reason}`));
    this.name = "UntrustedOwnFileError";
  }
}

/**
 * The local path of tsbpf's own file `path` that loads code (a module, bunfig.toml, a tsconfig
 * or import map), after checking that it belongs to this copy: when bundled, this module runs
 * from the package's dist/ (not from a bundle made again elsewhere); and the file, and every
 * directory on the way to it, belongs to root, to us, or to the owner of this module's own file
 * (a user's project run with sudo), and no other user can write or replace them (a sticky
 * directory such as /tmp is allowed: private_dir.ts's trustedCodeFile). Throws UntrustedOwnFileError.
 */
export function ownCodeFile(path: string): string {
  return ownCodeFiles([path])[0];
}

/** ownCodeFile of each of `paths`, checked together: a directory on the way to several is examined once. */
export function ownCodeFiles(paths: readonly string[]): string[] {
  const files = paths.map(ownPath);
  const here = new URL(".", import.meta.url);
  if (here.protocol !== "file:") return files;
  if (OWN_BUNDLED && here.href !== new URL("dist/", OWN_ROOT).href) {
    throw new UntrustedOwnFileError(files[0], `this copy of tsbpf runs from ${decodeURIComponent(here.pathname)}, not from its package's dist/ (was it bundled again?), and any user may have made that file; run tsbpf from its package (npm install tsbpf)`);
  }
  const self = lstat(decodeURIComponent(new URL(import.meta.url).pathname));
  const me = geteuid();
  const owners = [0, me, typeof self === "number" ? me : self.uid];
  const checked: CheckedDirs = new Set();
  for (const file of files) {
    if (lstat(file) === -2) throw new UntrustedOwnFileError(file, "it is missing from tsbpf's package; install tsbpf again");
    try {
      trustedCodeFile(file, owners, checked);
    } catch (e) {
      if (e instanceof UntrustedDirError) throw new UntrustedOwnFileError(file, e.message);
      throw e;
    }
  }
  return files; // as named, not as resolved: the runtime keys its modules by the name imported
}

