// `tsbpf types [-o FILE] [--btf FILE]`: the running kernel's types as TypeScript declarations.
// By default written beside tsbpf's kernel.ts as kernel.d.ts, for "tsbpf/kernel" to re-export.
import { Btf } from "../../btf/reader.ts";
import { kernelId } from "../../tracer/compile_cache.ts";
import { readCheckedFile, readFileBytes, writeFileAtomic } from "../../runtime/files.ts";
import { parseCommand } from "../args.ts";
import { CliError, UsageError } from "../errors.ts";
import { kernelDeclarations } from "./dts.ts";
import { HELP } from "../help.ts";
import { ownPath } from "../../runtime/own_files.ts";

const OPTIONS = {
  output: { type: "string", short: "o" },
  btf: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const VMLINUX = "/sys/kernel/btf/vmlinux";
/** Far more than any kernel's BTF (vmlinux: ≈ 6 MB). */
const MAX_BTF_BYTES = 256 << 20;

/** Where `tsbpf types` writes when not told: kernel.d.ts in the package root. */
export const DEFAULT_OUTPUT = ownPath("kernel.d.ts");

export async function typesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, OPTIONS, "types");
  if (values.help) return (console.log(HELP.types), 0);
  if (positionals.length) throw new UsageError(`unexpected "${positionals[0]}"`, "types");
  const started = performance.now();
  const path = typeof values.btf === "string" ? values.btf : VMLINUX;
  // A user-given --btf file may be a FIFO or a device: checked and read with a bound.
  const bytes = path === VMLINUX ? readFileBytes(path) : readCheckedFile(path, { maxBytes: MAX_BTF_BYTES });
  if (!bytes) {
    throw new CliError(path === VMLINUX
      ? `This kernel has no BTF (${VMLINUX} is missing); it needs CONFIG_DEBUG_INFO_BTF=y (Linux 5.4 or newer)`
      : `No such file: ${path}`);
  }
  const title = path === VMLINUX ? `Linux ${kernelId()}` : path;
  const { text, stats } = kernelDeclarations(Btf.parse(bytes), title);
  const out = typeof values.output === "string" ? values.output : DEFAULT_OUTPUT;
  const data = new TextEncoder().encode(text);
  if (out === "-") {
    await writeStdout(data);
    return 0;
  }
  try {
    writeFileAtomic(out, data);
  } catch (e) {
    throw new CliError(`Cannot write ${out}: ${(e as Error).message}`);
  }
  const ms = Math.round(performance.now() - started);
  console.error(`tsbpf types: wrote ${out} (${(data.length / 1e6).toFixed(1)} MB: ${stats.structs} structs and unions, ${stats.enums} enums, ${stats.typedefs} typedefs, ${stats.functions} functions) in ${ms} ms`);
  return 0;
}

async function writeStdout(data: Uint8Array): Promise<void> {
  const { stdout } = await import("node:process");
  await new Promise<void>((resolve, reject) => stdout.write(data, (e) => (e ? reject(e) : resolve())));
}
