// A one-liner is probe calls and their handlers, nothing that runs in user space but what tsbpf's
// runtime does for them (top-level code is refused: "expected a probe call here"), so one read
// from another user (a file of theirs, a snippet they posted) can at worst trace. The generated
// script began with a comment holding the one-liner's text as JSON, and JSON leaves U+2028 and
// U+2029 as they are, which end a JavaScript comment: nobody's one-liner with an invisible
// U+2028 in a printf string ran the JavaScript after it, as root.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, tsbpf } from "./attacker.ts";

const cleanup: string[] = [];
after(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

test("a U+2028 or U+2029 in a one-liner's text runs none of the JavaScript after it", { timeout: 120_000 }, async () => {
  const dir = asNobody(["mktemp", "-d", join(tmpdir(), "tsbpf-sec-line-sep-XXXXXX")]).trim();
  cleanup.push(dir);
  asNobody(["chmod", "755", dir]);
  for (const separator of ["\u2028", "\u2029"]) {
    // nobody's one-liner: a printf, with code after an invisible line separator in its string.
    const file = join(dir, `oneliner-${separator.charCodeAt(0).toString(16)}.txt`);
    asNobody(["/usr/bin/python3", "-c", `import sys; open(sys.argv[1], "w", encoding="utf-8").write(sys.argv[2])`, file, `begin(() => { printf("hello${separator};console.log(\`OWN\`+\`ED\`)//\\n"); exit(); })`]);
    const text = readFileSync(file, "utf8");
    assert.ok(text.includes(separator), "the one-liner holds no separator (the test's setup failed)");
    const r = await tsbpf(["-e", text], { env: { PATH: "/usr/bin:/bin", NO_COLOR: "1", TSBPF_NO_CACHE: "1" }, timeoutMs: 60_000 });
    assert.doesNotMatch(r.stdout + r.stderr, /OWNED/, `the JavaScript after U+${separator.charCodeAt(0).toString(16)} in nobody's one-liner ran as root:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /hello/, `the one-liner did not run:\n${r.stdout}${r.stderr}`);
  }
});
