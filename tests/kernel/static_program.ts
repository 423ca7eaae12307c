// A tiny static x86-64 ELF program from raw machine code, for tests that need exact syscalls
// (numbers no libc would make, 32-bit int 0x80 calls) without a compiler.

/** The ELF of `code` loaded at 0x400000 and started at its first byte: one read+execute segment. */
export function staticProgram(code: number[]): Uint8Array {
  const base = 0x400000, start = 64 + 56, size = start + code.length;
  const header = [
    0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ...le(2, 2), ...le(0x3e, 2), ...le(1, 4), ...le(base + start, 8), ...le(64, 8), ...le(0, 8),
    ...le(0, 4), ...le(64, 2), ...le(56, 2), ...le(1, 2), ...le(64, 2), ...le(0, 2), ...le(0, 2),
  ];
  const segment = [...le(1, 4), ...le(5, 4), ...le(0, 8), ...le(base, 8), ...le(base, 8), ...le(size, 8), ...le(size, 8), ...le(0x1000, 8)];
  return new Uint8Array([...header, ...segment, ...code]);
}

/** `value`'s low `bytes` bytes, little-endian. */
export function le(value: number | bigint, bytes: number): number[] {
  const v = BigInt(value);
  return Array.from({ length: bytes }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
}
