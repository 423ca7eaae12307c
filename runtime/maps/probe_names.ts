// probe()'s values: in the kernel a number (spec.ts probeId: the handler and which of its
// targets), in JavaScript the probe's name. The table is filled as the tracer attaches.
const names = new Map<bigint, string>();
const ids = new Map<string, bigint>();

/**
 * @internal Set by the loader for each attached target. One table for the process: tracers
 * running at the same time share it (a later tracer's names win where their ids meet).
 */
export function setProbeName(id: bigint, name: string): void {
  names.set(id, name);
  ids.set(name, id);
}

/** The name of a probe() value ("kprobe:tcp_connect"); an unknown one as "probe#<id>". */
export function decodeProbeName(id: bigint): string {
  return names.get(id) ?? `probe#${id}`;
}

/** A probe's name (or its id) as the number the kernel stores, for map keys looked up from JavaScript. */
export function encodeProbeName(name: unknown): bigint {
  if (typeof name === "bigint") return name;
  if (typeof name === "number") return BigInt(name);
  const s = String(name);
  const id = ids.get(s) ?? (/^probe#(\d+)$/.exec(s) ? BigInt(s.slice(6)) : undefined);
  if (id === undefined) throw new TypeError(`"${s}" is not the name of an attached probe (probe() values are names like "kprobe:tcp_connect")`);
  return id;
}
