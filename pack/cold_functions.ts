// Which functions of the compiler's and the one-liner transform's chunks a cold start runs
// (pack/eager_compile.ts compiles only those eagerly, so that Deno's code cache holds them and
// nothing more).
//
// When the package is packed: a copy of the bundle in which each function eager_compile.ts could
// rewrite first records that it ran, and then the compile of small scripts like those a user
// writes or `tsbpf -e` generates (a tracepoint, a pid filter, a ring buffer, printf), against a
// target that needs no kernel, after the transform of bench/'s one-liner. What they run is what a cold start of such a script runs; a
// bigger script also runs functions outside the set, which V8 then compiles on their first call,
// as it would without the rewrite.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { pathToFileURL } from "node:url";
import type { Metafile } from "esbuild";
import type { CompileTarget, ProbeContext, ProbeRef } from "../spec/target.ts";
import { parseFormat } from "../probes/tracepoint_format.ts";
import { type FunctionEnd, rewritableFunctions } from "./eager_compile.ts";

/** The compile a cold start of a script runs: compiler/compile.ts as bundled. */
const COMPILER_ENTRY = "compiler/compile.ts";
/** What a cold `tsbpf -e` runs first: the one-liner's transform into a script. */
const TRANSFORM = "cli/oneliner/oneliner.ts";
/** The one-liner of bench/ (its launch job), whose script is COLD_SAMPLES[1]. */
const ONELINER = `tracepoint("syscalls:sys_enter_getppid", () => pid() == 1234 && printf("E %d\\n", pid()))`;

/** The global each instrumented function calls first. */
const HIT = "__tsbpfColdHit";

/** A syscall's tracepoint format, as tracefs writes it. */
const FORMAT = `name: sys_enter_getppid
ID: 180
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
`;

/** Scripts like bench/tsbpf/launch1.ts and what `tsbpf -e` makes of a one-liner with printf. */
export const COLD_SAMPLES = [
  `import { pid, RingBuf, Tracer, tracepoint, type u32 } from "tsbpf";
interface Call {
  pid: u32;
}
class Launch extends Tracer {
  events = new RingBuf<Call>();

  @tracepoint("syscalls:sys_enter_getppid")
  onGetppid() {
    if (pid() !== 1234) return;
    this.events.submit({ pid: pid() });
  }
}
const t = await new Launch().start();
t.events.on((e) => console.log(e.pid));
`,
  `import { RingBuf, Tracer, ktime, pid, tracepoint } from "tsbpf";
import { OneLinerRuntime, print, printf, exit, clear, time, elapsed, userString, cliOptions } from "tsbpf/oneliner";

interface Print0 { _t: u64; v0: u32 }

class OneLiner extends Tracer {
  _p0 = new RingBuf<Print0>(256 * 1024);

  @tracepoint("syscalls:sys_enter_getppid")
  h0() {
    if (pid() == 1234) { this._p0.submit({ _t: ktime(), v0: pid() }); }
  }

  override begin(): void {
    _oneLiner.attached();
  }
}

const _oneLiner = new OneLinerRuntime({ maps: {}, prints: [{ kind: "printf", format: "E %d\\n", fields: ["v0"] }], begin: [], end: [], intervals: [], probes: 1, unkeyed: [] });
await _oneLiner.run(new OneLiner());
`,
];

/** A kernel with ring buffers whose every tracepoint has FORMAT's fields. */
const TARGET: CompileTarget = {
  probeContext: (ref: ProbeRef): ProbeContext => {
    if (ref.kind !== "tracepoint") throw new Error(`pack/cold_functions.ts: the samples use tracepoints only, not @${ref.kind}`);
    return { progType: 5, fields: parseFormat(FORMAT, true).fields, describe: `tracepoint ${ref.target}` };
  },
  btf: () => {
    throw new Error("pack/cold_functions.ts: the samples read no kernel type");
  },
  ringBuffers: () => true,
  pidNamespace: () => undefined,
};

