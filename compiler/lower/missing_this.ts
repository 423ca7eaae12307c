// A tracer's member written without `this.` in a handler (`lat.add(...)` for `this.lat.add(...)`):
// a plain name in a handler is a local, a top-level const or function, or a helper, so such a
// name is unknown. The error names it as the tracer's instead of offering a near name.
import type { Lower } from "./context.ts";

/** " it is a map of T; in a handler it is this.lat", or "" when `name` is no member of the tracer. */
export function missingThis(l: Lower, name: string): string {
  const tracer = l.input.tracer;
  const kind = tracer.maps.has(name) || tracer.refusedMaps.has(name) ? "map" : tracer.params.has(name) ? "field" : tracer.methods.has(name) ? "method" : undefined;
  if (!kind) return "";
  return `: it is a ${kind} of ${tracer.name}; in a handler it is this.${name}${kind === "method" ? "()" : ""}`;
}
