// openPinned(NAME): the maps tsbpf pinned as NAME (a map declared `{ pin }`, or every map of a
// tracer started with a pin), opened in this process as the classes their tracer declared them
// with, without loading any program: a dashboard reading what a pinned tracer counts.
import { libc } from "./ffi/mod.ts";
import type { OwnedFd } from "./fd.ts";
import { TracerError } from "./errors.ts";
import type { KernelMap } from "./maps/kernel_map.ts";
import type { PinRecord } from "./pin_meta.ts";

/** The maps a tracer pinned (openPinned()), read from another process. */
export interface PinnedMaps {
  /** Who pinned them and when, and each map's layout. */
  readonly record: PinRecord;
  /** By field name (a one-liner's @name is the field $name): Count, Histogram, HashMap, ... */
  // deno-lint-ignore no-explicit-any
  readonly maps: Record<string, KernelMap<any, any>>;
  /** Closes this process's references; the pins keep the maps. */
  close(): void;
}

/**
 * Opens the maps pinned as `name` (see `tsbpf pinned`), each checked as a pin root made.
 *
 * ```ts
 * const pinned = await openPinned("opens");
 * pinned.maps.byComm.print();
 * pinned.close();
 * ```
 */
export async function openPinned(name: string): Promise<PinnedMaps> {
  await libc();
  // Loaded here, not with "tsbpf": a tracer's start has no use for them.
  const [{ pinnedField }, { checkedPin, pinDir }, { MAP_FILE, openPinnedMap, readMeta }] = await Promise.all([
    import("./maps/pinned_field.ts"), import("./pin_dir.ts"), import("./pin_meta.ts"),
  ]);
  const dir = pinDir(name, false);
  if (!dir) throw new TracerError(`Nothing is pinned as "${name}" (see: tsbpf pinned)`);
  const record = readMeta(dir.path);
  const fds: OwnedFd[] = [];
  // deno-lint-ignore no-explicit-any
  const maps: Record<string, KernelMap<any, any>> = Object.create(null);
  try {
    for (const m of record.maps) {
      if (m.spec.name.startsWith("__")) continue; // tsbpf's own (lost events, parameters)
      const own = m.pin === undefined ? dir : pinDir(m.pin, false);
      if (!own) throw new TracerError(`${m.spec.name} of "${name}" was pinned as "${m.pin}", which is gone`);
      const fd = openPinnedMap(checkedPin(own.path, m.file ?? MAP_FILE), `pinned map ${m.spec.name}`);
      fds.push(fd);
      const field = pinnedField(m.spec, m.maxEntries, fd.fd);
      if (field) maps[m.spec.name] = field;
    }
  } catch (e) {
    for (const fd of fds) fd.close();
    throw e;
  }
  return {
    record, maps,
    close() {
      for (const f of Object.values(maps)) f.unbind();
      for (const fd of fds.splice(0)) fd.close();
    },
  };
}
