// `tsbpf run URL`: a script shared as a link (a gist, a raw file on a forge). It will run as
// root, so it is downloaded as data (bounded, text only: runtime/download.ts), optionally pinned
// by the link itself (URL#sha256=HEX: any other content is refused), kept in a new private
// directory only root can reach (never a predictable path: runtime/private_dir.ts), reviewed
// with `tsbpf plan` and run only once the user says yes (--yes for scripts and services, which
// have no terminal to ask on). What runs is the copy that was reviewed and hashed.
import process from "node:process";
import { createInterface } from "node:readline/promises";
import { DownloadError, downloadScript, isRemote } from "../runtime/download.ts";
import { stagePrivateFile, type StagedFile } from "../runtime/private_dir.ts";
import { CliError, UsageError } from "./errors.ts";
import { sha256Hex } from "../runtime/digest.ts";
import { checkPackagePlace } from "../runtime/package_place.ts"; // imported: see cli/main.ts

export { isRemote };

/** A script kept in its own private directory; remove() deletes both. */
export type StagedScript = StagedFile;

/** The pin a link may carry: `#sha256=` and 64 hex digits. */
export function parsePin(url: string): { url: string; sha256?: string } {
  const hash = url.indexOf("#");
  if (hash < 0) return { url };
  const fragment = url.slice(hash + 1);
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(fragment);
  if (!m) throw new UsageError(`the link's "#${fragment}" is not a pin: pin a script with #sha256= and its 64 hex digits (sha256sum prints them)`, "run");
  return { url: url.slice(0, hash), sha256: m[1].toLowerCase() };
}

/** The script's file name in its directory: the link's last path component, if it is a plain .ts/.js name. */
function scriptName(url: string): string {
  const last = new URL(url).pathname.split("/").pop() ?? "";
  return /^[\w.-]{1,100}\.(ts|mts|js|mjs)$/.test(last) && !last.startsWith(".") ? last : "script.ts";
}

/** `bytes` written as `name` into a new private directory. */
export function stageScript(name: string, bytes: Uint8Array): StagedScript {
  return stagePrivateFile("tsbpf-script", name, bytes);
}

/** Downloads `link` (checking its pin, if it has one) into a private directory. */
export async function fetchScript(link: string): Promise<StagedScript & { sha256: string; url: string }> {
  const { url, sha256: pinned } = parsePin(link);
  let bytes: Uint8Array;
  try {
    ({ bytes } = await downloadScript(url));
  } catch (e) {
    if (e instanceof DownloadError) throw new CliError(e.message);
    throw e;
  }
  const sha256 = await sha256Hex(bytes);
  if (pinned && sha256 !== pinned) {
    throw new CliError(`Not running ${url}: its content changed since the link was pinned (sha256 ${sha256}, the link says ${pinned})`);
  }
  await checkImports(new TextDecoder().decode(bytes), url);
  return { ...stageScript(scriptName(url), bytes), sha256, url };
}

/** What a script from a link may import: tsbpf (as the installed copy) and Node's built-ins. */
const LINK_IMPORTS = /^(npm:)?tsbpf(\/(kernel|tool|cli))?$|^node:/;

/**
 * A script from a link runs alone, from a directory of its own: a module it imports by a relative
 * path or a package name would be looked for around that directory (a node_modules in /tmp,
 * which any user can create, for Bun), so only tsbpf and node: modules are allowed.
 */
async function checkImports(text: string, url: string): Promise<void> {
  checkPackagePlace("@babel/parser"); // which capabilities.ts imports
  const { scanModule } = await import("../compiler/capabilities.ts");
  const wrong = scanModule(text).imports.filter((i) => !LINK_IMPORTS.test(i.specifier));
  if (!wrong.length) return;
  const list = wrong.map((i) => `"${i.specifier}" (line ${i.line})`).join(", ");
  throw new CliError(`Not running ${url}: a script from a link may import only tsbpf and node: modules, and it imports ${list}; download it with what it imports and run it as a file`);
}

/**
 * Shows the script's plan (made printable by cli/commands/plan.ts) and asks on the terminal whether
 * to run it. Without a terminal there is no one to ask: that refuses, unless --yes said so beforehand.
 */
export async function confirmRun(script: { url: string; sha256: string; file: string }, yes: boolean, plan: string): Promise<void> {
  const { url, sha256 } = script;
  const pin = `${url}#sha256=${sha256}`;
  if (yes) {
    console.error(`tsbpf run: ${url} (sha256 ${sha256})`);
    return;
  }
  if (!process.stdin.isTTY) {
    throw new CliError(`Not running ${url} as root without asking, and there is no terminal to ask on: review it (tsbpf plan '${url}'), then run what you reviewed with: tsbpf run --yes '${pin}'`);
  }
  console.log(`tsbpf run: ${url} (sha256 ${sha256}) would do this as root:\n`);
  console.log(plan);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`\nRun ${url} (sha256 ${sha256}) as shown above? To run exactly this again without asking: tsbpf run --yes '${pin}'\n[y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError(`Not running ${url}: not confirmed`);
  } finally {
    rl.close();
  }
}
