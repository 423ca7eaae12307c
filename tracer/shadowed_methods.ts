// A tracer's field named as one of Tracer's methods (`start = new HashMap()`, bpftrace's @start)
// replaces the method on the instance: `await new T().start()` then fails with "start is not a
// function", which says nothing of why. The fields are set after Tracer's own construction, in the
// same synchronous run as that call, so the check runs in the first microtask after them: before
// the runtime reports that TypeError.
import { libcSync } from "../runtime/ffi/mod.ts";
import { readTextFile } from "../runtime/files.ts";
import { printableLines } from "../runtime/output.ts";
import { handlersOf } from "../probes/decorators.ts";
import { fieldPlace } from "./field_place.ts";

/** The names of `base`'s methods an own property of `tracer` hides. */
function hiddenMethods(tracer: object, base: object): string[] {
  return Object.getOwnPropertyNames(tracer).filter((name) => {
    const method = Object.getOwnPropertyDescriptor(base, name);
    return name !== "constructor" && typeof method?.value === "function" && typeof (tracer as Record<string, unknown>)[name] !== "function";
  });
}

/**
 * After the fields of `tracer` are set: a field hiding one of Tracer's methods ends the process with
 * where and what to rename. Tracer's prototype is the last before Object's (naming Tracer in its own
 * class body would make the bundle rename the class).
 */
export function checkShadowedMethods(tracer: object): void {
  queueMicrotask(() => {
    let base = Object.getPrototypeOf(tracer);
    while (Object.getPrototypeOf(base) !== Object.prototype) base = Object.getPrototypeOf(base);
    const hidden = hiddenMethods(tracer, base);
    if (!hidden.length) return;
    const className = tracer.constructor.name;
    const file = handlersOf(tracer as never)[0]?.file;
    let source: string | undefined;
    try {
      source = file ? readTextFile(file) : undefined;
    } catch {
      source = undefined;
    }
    for (const name of hidden) {
      const at = file && source !== undefined ? fieldPlace(source, className, name, true) : undefined;
      console.error(printableLines(`${at ? `${file}:${at}: ` : ""}${className}.${name}: a field named "${name}" hides the tracer's ${name}() method; rename the field (e.g. "${name}s" or "${name}Times")`));
    }
    libcSync().process.exit(1);
  });
}
