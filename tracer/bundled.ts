// A tracer from a `tsbpf build` bundle, made to run what its embedded source says.
//
// A bundle carries each tracer's source (what `tsbpf plan` reviews) and precompiled programs.
// Anyone who can edit the file can replace the programs, and a digest beside them would be
// replaced as easily; a signature cannot be (tracer/bundle_signature.ts). So the precompiled
// programs load as they are, without the parser or the compiler, only when a key root trusts
// signed the bundle and their assumptions hold on this kernel. Otherwise the programs loaded
// are the ones compiled here from the embedded source (once per source and kernel: the compile
// cache keeps them), and the precompiled ones only serve to notice an edited bundle, which is
// then said plainly. Either way, the probes attached are checked against the source: the
// bundle's JavaScript names them at run time, and an edited one could name others.
import type { ProbeRef } from "../spec/target.ts";
import type { TracerSpec } from "../spec/tracer_spec.ts";
import { probesCacheInput, probesCacheKey } from "../probes/mod.ts";
import { cacheKey, cacheOff, readCache, writeCache } from "./compile_cache.ts";
import { TracerError } from "../runtime/errors.ts";
import { checkProbesMatchSource } from "./source_probes.ts";
import { verbose } from "../runtime/verbose.ts";
import { editedAfterSigning, SIGNATURE_PREFIX, signatureMatches, trustedSigner, verifyBundle } from "./bundle_signature.ts";
import { sha256Hex } from "../runtime/digest.ts";
import { validateSpecs } from "../spec/spec_schema.ts";

export interface Bundled {
  spec: TracerSpec;
  source: string;
}

type Compiler = (source: string, file: string, className: string) => Promise<TracerSpec>;

/** The bundle's entry for `className`, checked to be data of the expected shape. */
export function bundledEntry(bundle: unknown, className: string): Bundled | undefined {
  if (!bundle || typeof bundle !== "object" || !Object.hasOwn(bundle, className)) return undefined;
  const entry = (bundle as Record<string, unknown>)[className] as Partial<Bundled> | undefined;
  if (typeof entry?.source !== "string" || typeof entry.spec?.file !== "string" || !Array.isArray(entry.spec.programs)) {
    throw new TracerError(`The bundle's entry for ${className} is damaged (no source or spec): rebuild it with tsbpf build`);
  }
  return entry as Bundled;
}

/**
 * The spec to load: the bundle's own when it is signed by a trusted key and fits this kernel,
 * else compiled from the bundle's source on this kernel (or the cache's copy of that).
 * `variant`: what start() asked for that the bundle was not built with (a cgroup filter, histogram
 * sums: other code), so the precompiled programs cannot be used or compared; "" for none.
 */
export async function bundledSpec(bundled: Bundled, className: string, probes: ProbeRef[], variant: string, compile: Compiler): Promise<Bundled> {
  const { source } = bundled;
  const file = bundled.spec.file;
  if (!variant) {
    const trusted = await trustedPrecompiled(bundled, className, probes);
    if ("spec" in trusted) {
      checkProbesMatchSource(trusted.spec, probes, className, "the bundle was edited; refusing to run it");
      const earlier = trusted.cached ? "; their signature, form and assumptions as checked at an earlier start here: cache" : "";
      verbose(`${className}: the bundle's precompiled programs, signed by ${trusted.signer}, load as they are (neither the parser nor the compiler is loaded${earlier})`);
      return { spec: trusted.spec, source };
    }
    verbose(`${className}: compiling the handlers from the bundle's source: ${trusted.reason}`);
  }
  const key = await cacheKey(source, file, `bundle\0${className}\0${probesCacheKey(probes)}\0${variant}`, probesCacheInput(probes));
  let spec = readCache(key)?.[0];
  const cached = spec !== undefined;
  if (!spec) {
    spec = await compile(source, file, className);
    writeCache(key, [spec]);
  }
  if (variant) {
    verbose(`${className}: the handlers compiled from the bundle's source with ${variant}`);
  } else if (sameCode(bundled.spec, spec)) {
    verbose(`${className}: the bundle's precompiled programs match its source (${cached ? "as compiled here before: cache" : "compiled again here to check"})`);
  } else {
    // Different code is expected on another kernel (the assumptions say so); on this one it is an edit.
    const { brokenAssumption } = await import("./assumptions.ts");
    const broken = await brokenAssumption(bundled.spec);
    if (broken) {
      verbose(`${className}: ${cached ? "compiled" : "compiling"} the handlers again for this kernel (${broken.slice(0, 120)} no longer holds)`);
    } else {
      console.error(`tsbpf: ${className}: the bundle's precompiled programs differ from its embedded source (the bundle was edited, or built by another tsbpf version); running the programs compiled from the source`);
    }
  }
  checkProbesMatchSource(spec, probes, className, "the bundle was edited; refusing to run it");
  return { spec, source };
}

/** Same instructions, relocations and maps (with a ProgramArray's slots), program by program, and the same programs attached. */
function sameCode(a: TracerSpec, b: TracerSpec): boolean {
  const code = (s: TracerSpec) => JSON.stringify([s.programs.map((p) => [p.name, p.probe.kind, p.probe.target, p.insns, p.relocs, p.tailCallTarget ?? false]), s.maps]);
  return code(a) === code(b);
}

let signer: ReturnType<typeof trustedSigner> | undefined;
let signedTracers: Promise<unknown> | undefined;

