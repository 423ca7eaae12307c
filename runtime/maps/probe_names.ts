// probe()'s values: in the kernel a number (spec.ts probeId: the handler and which of its
// targets), in JavaScript the probe's name. Each tracer has its own table, filled as it
// attaches; its maps and ring buffers decode with it.
export class ProbeNames {
  readonly #names = new Map<bigint, string>();
  readonly #ids = new Map<string, bigint>();

  set(id: bigint, name: string): void {
    this.#names.set(id, name);
    this.#ids.set(name, id);
  }

  /** The name of a probe() value ("kprobe:tcp_connect"); an unknown one as "probe#<id>". */
  decode = (id: bigint): string => this.#names.get(id) ?? `probe#${id}`;

  /** A probe's name (or its id) as the number the kernel stores, for keys looked up from JavaScript. */
  encode = (name: unknown): bigint => {
    if (typeof name === "bigint") return name;
    if (typeof name === "number") return BigInt(name);
    const s = String(name);
    const id = this.#ids.get(s) ?? (/^probe#\d+$/.test(s) ? BigInt(s.slice(6)) : undefined);
    if (id === undefined) throw new TypeError(`"${s}" is not the name of a probe of this tracer (probe() values are names like "kprobe:tcp_connect")`);
    return id;
  };
}

/** For codecs made outside a tracer: no names known. */
export const NO_PROBE_NAMES = new ProbeNames();
