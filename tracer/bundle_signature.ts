// Signed bundles: a `tsbpf build` bundle may load its precompiled programs as they are, without
// the parser or the compiler, only when a key root trusts signed them.
//
// A digest beside the programs proves nothing (whoever edits the programs edits the digest), but
// an Ed25519 signature can only be made with the private key. `tsbpf build` signs with the
// host's own key (created on first use in root's private directory, runtime/private_dir.ts) or
// with `--key FILE` (a fleet's key); root trusts the host's key and the public keys listed in
// /etc/tsbpf/trusted-keys, a file only root can change. The signed message covers the embedded
// tracers (sources, programs, maps, assumptions) and the digest of the rest of the file (the
// JavaScript), which `tsbpf plan` checks; at run time the bundle checks the tracers' part.
// Anything else (no signature, an edit, an unknown key, an unsafe trusted-keys file) means the
// programs are compiled again from the embedded source, as for an unsigned bundle.
//
// Keys are WebCrypto's Ed25519 (Bun and Deno both have it; node:crypto would cost Deno its Node
// layer on every bundle's start). A public key is written as one line: `tsbpf-ed25519 BASE64 name`.
import { libcSync } from "../runtime/ffi/mod.ts";
import { readCheckedFile, writeFileAtomic } from "../runtime/files.ts";
import { geteuid, lstat } from "../runtime/file_stat.ts";
import { privateDir, UntrustedDirError } from "../runtime/private_dir.ts";
import { UserFacingError } from "../spec/user_facing.ts";
import { fromBase64, toBase64 } from "../spec/tracer_spec.ts";
import { sha256Hex } from "../runtime/digest.ts";

/** The line of a bundle that carries its signature (build/bundle.ts writes it, line 3). */
export const SIGNATURE_PREFIX = "globalThis.__TSBPF_BUNDLE_SIGNATURE__ = ";
/** The public keys root trusts besides the host's own (TSBPF_TRUSTED_KEYS names another file, for tests). */
export const TRUSTED_KEYS_FILE = "/etc/tsbpf/trusted-keys";
const KEY_LINE = "tsbpf-ed25519";
const ED25519 = { name: "Ed25519" };
const HOST_KEY = "bundle-signing-key.pem";
const HOST_PUBLIC = "bundle-signing-key.pub";

export interface BundleSignature {
  /** Of signedMessage's form: 2 since session 14; 1 (bundles built before) still verifies. */
  version: 1 | 2;
  /** The signer's public key: base64 of its 32 bytes. */
  key: string;
  /** SHA-256 (hex) of the bundle's file without its signature line. */
  code: string;
  /** base64 of the Ed25519 signature of signedMessage(version, code, tracers). */
  signature: string;
}

/** What `tsbpf build` signs with. */
const VERSION = 2;

export interface SigningKey {
  privateKey: CryptoKey;
  /** base64 of the public key. */
  publicKey: string;
  /** Where it came from (for messages). */
  origin: string;
}

/** A key file that must not be used (someone else could have written it). */
export class UntrustedKeyError extends UserFacingError {
  constructor(message: string) {
    super(message);
    this.name = "UntrustedKeyError";
  }
}

/**
 * The bytes signed. `tracers`: the embedded tracers exactly as the bundle's first line has them
 * (JSON: no raw NUL in it). Version 2 signs that text itself, as Ed25519 hashes its message anyway;
 * version 1 signed its SHA-256, a step a bundle's first start paid for in cold code. Each version
 * names itself first, so a signature of one form never matches a message of the other.
 */
async function signedMessage(version: 1 | 2, code: string, tracers: string): Promise<Uint8Array<ArrayBuffer>> {
  const text = version === 1 ? await sha256Hex(tracers) : tracers;
  return new TextEncoder().encode(`tsbpf bundle signature ${version}\0${code}\0${text}`);
}

export async function signBundle(key: SigningKey, code: string, tracers: string): Promise<BundleSignature> {
  const signature = new Uint8Array(await crypto.subtle.sign(ED25519, key.privateKey, await signedMessage(VERSION, code, tracers)));
  return { version: VERSION, key: key.publicKey, code, signature: toBase64(signature) };
}

