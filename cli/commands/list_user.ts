// User-space probes for `tsbpf list`: an ELF file's function symbols (uprobes) and its USDT
// notes. The file is named by path, as a library or as a program on PATH, as the probes name it.
import { Elf } from "../../elf/reader.ts";
import { ElfError } from "../../elf/mod.ts";
import { usdtProbes } from "../../elf/usdt.ts";
import type { UsdtArg } from "../../elf/usdt_args.ts";
import { MAX_BINARY_BYTES } from "../../runtime/files.ts";
import { verbose } from "../../runtime/verbose.ts";
import { notElf, readUserFile, userFile, type UserFile } from "../../probes/user_binary.ts";
import { ProbeLookupError } from "../../spec/target.ts";
import { CliError } from "../errors.ts";
import { matcher } from "./probe_pattern.ts";

/**
 * The file a uprobe or USDT probe names, found as attaching finds it (probes/user_binary.ts): a
 * path, a library ("libz", "libc.so.6": with a pid, the one that process has mapped first, then
 * /etc/ld.so.cache) or a program on PATH. So what is listed or expanded is what is attached.
 */
export function resolveBinary(name: string, pid?: number): UserFile {
  try {
    return userFile(name, pid);
  } catch (e) {
    if (e instanceof ProbeLookupError) throw new CliError([e.message, ...e.hints].join("; "));
    throw e;
  }
}

/** Read as attaching reads it: with a pid, looked up inside that process's root. */
function readElf(file: UserFile): Elf {
  const bytes = readUserFile(file, MAX_BINARY_BYTES, true);
  if (!bytes) throw new CliError(`No such file: ${file.path}`);
  try {
    return Elf.parse(bytes);
  } catch (e) {
    if (e instanceof ElfError) throw new CliError(notElf(file.display, bytes, e));
    throw e;
  }
}

/**
 * Function symbols (FUNC and IFUNC, defined) matching `pattern`, sorted, without duplicates. With
 * `attachable`, the IFUNCs are left out (a uprobe on one traces only the implementation the loader
 * chose) unless they are all that matched, whose attach error then says so.
 */
export function uprobeNames(file: UserFile, pattern: string, attachable = false): string[] {
  const syms = readElf(file).symbols().match(pattern).filter((s) => (s.type === "func" || s.type === "ifunc") && s.value !== 0);
  const funcs = attachable ? syms.filter((s) => s.type === "func") : syms;
  if (funcs.length < syms.length) verbose(`uprobe ${file.display}:${pattern}: ${syms.length - funcs.length} IFUNCs left out (a uprobe on one traces only the implementation the loader chose)`);
  return [...new Set((funcs.length ? funcs : syms).map((s) => s.name))].sort();
}

export interface UsdtListing {
  name: string;
  args: string[];
}

/** USDT probes as "provider:name" matching `pattern`, with their decoded arguments. */
export function usdtListing(file: UserFile, pattern: string): UsdtListing[] {
  const test = matcher(pattern);
  const out = new Map<string, UsdtListing>();
  for (const p of usdtProbes(readElf(file))) {
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
