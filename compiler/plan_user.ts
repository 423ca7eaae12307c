// The user-space half of `tsbpf plan`, and its verdict: what the script's modules can do as root
// besides tracing (compiler/capabilities.ts), every tracer class it declares, and what plan could
// not decide. "It only observes" is printed only when nothing on any of these lists says otherwise.
import { type Capability, type Kind, type ModuleScan } from "./capabilities.ts";
import { OBSERVING } from "./capability_tables.ts";

export interface PlannedModule {
  file: string;
  scan?: ModuleScan;
  /** Why it was not reviewed (unreadable, not in the bundle). */
  problem?: string;
}

export interface UserPlanInput {
  modules: PlannedModule[];
  /** Tracer classes plan found but could not compile, each with why. */
  uncompiled: { file: string; name: string; line: number; why: string }[];
  /** Helpers in the kernel programs that change the system (compiler/plan.ts kernelWarnings). */
  kernelWarnings: string[];
  /** More things plan cannot vouch for (a bundle's JavaScript). */
  alsoUnknown?: string[];
}

const ORDER: Kind[] = ["writes files", "spawns processes", "network", "native code (FFI)", "signals", "changes processes", "outlives the tracer", "reads files", "environment"];

export function describeUserSpace(input: UserPlanInput): string {
  const out: string[] = [];
  const where = (file: string, c: { line: number; column: number }) => `${file}:${c.line}:${c.column}`;
  out.push("tracer classes the script can start:");
  for (const m of input.modules) {
    for (const t of m.scan?.tracers ?? []) {
      out.push(`  ${t.name} at ${where(m.file, t)}${t.nested ? ` (${t.nested})` : ""}${t.probes.length ? `: ${t.probes.join(", ")}` : ""}`);
      if (t.maps.length) out.push(`    maps: ${t.maps.join(", ")}`);
    }
  }
  // One line per thing and place: `import { a, b, c } from "pkg"` is one unreviewed import, not three.
  const seen = new Set<string>();
  const all: (Capability & { file: string })[] = input.modules.flatMap((m) => (m.scan?.capabilities ?? []).map((c) => ({ ...c, file: m.file })))
    .filter((c) => {
      const id = `${c.kind}\0${c.what}\0${where(c.file, c)}`;
      return !seen.has(id) && !!seen.add(id);
    });
  out.push("user space (runs as root):");
  let any = false;
  for (const kind of ORDER) {
    const uses = all.filter((c) => c.kind === kind);
    if (!uses.length) continue;
    any = true;
    out.push(`  ${kind}:`, ...uses.map((c) => `    ${c.what} at ${where(c.file, c)}`));
  }
  if (!any) out.push("  nothing beyond tracing and printing");
  out.push(`  modules reviewed: ${input.modules.filter((m) => m.scan).map((m) => m.file).join(", ")}`);
  const unknown = [
    ...all.filter((c) => c.kind === "unknown").map((c) => `${c.what} at ${where(c.file, c)}`),
    ...input.modules.filter((m) => m.problem).map((m) => `${m.file}: ${m.problem}`),
    ...input.uncompiled.map((u) => `tracer ${u.name} at ${u.file}:${u.line}: not compiled here (${u.why}), so its helpers are not listed`),
    ...(input.alsoUnknown ?? []),
  ];
  if (unknown.length) out.push("cannot vouch for:", ...unknown.map((u) => `  ${u}`));
  const acts = all.filter((c) => c.kind !== "unknown" && !OBSERVING.has(c.kind));
  if (!input.kernelWarnings.length && !acts.length && !unknown.length) {
    out.push("verdict: it only observes");
  } else {
    const why = [
      input.kernelWarnings.length ? "kernel programs that change the system (helpers, packet verdicts)" : "",
      acts.length ? [...new Set(acts.map((c) => c.kind))].join(", ") : "",
      unknown.length ? `${unknown.length} thing${unknown.length === 1 ? "" : "s"} plan cannot vouch for` : "",
    ].filter(Boolean);
    out.push(`verdict: NOT shown to only observe (${why.join("; ")}): review the lines above before running it as root`);
  }
  return out.join("\n");
}
