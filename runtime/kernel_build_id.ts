// The running kernel's build ID (the GNU build-id note of vmlinux, from /sys/kernel/notes): what
// tells two builds apart that print the same `uname -r` and `uname -v`, as reproducible builds do
// (a build timestamp of "@0", a config edited and built again under the same release). The
// kernel's BTF and its tracepoints' formats are part of that build.
import { readFileBytes } from "./files.ts";

const NT_GNU_BUILD_ID = 3;

/** The build ID in hex; "" where the kernel has none or /sys/kernel/notes cannot be read. */
export function kernelBuildId(): string {
  try {
    return buildIdOf(readFileBytes("/sys/kernel/notes", 4096) ?? new Uint8Array());
  } catch {
    return "";
  }
}

/**
 * The desc of the "GNU" note of type NT_GNU_BUILD_ID in an ELF note section, in hex. Plain byte
 * reads and a string built by a loop: a DataView or Array.from here cost Bun's warm start
 * 128-512 KB of peak memory (the first of each in the process).
 */
export function buildIdOf(notes: Uint8Array): string {
  const u32 = (at: number) => (notes[at] | notes[at + 1] << 8 | notes[at + 2] << 16 | notes[at + 3] << 24) >>> 0;
  const pad = (n: number) => (n + 3) & ~3;
  for (let at = 0; at + 12 <= notes.length;) {
    const nameSize = u32(at), descSize = u32(at + 4), type = u32(at + 8);
    if (nameSize > notes.length || descSize > notes.length) break; // and pad() stays in 32 bits
    const name = at + 12, desc = name + pad(nameSize), next = desc + pad(descSize);
    if (next > notes.length) break;
    const gnu = nameSize === 4 && notes[name] === 0x47 && notes[name + 1] === 0x4e && notes[name + 2] === 0x55 && notes[name + 3] === 0;
    if (gnu && type === NT_GNU_BUILD_ID) {
      let hex = "";
      for (let i = desc; i < desc + descSize; i++) hex += (notes[i] < 16 ? "0" : "") + notes[i].toString(16);
      return hex;
    }
    at = next;
  }
  return "";
}
