// Generated source that remembers where its pieces came from: text copied from the one-liner
// maps back to the one-liner's own line and column, so a compile or verifier error in the
// generated tracer points into what the user typed.

/** A stretch of generated text that is a verbatim copy of the one-liner at `from`. */
export interface Segment {
  line: number;
  column: number;
  length: number;
  from: number;
}

/** Generated text written on behalf of a piece of the one-liner (a probe call, a rewritten call). */
export interface Region {
  start: [number, number];
  end: [number, number];
  from: number;
  length: number;
}

export interface SourcePosition {
  line: number;
  column: number;
  length: number;
}

export class SourceWriter {
  #lines: string[] = [""];
  #segments: Segment[] = [];
  #regions: Region[] = [];

  constructor(readonly original: string) {}

  /** Generated text (no position of its own). */
  write(text: string): this {
    const parts = text.split("\n");
    this.#lines[this.#lines.length - 1] += parts[0];
    for (const p of parts.slice(1)) this.#lines.push(p);
    return this;
  }

  /** Copies original[start, end) and records where it came from (line by line, for multi-line copies). */
  copy(start: number, end: number): this {
    let at = start;
    for (const part of this.original.slice(start, end).split("\n")) {
      if (at > start) this.#lines.push("");
      const line = this.#lines.length;
      const column = this.#lines[line - 1].length + 1;
      if (part.length) this.#segments.push({ line, column, length: part.length, from: at });
      this.#lines[line - 1] += part;
      at += part.length + 1;
    }
    return this;
  }

  /** Runs `body`, then records that the generated lines it wrote stand for original[from, from + length). */
  region(from: number, length: number, body: () => void): void {
    const start = this.#here();
    body();
    this.#regions.push({ start, end: this.#here(), from, length });
  }

  #here(): [number, number] {
    return [this.#lines.length, this.#lines[this.#lines.length - 1].length + 1];
  }

  /** Appends another writer's text (which must start at the beginning of a line here) with its positions. */
  append(other: SourceWriter): this {
    if (this.#lines[this.#lines.length - 1] !== "") this.write("\n");
    const shift = this.#lines.length - 1;
    const [first, ...rest] = other.#lines;
    this.#lines[this.#lines.length - 1] = first;
    this.#lines.push(...rest);
    for (const s of other.#segments) this.#segments.push({ ...s, line: s.line + shift });
    for (const r of other.#regions) this.#regions.push({ ...r, start: [r.start[0] + shift, r.start[1]], end: [r.end[0] + shift, r.end[1]] });
    return this;
  }

  get line(): number {
    return this.#lines.length;
  }

  text(): string {
    return this.#lines.join("\n");
  }

  /** The one-liner position of a generated position: its copy if it is in one, else the innermost region's start. */
  mapper(): (line: number, column: number, length: number) => SourcePosition {
    return mapperOf(this.original, this.positions());
  }

  /** What mapper() maps from, as data (kept with a cached one-liner: cli/oneliner_cache.ts). */
  positions(): SourcePositions {
    return { segments: this.#segments.map((s) => ({ ...s })), regions: this.#regions.map((r) => ({ ...r })) };
  }
}

/** Where the generated text's pieces came from in the one-liner. */
export interface SourcePositions {
  segments: Segment[];
  regions: Region[];
}

/** SourceWriter.mapper() for positions kept as data. */
export function mapperOf(original: string, positions: SourcePositions): (line: number, column: number, length: number) => SourcePosition {
  const segments = [...positions.segments];
  // Innermost first: the smallest piece of the one-liner that contains the position.
  const regions = [...positions.regions].sort((a, b) => a.length - b.length);
  const le = (a: [number, number], b: [number, number]) => a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]);
  const position = (offset: number, length: number): SourcePosition => {
    const before = original.slice(0, offset);
    const line = before.split("\n").length;
    const column = offset - (before.lastIndexOf("\n") + 1) + 1;
    return { line, column, length: Math.max(1, length) };
  };
  return (line, column, length) => {
    const seg = segments.find((s) => s.line === line && column >= s.column && column < s.column + s.length);
    if (seg) return position(seg.from + (column - seg.column), Math.min(length, seg.length - (column - seg.column)));
    const region = regions.find((r) => le(r.start, [line, column]) && le([line, column], r.end));
    if (region) return position(region.from, region.length);
    return position(0, original.length);
  };
}
