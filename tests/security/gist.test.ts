// `tsbpf run URL` downloads a script that root then runs. Another user must not be able to
// choose or change what runs: not through a TMPDIR of theirs (sudo keeping it), not by writing
// into the directory the download is kept in while it runs, and not with a node_modules beside
// that directory (anyone can create /tmp/node_modules) for a package the script imports. Each
// attack is made as nobody; the script served must be the one that runs, or none at all.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asNobody, bareEnv, tsbpf } from "./attacker.ts";

const GIST = `import { Count, Tracer, tracepoint } from "tsbpf";
class G extends Tracer {
  calls = new Count();
  @tracepoint("syscalls:sys_enter_getppid")
  on() { this.calls.add(); }
}
const t = await new G().start();
console.error("Attaching: the gist started");
await new Promise((r) => setTimeout(r, 1500));
await t.stop();
console.log("the served gist ran");
`;

async function serve(body = GIST): Promise<{ url: string; server: Server }> {
  const server = createServer((_, res) => {
    res.writeHead(200, { "content-type": "application/typescript" });
    res.end(body);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/gist.ts`, server };
}

/** The directories downloads are kept in (tsbpf-script-<16 hex> under /tmp). */
function scriptDirs(): string[] {
  return readdirSync("/tmp").filter((n) => /^tsbpf-script-[0-9a-f]{16}$/.test(n));
}

test("TMPDIR writable by nobody (sudo keeping it): the downloaded script is not kept there", async () => {
  const nobodyTmp = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-nobody-tmpdir-XXXXXX")]).trim();
  asNobody(["chmod", "0777", nobodyTmp]);
  const { url, server } = await serve();
  try {
    const r = await tsbpf(["run", "--yes", url], { env: bareEnv({ TMPDIR: nobodyTmp }), timeoutMs: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /the served gist ran/);
    assert.deepEqual(readdirSync(nobodyTmp), [], "root kept the download in nobody's directory");
  } finally {
    server.close();
    rmSync(nobodyTmp, { recursive: true, force: true });
  }
});

test("while the download runs, nobody cannot write into its directory, and it is removed after", async () => {
  // The gist runs until the attack has been made (root writes `attacked` then), however late this
  // process's timer comes on a loaded machine: a gist that stopped after 1.5 s could end before it.
  const flags = mkdtempSync(join(tmpdir(), "tsbpf-sec-gist-flag-"));
  const attacked = join(flags, "attacked");
  const gist = GIST.replace("await new Promise((r) => setTimeout(r, 1500));",
    `const { existsSync } = await import("node:fs");\nwhile (!existsSync(${JSON.stringify(attacked)})) await new Promise((r) => setTimeout(r, 50));`);
  assert.ok(gist.includes(attacked), "the gist does not wait for the attack");
  const { url, server } = await serve(gist);
  const before = new Set(scriptDirs());
  const seen = new Set<string>();
  const written: string[] = [];
  const attack = () => {
    // Once: after it the gist ends and its directory goes, while this timer may still run.
    if (existsSync(attacked)) return;
    for (const name of scriptDirs().filter((n) => !before.has(n))) {
      seen.add(name);
      const dir = `/tmp/${name}`;
      const st = statSync(dir);
      assert.equal(st.uid, 0, `${dir} is not root's`);
      assert.equal(st.mode & 0o777, 0o700, `${dir} is not private`);
      // As nobody: replace the script, add a module beside it.
      for (const cmd of [`printf 'console.log("nobody ran")' > ${dir}/gist.ts`, `printf x > ${dir}/helper.ts`]) {
        const r = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh", "-c", cmd], { encoding: "utf8" });
        if (r.status === 0) written.push(cmd);
      }
    }
    if (seen.size > 0) writeFileSync(attacked, "");
  };
  try {
    const r = await tsbpf(["run", "--yes", url], { env: bareEnv(), timeoutMs: 120_000, tick: attack });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(seen.size > 0, "the attack never saw the download's directory (the test attacked nothing)");
    assert.deepEqual(written, [], "nobody wrote into the download's directory");
    assert.match(r.stdout, /the served gist ran/);
    assert.doesNotMatch(r.stdout, /nobody ran/);
    for (const name of seen) assert.ok(!existsSync(`/tmp/${name}`), `/tmp/${name} was left behind`);
  } finally {
    server.close();
    rmSync(flags, { recursive: true, force: true });
  }
});

test("a package nobody installed beside the download's directory is not imported by the script", async () => {
  // A directory like /tmp (root's, sticky, anyone may create names in it) as TMPDIR, so that
  // nobody's node_modules does not sit in the real /tmp while other tests run.
  const base = mkdtempSync(join(tmpdir(), "tsbpf-sec-sticky-"));
  chmodSync(base, 0o1777);
  const marker = `${base}-ran`;
  rmSync(marker, { force: true });
  asNobody(["mkdir", "-p", `${base}/node_modules/evilpkg`]);
  asNobody(["sh", "-c", `printf '{"name":"evilpkg","type":"module","main":"index.js"}' > ${base}/node_modules/evilpkg/package.json`]);
  asNobody(["sh", "-c", `printf 'import { writeFileSync } from "node:fs"; writeFileSync("${marker}", "");' > ${base}/node_modules/evilpkg/index.js`]);
  const { url, server } = await serve(`import "evilpkg";\n${GIST}`);
  try {
    const r = await tsbpf(["run", "--yes", url], { env: bareEnv({ TMPDIR: base }), timeoutMs: 120_000 });
    assert.ok(!existsSync(marker), "root ran nobody's package");
    assert.notEqual(r.status, 0, r.stdout);
    assert.match(r.stderr, /may import only tsbpf and node: modules, and it imports "evilpkg" \(line 1\)/);
    assert.doesNotMatch(r.stdout, /the served gist ran/);
  } finally {
    server.close();
    rmSync(base, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
});
