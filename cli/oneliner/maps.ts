// The maps a one-liner uses without declaring them: `count(comm())` is the anonymous map @,
// `$.bytes = hist(n)` the map @bytes. Each becomes a field of the generated tracer, its class
// and key type taken from its first use; a later use that disagrees is an error at that use.
import type { Node } from "../../compiler/parse.ts";

/** Aggregating actions and the tsbpf class each becomes. */
export const AGGREGATIONS: Record<string, string> = {
  count: "Count", sum: "Sum", min: "Min", max: "Max", avg: "Avg", stats: "Stats", hist: "Histogram", lhist: "LinearHistogram",
};

export interface MapUse {
  /** "" for the anonymous map. */
  name: string;
  /** An aggregation (count, hist, ...) or "value" for a map assigned plain values. */
  kind: string;
  /** The key's TS type, undefined when the map has no key. */
  keyType?: string;
  /** A value map's value type. */
  valueType?: string;
  /** lhist's min, max, step as written. */
  linear?: string;
  node: Node;
}

export interface MapDecl extends MapUse {
  /** The tracer field: `$` + name. */
  field: string;
}

export class MapRegistry {
  readonly #maps = new Map<string, MapDecl>();

  /** Registers a use; returns an error message when it disagrees with an earlier one. */
  use(u: MapUse): string | undefined {
    const known = this.#maps.get(u.name);
    const label = `@${u.name}`;
    // The maps reach user space as properties of $: a name JavaScript gives a meaning of its own would vanish.
    if (u.name === "__proto__") return `${label} cannot be a map's name (JavaScript reserves it); choose another`;
    if (!known) {
      this.#maps.set(u.name, { ...u, field: fieldName(u.name) });
      return undefined;
    }
    if (known.kind === "value" && known.valueType === undefined) known.valueType = u.valueType;
    if (known.kind !== u.kind) return `${label} is already a ${describe(known.kind)} map; this uses it as a ${describe(u.kind)} map`;
    if ((known.keyType === undefined) !== (u.keyType === undefined)) {
      return `${label} is used ${known.keyType === undefined ? "without" : "with"} a key elsewhere; use it the same way everywhere`;
    }
    if (known.linear !== u.linear) return `${label} is an lhist with other bounds elsewhere (${known.linear})`;
    // Key types may differ in string lengths or integer widths; the first use decides the layout.
    return undefined;
  }

  get(name: string): MapDecl | undefined {
    return this.#maps.get(name);
  }

  all(): MapDecl[] {
    return [...this.#maps.values()];
  }
}

export function fieldName(name: string): string {
  return `$${name}`;
}

function describe(kind: string): string {
  return kind === "value" ? "plain value" : `${kind}()`;
}

/** The field declaration of a map, e.g. `$bytes = new Histogram<u32>();`. */
export function mapFieldDeclaration(m: MapDecl): string {
  if (m.kind === "value") return `${m.field} = new HashMap<${m.keyType ?? "u8"}, ${m.valueType ?? "i64"}>();`;
  const cls = AGGREGATIONS[m.kind];
  const typeArg = m.keyType ? `<${m.keyType}>` : "";
  return `${m.field} = new ${cls}${typeArg}(${m.linear ?? ""});`;
}

/** A map as a one-liner writes it: its name ("" for @) and key. */
export interface MapRef {
  name: string;
  key?: Node;
}

/** `$.name`, `$.name[key]` or `$[key]`. */
export function mapRef(node: Node): MapRef | undefined {
  if (node?.type !== "MemberExpression") return undefined;
  const o = node.object;
  if (o.type === "Identifier" && o.name === "$") {
    return node.computed ? { name: "", key: node.property } : { name: node.property.name };
  }
  if (node.computed && o.type === "MemberExpression" && !o.computed && o.object.type === "Identifier" && o.object.name === "$") {
    return { name: o.property.name, key: node.property };
  }
  return undefined;
}
