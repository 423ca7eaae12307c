// The certificates a runtime trusts for TLS besides its own, as the environment names them: Bun
// reads NODE_EXTRA_CA_CERTS, SSL_CERT_FILE and SSL_CERT_DIR when it starts, Deno DENO_CERT (and
// SSL_CERT_FILE with DENO_TLS_CA_STORE=system). sudo -E keeps them as it keeps HOME, and
// HTTPS_PROXY with them (often needed, so kept): another user's authority and proxy then answer
// as any server, and root ran the script they served under a link's name
// (tests/security/tls_trust_env.test.ts). Only certificates that root or tsbpf's user alone can
// change are believed; and as root, not NODE_TLS_REJECT_UNAUTHORIZED=0, with which Bun checks no
// certificate at all.
import { libcSync } from "./ffi/mod.ts";
import { geteuid, lstat } from "./file_stat.ts";
import { trustedCodeDir, trustedCodeFile, UntrustedDirError } from "./private_dir.ts";

const FILES = ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "DENO_CERT"];
const DIRECTORIES = ["SSL_CERT_DIR"];

export interface UntrustedTls {
  variable: string;
  value: string;
  why: string;
}

/**
 * Each variable of the environment `getenv` reads that makes the runtime trust a server another
 * user chose: certificates another user could change, and why.
 */
export function untrustedTls(getenv: (name: string) => string | undefined = (name) => libcSync().getenv(name)): UntrustedTls[] {
  const owners = [0, geteuid()];
  const found: UntrustedTls[] = [];
  if (getenv("NODE_TLS_REJECT_UNAUTHORIZED") === "0" && owners[1] === 0) {
    found.push({ variable: "NODE_TLS_REJECT_UNAUTHORIZED", value: "0", why: "it turns Bun's certificate checks off" });
  }
  for (const variable of [...FILES, ...DIRECTORIES]) {
    const path = getenv(variable);
    if (!path) continue;
    try {
      if (FILES.includes(variable)) trustedCodeFile(path, owners);
      // A list of directories, as OpenSSL reads it; none may take files from another user (not even sticky).
      else for (const dir of path.split(":").filter(Boolean)) privateDirectory(trustedCodeDir(dir, owners));
    } catch (e) {
      if (!(e instanceof UntrustedDirError)) throw e;
      found.push({ variable, value: path, why: e.message });
    }
  }
  return found;
}

function privateDirectory(dir: string): void {
  const st = lstat(dir);
  if (typeof st !== "number" && st.mode & 0o022) {
    throw new UntrustedDirError(dir, `it is writable by ${st.mode & 0o002 ? "every user" : "its group"}, who could add certificates`);
  }
}
