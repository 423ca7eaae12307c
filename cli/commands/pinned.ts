// `tsbpf pinned`: what tsbpf pinned in /sys/fs/bpf/tsbpf (maps declared `{ pin }`, tracers
// started with --pin or start({ pin })), since when, by whom, with their program, link and map
// ids; `pinned show NAME` prints the pinned maps as the tracer would; `pinned rm NAME` unpins
// (the kernel frees each object when its last reference goes).
import { parseCommand } from "../args.ts";
import { CliError, UsageError } from "../errors.ts";
import { PINNED_HELP } from "../help.ts";
import { linkInfo, mapInfo, objGet } from "../../runtime/bpf.ts";
import { readlink } from "../../runtime/file_stat.ts";
import { checkedPin, pinDir, pinDirEntries, pinNames, removePins } from "../../runtime/pin_dir.ts";
import { checkPinName } from "../../runtime/pin_name.ts";
import { layoutText, MAP_FILE, META_FILE, openPinnedMap, type PinnedMapRecord, type PinRecord, pinFiles, readMeta } from "../../runtime/pin_meta.ts";
import { isJsonOutput, jsonRecord, printable, setJsonOutput } from "../../runtime/output.ts";
import { printPinnedMap, shownMapName } from "./pinned_print.ts";
import { lstat } from "../../runtime/file_stat.ts";
import { TracerError } from "../../runtime/errors.ts";

export function pinnedCommand(args: string[], json: boolean): number {
  const { values, positionals } = parseCommand(args, { json: { type: "boolean" }, help: { type: "boolean", short: "h" } }, "pinned");
  if (values.help) return (console.log(PINNED_HELP), 0);
  if (json || values.json) setJsonOutput(true);
  const [action, name, ...extra] = positionals;
  if (extra.length) throw new UsageError(`unexpected "${extra[0]}"`, "pinned");
  try {
    if (action === undefined) return list();
    if (action !== "show" && action !== "rm") throw new UsageError(`unknown action "${action}": use show NAME or rm NAME`, "pinned");
    if (name === undefined) throw new UsageError(`${action} needs the pin's NAME (see: tsbpf pinned)`, "pinned");
    checkPinName(name, `pinned ${action}`);
    const dir = pinDir(name, false);
    if (!dir) throw new CliError(`Nothing is pinned as "${name}" (see: tsbpf pinned)`);
    if (action === "rm") return remove(name, dir.path);
    show(dir.path);
    return 0;
  } catch (e) {
    if (e instanceof TracerError) throw new CliError(e.message);
    throw e;
  }
}

function list(): number {
  const names = pinNames();
  if (!names.length && !isJsonOutput()) console.error("tsbpf: nothing pinned (in /sys/fs/bpf/tsbpf)");
  for (const name of names) {
    const dir = pinDir(name, false)!.path;
    let r: PinRecord;
    try {
      r = readMeta(dir);
    } catch (e) {
      if (isJsonOutput()) console.log(jsonRecord("pinned", { name, kind: "unreadable", error: (e as Error).message }));
      else console.log(`${name}: unreadable (${(e as Error).message}); remove it with: sudo tsbpf pinned rm ${name}`);
      continue;
    }
    const programs = r.programs.map((p) => {
      const links = p.links.map((l) => linkIds(dir, l));
      return { handler: p.handler, probe: p.probe, prog_id: links[0]?.progId, link_ids: links.map((l) => l.id) };
    });
    const maps = r.maps.map((m) => ({ name: shownMapName(m.spec.name, r.tracer), layout: layoutText(m.spec, m.maxEntries), fingerprint: m.fingerprint, pin: m.pin, map_id: mapId(dir, m) }));
    if (isJsonOutput()) {
      console.log(jsonRecord("pinned", { name, kind: r.kind, created: r.created, tracer: r.tracer, file: r.file, pid: r.pid, programs, maps }));
      continue;
    }
    // The script's path may hold any character its directory's owner chose.
    console.log(printable(`${name}: ${r.kind === "map" ? "a map" : "a tracer"} pinned ${r.created} by ${r.tracer} (${r.file}, pid ${r.pid})`));
    for (const p of programs) console.log(`  handler ${p.handler}  ${p.probe}  prog ${p.prog_id ?? "?"}  link ${p.link_ids.join(",")}`);
    for (const m of maps) if (!m.name.startsWith("__")) console.log(`  map ${m.name}: ${m.layout}  map ${m.map_id ?? "?"}${m.pin ? `  (pinned as ${m.pin})` : ""}`);
  }
  return 0;
}

