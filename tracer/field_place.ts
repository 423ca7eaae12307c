// Where a tracer class declares a field, found in the script's text: for errors about a field
// that only the running script shows (a map's size computed at run time, a field hiding a method).

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
