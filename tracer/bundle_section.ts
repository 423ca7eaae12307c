// A part of a `tsbpf build` bundle that its start does not need (the compiler; the modules tsbpf
// imports lazily that a trusted start of its tracers does not: build/lazy_section.ts), carried in the
// same file as a comment line after the code, so the runtime neither parses it nor copies it as a
// string on every start (build/bundle.ts). It is imported only when used, from the bundle's own
// file, and only if it is byte for byte the part the bundle was built with: the running code holds
// its SHA-256, so a file swapped or edited after the start (by whoever can write its directory)
// is refused, never run. What is imported is the checked bytes in memory, not the file again.
// A section is deflated before its base64 (DecompressionStream, which both runtimes have): the
// compiler is 4× smaller, and every start reads, hashes and skips the whole file.
import { readCheckedFile } from "../runtime/files.ts";
import { sha256Hex } from "../runtime/digest.ts";
import { TracerError } from "../runtime/errors.ts";
import { fromBase64 } from "../spec/tracer_spec.ts";

/** Starts a section's line: `// tsbpf-section NAME BASE64` (base64 cannot end a line comment early); BASE64 is of the raw-deflated module. */
export const SECTION_PREFIX = "// tsbpf-section ";

/** The section's base64 text in `text` (a whole bundle), or undefined. */
export function findSection(text: string, name: string): string | undefined {
  const marker = `\n${SECTION_PREFIX}${name} `;
  const at = text.lastIndexOf(marker);
  if (at < 0) return undefined;
  const start = at + marker.length, end = text.indexOf("\n", start);
  return text.slice(start, end < 0 ? undefined : end);
}

/**
 * The module in section `name` of the bundle at `bundleUrl` (the running bundle's import.meta.url),
 * if its base64 text has SHA-256 `digest`.
 */
export function importBundleSection(bundleUrl: string, name: string, digest: string): Promise<Record<string, unknown>> {
  // Once per section: each of its modules' stand-ins asks for it.
  const key = `${name}\0${digest}`;
  let section = imported.get(key);
  if (!section) imported.set(key, section = importSection(bundleUrl, name, digest));
  return section;
}

const imported = new Map<string, Promise<Record<string, unknown>>>();

async function importSection(bundleUrl: string, name: string, digest: string): Promise<Record<string, unknown>> {
  const url = new URL(bundleUrl);
  if (url.protocol !== "file:") throw new TracerError(`This bundle runs from ${url.protocol} and cannot read its ${name} from its own file: save it to a file and run that`);
  const path = decodeURIComponent(url.pathname);
  const bytes = readCheckedFile(path, { maxBytes: 64 << 20 });
  const section = bytes && findSection(new TextDecoder().decode(bytes), name);
  if (section === undefined || await sha256Hex(section) !== digest) {
    const what = name === "compiler" ? "compiler" : `${name} section`;
    throw new TracerError(`${path}: its ${what} differs from the one its code was built with (the file was edited, or replaced since this process started); not running it: build the bundle again`);
  }
  return await import(`data:text/javascript;base64,${btoa(await inflate(section))}`);
}

/** The module whose deflated text is `base64`, a string in the running code (`build --compile`'s compiler: no file to read a section from). */
export async function importInlineSection(base64: string): Promise<Record<string, unknown>> {
  return await import(`data:text/javascript;base64,${btoa(await inflate(base64))}`);
}

/** The module text of a section's (checked) base64: raw deflate, as build/bundle.ts writes it. */
async function inflate(base64: string): Promise<string> {
  const stream = new Blob([fromBase64(base64)]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  // The compiler is ASCII (esbuild escapes the rest), which btoa takes as it is.
  return await new Response(stream).text();
}
