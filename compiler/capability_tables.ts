// Which modules and globals give a script's user-space half which powers (compiler/capabilities.ts).
// A member missing from a table is reported as "cannot vouch", never taken as harmless.

export type Kind =
  | "writes files" | "reads files" | "spawns processes" | "network" | "native code (FFI)" | "signals"
  | "changes processes" | "outlives the tracer" | "environment" | "unknown";

/** Kinds that only look: a script using nothing else only observes. */
export const OBSERVING: ReadonlySet<Kind> = new Set(["reads files", "environment"]);

const FS_READS = new Set([
  "readFile", "readFileSync", "readdir", "readdirSync", "stat", "statSync", "lstat", "lstatSync", "fstat", "fstatSync",
  "existsSync", "exists", "access", "accessSync", "createReadStream", "readlink", "readlinkSync", "realpath", "realpathSync",
  "opendir", "opendirSync", "read", "readSync", "readv", "readvSync", "watch", "watchFile", "unwatchFile", "close", "closeSync",
  "constants", "Stats", "Dirent", "Dir", "statfs", "statfsSync", "glob", "globSync",
]);

/** Modules harmless to import, by any name: they compute, format or observe. */
const HARMLESS = new Set([
  "tsbpf", "tsbpf/kernel", "tsbpf/tool", "tsbpf/cli", "path", "util", "url", "events", "assert", "assert/strict", "crypto", "buffer", "stream",
  "stream/promises", "stream/web", "string_decoder", "timers", "timers/promises", "perf_hooks", "readline", "readline/promises",
  "zlib", "querystring", "tty", "os", "test", "console", "diagnostics_channel", "async_hooks", "punycode",
]);

/** The exceptions in those harmless modules. */
const HARMLESS_BUT: Record<string, Record<string, Kind>> = {
  os: { setPriority: "changes processes" },
  tsbpf: { writePprof: "writes files", openPinned: "outlives the tracer" },
};

const WHOLE_MODULE: Record<string, Kind> = {
  child_process: "spawns processes", cluster: "spawns processes",
  net: "network", http: "network", https: "network", http2: "network", dgram: "network", tls: "network", dns: "network",
  "dns/promises": "network", undici: "network", ws: "network",
  "bun:ffi": "native code (FFI)", "bun:sqlite": "writes files",
  vm: "unknown", module: "unknown", worker_threads: "unknown", inspector: "unknown", "bun:jsc": "unknown", v8: "unknown", wasi: "unknown",
};

export const DENO_MEMBERS: Record<string, Kind | null> = {
  writeFile: "writes files", writeFileSync: "writes files", writeTextFile: "writes files", writeTextFileSync: "writes files",
  create: "writes files", createSync: "writes files", open: "writes files", openSync: "writes files", mkdir: "writes files",
  mkdirSync: "writes files", remove: "writes files", removeSync: "writes files", rename: "writes files", renameSync: "writes files",
  symlink: "writes files", symlinkSync: "writes files", link: "writes files", linkSync: "writes files", chmod: "writes files",
  chmodSync: "writes files", chown: "writes files", chownSync: "writes files", truncate: "writes files", truncateSync: "writes files",
  copyFile: "writes files", copyFileSync: "writes files", makeTempDir: "writes files", makeTempDirSync: "writes files",
  makeTempFile: "writes files", makeTempFileSync: "writes files", utime: "writes files", utimeSync: "writes files",
  readFile: "reads files", readFileSync: "reads files", readTextFile: "reads files", readTextFileSync: "reads files",
  readDir: "reads files", readDirSync: "reads files", stat: "reads files", statSync: "reads files", lstat: "reads files",
  lstatSync: "reads files", readLink: "reads files", readLinkSync: "reads files", realPath: "reads files", realPathSync: "reads files",
  watchFs: "reads files",
  Command: "spawns processes", run: "spawns processes",
  listen: "network", listenTls: "network", connect: "network", connectTls: "network", serve: "network", startTls: "network",
  resolveDns: "network", listenDatagram: "network", createHttpClient: "network", upgradeWebSocket: "network",
  dlopen: "native code (FFI)", UnsafePointer: "native code (FFI)", UnsafePointerView: "native code (FFI)", UnsafeCallback: "native code (FFI)", UnsafeFnPointer: "native code (FFI)",
  kill: "signals", chdir: "changes processes", umask: "changes processes",
  env: "environment",
  args: null, pid: null, ppid: null, exit: null, exitCode: null, addSignalListener: null, removeSignalListener: null, stdin: null, stdout: null,
  stderr: null, build: null, version: null, noColor: null, inspect: null, memoryUsage: null, osRelease: null, osUptime: null, hostname: null,
  cwd: null, mainModule: null, execPath: null, errors: null, isatty: null, consoleSize: null, loadavg: null, systemMemoryInfo: null, uid: null, gid: null,
  permissions: null, test: null, bench: null, refTimer: null, unrefTimer: null, networkInterfaces: null, cron: "unknown", openKv: "writes files",
};

