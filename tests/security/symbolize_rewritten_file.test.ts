// Root's symbolizer parses each file a traced process maps once, however many processes map it,
// and knew a file by its device and inode only. A file's owner can rewrite it in place (the same
// inode), or delete it and write another that is given its inode: nobody's next process, mapping
// the new file, was named from the old file's symbols. Here nobody's file names its code
// `first_function`; rewritten, `other_function`: each process's stack must name its own.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asNobody, ROOT, rootDir, script } from "./attacker.ts";
import { MAKE_NAMED_ELF as MAKE } from "./mapped_code.ts";

const env = { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" };
const shared = asNobody(["mktemp", "-d", "/tmp/tsbpf-sec-rewritten-XXXXXX"]).trim();
const own = rootDir("rewritten");
after(() => {
  rmSync(shared, { recursive: true, force: true });
  rmSync(own, { recursive: true, force: true });
});

const file = join(shared, "lib.so");

test("a file nobody rewrites in place is named from its new symbols, not the old parse", { timeout: 120_000 }, async () => {
  assert.equal(spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", MAKE, file, "first_function"]).status, 0);
  const tracer = join(own, "symbolize.ts");
  writeFileSync(tracer, `import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { libc } from "${join(ROOT, "runtime/ffi/mod.ts")}";
import { UserSymbols } from "${join(ROOT, "runtime/symbolize/mod.ts")}";
await libc();
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MAPPER = "import mmap, sys\\nf = open(sys.argv[1], 'rb')\\nm = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_EXEC)\\nprint('mapped', flush=True)\\nsys.stdin.read()\\n";
/** What the symbolizer names the code of ${file} as, in a process of nobody's that maps it. */
async function nameInNewProcess(u: UserSymbols): Promise<string | undefined> {
  const child = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", MAPPER, "${file}"], { stdio: ["pipe", "pipe", "ignore"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  for (let i = 0; i < 400 && !out.includes("mapped"); i++) await wait(25);
  const line = readFileSync(\`/proc/\${child.pid}/maps\`, "utf8").split("\\n").find((l) => l.endsWith("${file}"));
  if (!line) throw new Error("nobody's process did not map the file");
  const name = u.symbolize(child.pid!, BigInt(parseInt(line, 16) + 0x1000)).name;
  const exited = new Promise((r) => child.on("exit", r));
  child.kill("SIGKILL");
  await exited;
  return name;
}
const u = new UserSymbols();
const first = await nameInNewProcess(u);
const ino = (await import("node:fs")).statSync("${file}").ino;
const made = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", ${JSON.stringify(MAKE)}, "${file}", "other_function", "in-place"]);
if (made.status !== 0 || (await import("node:fs")).statSync("${file}").ino !== ino) throw new Error("nobody could not rewrite the file in place");
const second = await nameInNewProcess(u);
console.log(JSON.stringify({ first, second }));
`);
  const r = await script(tracer, { env, timeoutMs: 100_000 });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.equal(out.first, "first_function", `the file's code was not named (the test's setup failed): ${r.stdout}`);
  assert.equal(out.second, "other_function", `nobody's rewritten file was named from its old symbols: ${r.stdout}`);
});
