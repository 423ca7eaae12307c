// A pin name: what `{ pin: "name" }`, start({ pin }), --pin and `tsbpf pinned` take. It becomes a
// directory name under /sys/fs/bpf/tsbpf, so it can name nothing else: no "/", no "..", and
// no "." at all (bpffs refuses names with dots: EPERM).
import { TracerError } from "./errors.ts";

export const PIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;

export function checkPinName(name: string, where = "pin"): string {
  if (typeof name !== "string" || !PIN_NAME.test(name) || name.includes("..")) {
    throw new TracerError(`${where}: "${name}" is not a pin name: use letters, digits, "_" and "-" (no "/", "." or ".."), at most 64 characters`);
  }
  return name;
}
