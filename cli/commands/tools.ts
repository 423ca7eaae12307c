// `tsbpf tools`: the tools in examples/, one line each. A tool describes itself in one place,
// the comment its file opens with ("// name: what it shows. More..."): the listing is that
// comment's first sentence, without its parenthetical remarks.
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCommand } from "../args.ts";
import { HELP } from "../help.ts";
import { OWN_ROOT } from "../../runtime/own_files.ts";

const EXAMPLES = new URL("examples/", OWN_ROOT);

export interface Tool {
  name: string;
  description: string;
}

/** The first sentence of the comment a tool's source opens with, after its "name: ". */
export function toolDescription(source: string): string {
  const comment: string[] = [];
  for (const line of source.split("\n")) {
    const m = /^\/\/ ?(.*)$/.exec(line);
    if (!m || m[1].trim() === "") break; // the paragraph ends at the first empty comment line
    comment.push(m[1].trim());
  }
  const text = comment.join(" ").replace(/^[\w-]+: /, "");
  const sentence = /^.*?\.(?=\s|$)/.exec(text)?.[0] ?? text;
  return sentence.replace(/ \([^()]+\)/g, "").replace(/\.$/, "");
}

/** Every tool in examples/, by name (a file starting with "_" would be a private helper, not a tool). */
export function tools(): Tool[] {
  return readdirSync(EXAMPLES)
    .filter((f) => f.endsWith(".ts") && !f.startsWith("_"))
    .sort()
    .map((f) => ({ name: f.slice(0, -3), description: toolDescription(readFileSync(new URL(f, EXAMPLES), "utf8")) }));
}

export function toolsCommand(argv: string[]): number {
  const { values } = parseCommand(argv, { help: { type: "boolean", short: "h" } } as const, "tools");
  if (values.help) return (console.log(HELP.tools), 0);
  const all = tools();
  const width = Math.max(...all.map((t) => t.name.length));
  for (const t of all) console.log(`${t.name.padEnd(width)}  ${t.description}`);
  console.log(`\nRun one with: sudo tsbpf run ${examplesDir()}/NAME.ts [ARGS]   (-h shows its options)`);
  return 0;
}

/** Where this copy's tools are, as the user would type it (node_modules/tsbpf/examples from an npm install). */
export function examplesDir(): string {
  const dir = relative(process.cwd(), fileURLToPath(EXAMPLES)) || ".";
  return dir.startsWith("..") ? fileURLToPath(EXAMPLES).replace(/\/$/, "") : dir;
}
