// A kernel file descriptor owned by one object: closed once, explicitly, on every exit path.
import { libcSync } from "./ffi/mod.ts";

export class OwnedFd {
  #fd: number;
  constructor(fd: number, readonly label: string) {
    this.#fd = fd;
  }
  get fd(): number {
    if (this.#fd < 0) throw new Error(`${this.label} is already closed`);
    return this.#fd;
  }
  get closed(): boolean {
    return this.#fd < 0;
  }
  /** Gives up ownership without closing: another object now owns the fd. */
  release(): number {
    const fd = this.fd;
    this.#fd = -1;
    return fd;
  }
  close(): void {
    if (this.#fd < 0) return;
    libcSync().close(this.#fd);
    this.#fd = -1;
  }
  [Symbol.dispose](): void {
    this.close();
  }
}
