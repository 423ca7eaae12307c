// `tsbpf pinned show`: a pinned map printed as its tracer would print it, from the layout its
// record keeps: aggregations as bpftrace prints them (through the same classes), hash and array
// maps as `@name[key]: value` lines (in JSON mode, one {"type": "map"} record).
import { Aggregation } from "../../runtime/maps/aggregations.ts";
import { pinnedField } from "../../runtime/maps/pinned_field.ts";
import { formatKey, mapLabel } from "../../runtime/maps/print.ts";
import { isJsonOutput, jsonRecord } from "../../runtime/output.ts";
import type { PinnedMapRecord } from "../../runtime/pin_meta.ts";

/** A one-liner's map field (`$` + name) as its name after the `@`, or undefined for any other tracer's field. */
function oneLinerMapName(field: string, tracer: string | undefined): string | undefined {
  return tracer === "OneLiner" && field.startsWith("$") ? field.slice(1) : undefined;
}

/** A map's name as its tracer's author wrote it: a one-liner's maps are fields `$` + name, written `@` + name. */
export function shownMapName(name: string, tracer: string | undefined): string {
  const atName = oneLinerMapName(name, tracer);
  return atName === undefined ? name : `@${atName}`;
}

/** `tracer`: the class that pinned it. */
export function printPinnedMap(m: PinnedMapRecord, fd: number, tracer: string): void {
  const atName = oneLinerMapName(m.spec.name, tracer);
  const spec = atName === undefined ? m.spec : { ...m.spec, name: atName };
  const field = pinnedField(spec, m.maxEntries, fd);
  if (!field) return console.error(`tsbpf: ${spec.name}: a ${spec.kind} map is not printed`);
  if (field instanceof Aggregation) return field.print();
  const rows = (field as unknown as { entries(): [unknown, unknown][] }).entries();
  if (isJsonOutput()) {
    console.log(jsonRecord("map", { [`@${spec.name}`]: Object.fromEntries(rows.map(([k, v]) => [formatKey(k, true), v])) }));
    return;
  }
  for (const [k, v] of rows) console.log(`${mapLabel(spec.name, k, true)}: ${Array.isArray(v) ? v.map((x) => formatKey(x)).join(" ") : formatKey(v)}`);
}
