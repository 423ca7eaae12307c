// What the kernel could not keep, counted in tsbpf's counter maps (runtime/maps/counter_map.ts,
// mapped into memory where the kernel allows): events that found their buffer full (per handler)
// and map updates that a full map refused (per map). Nothing is lost silently: both are printed as
// they grow and when the tracer stops.
import { DROPPED_MAP, LOST_MAP, type MapSpec, type ProgramSpec, type TracerSpec } from "../spec/tracer_spec.ts";
import type { Counters } from "../runtime/maps/counter_map.ts";
import type { Loaded } from "./loader.ts";
import { isJsonOutput, jsonRecord } from "../runtime/output.ts";
import { writeStdoutLine } from "../runtime/stdout.ts";

/** The maps whose updates are counted when refused: the first `size` of `spec.maps`, slot by slot. */
function countedMaps(spec: TracerSpec): MapSpec[] {
  const dropped = spec.maps.find((m) => m.name === DROPPED_MAP);
  return dropped ? spec.maps.slice(0, dropped.size) : [];
}

/** Events each handler could not submit because its ring buffer or perf buffer was full. */
export function lostEvents(spec: TracerSpec, loaded: Loaded): Map<string, bigint> {
  const lost = loaded.counters(LOST_MAP);
  return new Map(lost ? spec.programs.map((p, i) => [p.name, BigInt(lost.sum(i))]) : []);
}

/** Updates each map refused because it was full (only maps that handlers update; slots follow `spec.maps`). */
export function droppedUpdates(spec: TracerSpec, loaded: Loaded): Map<string, bigint> {
  const dropped = loaded.counters(DROPPED_MAP);
  return new Map(dropped ? countedMaps(spec).map((m, i) => [m.name, BigInt(dropped.sum(i))]) : []);
}

/**
 * How the report names a tracer's maps and handlers and what it tells their user to do: a
 * one-liner's maps are @ and @name to its user, not the fields $ and $name, and it cannot size
 * them (cli/oneliner sets its own on the tracer, under LOSS_WORDING).
 */
export interface LossWording {
  map(field: string): string;
  /** What to do about a full map (after "; "). */
  fullMap(field: string, entries: number): string;
  handler(program: ProgramSpec): string;
  /** What to do about a full event buffer (after "; "). */
  fullBuffer: string;
}

export const LOSS_WORDING = Symbol.for("tsbpf.lossWording");

const SCRIPT_WORDING: LossWording = {
  map: (field) => field,
  fullMap: () => "raise its maxEntries",
  handler: (program) => program.name,
  fullBuffer: "raise its size or filter in the kernel",
};

/** Why a map refuses updates, for the report line. */
function refusal(m: MapSpec, entries: number): string {
  if (m.kind === "array" || m.kind === "percpu_array") return `key outside the array (${entries} entries)`;
  if (m.kind === "queue" || m.kind === "stack") return `${m.kind} full (${entries} entries)`;
  return `map full (${entries} entries)`;
}

/** A count is printed when it first grows, when it has doubled since it was last printed, and at stop if it changed. */
function shouldPrint(n: number, printed: number, atStop: boolean): boolean {
  return n > printed && (atStop || printed === 0 || n >= 2 * printed);
}

/**
 * Prints each count when it grows (see shouldPrint): a line on stderr, or a JSON record on stdout in JSON mode.
 * Reads only counters that can grow: lost events only in a tracer with event buffers.
 */
export class LossReport {
  readonly #lost?: Counters;
  readonly #dropped?: Counters;
  readonly #counted: MapSpec[];
  /** What was last seen, slot by slot: lost events per program, dropped updates per counted map. */
  readonly #lostSeen: number[];
  readonly #droppedSeen: number[];
  /** What was last printed, slot by slot. */
  readonly #lostPrinted: number[];
  readonly #droppedPrinted: number[];

  constructor(readonly spec: TracerSpec, readonly loaded: Loaded, readonly maxEntries: (map: string) => number, readonly wording: LossWording = SCRIPT_WORDING) {
    const streams = spec.maps.some((m) => m.kind === "ringbuf" || m.kind === "perfbuf");
    this.#lost = streams ? loaded.counters(LOST_MAP) : undefined;
    this.#dropped = loaded.counters(DROPPED_MAP);
    this.#counted = this.#dropped ? countedMaps(spec) : [];
    this.#lostSeen = spec.programs.map(() => 0);
    this.#droppedSeen = this.#counted.map(() => 0);
    this.#lostPrinted = spec.programs.map(() => 0);
    this.#droppedPrinted = this.#counted.map(() => 0);
  }

  /** Whether it counts updates that maps refused: those grow without any event, so they are checked even while no event comes. */
  get watchesMaps(): boolean {
    return this.#droppedSeen.length > 0;
  }

  /**
   * `events`: whether events may have been lost since the last call (false: the buffers were
   * empty and nothing came); `atStop`: the last report, which prints every count that changed.
   * Returns whether a count grew (printed or not).
   */
  print(events = true, atStop = false): boolean {
    let grew = false;
    if (events && this.#lost) {
      for (let i = 0; i < this.#lostSeen.length; i++) {
        const n = this.#lost.sum(i);
        if (n > this.#lostSeen[i]) {
          this.#lostSeen[i] = n;
          grew = true;
        }
        if (!shouldPrint(n, this.#lostPrinted[i], atStop)) continue;
        this.#lostPrinted[i] = n;
        const handler = this.wording.handler(this.spec.programs[i]);
        if (isJsonOutput()) writeStdoutLine(jsonRecord("lost_events", { handler, events: BigInt(n) }));
        else console.error(`tsbpf: lost ${n} events in ${handler}: event buffer full; ${this.wording.fullBuffer}`);
      }
    }
    for (let i = 0; i < this.#droppedSeen.length; i++) {
      const n = this.#dropped!.sum(i);
      if (n > this.#droppedSeen[i]) {
        this.#droppedSeen[i] = n;
        grew = true;
      }
      if (!shouldPrint(n, this.#droppedPrinted[i], atStop)) continue;
      this.#droppedPrinted[i] = n;
      const m = this.#counted[i];
      const entries = this.maxEntries(m.name);
      const map = this.wording.map(m.name);
      if (isJsonOutput()) writeStdoutLine(jsonRecord("dropped_updates", { map, updates: BigInt(n), reason: refusal(m, entries) }));
      else console.error(`tsbpf: ${n} updates to ${map} dropped: ${refusal(m, entries)}; ${this.wording.fullMap(m.name, entries)}`);
    }
    return grew;
  }
}