/** The pinned map of a record: in this directory, or under its own pin name. */
function openRecordMap(dir: string, m: PinnedMapRecord) {
  if (m.file) return openPinnedMap(checkedPin(dir, m.file), `map ${m.spec.name}`);
  const own = pinDir(m.pin!, false);
  if (!own) throw new CliError(`map ${m.spec.name} was pinned as "${m.pin}", which is gone`);
  return openPinnedMap(checkedPin(own.path, MAP_FILE), `map ${m.spec.name}`);
}

function mapId(dir: string, m: PinnedMapRecord): number | undefined {
  try {
    const fd = openRecordMap(dir, m);
    try {
      return mapInfo(fd.fd).id;
    } finally {
      fd.close();
    }
  } catch {
    return undefined;
  }
}

function linkIds(dir: string, file: string): { id?: number; progId?: number } {
  const fd = objGet(checkedPin(dir, file), "link");
  try {
    if (readlink(`/proc/self/fd/${fd.fd}`) !== "anon_inode:bpf-link") throw new CliError(`${dir}/${file} is not a BPF link`);
    return linkInfo(fd.fd);
  } finally {
    fd.close();
  }
}

function show(dir: string): void {
  const r = readMeta(dir);
  for (const m of r.maps) {
    if (m.spec.name.startsWith("__")) continue; // tsbpf's own maps (lost events, parameters)
    const fd = openRecordMap(dir, m);
    try {
      printPinnedMap(m, fd.fd, r.tracer);
    } finally {
      fd.close();
    }
  }
}

function remove(name: string, dir: string): number {
  // No record (its maker failed half-way): whatever pins are there, each checked as root's.
  const record = lstat(`${dir}/${META_FILE}`) === -2 ? undefined : readMeta(dir);
  const files = record ? pinFiles(record) : pinDirEntries(dir).filter((f) => (checkedPin(dir, f), true));
  removePins(dir, [...files, META_FILE]);
  reportRemoved(name, dir, record, files);
  return 0;
}

/** Says what `pinned rm` removed: the pin, who pinned it, its handlers and maps. */
function reportRemoved(name: string, dir: string, r: PinRecord | undefined, files: string[]): void {
  const maps = r?.maps.filter((m) => !m.spec.name.startsWith("__")).map((m) => shownMapName(m.spec.name, r.tracer)) ?? [];
  const handlers = r?.programs.map((p) => `${p.handler} (${p.probe})`) ?? [];
  if (isJsonOutput()) {
    console.log(jsonRecord("unpinned", { name, path: dir, kind: r?.kind ?? "unrecorded", tracer: r?.tracer, handlers: r?.programs.map((p) => ({ handler: p.handler, probe: p.probe })) ?? [], maps, pins: files.length }));
    return;
  }
  const what = r
    ? [`${r.kind === "map" ? "a map" : "a tracer"} pinned ${r.created} by ${r.tracer} (${r.file}, pid ${r.pid})`,
      ...(handlers.length ? [`handler${handlers.length > 1 ? "s" : ""} ${handlers.join(", ")}`] : []),
      ...(maps.length ? [`map${maps.length > 1 ? "s" : ""} ${maps.join(", ")}`] : [])].join("; ")
    : `${files.length} pin${files.length === 1 ? "" : "s"} with no record of what made them`;
  // The kernel frees the objects once no process holds them either (a running tracer keeps its own).
  console.log(printable(`Unpinned ${name} (${dir}): ${what}`));
}
