// The compile cache holds what root loads into the kernel and the layouts its decoders are
// built from. A cache directory another user can write (sudo -E keeping XDG_CACHE_HOME) must
// not be used at all; an entry in root's own cache that is malformed, tampered with or made
// for another source must be compiled again. Each case runs a real tracer as root.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asNobody, getppid, MOD, type Result, rootDir, script } from "./attacker.ts";

/** A tracer with an integer field (so a params map is encoded at start) that sends `value`. */
function tracerSource(value: number): string {
  return `import { RingBuf, Tracer, tracepoint, type u32 } from ${JSON.stringify(MOD)};
import { libcSync } from ${JSON.stringify(MOD.replace(/mod\.ts$/, "runtime/ffi/mod.ts"))};
interface E { v: u32 }
class Poison extends Tracer {
  limit = 7;
  events = new RingBuf<E>(4096);
  @tracepoint("syscalls:sys_enter_getppid")
  h() { if (this.limit > 0) this.events.submit({ v: ${value} }); }
}
const t = await new Poison().start();
let got = 0;
t.events.on((e) => { got = e.v; });
for (let i = 0; i < 200 && !got; i++) {
  libcSync().syscall(110); // getppid
  await new Promise((r) => setTimeout(r, 10));
}
await t.stop();
console.log("received " + got);
`;
}

interface Setup {
  dir: string;
  cache: string;
  file: string;
}

function setup(name: string, value = 1): Setup {
  const dir = rootDir(name);
  const file = join(dir, "poison.ts");
  writeFileSync(file, tracerSource(value));
  return { dir, cache: join(dir, "cache"), file };
}

function runTracer(s: Setup, file = s.file): Promise<Result> {
  return script(file, {
    env: { PATH: "/usr/bin:/bin", XDG_CACHE_HOME: s.cache, TSBPF_VERBOSE: "1", NO_COLOR: "1" },
    tick: getppid,
    timeoutMs: 60_000,
  });
}

/** The one cache entry a run left, as its file name and parsed JSON. */
function entry(s: Setup): { path: string; json: any } {
  const names = readdirSync(join(s.cache, "tsbpf")).filter((n) => n.endsWith(".json"));
  assert.equal(names.length, 1, `one cache entry: ${names.join(", ")}`);
  const path = join(s.cache, "tsbpf", names[0]);
  return { path, json: JSON.parse(readFileSync(path, "utf8")) };
}

/** The specs in an entry (a bare array in older formats). */
function specsOf(json: any): any[] {
  return Array.isArray(json) ? json : json.specs;
}

/** Code pasted into the params map's encoder if the cached layout were trusted. */
const BITS_INJECTION = '32(0, 0, true), console.log("PWNED"), v.setUint32';

function poisonParams(json: any): void {
  const params = specsOf(json)[0].maps.find((m: any) => m.name === "__params");
  params.value.fields[0].type.bits = BITS_INJECTION;
}

function poisonFieldName(json: any): void {
  const params = specsOf(json)[0].maps.find((m: any) => m.name === "__params");
  params.value.tuple = true;
  params.value.fields[0].name = '0] + console.log("PWNED") + x[0';
}

function assertRan(r: Result, value = 1): void {
  assert.ok(!r.timedOut, "the tracer ended in time");
  assert.doesNotMatch(r.stdout + r.stderr, /PWNED/, "code from the cache entry ran as root");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`received ${value}\\b`));
}

test("a good entry in root's own cache stays a cache hit (read, not rewritten)", async () => {
  const s = setup("cache-hit");
  try {
    assertRan(await runTracer(s));
    const before = statSync(entry(s).path);
    const r = await runTracer(s);
    assertRan(r);
    const after = statSync(entry(s).path);
    assert.equal(after.ino, before.ino, "the entry was written again: the second start compiled");
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.doesNotMatch(r.stderr, /compiling|not caching/);
    assert.equal(after.mode & 0o777, 0o600);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

for (const [what, poison] of [["an injected integer width", poisonParams], ["an injected field name", poisonFieldName]] as const) {
  test(`a cache directory nobody can write is not used (entry poisoned with ${what})`, async () => {
    const s = setup("cache-nobody");
    try {
      assertRan(await runTracer(s));
      const e = entry(s);
      poison(e.json);
      // The directory becomes nobody's (a cache dir kept by sudo -E), and nobody writes the entry.
      assert.equal(spawnSync("chown", ["-R", "nobody:nogroup", join(s.cache, "tsbpf")]).status, 0);
      writeFileSync(`${s.dir}/poisoned.json`, JSON.stringify(e.json), { mode: 0o644 });
      spawnSync("chmod", ["0755", s.dir]);
      asNobody(["cp", `${s.dir}/poisoned.json`, e.path]);
      const r = await runTracer(s);
      assertRan(r);
      assert.match(r.stderr, /compiling without the cache: .*owned by uid 65534/);
    } finally {
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  test(`an entry with ${what} in root's own cache is compiled again, never run`, async () => {
    const s = setup("cache-poisoned");
    try {
      assertRan(await runTracer(s));
      const e = entry(s);
      poison(e.json);
      writeFileSync(e.path, JSON.stringify(e.json));
      const r = await runTracer(s);
      assertRan(r);
      assert.match(r.stderr, /compiling again: the cache entry .* is not usable/);
    } finally {
      rmSync(s.dir, { recursive: true, force: true });
    }
  });
}

test("an entry made for another source is compiled again (the key inside is checked)", async () => {
  const s = setup("cache-swapped", 1);
  try {
    assertRan(await runTracer(s), 1);
    const a = entry(s);
    const other = join(s.dir, "other.ts");
    writeFileSync(other, tracerSource(2));
    rmSync(a.path);
    assertRan(await runTracer(s, other), 2);
    const b = entry(s);
    // B's entry now holds A's programs (which send 1): a copied or stale entry.
    writeFileSync(b.path, JSON.stringify(a.json));
    const r = await runTracer(s, other);
    assertRan(r, 2);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test("a script edited in place is compiled again, and its entry (which holds the whole source) replaces the old one", async () => {
  const s = setup("cache-edited", 1);
  try {
    assertRan(await runTracer(s), 1);
    assert.ok(entry(s).json.input.endsWith(`\0${tracerSource(1)}`), "the entry holds the source it was compiled from");
    writeFileSync(s.file, tracerSource(2));
    assertRan(await runTracer(s), 2);
    // entry() checks that it is the only one: the edit replaced it rather than adding one.
    assert.ok(entry(s).json.input.endsWith(`\0${tracerSource(2)}`));
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test("an entry with tampered instructions is compiled again", async () => {
  const s = setup("cache-insns");
  try {
    assertRan(await runTracer(s));
    const e = entry(s);
    specsOf(e.json)[0].programs[0].insns = "AAAA"; // 3 bytes: not an instruction
    writeFileSync(e.path, JSON.stringify(e.json));
    const r = await runTracer(s);
    assertRan(r);
    assert.match(r.stderr, /compiling again/);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});
