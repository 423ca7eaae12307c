// Stacks captured by kstack()/ustack(): a handler stores the frames in the tracer's stack-trace
// map and keeps only an id; JavaScript sees a Stack that reads its frames from that map.
import { mapLookup } from "../bpf.ts";
import { MAX_STACK_DEPTH } from "../../spec/tracer_spec.ts";

/** The stack-trace map of the running tracer. */
export class StackTable {
  readonly #value: Uint8Array;
  readonly #key = new Uint8Array(4);
  /** `depth`: the frames a stack of the map holds (its value size / 8); a lookup fills only those. */
  constructor(readonly fd: number, readonly depth = MAX_STACK_DEPTH) {
    this.#value = new Uint8Array(depth * 8);
  }

  /** The return addresses of stack `id`, innermost first. */
  addresses(id: number): bigint[] {
    new DataView(this.#key.buffer).setUint32(0, id, true);
    if (!mapLookup(this.fd, this.#key, this.#value)) return [];
    const v = new DataView(this.#value.buffer);
    const out: bigint[] = [];
    for (let i = 0; i < this.depth; i++) {
      const a = v.getBigUint64(i * 8, true);
      if (a === 0n) break;
      out.push(a);
    }
    return out;
  }
}

/** The running tracer's stack-trace maps by number: 0 for kstack()/ustack()'s, 1.. for StackTraceMap fields. */
const tables = new Map<number, StackTable>();

/** @internal Set by the tracer while it runs (undefined: the map is gone). */
export function setStackTable(table: StackTable | undefined, index = 0): void {
  if (table) tables.set(index, table);
  else tables.delete(index);
}

/**
 * A formatter from addresses to frame names; the symbolizer installs one. `start`: the process's
 * start time when the stack was read (`processStart`), so that a stack kept until its pid is
 * another process's is not named with that process's code.
 */
export type Symbolizer = ((kind: "kernel" | "user", pid: number, addresses: bigint[], start?: string) => string[]) & {
  /** What names process `pid` now, with its pid: its start time; undefined when there is none. */
  processStart?: (pid: number) => string | undefined;
};
const hexOnly: Symbolizer = (_kind, _pid, addresses) => addresses.map((a) => `0x${a.toString(16)}`);
let symbolizer = hexOnly;

/** Whether a symbolizer is installed: a started tracer names addresses (stacks, ksym(), usym()). */
export function namesAddresses(): boolean {
  return symbolizer !== hexOnly;
}

/** Installs `s` for the whole process (a tracer with stacks installs the real one); returns the one it replaces. */
export function setSymbolizer(s: Symbolizer): Symbolizer {
  const before = symbolizer;
  symbolizer = s;
  return before;
}

/** A stack captured in a handler (kstack(), ustack()), read from an event or a map key: frames() names them. */
export class Stack {
  readonly #addresses: bigint[];
  /** The start time of process `pid` when the stack was read: with the pid, which process it is. */
  readonly #start: string | undefined;
  /** @internal Made when an event or key is decoded. */
  constructor(readonly kind: "kernel" | "user", readonly id: number, readonly pid: number, addresses: bigint[]) {
    this.#addresses = addresses;
    this.#start = kind === "user" && pid > 0 && addresses.length ? symbolizer.processStart?.(pid) : undefined;
  }
  /** The kernel could not capture the stack (its id was an error). */
  get failed(): boolean {
    return this.id < 0;
  }
  /** The return addresses, innermost first. */
  get addresses(): bigint[] {
    return this.#addresses;
  }
  /** Frame names, innermost first. */
  frames(): string[] {
    return symbolizer(this.kind, this.pid, this.#addresses, this.#start);
  }
  /** In JSON output: the frame names. */
  toJSON(): string[] {
    return this.frames();
  }
  /**
   * One frame per line, indented by four spaces, as bpftrace prints a stack in a map key; a stack
   * that could not be looked up (no kernel stack in a uprobe or a user-mode sample) prints as
   * nothing, as bpftrace prints it: `@[]: 437`.
   */
  toString(): string {
    if (this.failed || !this.#addresses.length) return "";
    return "\n" + this.frames().map((f) => `    ${f}\n`).join("");
  }
}

/**
 * Decodes a stored kstack()/ustack() value (compiler/builtins.ts, captureStack: the id in the
 * low 32 bits, a user stack's pid above it, the map's number in the top byte). Frames are read
 * now, while the map still exists.
 */
export function makeStack(kind: "kernel" | "user", raw: bigint): Stack {
  const id = Number(BigInt.asIntN(32, raw & 0xffffffffn));
  const pid = kind === "user" ? Number((raw >> 32n) & 0xffffffn) : 0;
  const table = tables.get(Number(raw >> 56n));
  return new Stack(kind, id, pid, id >= 0 && table ? table.addresses(id) : []);
}

/** Frame names of a stack's addresses, by the installed symbolizer. */
export function symbolize(kind: "kernel" | "user", pid: number, addresses: bigint[]): string[] {
  return symbolizer(kind, pid, addresses);
}
