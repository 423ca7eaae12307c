// QueueMap and StackMap: values without keys, taken out in FIFO or LIFO order
// (BPF_MAP_TYPE_QUEUE / BPF_MAP_TYPE_STACK, 4.20+). The same push/pop/peek in handlers and in JS.
import { KernelMap } from "./kernel_map.ts";
import { checkEntries } from "./hash_map.ts";
import { methodsAtCaller } from "./at_caller.ts";
import { MapValueError } from "./fit.ts";

/** What QueueMap and StackMap share: values without keys, pushed and popped. */
export abstract class ValueList<V> extends KernelMap<void, V> {
  /** The most values the kernel map holds. */
  readonly maxEntries: number;
  /** A map of at most `maxEntries` values (`what` names it in errors). */
  constructor(maxEntries: number, what: string) {
    super();
    this.maxEntries = checkEntries(this, maxEntries, what, new.target);
  }
  /**
   * Adds a value; false when the map is full. With `overwrite`, a full map drops its oldest value
   * to make room. In a handler, `overwrite` must be written as `true` or `false`.
   */
  push(value: V, overwrite = false): boolean {
    return this.access.push(value, overwrite);
  }
  /** Takes the next value out; undefined when empty (in a handler: zero). */
  pop(): V | undefined {
    return this.access.pop(false);
  }
  /** The next value, left in place; undefined when empty (in a handler: zero). */
  peek(): V | undefined {
    return this.access.pop(true);
  }
  /** Takes every value out, in the order pop() gives them. */
  drain(): V[] {
    const out: V[] = [];
    for (let v = this.pop(); v !== undefined && out.length < this.maxEntries; v = this.pop()) out.push(v);
    return out;
  }
}

/** BPF_MAP_TYPE_QUEUE: pop() gives the oldest value first. */
export class QueueMap<V> extends ValueList<V> {
  /** A map of at most `maxEntries` values (the kernel allocates it when the tracer starts). */
  constructor(maxEntries = 10240) {
    super(maxEntries, "QueueMap");
  }
}

/** BPF_MAP_TYPE_STACK: pop() gives the newest value first. */
export class StackMap<V> extends ValueList<V> {
  /** A map of at most `maxEntries` values (the kernel allocates it when the tracer starts). */
  constructor(maxEntries = 10240) {
    super(maxEntries, "StackMap");
  }
}

// A value that does not fit its field is the caller's mistake: reported at its line.
methodsAtCaller(ValueList.prototype, ["push"], (e) => e instanceof MapValueError);
