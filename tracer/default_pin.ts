// The pin name of the tsbpf command's --pin: the first tracer the script starts is pinned under
// it, a later one under NAME-Class (names must differ). On globalThis so a second copy of
// tsbpf's modules sees it.
const DEFAULT_PIN = Symbol.for("tsbpf.pin");
const state = globalThis as Record<symbol, { name: string; used: boolean } | undefined>;

export function setDefaultPin(name: string | undefined): void {
  state[DEFAULT_PIN] = name === undefined ? undefined : { name, used: false };
}

/** The pin name for the next tracer started without start({ pin }), or undefined. */
export function takeDefaultPin(className: string): string | undefined {
  const pin = state[DEFAULT_PIN];
  if (!pin) return undefined;
  const name = pin.used ? `${pin.name}-${className}` : pin.name;
  pin.used = true;
  return name;
}