/** `source` with a call of HIT(id) first in each function eager_compile.ts could rewrite; the id's function ends. */
export function instrument(source: string, firstId: number): { text: string; ends: FunctionEnd[] } {
  const inserts: { at: number; text: string }[] = [];
  const ends: FunctionEnd[] = [];
  for (const f of rewritableFunctions(source)) {
    const id = firstId + ends.length;
    ends.push(f.end);
    if (f.body.type === "BlockStatement") inserts.push({ at: f.body.start + 1, text: `${HIT}(${id});` });
    else inserts.push({ at: f.body.start, text: `(${HIT}(${id}),` }, { at: f.body.end, text: ")" });
  }
  // From the end, so each offset is still the original text's; at one offset, the later insert goes in first.
  inserts.sort((a, b) => b.at - a.at);
  let text = source;
  for (const { at, text: add } of inserts) text = text.slice(0, at) + add + text.slice(at);
  return { text, ends };
}

/**
 * The functions of `outputs` (the bundle's paths, in `outdir`) that compiling COLD_SAMPLES and
 * transforming ONELINER run, by output: where each ends in the output as written.
 */
export async function coldFunctions(outdir: string, meta: Metafile, outputs: string[]): Promise<Map<string, Set<FunctionEnd>>> {
  const entry = Object.entries(meta.outputs).find(([, out]) => out.entryPoint === COMPILER_ENTRY)?.[0];
  if (!entry) throw new Error(`pack/cold_functions.ts: no output holds ${COMPILER_ENTRY}`);
  const transform = Object.entries(meta.outputs).find(([path, out]) => path.endsWith(".js") && TRANSFORM in out.inputs)?.[0];
  if (!transform) throw new Error(`pack/cold_functions.ts: no output holds ${TRANSFORM}`);
  const base = (path: string) => path.slice(path.lastIndexOf("/") + 1);
  const copy = mkdtempSync(`${tmpdir()}/tsbpf-cold-functions-`);
  const functions: { output: string; end: FunctionEnd }[] = [];
  const hits = new Set<number>();
  const global = globalThis as Record<string, unknown>;
  try {
    for (const file of readdirSync(outdir)) if (file.endsWith(".js")) copyFileSync(`${outdir}/${file}`, `${copy}/${file}`);
    for (const output of outputs) {
      const { text, ends } = instrument(readFileSync(`${outdir}/${base(output)}`, "utf8"), functions.length);
      writeFileSync(`${copy}/${base(output)}`, text);
      for (const end of ends) functions.push({ output, end });
    }
    global[HIT] = (id: number) => hits.add(id);
    const mod = await import(pathToFileURL(`${copy}/mod.js`).href);
    const { transformOneLiner } = await import(pathToFileURL(`${copy}/${base(transform)}`).href);
    const script = await transformOneLiner(ONELINER, {
      modUrl: "tsbpf", runtimeUrl: "tsbpf/oneliner", exports: new Set(Object.keys(mod)), pidFilter: false,
      kernel: { expand: (_kind: string, pattern: string) => [pattern], tracepointFields: () => parseFormat(FORMAT, true).fields },
    });
    if (!script.source.includes("class OneLiner")) throw new Error("pack/cold_functions.ts: the one-liner's transform made no tracer");
    const compiler = await import(pathToFileURL(`${copy}/${base(entry)}`).href);
    for (const [i, source] of COLD_SAMPLES.entries()) {
      await compiler.prepareParse(source, () => {}); // the repository's own @babel/parser, were it needed
      const specs = compiler.compile(source, `sample${i}.ts`, TARGET);
      if (specs.length !== 1 || specs[0].programs.length !== 1) throw new Error(`pack/cold_functions.ts: sample ${i} compiled to ${specs.length} tracers`);
    }
  } finally {
    delete global[HIT];
    rmSync(copy, { recursive: true, force: true });
  }
  const ran = new Map<string, Set<FunctionEnd>>(outputs.map((o) => [o, new Set()]));
  for (const id of hits) ran.get(functions[id].output)!.add(functions[id].end);
  return ran;
}
