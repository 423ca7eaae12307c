// The maps a tracer's fields declare with arguments their constructors refused, and that the
// compiler could not see (a size computed when the script runs): refused before anything is loaded,
// at the field's place in the script.
import { TracerError } from "../runtime/errors.ts";
import { refusedArguments } from "../runtime/maps/refused_arguments.ts";
import { fieldPlace } from "./field_place.ts";

/** Throws for the first of `fields` whose constructor arguments were refused. */
export function checkMapArguments(fields: Map<string, object>, className: string, file: string | undefined, source: string | undefined): void {
  for (const [name, field] of fields) {
    const refused = refusedArguments(field);
    if (!refused) continue;
    const at = file && source !== undefined ? fieldPlace(source, className, name) : undefined;
    throw new TracerError(`${at ? `${file}:${at}: ` : ""}${className}.${name}: ${refused.message}`);
  }
}