/** Whether `signature` is a valid signature of `tracers` (and the stated code digest) by a trusted key: the key's name, or why not. */
export async function verifyBundle(signature: unknown, tracers: string): Promise<{ signer: string } | { reason: string }> {
  const trust = await trustedSigner(signature);
  if ("reason" in trust) return trust;
  return await signatureMatches(trust.signature, tracers) ? { signer: trust.signer } : editedAfterSigning(trust.signer);
}

/** Who signed: the signature line's form checked and its key one root trusts now (asked on every start), or why not. */
export async function trustedSigner(signature: unknown): Promise<{ signer: string; signature: BundleSignature } | { reason: string }> {
  if (signature === undefined || signature === null) return { reason: "the bundle is not signed" };
  const s = signature as Partial<BundleSignature>;
  if (typeof s.version === "number" && s.version !== 1 && s.version !== 2) {
    return { reason: `its signature is of a form this tsbpf does not know (version ${s.version}): build it again with this tsbpf` };
  }
  if ((s.version !== 1 && s.version !== 2) || typeof s.key !== "string" || typeof s.code !== "string" || typeof s.signature !== "string" || !/^[0-9a-f]{64}$/.test(s.code)) {
    return { reason: "its signature line is damaged" };
  }
  const trusted = await trustedKeys();
  const signer = trusted.keys.get(s.key);
  if (!signer) return { reason: `it is signed by a key this host does not trust (${KEY_LINE} ${s.key}${trusted.notes.length ? `; ${trusted.notes.join("; ")}` : ""})` };
  return { signer, signature: s as BundleSignature };
}

/** Whether `signature` (of a form trustedSigner accepted) is its key's signature of `tracers` and the stated code digest. */
export async function signatureMatches(signature: BundleSignature, tracers: string): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey("raw", fromBase64(signature.key), ED25519, false, ["verify"]);
    return await crypto.subtle.verify(ED25519, key, fromBase64(signature.signature), await signedMessage(signature.version, signature.code, tracers));
  } catch {
    return false; // a malformed key or signature: not valid
  }
}

export function editedAfterSigning(signer: string): { reason: string } {
  return { reason: `its signature (by ${signer}) does not match what it embeds: it was edited after it was signed` };
}

/** The public keys root trusts, by base64, with where each was found; and why a file was not used. */
export async function trustedKeys(): Promise<{ keys: Map<string, string>; notes: string[] }> {
  const keys = new Map<string, string>(), notes: string[] = [];
  const host = readHostPublicKey(notes);
  if (host) keys.set(host, "this host's own key");
  const file = libcSync().getenv("TSBPF_TRUSTED_KEYS") || TRUSTED_KEYS_FILE;
  try {
    const text = readRootFile(file);
    if (text !== undefined) {
      text.split("\n").forEach((line, i) => {
        const key = parseKeyLine(line);
        if (key) keys.set(key, `${file}:${i + 1}`);
      });
    }
  } catch (e) {
    notes.push(`not trusting the keys in ${file}: ${(e as Error).message}`);
  }
  return { keys, notes };
}

/** The base64 key of a `tsbpf-ed25519 BASE64 [name]` line; undefined for blanks, comments and other lines. */
export function parseKeyLine(line: string): string | undefined {
  const m = /^\s*tsbpf-ed25519\s+([A-Za-z0-9+/]{43}=)(\s|$)/.exec(line);
  return m?.[1];
}

export function keyLine(key: SigningKey): string {
  return `${KEY_LINE} ${key.publicKey} ${key.origin}`;
}

/**
 * A file only root can change: root's own, writable by no one else, not a symlink, in a
 * directory chain only root can change. undefined when it does not exist.
 */
