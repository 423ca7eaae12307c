// The few protocol buffer encodings a pprof profile needs (varints, length-delimited fields,
// packed repeated integers), written here rather than with a protobuf package: profile.proto
// uses nothing else, and ~60 lines need no code generation nor a dependency on both runtimes.

const WIRE_VARINT = 0, WIRE_BYTES = 2;
const encoder = new TextEncoder();

export class ProtoWriter {
  #buf = new Uint8Array(1024);
  #len = 0;

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    bigger.set(this.#buf.subarray(0, this.#len));
    this.#buf = bigger;
  }

  /** An unsigned varint; int64 values below zero take ten bytes, as protobuf encodes them. */
  varint(v: number | bigint): void {
    if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) {
      this.#reserve(8);
      while (v > 0x7f) {
        this.#buf[this.#len++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.#buf[this.#len++] = v;
      return;
    }
    let b = BigInt.asUintN(64, BigInt(v));
    this.#reserve(10);
    while (b > 0x7fn) {
      this.#buf[this.#len++] = Number(b & 0x7fn) | 0x80;
      b >>= 7n;
    }
    this.#buf[this.#len++] = Number(b);
  }

  #tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** An integer field (int64, uint64, bool); zero is the default and is left out. */
  int(field: number, v: number | bigint | boolean): void {
    const n = typeof v === "boolean" ? Number(v) : v;
    if (n === 0 || n === 0n) return;
    this.#tag(field, WIRE_VARINT);
    this.varint(n);
  }

  bytes(field: number, data: Uint8Array): void {
    this.#tag(field, WIRE_BYTES);
    this.varint(data.length);
    this.#reserve(data.length);
    this.#buf.set(data, this.#len);
    this.#len += data.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, encoder.encode(s));
  }

  /**
   * A length-delimited field whose content `write` appends in place: written after room for
   * the longest length, then moved back over the room the length did not need.
   */
  #delimited(field: number, write: () => void): void {
    this.#tag(field, WIRE_BYTES);
    this.#reserve(5);
    const lengthAt = this.#len;
    this.#len += 5;
    write();
    const length = this.#len - lengthAt - 5;
    this.#len = lengthAt;
    this.varint(length);
    this.#buf.copyWithin(this.#len, lengthAt + 5, lengthAt + 5 + length);
    this.#len += length;
  }

  /** A nested message, always written (an empty message still counts as an element). */
  message(field: number, write: (w: ProtoWriter) => void): void {
    this.#delimited(field, () => write(this));
  }

  /** A packed repeated integer field; left out when empty. */
  packed(field: number, values: readonly (number | bigint)[]): void {
    if (!values.length) return;
    this.#delimited(field, () => {
      for (const v of values) this.varint(v);
    });
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}
