// The JavaScript runtime tsbpf runs on, for the few callers above the FFI layer that must act
// differently on Bun and Deno (a child's command line, Deno's permissions, Bun's transpiler
// errors). They ask here, so this folder stays the only code that names either runtime.

declare const Bun: unknown;
declare const Deno: {
  permissions: { querySync(d: { name: string; path?: string; host?: string }): { state: string } };
  args: string[];
  exit(code: number): never;
};

export type RuntimeName = "bun" | "deno";

/** The runtime this process runs on. */
export const runtimeName: RuntimeName = typeof Bun !== "undefined" ? "bun" : "deno";

/**
 * Whether a function that ends in a call leaves the stack before that call runs (JavaScriptCore's
 * proper tail calls: Bun), so that an error thrown inside names no line of it. V8 (Deno) keeps
 * every frame.
 */
export const dropsTailCallFrames: boolean = runtimeName === "bun";

/**
 * The arguments after the script's name (process.argv.slice(2)), read without node:process,
 * which takes Deno ≈ 15 ms to load (the `tsbpf` command's start, cli/main.ts).
 */
export function scriptArgs(): string[] {
  if (runtimeName === "deno") return [...Deno.args];
  return (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);
}

/** Ends the process now with `code` (process.exit without node:process). */
export function exitProcess(code: number): never {
  if (runtimeName === "deno") Deno.exit(code);
  return (globalThis as unknown as { process: { exit(code: number): never } }).process.exit(code);
}

/**
 * SHA-256 of `data`. Bun's own hasher on Bun: WebCrypto's digest cost a Bun process 2.7 MB more
 * peak memory than none (Bun's hasher 1.2 MB) and more time, on every start (the compile
 * cache's key). WebCrypto on Deno, where it is no dearer.
 */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  if (runtimeName === "bun") return new (Bun as BunHashing).CryptoHasher("sha256").update(data).digest();
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
}

interface BunHashing {
  CryptoHasher: new (algorithm: "sha256") => { update(data: Uint8Array): { digest(): Uint8Array } };
}

/**
 * Runs the module at the local, absolute `path` and returns its exports. Bun requires it,
 * synchronously on this thread: its import() of a TypeScript file goes through the module
 * loader, which starts threads of its own to read and transpile it (a tenth of a warm
 * one-liner's CPU, bench/NOTES.md). So the module must have finished its top-level awaits when
 * its evaluation ends (Bun refuses to require one still waiting). Deno imports it.
 */
export async function runModule(path: string): Promise<unknown> {
  // Not named `require`: the bytecode build defines import.meta.require as the module's own (pack/bun_library.ts).
  const load = runtimeName === "bun" ? (import.meta as { require?: (path: string) => unknown }).require : undefined;
  if (load) return load(path);
  return await import(fileUrl(path));
}

/** The file: URL of an absolute path (node:url's pathToFileURL, which costs Deno its Node layer). */
function fileUrl(path: string): string {
  return `file://${path.split("/").map(encodeURIComponent).join("/")}`;
}

/** The modules of the runtime itself that tsbpf loads (a bundler must leave them external). */
export const RUNTIME_MODULES = ["bun:ffi"];

/**
 * Whether the process may do `name` (Deno's permission names: read, write, net, env, run, ffi,
 * sys, import), for `target` if given: a path, or for net a host:port. Bun has no permissions:
 * always true.
 */
export function hasPermission(name: string, target?: string): boolean {
  if (runtimeName === "bun") return true;
  const descriptor = target === undefined ? { name } : name === "net" ? { name, host: target } : { name, path: target };
  return Deno.permissions.querySync(descriptor).state === "granted";
}

/** Deno refused an operation the process was not given permission for. */
export function isPermissionError(e: unknown): boolean {
  return e instanceof Error && (e.name === "NotCapable" || e.name === "PermissionDenied");
}

/** A message of a script's transpiler (Bun's BuildMessage or ResolveMessage): where, and the source line. */
export interface BuildMessage {
  name: string;
  message: string;
  position?: { file: string; line: number; column: number; length: number; lineText: string } | null;
  notes?: { message?: string; text?: string; position?: BuildMessage["position"] }[];
}

/**
 * The transpiler's messages when a script does not parse: Bun throws a BuildMessage (several
 * in an AggregateError) that carries the position but no stack. Undefined for any other error.
 */
export function buildMessages(e: unknown): BuildMessage[] | undefined {
  if (isBuildMessage(e)) return [e];
  if (e instanceof AggregateError && e.errors.length && e.errors.every(isBuildMessage)) return e.errors as BuildMessage[];
  return undefined;
}

function isBuildMessage(e: unknown): e is BuildMessage {
  return typeof e === "object" && e !== null && ((e as Error).name === "BuildMessage" || (e as Error).name === "ResolveMessage");
}