export const BUN_MEMBERS: Record<string, Kind | null> = {
  // Bun.file: a BunFile reads, and also writes and deletes.
  write: "writes files", file: "writes files", spawn: "spawns processes", spawnSync: "spawns processes", $: "spawns processes",
  serve: "network", listen: "network", connect: "network", udpSocket: "network", dns: "network", fetch: "network", s3: "network", S3Client: "network",
  sql: "network", SQL: "network", redis: "network", RedisClient: "network",
  dlopen: "native code (FFI)", plugin: "unknown", build: "unknown", Transpiler: "unknown", openInEditor: "spawns processes",
  env: "environment",
  argv: null, main: null, version: null, revision: null, sleep: null, sleepSync: null, nanoseconds: null, hash: null, CryptoHasher: null,
  stdin: null, stdout: null, stderr: null, inspect: null, deepEquals: null, escapeHTML: null, gc: null, which: null, password: null,
  stringWidth: null, fileURLToPath: null, pathToFileURL: null, peek: null, Glob: null, semver: null, color: null, randomUUIDv7: null,
  isMainThread: null, resolveSync: null, resolve: null, TOML: null, YAML: null, readableStreamToText: null, readableStreamToArrayBuffer: null,
};

export const PROCESS_MEMBERS: Record<string, Kind | null> = {
  env: "environment", kill: "signals", dlopen: "native code (FFI)", binding: "unknown", _linkedBinding: "unknown",
  chdir: "changes processes", umask: "changes processes", setuid: "changes processes", setgid: "changes processes",
  seteuid: "changes processes", setegid: "changes processes", setgroups: "changes processes", initgroups: "changes processes",
  abort: null, argv: null, argv0: null, exit: null, exitCode: null, on: null, once: null, off: null, addListener: null, removeListener: null,
  removeAllListeners: null, emit: null, emitWarning: null, stdout: null, stderr: null, stdin: null, pid: null, ppid: null, platform: null, arch: null,
  hrtime: null, nextTick: null, cwd: null, memoryUsage: null, cpuUsage: null, resourceUsage: null, execPath: null, execArgv: null,
  version: null, versions: null, uptime: null, title: null, features: null, config: null, release: null, getuid: null, geteuid: null,
  getgid: null, getegid: null, getgroups: null, listenerCount: null, listeners: null, exitCode_: null, isBun: null, revision: null,
  browser: null, allowedNodeEnvironmentFlags: null, report: null, constrainedMemory: null, availableMemory: null, getBuiltinModule: null,
};

/** Globals that give a power by being used at all. */
export const GLOBALS: Record<string, Kind> = {
  fetch: "network", WebSocket: "network", WebSocketStream: "network", XMLHttpRequest: "network", EventSource: "network",
  Worker: "unknown", SharedWorker: "unknown", WebAssembly: "unknown", Function: "unknown", eval: "unknown", require: "unknown",
  module: "unknown", __non_webpack_require__: "unknown",
};

function bare(specifier: string): string {
  return specifier.replace(/^node:/, "").replace(/^npm:/, "");
}

/** What importing `name` from `specifier` gives (name undefined: the whole module), or nothing for harmless modules and relative ones (followed instead). */
export function moduleUse(specifier: string, name: string | undefined): { kind: Kind; what: string } | undefined {
  if (isRelative(specifier)) return undefined;
  const mod = bare(specifier);
  const what = `${specifier}${name ? ` ${name}` : ""}`;
  if (HARMLESS.has(mod)) {
    const kind = name === undefined ? undefined : HARMLESS_BUT[mod]?.[name];
    return kind && { kind, what };
  }
  if (mod === "fs" || mod === "fs/promises") {
    if (name === undefined) return { kind: "writes files", what: `${specifier} (the whole module: reads and writes files)` };
    return { kind: FS_READS.has(name) ? "reads files" : "writes files", what };
  }
  if (mod === "process") {
    if (name === undefined || name === "default") return undefined; // judged by its members
    const kind = PROCESS_MEMBERS[name];
    return kind === null ? undefined : { kind: kind ?? "unknown", what };
  }
  if (mod === "bun") {
    if (name === undefined) return { kind: "unknown", what: `${specifier} (the whole module)` };
    const kind = BUN_MEMBERS[name];
    return kind === null ? undefined : { kind: kind ?? "unknown", what };
  }
  if (WHOLE_MODULE[mod]) return { kind: WHOLE_MODULE[mod], what };
  return { kind: "unknown", what: `${specifier} (a package or remote module tsbpf plan does not review)` };
}

export function isRelative(specifier: string): boolean {
  return specifier.startsWith("./") || specifier.startsWith("../") || specifier.startsWith("/") || specifier.startsWith("file:");
}

/** tsbpf's public modules: importing them by path is importing "tsbpf". */
export const TSBPF_PUBLIC = new Set(["mod.ts", "lang/helpers.ts", "lang/handler_types.ts", "kernel.ts"]);

/**
 * tsbpf's internal modules the tools import, by export ("*": every export). "loads": harmless when
 * only called for its effect (`await libc();`), native code when its result is used.
 */
export const TSBPF_INTERNAL: Record<string, Record<string, Kind | null | "loads">> = {
  "runtime/files.ts": { fileExists: "reads files", readTextFile: "reads files", readFileBytes: "reads files" },
  "runtime/features.ts": { "*": null },
  "runtime/syscall_names.ts": { "*": null },
  "runtime/cpus.ts": { "*": null },
  "runtime/ffi/mod.ts": { libc: "loads" },
};
