// What a handler body's transform shares with the whole one-liner's (oneliner.ts): the print
// sites, the maps, the stack depths, and where errors go.
import type { Node } from "../../compiler/parse.ts";
import type { MapRegistry } from "./maps.ts";

/** Rounds a while loop in a handler runs at most (the verifier needs a bound); past them it is counted and reported. */
export const WHILE_ROUNDS = 1024;

/** One print()/printf() call: its ring buffer field, event type and how user space formats it. */
export interface PrintSite {
  field: string;
  type: string;
  fields: { name: string; type: string }[];
  spec: { kind: "print"; parts: ({ text: string } | { field: string })[] } | { kind: "printf"; format: string; fields: string[]; strftimes?: Record<number, string> }
    | { kind: "join"; delimiter: string; count: string; fields: string[] };
  /** Where the print()/printf() call is in the one-liner. */
  call: number;
}

/** What a handler body needs from the whole transform. */
export interface TransformState {
  readonly text: string;
  readonly maps: MapRegistry;
  /** The maps that hold a pointer a probe gave, and the memory it points to (pointer_maps.ts): str() of a read is told it. */
  readonly pointerMaps: ReadonlyMap<string, "user" | "kernel">;
  readonly prints: PrintSite[];
  readonly options: { pidFilter: boolean; exports: ReadonlySet<string>; positional?: string[] };
  usesExit: boolean;
  /** A handler reads elapsed(): the tracer has a map _start the runtime sets once the probes are attached. */
  usesElapsed: boolean;
  /** Where each while loop in a handler starts in the one-liner: its index counts the rounds it was cut at (body.ts). */
  readonly whileLoops: number[];
  /** The depths of kstack(N)/ustack(N) in the handlers: one StackTraceMap of that depth each. */
  readonly stackDepths: Set<number>;
  error(node: Node, message: string, ...hints: string[]): void;
  checkFormat(node: Node, format: string, values: number): void;
}
