// The maps a tracer's fields declare with arguments their constructors refused, and that the
// compiler could not see (a size computed when the script runs): refused before anything is loaded,
// at the field's place in the script.
import { TracerError } from "../runtime/errors.ts";
import { refusedArguments } from "../runtime/maps/refused_arguments.ts";

/** Throws for the first of `fields` whose constructor arguments were refused. */
export function checkMapArguments(fields: Map<string, object>, className: string, file: string | undefined, source: string | undefined): void {
  for (const [name, field] of fields) {
    const refused = refusedArguments(field);
    if (!refused) continue;
    const at = file && source !== undefined ? fieldPlace(source, className, name) : undefined;
    throw new TracerError(`${at ? `${file}:${at}: ` : ""}${className}.${name}: ${refused.message}`);
  }
}

/** `line:col` of `name = ...` (`name = new ...` unless `anyValue`) in the class `className` of `source` (the first class of that name). */
export function fieldPlace(source: string, className: string, name: string, anyValue = false): string | undefined {
  const start = Math.max(0, source.search(new RegExp(`\\bclass\\s+${literal(className)}(?![\\w$])`)));
  const m = new RegExp(`(^|[\\s;{])(${literal(name)}\\s*(?::[^=;]*)?=${anyValue ? "[^=>]" : "\\s*new\\b"})`).exec(source.slice(start));
  if (!m) return undefined;
  const offset = start + m.index + m[1].length;
  const before = source.slice(0, offset);
  return `${before.split("\n").length}:${offset - before.lastIndexOf("\n")}`;
}

/** `name` matched as itself in a RegExp (an identifier may hold `$`). */
function literal(name: string): string {
  return name.replace(/[$.*+?^(){}[\]|\\]/g, "\\$&");
}