/**
 * The tracers exactly as the signature covers them (its JSON text, parsed again), or undefined
 * when it does not match. Not the bundle's object itself: its line is JavaScript, where a
 * "__proto__" key sets a prototype that JSON.stringify leaves out and a read of a missing field
 * finds (a program made a tail-call target, never attached, under a valid signature).
 */
async function signedCopy(signature: Parameters<typeof signatureMatches>[0], bundle: unknown): Promise<unknown> {
  const text = JSON.stringify(bundle);
  return await signatureMatches(signature, text) ? JSON.parse(text) : undefined;
}

/**
 * The bundle's spec for this tracer if a trusted key signed it and it fits this kernel, or why not.
 * The key's trust is asked on every start (a key root stops trusting stops its bundles). The rest
 * (the Ed25519 verify, the spec's form, the kernel's facts) is cold code that a start after the
 * first need not run again: once it all passed, the spec goes into root's private compile cache
 * under this signature, source, kernel and settings (what the cache's entries are keyed by), and a
 * later start loads exactly that spec. An edit of the bundle's programs under the same signature
 * therefore loads the programs that were verified, never the edited ones.
 */
async function trustedPrecompiled(bundled: Bundled, className: string, probes: ProbeRef[]): Promise<{ spec: TracerSpec; signer: string; cached?: true } | { reason: string }> {
  const g = globalThis as { __TSBPF_BUNDLE__?: unknown; __TSBPF_BUNDLE_SIGNATURE__?: unknown };
  signer ??= trustedSigner(g.__TSBPF_BUNDLE_SIGNATURE__);
  const trust = await signer;
  if ("reason" in trust) return trust;
  const key = cacheOff() ? undefined : await cacheKey(bundled.source, bundled.spec.file, `signed bundle\0${className}\0${trust.signature.key}\0${trust.signature.signature}`, probesCacheInput(probes));
  const cached = key && readCache(key)?.[0];
  if (cached) return { spec: cached, signer: trust.signer, cached: true };
  // Checked once per process: the signature covers every tracer of the bundle.
  signedTracers ??= signedCopy(trust.signature, g.__TSBPF_BUNDLE__);
  const signed = await signedTracers;
  if (!signed) return editedAfterSigning(trust.signer);
  const entry = bundledEntry(signed, className);
  if (!entry) return { reason: `the signed tracers have no ${className}` };
  const checked = await trustedPrecompiledSpec(entry, trust.signer);
  if (key && "spec" in checked) writeCache(key, [checked.spec]);
  return checked;
}

/** The signed bundle's spec for this tracer if it is of the expected form and fits this kernel, or why not. */
async function trustedPrecompiledSpec(bundled: Bundled, signer: string): Promise<{ spec: TracerSpec; signer: string } | { reason: string }> {
  let spec: TracerSpec;
  try {
    [spec] = validateSpecs([bundled.spec]);
  } catch (e) {
    return { reason: `its precompiled spec is not of this tsbpf's form (${(e as Error).message})` };
  }
  const { brokenAssumption } = await import("./assumptions.ts");
  const broken = await brokenAssumption(spec);
  if (broken) return { reason: `the programs were compiled for another kernel (${broken.slice(0, 120)} does not hold here)` };
  return { spec, signer };
}

/**
 * For `tsbpf plan`: which programs a start of this bundle loads on this kernel, one line per
 * tracer, and whether its JavaScript is still what the signer built. `text`: the whole file.
 */
export async function bundleLoadPlan(text: string): Promise<string[]> {
  /** The line starting with `prefix`: where it starts, where the next begins, its JSON. */
  const line = (prefix: string) => {
    const at = text.startsWith(prefix) ? 0 : text.indexOf(`\n${prefix}`) + 1;
    if (at === 0 && !text.startsWith(prefix)) return undefined;
    const end = text.indexOf("\n", at) + 1 || text.length;
    return { at, end, json: text.slice(at + prefix.length, end).trim().replace(/;$/, "") };
  };
  const tracersLine = line("globalThis.__TSBPF_BUNDLE__ = "), signatureLine = line(SIGNATURE_PREFIX);
  if (!tracersLine) return [];
  let tracers: Record<string, Bundled>, signature: unknown;
  try {
    tracers = JSON.parse(tracersLine.json);
    signature = signatureLine ? JSON.parse(signatureLine.json) : undefined;
  } catch {
    return ["programs: the bundle's embedded data is damaged: it cannot run"];
  }
  const verdict = await verifyBundle(signature, JSON.stringify(tracers));
  const out: string[] = [];
  if ("signer" in verdict && signatureLine) {
    const unsigned = text.slice(0, signatureLine.at) + text.slice(signatureLine.end);
    const code = await sha256Hex(unsigned);
    out.push(code === (signature as { code: string }).code
      ? `signed by ${verdict.signer} (trusted): its JavaScript is as the signer built it`
      : `signed by ${verdict.signer}, but its JavaScript was changed after signing (sha256 ${code}, signed ${(signature as { code: string }).code}): do not run it`);
  } else {
    out.push(`not trusted: ${"reason" in verdict ? verdict.reason : ""}`);
  }
  for (const className of Object.keys(tracers)) {
    if ("reason" in verdict) {
      out.push(`${className}: compiled from the embedded source where it runs (its precompiled programs are not used)`);
      continue;
    }
    const trusted = await trustedPrecompiledSpec(bundledEntry(tracers, className)!, verdict.signer);
    out.push("spec" in trusted
      ? `${className}: the precompiled programs load as they are on this kernel (no parser, no compiler)`
      : `${className}: compiled from the embedded source on this kernel: ${trusted.reason}`);
  }
  return out;
}
