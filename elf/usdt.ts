/**
 * USDT probes: the SystemTap SDT v3 notes (`.note.stapsdt`, owner "stapsdt", type 3) that
 * <sys/sdt.h> puts in a binary for every `DTRACE_PROBE`/`STAP_PROBE` site.
 *
 * Each note's descriptor is three addresses (the probe's pc, the link-time address of the
 * `.stapsdt.base` section, the semaphore or 0), then three NUL-terminated strings: provider,
 * name, argument spec. Notes are not loaded, so nothing relocates them: if the file was
 * prelinked to another base afterwards, pc and semaphore are stale by exactly how far
 * `.stapsdt.base` moved, and both are corrected by that difference (as GDB does).
 *
 * For attaching, the kernel's uprobe PMU wants file offsets: the probe's, and for probes with
 * a semaphore the semaphore's (`ref_ctr_offset`, which the kernel increments while attached so
 * the program only computes the arguments when someone listens).
 *
 * @example
 * ```ts
 * for (const p of usdtProbes(elf)) {
 *   console.log(`${p.provider}:${p.name}`, p.fileOffset, p.semaphoreOffset, p.args);
 * }
 * ```
 */
import { ElfError } from "./error.ts";
import type { Elf } from "./reader.ts";
import { u64 } from "./scan.ts";
import { decodeString } from "./strings.ts";
import { NT_STAPSDT } from "./types.ts";
import { parseUsdtArgs, type UsdtArg } from "./usdt_args.ts";

/** pc, base and semaphore: three 8-byte addresses in an ELF64 note. */
const ADDRS_SIZE = 24;

export class UsdtProbe {
  readonly provider: string;
  readonly name: string;
  /** The probe's address as written in the note (link-time, before the prelink correction). */
  readonly pc: number;
  /** The link-time address of `.stapsdt.base` the note was written against (0: none). */
  readonly base: number;
  /** The semaphore's address as written in the note; 0 when the probe has none. */
  readonly semaphore: number;
  /** The probe's virtual address in this file: `pc + (actual .stapsdt.base - base)`. */
  readonly address: number;
  /** The semaphore's virtual address in this file, corrected like `address`; 0 for none. */
  readonly semaphoreAddress: number;
  /** File offset of `address`: where the uprobe attaches. */
  readonly fileOffset: number;
  /** File offset of the semaphore (the uprobe's `ref_ctr_offset`); undefined for none. */
  readonly semaphoreOffset: number | undefined;
  /** The raw argument spec, e.g. "-4@%edi 8@-8(%rbp)". */
  readonly argSpec: string;
  /** File offset of the argument spec, for error messages. */
  readonly argSpecOffset: number;
  private readonly machine: Elf["machine"];
  private decoded: UsdtArg[] | undefined;

  constructor(fields: Omit<UsdtProbe, "args" | "machine" | "decoded"> & { machine: Elf["machine"] }) {
    this.provider = fields.provider;
    this.name = fields.name;
    this.pc = fields.pc;
    this.base = fields.base;
    this.semaphore = fields.semaphore;
    this.address = fields.address;
    this.semaphoreAddress = fields.semaphoreAddress;
    this.fileOffset = fields.fileOffset;
    this.semaphoreOffset = fields.semaphoreOffset;
    this.argSpec = fields.argSpec;
    this.argSpecOffset = fields.argSpecOffset;
    this.machine = fields.machine;
  }

  /**
   * The decoded arguments, on first access: one unusual operand should not stop a tool from
   * listing the file's other probes.
   *
   * @throws {ElfError} on an argument that cannot be decoded, or on a non-x86-64 file.
   */
  get args(): readonly UsdtArg[] {
    if (this.decoded) return this.decoded;
    if (this.machine !== "x86_64") {
      throw new ElfError(`USDT arguments of ${this.machine} files are not supported yet (only x86-64)`, this.argSpecOffset);
    }
    return (this.decoded = parseUsdtArgs(this.argSpec, `${this.provider}:${this.name}`, this.argSpecOffset));
  }
}

/**
 * Every USDT probe of an executable or shared object, in note order.
 *
 * @throws {ElfError} on a truncated note, strings without their NUL, or a probe or semaphore
 * address outside the file's loadable segments.
 */
export function usdtProbes(elf: Elf): UsdtProbe[] {
  const baseSection = elf.section(".stapsdt.base");
  const bytes = elf.bytes;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const probes: UsdtProbe[] = [];
  for (const note of elf.notes()) {
    if (note.name !== "stapsdt" || note.type !== NT_STAPSDT) continue;
    const at = note.descOffset;
    const end = at + note.desc.length;
    if (note.desc.length < ADDRS_SIZE + 3) {
      throw new ElfError(`USDT note descriptor is ${note.desc.length} bytes, too short for addresses and three strings`, at);
    }
    const pc = u64(dv, at);
    const base = u64(dv, at + 8);
    const semaphore = u64(dv, at + 16);
    const strings: string[] = [];
    let p = at + ADDRS_SIZE;
    const starts: number[] = [];
    for (const what of ["provider", "name", "argument spec"]) {
      const nul = bytes.indexOf(0, p);
      if (nul < 0 || nul >= end) throw new ElfError(`USDT note ${what} runs past the end of its descriptor (no NUL)`, p);
      starts.push(p);
      strings.push(decodeString(bytes, p, nul));
      p = nul + 1;
    }
    const [provider, name, argSpec] = strings;
    // Without .stapsdt.base (or a note written without one) there is nothing to correct by.
    const delta = baseSection && base !== 0 ? baseSection.addr - base : 0;
    const address = pc + delta;
    const semaphoreAddress = semaphore === 0 ? 0 : semaphore + delta;
    const fileOffset = elf.fileOffset(address);
    if (fileOffset === undefined) {
      throw new ElfError(`USDT probe ${provider}:${name} at 0x${address.toString(16)} is outside every loadable segment`, at);
    }
    let semaphoreOffset: number | undefined;
    if (semaphore !== 0) {
      semaphoreOffset = elf.fileOffset(semaphoreAddress);
      if (semaphoreOffset === undefined) {
        const where = `0x${semaphoreAddress.toString(16)}`;
        throw new ElfError(`Semaphore of USDT probe ${provider}:${name} at ${where} is not in the file image of a loadable segment`, at + 16);
      }
    }
    probes.push(new UsdtProbe({
      provider,
      name,
      pc,
      base,
      semaphore,
      address,
      semaphoreAddress,
      fileOffset,
      semaphoreOffset,
      argSpec,
      argSpecOffset: starts[2],
      machine: elf.machine,
    }));
  }
  return probes;
}
