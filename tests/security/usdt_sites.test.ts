// A USDT probe may have several sites (an inlined function), each attached as a uprobe of its
// own, which the kernel makes (and removes) waiting for a grace period each. Whoever writes the
// binary chooses how many: with 50 000 sites of one probe in nobody's 2.6 MB library, root's
// tracer had attached 8 700 after 10 minutes. Past 1000 sites (the limit of per-function
// kprobes) the probe is refused with a clear error, before anything is attached.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, MOD, ROOT, rootDir, script } from "./attacker.ts";

const shared = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-usdt-sites-XXXXXX")]).trim();
const own = rootDir("usdt-sites");
after(() => {
  rmSync(shared, { recursive: true, force: true });
  rmSync(own, { recursive: true, force: true });
});

/** Root's script: attaches to p:n of `file`, then says how many links it holds. */
const TRACER = (file: string) => `import { readdirSync, readlinkSync } from "node:fs";
import { Count, Tracer, usdt } from ${JSON.stringify(MOD)};
class Sites extends Tracer {
  calls = new Count();
  @usdt(${JSON.stringify(`${file}:p:n`)})
  on() { this.calls.add(); }
}
const links = () => readdirSync("/proc/self/fd").filter((fd) => { try { return readlinkSync("/proc/self/fd/" + fd) === "anon_inode:bpf_link"; } catch { return false; } }).length;
const t = await new Sites().start({ reportLoss: false });
console.log("links", links());
await t.stop();
`;

async function attach(sites: number): Promise<{ status: number | string | null; stdout: string; stderr: string }> {
  const lib = join(shared, `sites${sites}.so`);
  asNobody(["/usr/bin/python3", join(ROOT, "tests/security/fixtures/usdt_sites.py"), lib, String(sites)]);
  const file = join(own, `tracer${sites}.ts`);
  writeFileSync(file, TRACER(lib));
  const r = await script(file, { env: { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" }, timeoutMs: 280_000 });
  assert.ok(!r.timedOut, `root's tracer was still attaching ${sites} sites of nobody's probe after 280 s`);
  return r;
}

test("a USDT probe of nobody's with more sites than tsbpf attaches to is refused before any is attached", { timeout: 300_000 }, async () => {
  // Refused where the script names the probe, as it compiles: nothing is attached.
  const r = await attach(1001);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /tracer1001\.ts:5:3: error\[\w+\]: USDT probe "p:n" of ".*sites1001\.so" has 1001 sites, more than the 1000 tsbpf attaches to/, r.stderr);
});

test("a USDT probe of nobody's with a few sites is attached at each", { timeout: 300_000 }, async () => {
  const r = await attach(3);
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  assert.match(r.stdout, /^links 3$/m, r.stdout);
});
