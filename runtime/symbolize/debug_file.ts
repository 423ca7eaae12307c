/**
 * Separate debug files: distributions strip .symtab from their libraries and ship it apart
 * (Debian's libc6-dbg, *-dbgsym packages, Fedora's debuginfo). Without it, libc's local
 * functions (`__libc_start_call_main`) have no name, and a stack through them shows bare
 * addresses where bpftrace, which looks for these files too, shows names.
 *
 * Looked for as gdb does: by build ID under /usr/lib/debug/.build-id/, then by the name in
 * .gnu_debuglink next to the file, in its .debug/ directory, and under /usr/lib/debug. Each
 * path first inside the process's root (a container's own debug packages; its links lead where
 * they lead the process, not to the host's files: files.ts openInRoot), then on the host;
 * a candidate is taken only if its build ID matches, so a stale or foreign file never names
 * anything. The names are the process's to choose, and the directories on the way may be its
 * owner's (a library in their home, its .debug/ a link): each candidate is opened with the
 * rights of the process's owner (user_rights.ts), so root's tracer reads no file there that the
 * owner could not.
 */
import { Elf } from "../../elf/mod.ts";
import { type FileLookup, mapFile } from "./mapped_file.ts";
import { asProcess, type ProcessRef } from "../process_files.ts";
import { openRegular } from "../files.ts";

const DEBUG_ROOT = "/usr/lib/debug";

/**
 * The debug file of `elf`, which `process` sees at `path`, looked for inside its root and with
 * its user's rights (undefined: it has gone), or undefined when `elf` has its own .symtab or no
 * debug file is found. Every candidate is looked for with the one root and rights read once
 * (process_files.ts asProcess), for a file the cost of reading them for each would double.
 */
export function findDebugFile(elf: Elf, path: string, process: ProcessRef | undefined): Elf | undefined {
  const buildId = elf.buildId();
  // Without a build ID to compare, no candidate could vouch for itself: none is opened.
  if (elf.section(".symtab") || buildId === undefined) return undefined;
  const search = (root: number | undefined) => {
    const host: FileLookup = { open: (p) => openRegular(p, false) };
    const lookups = root === undefined ? [host] : [{ open: (p: string) => openRegular(p, false, root) }, host];
    for (const candidate of candidates(elf, path, buildId)) {
      for (const lookup of lookups) {
        const debug = open(candidate, lookup, buildId);
        if (debug) return debug;
      }
    }
    return undefined;
  };
  const found = process ? asProcess(process, search) : asProcess(undefined, search, true);
  return typeof found === "number" ? undefined : found;
}

function candidates(elf: Elf, path: string, buildId: string): string[] {
  const out: string[] = [];
  if (buildId.length > 2) out.push(`${DEBUG_ROOT}/.build-id/${buildId.slice(0, 2)}/${buildId.slice(2)}.debug`);
  const link = debugLink(elf);
  if (link) {
    const dir = path.slice(0, path.lastIndexOf("/"));
    if (`${dir}/${link}` !== path) out.push(`${dir}/${link}`);
    out.push(`${dir}/.debug/${link}`, `${DEBUG_ROOT}${dir}/${link}`);
  }
  return out;
}

/** The file name in .gnu_debuglink (NUL-terminated, then padding and a CRC we do not check). */
function debugLink(elf: Elf): string | undefined {
  const section = elf.section(".gnu_debuglink");
  if (!section) return undefined;
  const data = elf.sectionData(section);
  const nul = data.indexOf(0);
  const name = new TextDecoder().decode(data.subarray(0, nul < 0 ? data.length : nul));
  return name && !name.includes("/") ? name : undefined;
}

/** The debug file at `path` if its build ID is `buildId`: the names of another file are not read (a candidate's name is the traced process's to choose). */
function open(path: string, lookup: FileLookup, buildId: string): Elf | undefined {
  const bytes = mapFile(path, lookup);
  if (!bytes) return undefined;
  try {
    const elf = Elf.parse(bytes);
    if (elf.buildId() !== buildId) return undefined;
    elf.symbols();
    return elf;
  } catch {
    return undefined;
  }
}
