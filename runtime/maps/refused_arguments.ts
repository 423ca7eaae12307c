// A map's constructor arguments it cannot take are kept with the map, not thrown from its
// constructor: a map is a field of a tracer class, made inside `new T()`, and a throw there would
// come before the compiler, whose error says where in the script and what to do. The tracer's
// start() runs the compiler first, then refuses a map still holding one of these (a size only the
// running script knows).
import { atCaller } from "./at_caller.ts";

const refused = new WeakMap<object, Error>();

/** Keeps `error` (the first one) for `map`, its stack starting where `ctor` (`new.target`) was called. */
export function refuseArguments(map: object, error: Error, ctor: unknown): void {
  if (!refused.has(map)) refused.set(map, atCaller(error, ctor));
}

/** Why `map`'s constructor arguments were refused, or undefined. */
export function refusedArguments(map: object): Error | undefined {
  return refused.get(map);
}
