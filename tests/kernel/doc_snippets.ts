// Runs a TypeScript block of a doc as it is written there: copied beside the tests (so that
// "tsbpf" resolves to this checkout), run on this test's runtime, removed after.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import process from "node:process";
import { runScript } from "./util.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/** The `index`th ```ts block of docs/`doc`. */
export function docSnippet(doc: string, index = 0): string {
  const text = readFileSync(`${ROOT}docs/${doc}`, "utf8");
  const blocks = [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  if (!blocks[index]) throw new Error(`docs/${doc} has no ts block ${index}`);
  return blocks[index];
}

/** Runs the snippet to its end; its status and output. */
export async function runSnippet(source: string): Promise<{ status: number | string; output: string }> {
  const file = `${ROOT}tests/fixtures/.doc-snippet-${process.pid}.ts`;
  writeFileSync(file, source);
  try {
    const run = runScript(file);
    const status = await run.exited;
    return { status, output: run.output() };
  } finally {
    rmSync(file, { force: true });
  }
}
