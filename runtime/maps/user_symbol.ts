// usym(address) values (bpftrace's usym): a user address and the pid of the process it was seen
// in, stored in a map key or an event, shown in JavaScript and printed as the name of the
// function holding it ("readline"), or the address in hex when no symbol covers it (the process
// has exited, or its file has no symbols), as bpftrace prints it. The name is looked up when it
// is first asked for, in that process's mappings, by the symbolizer a tracer holding usym()
// values installs (runtime/symbolize/).
import { symbolize } from "./stacks.ts";

/** A user address read back from a `USym` key or field: shown as the function holding it. */
export class UserSymbol {
  #name?: string;
  /** `address`: the user address as the handler stored it; `pid`: the process it is in. */
  constructor(readonly address: bigint, readonly pid: number) {}
  /** The function holding the address, as bpftrace's usym() prints it: no offset, no symbol version (clock_nanosleep@@GLIBC_2.17). */
  get name(): string {
    return (this.#name ??= symbolize("user", this.pid, [this.address])[0].replace(/\+\d+$/, "").replace(/@.*$/, ""));
  }
  /** The name, as in a template string or console.log. */
  toString(): string {
    return this.name;
  }
  /** In JSON output: the name. */
  toJSON(): string {
    return this.name;
  }
}

export function decodeUserSymbol(address: bigint, pid: number): UserSymbol {
  return new UserSymbol(address, pid);
}

/** A USym key written from JavaScript: a UserSymbol (an address alone has no process). */
export function userSymbolAddress(x: unknown): bigint {
  if (!(x instanceof UserSymbol)) throw new TypeError("A USym key is a UserSymbol read from the map (an address alone has no process)");
  return x.address;
}

export function userSymbolPid(x: unknown): number {
  return (x as UserSymbol).pid;
}
