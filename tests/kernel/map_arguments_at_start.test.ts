// A map field of a tracer class declared with arguments it cannot take (`new LinearHistogram(0, 1, 0)`)
// fails the tracer's start() with the compiler's error at the argument's file:line:col, what is
// wrong and what to do; not with the constructor's RangeError, thrown out of `new T()` (a stack
// Bun points at the `new T()` line). A size only the running script knows is refused at start()
// too, naming the field and where it was made.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { importScript, removeMade } from "./user_programs.ts";
import { isUserFacing } from "../../spec/user_facing.ts";

after(removeMade);

const IMPORTS = ["Tracer", "tracepoint", "LinearHistogram", "HashMap", "Count", "RingBuf", "type u32"];

/** The error start() gives for a tracer whose 4th line declares `field`; its file's name. */
async function startError(name: string, field: string, before = ""): Promise<{ error: Error; file: string }> {
  const script = await importScript(name, IMPORTS, `${before}
class T extends Tracer {
  ${field}
  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {}
}
export async function run() { const t = await new T().start({ exitOnError: false, handleSignals: false }); await t.stop(); }
export const file = import.meta.url;
`);
  try {
    await script.run();
  } catch (e) {
    return { error: e as Error, file: new URL(script.file).pathname };
  }
  assert.fail(`${field} was accepted`);
}

const CASES: [string, string, RegExp, string?][] = [
  ["m = new LinearHistogram(0, 1, 0);", "0);", /LinearHistogram's step must be a whole number of at least 1, got 0/],
  ["m = new HashMap<u32, u32>(0);", "0", /between 1 and \d+ entries/],
  ["m = new Count(0);", "0", /at least one entry/],
  ["m = new Count(); e = new RingBuf<E>(1000);", "1000", /power of two of at least 4096 bytes/, "interface E { x: u32 }"],
];

for (const [i, [field, at, message, before]] of CASES.entries()) {
  test(`${field}: the compiler's error at the argument`, async () => {
    const { error, file } = await startError(`bad_map_${i}`, field, before);
    assert.ok(isUserFacing(error), `not the compiler's error: ${error.stack}`);
    assert.match(error.message, message);
    const where = `${file}:4:${3 + field.indexOf(at)}:`;
    assert.ok(error.message.startsWith(where), `not at ${where} where ${at} is:\n${error.message}`);
  });
}

test("a size only the running script knows: refused at start(), naming the field and where it was made", async () => {
  const { error, file } = await startError("bad_map_runtime", "m = new HashMap<u32, u32>(entries);", `const entries = Number("0");`);
  assert.ok(isUserFacing(error), `not an explained error: ${error.stack}`);
  assert.match(error.message, /T\.m: HashMap needs between 1 and \d+ entries, got 0/);
  assert.ok(error.message.includes(`${file}:4:`), `the place it was made is not named:\n${error.message}`);
});
