// SHA-256 as lowercase hex (runtime/ffi/host.ts sha256: Bun's own hasher, or WebCrypto on Deno;
// node:crypto would cost Deno its Node layer at start).
import { sha256 } from "./ffi/host.ts";

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return [...await sha256(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
