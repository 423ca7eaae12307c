// StackTraceMap: a stack-trace map declared by the script (BPF_MAP_TYPE_STACK_TRACE), for
// choosing its size, reading stacks by id and clearing it. In a handler, `this.traces.kstack()`
// and `this.traces.ustack()` capture into it exactly as kstack()/ustack() capture into the
// tracer's hidden one: the values are KStack/UStack, shown as frames wherever they are stored.
import { refuseArguments } from "./refused_arguments.ts";
import { type Binding, KernelMap } from "./kernel_map.ts";
import { checkEntries } from "./hash_map.ts";
import { kernelOnly } from "../../lang/kernel_only.ts";
import { setStackTable, Stack, StackTable, symbolize } from "./stacks.ts";
import { MAX_STACK_DEPTH } from "../../spec/tracer_spec.ts";

/** A stack-trace map of the script's own (BPF_MAP_TYPE_STACK_TRACE): `this.traces.kstack()` in a handler captures into it. */
export class StackTraceMap extends KernelMap<number, bigint[]> {
  /** The most distinct stacks kept. */
  readonly maxEntries: number;
  #table?: StackTable;
  #index = 0;

  /** The most frames a stack keeps (the innermost; bpftrace's kstack(N)). */
  readonly depth: number;

  /**
   * `maxEntries`: distinct stacks kept; a capture fails (id < 0) once it is full. `depth`: the
   * frames each stack keeps, the innermost, 1 to 127 (the kernel cuts the stack there, so stacks
   * that differ only deeper are one stack).
   */
  constructor(maxEntries = 16384, depth = MAX_STACK_DEPTH) {
    super();
    this.maxEntries = checkEntries(this, maxEntries, "StackTraceMap", new.target);
    if (!Number.isInteger(depth) || depth < 1 || depth > MAX_STACK_DEPTH) refuseArguments(this, new RangeError(`StackTraceMap's depth must be a whole number from 1 to ${MAX_STACK_DEPTH}, not ${depth}`), new.target);
    this.depth = depth;
  }

  /** In a handler: stores the current kernel stack here. */
  kstack(): Stack {
    return kernelOnly("StackTraceMap.kstack");
  }
  /** In a handler: stores the current user stack here (with the pid, to symbolize it). */
  ustack(): Stack {
    return kernelOnly("StackTraceMap.ustack");
  }

  /** @internal */
  override bind(b: Binding): void {
    super.bind(b);
    this.#index = b.spec.stackIndex ?? 0;
    this.#table = new StackTable(b.fd, this.depth);
    setStackTable(this.#table, this.#index);
  }

  /** @internal */
  override unbind(): void {
    setStackTable(undefined, this.#index);
    this.#table = undefined;
    super.unbind();
  }

  /** The return addresses of stack `id`, innermost first (empty when there is no such stack). */
  addresses(id: number): bigint[] {
    this.access; // throws a clear error when not started
    return this.#table!.addresses(id);
  }

  /** Stack `id` as a Stack; `pid` for a user stack (its symbols come from that process). */
  stack(id: number, kind: "kernel" | "user" = "kernel", pid = 0): Stack {
    return new Stack(kind, id, pid, this.addresses(id));
  }

  /** The frame names of stack `id`, innermost first. */
  frames(id: number, kind: "kernel" | "user" = "kernel", pid = 0): string[] {
    return symbolize(kind, pid, this.addresses(id));
  }

  /** The ids of the stacks stored. */
  ids(): number[] {
    return [...this.access.entries()].map(([id]) => id);
  }

  /** Forgets stack `id` (its id may then be given to another stack). */
  delete(id: number): boolean {
    return this.access.delete(id);
  }

  /** Removes every stack. */
  clear(): void {
    this.access.clear();
  }
}
