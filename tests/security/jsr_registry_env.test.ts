// A script run by `tsbpf run` on Deno may import from JSR (`jsr:@std/fmt`, or tsbpf itself as
// `jsr:@tsbpf/tsbpf` from the npm package, docs/install.md), and Deno fetches a jsr: import from
// the registry JSR_URL names, when set: sudo -E keeps it as it keeps HOME, and the registry's
// package then ran as root in the child of `tsbpf run`. Here nobody serves such a registry,
// whose package leaves a mark; root runs its own script through the tsbpf command on Deno (Bun
// has no jsr: imports).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asNobody, bareEnv, ROOT } from "./attacker.ts";

let shared = "", dir = "", home = "", marker = "", url = "";
let registry: ChildProcess | undefined;

before(async () => {
  shared = mkdtempSync("/tmp/tsbpf-sec-jsr-");
  chmodSync(shared, 0o755);
  home = mkdtempSync("/tmp/tsbpf-sec-jsr-home-");
  marker = `${shared}/ran`;
  dir = join(shared, "nobody");
  mkdirSync(dir, { mode: 0o777 });
  chmodSync(dir, 0o777);
  chmodSync(shared, 0o777); // the mark is written by root into a directory of the test's
  // nobody's package (of a scope jsr.io does not have: a run that reaches jsr.io gets nothing, and
  // so writes no deno.lock beside tsbpf's config): its module leaves the mark, as root.
  const module = `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, String(process.getuid()));\nexport const bold = (s) => s;\n`;
  asNobody(["sh", "-ec", `cd ${dir} && mkdir -p @tsbpf-sec/mark/0.1.0 && cat > @tsbpf-sec/mark/0.1.0/mod.js <<'EOF'
${module}EOF
sum=$(sha256sum @tsbpf-sec/mark/0.1.0/mod.js | cut -d' ' -f1) size=$(stat -c %s @tsbpf-sec/mark/0.1.0/mod.js)
echo '{"scope":"tsbpf-sec","name":"mark","latest":"0.1.0","versions":{"0.1.0":{}}}' > @tsbpf-sec/mark/meta.json
echo "{\\"manifest\\":{\\"/mod.js\\":{\\"size\\":$size,\\"checksum\\":\\"sha256-$sum\\"}},\\"exports\\":{\\".\\":\\"./mod.js\\"}}" > @tsbpf-sec/mark/0.1.0_meta.json`]);
  registry = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c",
    "import http.server, socketserver, sys\nclass H(http.server.SimpleHTTPRequestHandler):\n    def log_message(self, *a): pass\ns = socketserver.TCPServer(('127.0.0.1', 0), H)\nprint(s.server_address[1], flush=True)\ns.serve_forever()"],
    { cwd: dir, stdio: ["ignore", "pipe", "ignore"] });
  let said = "";
  registry.stdout!.on("data", (d) => (said += d));
  for (let i = 0; i < 400 && !/\d+\n/.test(said); i++) await new Promise((r) => setTimeout(r, 25));
  url = `http://127.0.0.1:${Number(said)}/`;
});

after(() => {
  registry?.kill("SIGKILL");
  rmSync(shared, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

test("tsbpf run on Deno does not import jsr: modules from the registry a preserved JSR_URL names", { timeout: 120_000 }, () => {
  assert.match(url, /:\d+\/$/, "nobody's registry did not start (the test's setup failed)");
  const script = join(home, "trace.ts");
  writeFileSync(script, `import { bold } from "jsr:@tsbpf-sec/mark";\nconsole.log("the script ran", typeof bold);\n`);
  const cache = mkdtempSync(join(home, "deno-")); // root's, private: a Deno cache of the test's own
  const r = spawnSync("sh", [join(ROOT, "bin/tsbpf"), "run", script], {
    cwd: "/", encoding: "utf8", timeout: 100_000,
    env: { ...bareEnv(), PATH: `${join(ROOT, "node_modules/.bin")}:/usr/bin:/bin`, TSBPF_RUNTIME: "deno", HOME: home, DENO_DIR: cache, JSR_URL: url },
  });
  assert.equal(existsSync(marker), false, `root ran nobody's @tsbpf-sec/mark from JSR_URL=${url}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /the script runs without JSR_URL/, `${r.stdout}${r.stderr}`);
});