function readRootFile(path: string): string | undefined {
  const slash = path.lastIndexOf("/");
  const dir = path.slice(0, slash) || "/";
  if (lstat(dir) === -2) return undefined;
  if (geteuid() !== 0) throw new UntrustedKeyError("only root's trust counts, and tsbpf does not run as root");
  try {
    privateDir(dir, []);
  } catch (e) {
    if (e instanceof UntrustedDirError) throw new UntrustedKeyError(e.message.replace(/^Not using /, "its directory "));
    throw e;
  }
  const bytes = readCheckedFile(path, { maxBytes: 1 << 20, noFollow: true, owners: [0], private: true });
  return bytes && new TextDecoder().decode(bytes);
}

/** Root's private directory for its keys ($XDG_CONFIG_HOME/tsbpf or ~/.config/tsbpf), checked. */
function keyDir(): string {
  const c = libcSync();
  const home = c.getenv("HOME");
  const base = c.getenv("XDG_CONFIG_HOME") ?? (home ? `${home}/.config` : undefined);
  if (!base) throw new UntrustedKeyError("neither XDG_CONFIG_HOME nor HOME is set, so there is no private directory for the host's key");
  try {
    return privateDir(base, ["tsbpf"]);
  } catch (e) {
    if (e instanceof UntrustedDirError) throw new UntrustedKeyError(e.message);
    throw e;
  }
}

function readHostPublicKey(notes: string[]): string | undefined {
  try {
    const dir = keyDir();
    const bytes = readCheckedFile(`${dir}/${HOST_PUBLIC}`, { maxBytes: 4096, noFollow: true, owners: [geteuid()], private: true });
    return bytes && parseKeyLine(new TextDecoder().decode(bytes));
  } catch (e) {
    notes.push(`not trusting this host's key: ${(e as Error).message}`);
    return undefined;
  }
}

/** The host's signing key, made on first use (0600, in root's private directory). */
export async function hostSigningKey(): Promise<SigningKey> {
  const dir = keyDir();
  const file = `${dir}/${HOST_KEY}`;
  if (lstat(file) === -2) {
    const pair = await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"]) as CryptoKeyPair;
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
    const publicKey = toBase64(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)));
    const origin = `host key of ${hostName()}`;
    writeFileAtomic(`${dir}/${HOST_PUBLIC}`, new TextEncoder().encode(`${KEY_LINE} ${publicKey} ${origin}\n`), 0o644);
    writeFileAtomic(file, new TextEncoder().encode(pem(pkcs8)), 0o600);
  }
  const key = await readSigningKey(file);
  return { ...key, origin: `host key of ${hostName()}` };
}

/** A PKCS#8 PEM Ed25519 private key (`openssl genpkey -algorithm ed25519`), if only its owner can read or change it. */
export async function readSigningKey(path: string): Promise<SigningKey> {
  const bytes = readCheckedFile(path, { maxBytes: 16384, noFollow: true, owners: [geteuid()], private: true });
  if (!bytes) throw new UntrustedKeyError(`There is no key file ${path}`);
  const st = lstat(path);
  if (typeof st !== "number" && st.mode & 0o077) throw new UntrustedKeyError(`Not signing with ${path}: other users may read it (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
  const base64 = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(new TextDecoder().decode(bytes))?.[1];
  try {
    const privateKey = await crypto.subtle.importKey("pkcs8", fromBase64(base64!.replace(/\s/g, "")), ED25519, true, ["sign"]);
    const jwk = await crypto.subtle.exportKey("jwk", privateKey);
    const publicKey = toBase64(fromBase64(jwk.x!.replace(/-/g, "+").replace(/_/g, "/") + "="));
    return { privateKey, publicKey, origin: path };
  } catch {
    throw new UntrustedKeyError(`${path} is not an Ed25519 private key in PKCS#8 PEM form (make one with: openssl genpkey -algorithm ed25519 -out ${path})`);
  }
}

function hostName(): string {
  const name = new TextDecoder().decode(readCheckedFile("/proc/sys/kernel/hostname", { maxBytes: 256 }) ?? new Uint8Array()).trim();
  return /^[\w.-]+$/.test(name) ? name : "this host";
}

function pem(der: Uint8Array): string {
  return `-----BEGIN PRIVATE KEY-----\n${toBase64(der).replace(/.{1,64}/g, "$&\n")}-----END PRIVATE KEY-----\n`;
}
