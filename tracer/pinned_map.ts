// A map field declared `{ pin: NAME }`: the first tracer creates it and pins it as
// /sys/fs/bpf/tsbpf/NAME/map with its record (pin_meta.ts); every later one reopens it, but only
// when it holds what the tracer declares: the same kind, key and value types and entries (the
// recorded layout), and the kernel's own view of it (map type, key and value sizes, entries,
// flags) equal to the map this tracer would have created. Anything else is an error naming both
// layouts, never a silent reuse.
import type { MapSpec } from "../spec/tracer_spec.ts";
import { type MapInfo, mapInfo, objPin } from "../runtime/bpf.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { TracerError } from "../runtime/errors.ts";
import { checkedPin, pinDir, removePins } from "../runtime/pin_dir.ts";
import { layoutFingerprint, layoutText, MAP_FILE, META_FILE, openPinnedMap, type PinnedMapRecord, readMeta, writeMeta } from "../runtime/pin_meta.ts";
import { libcSync } from "../runtime/ffi/mod.ts";
import { lstat } from "../runtime/file_stat.ts";

/** The record of a map as this tracer declares it. */
export function mapRecord(spec: MapSpec, maxEntries: number, place: { file?: string; pin?: string }): PinnedMapRecord {
  return { ...place, spec, maxEntries, fingerprint: layoutFingerprint(spec, maxEntries) };
}

/** The map pinned as `pin`, reused or created by `create()`; `owner`: Class (and file) declaring it. */
export function pinnedMap(spec: MapSpec, pin: string, maxEntries: number, owner: { className: string; file: string }, create: () => OwnedFd): OwnedFd {
  const dir = pinDir(pin, true)!;
  const want = mapRecord(spec, maxEntries, { file: MAP_FILE });
  if (dir.fresh) {
    const fd = create();
    try {
      writeMeta(dir.path, { kind: "map", created: new Date().toISOString(), tracer: owner.className, file: owner.file, pid: libcSync().getpid(), maps: [want], programs: [] });
      objPin(fd.fd, `${dir.path}/${MAP_FILE}`);
    } catch (e) {
      fd.close();
      removePins(dir.path, [META_FILE, MAP_FILE]);
      throw e;
    }
    return fd;
  }
  if (lstat(`${dir.path}/${META_FILE}`) === -2) throw new TracerError(`Pin "${pin}" (${dir.path}) is incomplete (its maker failed or is still making it): remove it with sudo tsbpf pinned rm ${pin}`);
  const record = readMeta(dir.path);
  const mine = `${owner.className}.${spec.name}: ${layoutText(spec, maxEntries)}`;
  if (record.kind !== "map") throw new TracerError(`Cannot pin ${mine} as "${pin}": that name holds the pinned tracer ${record.tracer} (${record.file}); choose another name`);
  const theirs = record.maps[0];
  const mismatch = (why: string) =>
    new TracerError(
      `Pinned map "${pin}" (${dir.path}) has another layout than ${owner.className}.${spec.name} declares (${why}):\n` +
        `  pinned by ${record.tracer} (${record.file}) at ${record.created}: ${theirs ? layoutText(theirs.spec, theirs.maxEntries) : "nothing"} [${theirs?.fingerprint}]\n` +
        `  ${mine} [${want.fingerprint}]\n` +
        `Declare it as it was pinned, pin under another name, or remove the old one: sudo tsbpf pinned rm ${pin}`,
    );
  if (!theirs || theirs.fingerprint !== want.fingerprint || layoutKey(theirs) !== layoutKey(want)) throw mismatch("its recorded layout differs");
  const fd = openPinnedMap(checkedPin(dir.path, MAP_FILE), `map ${spec.name}`);
  try {
    const fresh = create();
    let mine: MapInfo, pinned: MapInfo;
    try {
      mine = mapInfo(fresh.fd);
      pinned = mapInfo(fd.fd);
    } finally {
      fresh.close();
    }
    for (const k of ["type", "keySize", "valueSize", "maxEntries", "flags"] as const) {
      if (mine[k] !== pinned[k]) throw mismatch(`the kernel map's ${k} is ${pinned[k]}, this tracer's would be ${mine[k]}`);
    }
  } catch (e) {
    fd.close();
    throw e;
  }
  return fd;
}

/** What must be equal for reuse, as text: kind, types and entries (not the field's name or docs). */
function layoutKey(r: PinnedMapRecord): string {
  const s = r.spec;
  return JSON.stringify([s.kind, s.key ?? null, s.value ?? null, s.userKey ?? null, s.linear ?? null, r.maxEntries]);
}
