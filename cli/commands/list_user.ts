// User-space probes for `tsbpf list`: an ELF file's function symbols (uprobes) and its USDT
// notes. The file is named by path, or as a program found in PATH (like `which`).
import { Elf } from "../../elf/reader.ts";
import { usdtProbes } from "../../elf/usdt.ts";
import type { UsdtArg } from "../../elf/usdt_args.ts";
import { fileExists, MAX_BINARY_BYTES, readCheckedFile } from "../../runtime/files.ts";
import { libcSync } from "../../runtime/ffi/mod.ts";
import { CliError } from "../errors.ts";
import { matcher } from "./probe_pattern.ts";

export function resolveBinary(name: string): string {
  if (name.includes("/")) {
    if (!fileExists(name)) throw new CliError(`No such file: ${name}`);
    return name;
  }
  const path = libcSync().getenv("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
  const found = path.split(":").map((dir) => `${dir || "."}/${name}`).find((p) => fileExists(p));
  if (!found) throw new CliError(`"${name}" is not a file and not a program in PATH; give its path`);
  return found;
}

function readElf(path: string): Elf {
  const bytes = readCheckedFile(path, { maxBytes: MAX_BINARY_BYTES });
  if (!bytes) throw new CliError(`No such file: ${path}`);
  return Elf.parse(bytes);
}

/** Function symbols (FUNC and IFUNC, defined) matching `pattern`, sorted, without duplicates. */
export function uprobeNames(path: string, pattern: string): string[] {
  const syms = readElf(path).symbols().match(pattern);
  const names = syms.filter((s) => (s.type === "func" || s.type === "ifunc") && s.value !== 0).map((s) => s.name);
  return [...new Set(names)].sort();
}

export interface UsdtListing {
  name: string;
  args: string[];
}

/** USDT probes as "provider:name" matching `pattern`, with their decoded arguments. */
export function usdtListing(path: string, pattern: string): UsdtListing[] {
  const test = matcher(pattern);
  const out = new Map<string, UsdtListing>();
  for (const p of usdtProbes(readElf(path))) {
    const name = `${p.provider}:${p.name}`;
    if (!test(name) || out.has(name)) continue;
    let args: string[];
    try {
      args = p.args.map((a, i) => `${intType(a)} arg${i}  // ${a.text}`);
    } catch (e) {
      args = [`(arguments not decodable: ${(e as Error).message})`];
    }
    out.set(name, { name, args });
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function intType(a: UsdtArg): string {
  return `${a.signed ? "i" : "u"}${a.size * 8}`;
}
