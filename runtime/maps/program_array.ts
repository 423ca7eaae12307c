// ProgramArray: a BPF_MAP_TYPE_PROG_ARRAY whose slots hold the tracer's own methods, for tail
// calls: `this.table.jump(i)` in a handler runs the method in slot i in place of the rest of the
// handler. The compiler reads the slots from the field's initializer, compiles each method as a
// program of the jumping handler's type, and the loader fills the kernel map once they are loaded.
import { kernelOnly } from "../../lang/kernel_only.ts";

/** A method of the tracer that can sit in a ProgramArray slot: it takes the same arguments as the handler jumping to it. */
// deno-lint-ignore no-explicit-any
export type TailCallTarget = (...args: any[]) => void;

/**
 * Slots of handler methods, by index: `new ProgramArray({ [SYS_read]: this.onRead, [SYS_write]: this.onWrite })`
 * or `new ProgramArray([this.first, this.second])` (slots 0, 1, ...). The methods are plain methods
 * of the tracer (no decorator); `size` (default: the largest slot + 1) is how many slots the kernel map has.
 */
export class ProgramArray {
  /** The method names by slot, as the compiler also reads them from the source. */
  readonly slots: ReadonlyMap<number, string>;
  /** How many slots the kernel map has. */
  readonly size: number;

  /** An array of the given handler methods by slot; `size` slots (default: the largest slot + 1). */
  constructor(slots: Record<number, TailCallTarget> | TailCallTarget[], size?: number) {
    const entries = Array.isArray(slots) ? slots.map((f, i) => [i, f] as const) : Object.entries(slots).map(([k, f]) => [Number(k), f] as const);
    this.slots = new Map(entries.map(([i, f]) => [i, typeof f === "function" ? f.name : String(f)]));
    this.size = size ?? entries.reduce((n, [i]) => Math.max(n, i + 1), 1);
  }

  /**
   * In a handler: runs the program in slot `index` in place of the rest of this handler (a tail
   * call: nothing after it runs). When the slot is empty, `index` is out of range, or 33 tail
   * calls were already chained for this event, it returns and the handler goes on.
   */
  jump(_index: number | bigint): void {
    kernelOnly("jump");
  }
}
