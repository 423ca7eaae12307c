// A script's source read from a URL: a tracer imported from one (`deno run https://…/trace.ts`)
// is compiled from that source, and `tsbpf run URL` runs one. What comes back is data from a
// server: bounded in size, refused unless it is text, and never run or cached by its URL.

import { isRemote } from "./remote.ts";
import { untrustedTls } from "./tls_trust.ts";

export { isRemote };

/** Far more than any script someone reads before running it as root. */
export const MAX_SCRIPT_BYTES = 4 << 20;

/**
 * How long a download may take, from the request to its last byte. A server that sends its
 * headers and then nothing (or a byte a minute) would otherwise hold `tsbpf run --yes URL` in a
 * service forever; 4 MiB takes a few seconds on any link a script is read over.
 */
export const DOWNLOAD_TIMEOUT_MS = 60_000;

/** The URL could not be read as a script; the message says why and what to do. */
export class DownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DownloadError";
  }
}

/** Types a server may give a TypeScript file (many serve .ts as video/mp2t: that is refused). */
const TEXT_TYPES = /^(text\/[\w.+-]+|application\/(typescript|x-typescript|javascript|x-javascript|ecmascript|octet-stream))$/;


/** The bytes at `url` (http or https), checked to be a script-sized UTF-8 text. */
export async function downloadScript(url: string, maxBytes = MAX_SCRIPT_BYTES, timeoutMs = DOWNLOAD_TIMEOUT_MS): Promise<{ bytes: Uint8Array; text: string }> {
  if (!isRemote(url)) throw new DownloadError(`Not an http or https URL: ${url}`);
  // The server is known by its certificate only as far as the certificates trusted are root's.
  const [untrusted] = url.startsWith("https:") ? untrustedTls() : [];
  if (untrusted) {
    throw new DownloadError(`Not downloading ${url}: ${untrusted.variable}=${untrusted.value} would have this runtime trust a server another user chose (${untrusted.why}); with a proxy (HTTPS_PROXY) they could answer as any server. Unset ${untrusted.variable} (sudo -E keeps it)${untrusted.variable === "NODE_TLS_REJECT_UNAUTHORIZED" ? "" : ", or name certificates only root can change"}`);
  }
  const abort = new AbortController();
  const tooSlow = new DownloadError(`Cannot read ${url}: the server did not send the whole script within ${timeoutMs / 1000} s; try again, or download it yourself and run the file`);
  const timer = setTimeout(() => abort.abort(tooSlow), timeoutMs);
  try {
    return await download(url, maxBytes, abort.signal);
  } catch (e) {
    throw abort.signal.aborted ? tooSlow : e;
  } finally {
    clearTimeout(timer);
  }
}

async function download(url: string, maxBytes: number, signal: AbortSignal): Promise<{ bytes: Uint8Array; text: string }> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: "follow", signal, headers: { accept: "application/typescript, text/plain;q=0.9, */*;q=0.1" } });
  } catch (e) {
    throw new DownloadError(`Cannot read ${url}: ${permissionHint(e, url) ?? (e as Error).message}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DownloadError(`Cannot read ${url}: the server answered ${response.status} ${response.statusText}`.trim());
  }
  const type = (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  // Many servers name .ts MPEG transport streams: for a .ts path, that is the script.
  const mpegTs = type === "video/mp2t" && /\.m?ts$/.test(new URL(response.url || url).pathname);
  if (type && !TEXT_TYPES.test(type) && !mpegTs) {
    await response.body?.cancel();
    throw new DownloadError(`Not running ${url}: the server says it is "${type}", not a script's text`);
  }
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new DownloadError(`Not running ${url}: ${declared} bytes is more than a script (at most ${maxBytes})`);
  }
  const bytes = await readBounded(response, url, maxBytes, signal);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new DownloadError(`Not running ${url}: it is not UTF-8 text`);
  }
  if (text.includes("\0")) throw new DownloadError(`Not running ${url}: it contains NUL bytes, so it is not a script's text`);
  return { bytes, text };
}

async function readBounded(response: Response, url: string, maxBytes: number, signal: AbortSignal): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body!.getReader();
  // Not every runtime ends a body's pending read when the request's signal aborts: end it here.
  const aborted = new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
  aborted.catch(() => {});
  for (;;) {
    const { done, value } = await Promise.race([reader.read(), aborted]).catch(async (e) => {
      await reader.cancel().catch(() => {});
      throw e;
    });
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel();
      throw new DownloadError(`Not running ${url}: more than ${maxBytes} bytes, more than a script`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) (out.set(c, at), at += c.length);
  return out;
}

/** Under Deno without network permission: the flag that grants exactly this host. */
function permissionHint(e: unknown, url: string): string | undefined {
  const name = (e as Error)?.name;
  if (name !== "NotCapable" && name !== "PermissionDenied") return undefined;
  return `reading it needs network access to ${new URL(url).host}: run Deno with --allow-net=${new URL(url).host}`;
}
