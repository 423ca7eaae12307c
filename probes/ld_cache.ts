// /etc/ld.so.cache: the dynamic loader's index of shared libraries (soname → path), written by
// ldconfig. Reading it finds "libc" the way the loader would, without a search of every
// library directory. Only the "new" format (glibc 2.32+ writes only this one; older ones put it
// after the legacy "ld.so-1.7.0" table) is read.

export interface LdCacheEntry {
  /** The soname, e.g. "libc.so.6". */
  name: string;
  /** Where it is, e.g. "/lib/x86_64-linux-gnu/libc.so.6". */
  path: string;
}

const MAGIC = "glibc-ld.so.cache1.1";
const HEADER_SIZE = 48; // magic and version (20), nlibs, len_strings, flags + 3 pad, extension_offset, unused[3]
const ENTRY_SIZE = 24; // flags (i32), key, value (u32 string offsets), osversion, hwcap (u64)
/** Entry flags: the low byte is the library type, the next the architecture. */
const FLAG_ELF_LIBC6 = 0x0003;
const FLAG_X8664_LIB64 = 0x0300;

/** The x86-64 entries of an ld.so.cache file, in its order (the loader's preference). */
export function parseLdCache(bytes: Uint8Array): LdCacheEntry[] {
  const start = find(bytes, MAGIC);
  if (start < 0 || start + HEADER_SIZE > bytes.length) return [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = v.getUint32(start + 20, true);
  const out: LdCacheEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = start + HEADER_SIZE + i * ENTRY_SIZE;
    if (at + ENTRY_SIZE > bytes.length) break;
    const flags = v.getInt32(at, true);
    if ((flags & 0xff) !== FLAG_ELF_LIBC6 || (flags & 0xff00) !== FLAG_X8664_LIB64) continue;
    // String offsets count from the start of the new-format table.
    const name = cstring(bytes, start + v.getUint32(at + 4, true));
    const path = cstring(bytes, start + v.getUint32(at + 8, true));
    if (name && path) out.push({ name, path });
  }
  return out;
}

function find(bytes: Uint8Array, text: string): number {
  const want = new TextEncoder().encode(text);
  outer: for (let i = 0; i + want.length <= bytes.length; i++) {
    for (let j = 0; j < want.length; j++) if (bytes[i + j] !== want[j]) continue outer;
    return i;
  }
  return -1;
}

function cstring(bytes: Uint8Array, at: number): string {
  if (at >= bytes.length) return "";
  let end = at;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(at, end));
}
