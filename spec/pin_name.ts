// A pin name: what `{ pin: "name" }`, start({ pin }), --pin and `tsbpf pinned` take. It becomes a
// directory name under /sys/fs/bpf/tsbpf, so it can name nothing else: no "/", no "..", and
// no "." at all (bpffs refuses names with dots: EPERM). The compiler checks a name it can see,
// the runtime every name before it is used.

export const PIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;

/** Whether `name` may be a pin name. */
export function isPinName(name: unknown): name is string {
  return typeof name === "string" && PIN_NAME.test(name) && !name.includes("..");
}

/** Why `name` is refused, for an error message. */
export function pinNameProblem(name: unknown): string {
  return `"${String(name)}" is not a pin name: use letters, digits, "_" and "-" (no "/", "." or ".."), at most 64 characters`;
}
