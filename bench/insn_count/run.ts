// Instruction counts, tsbpf vs clang: every handler of handlers.ts and its twin in handlers.bpf.c
// (same name, same program type, same work) is loaded into the kernel, and the kernel's count
// of each (bpf_prog_info.xlated_prog_len / 8, after the verifier's rewrites) is compared.
// The goal (issue 3): tsbpf ≤ 1.2× clang's count on every pair.
//
//   sudo node_modules/.bin/bun bench/insn_count/run.ts
//   sudo node_modules/.bin/deno run -A bench/insn_count/run.ts
//
// Options: --dump NAME (print both programs as the kernel holds them), --no-write (leave
// bench/RESULTS.md alone), --check (exit 1 when a pair misses the goal).
// Needs root, clang and bpftool (Debian: apt-get install -y clang libbpf-dev bpftool).
// Writes only its own section of bench/RESULTS.md, between <!-- insn_count --> markers.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { parseArgs } from "node:util";
import { compile, type ProgramSpec } from "../../compiler/mod.ts";
import { hostTarget } from "../../tracer/compile_target.ts";
import { createMap, loadProgram } from "../../tracer/loader.ts";
import { progInfo } from "../../runtime/bpf.ts";
import { libc } from "../../runtime/ffi/mod.ts";
import type { OwnedFd } from "../../runtime/fd.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const HERE = `${ROOT}/bench/insn_count`;
const OUT = `${ROOT}/bench/out/insn_count`;
const RESULTS = `${ROOT}/bench/RESULTS.md`;
const GOAL = 1.2;
const BEGIN = "<!-- insn_count -->", END = "<!-- /insn_count -->";
const CLANG_FLAGS = ["-O2", "-g", "-target", "bpf"];

const { values: opts } = parseArgs({
  options: {
    dump: { type: "string" },
    "no-write": { type: "boolean", default: false },
    check: { type: "boolean", default: false },
  },
});

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
const has = (cmd: string) => {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

if (process.getuid?.() !== 0) {
  console.error("bench/insn_count/run.ts: loading programs needs root; run it with sudo");
  process.exit(2);
}
if (!has("clang") || !has("bpftool") || !existsSync("/usr/include/bpf/bpf_helpers.h")) {
  console.error("installing clang, libbpf-dev and bpftool from Debian");
  run("apt-get", ["update", "-qq"]);
  execFileSync("apt-get", ["install", "-y", "-qq", "clang", "libbpf-dev", "bpftool"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}
await libc();

// ------------------------------------------------------------------------------------ clang

interface Count {
  insns: number;
  /** The program as the kernel holds it, for --dump. */
  dump: () => string;
}

/** Builds handlers.bpf.c against this kernel's BTF and loads every program with bpftool. */
function clangCounts(): Map<string, Count> {
  mkdirSync(OUT, { recursive: true });
  const header = `${OUT}/vmlinux.h`;
  if (!existsSync(header) || statSync(header).mtimeMs < statSync("/sys/kernel/btf/vmlinux").mtimeMs) {
    writeFileSync(header, run("bpftool", ["btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"]));
  }
  const obj = `${OUT}/handlers.bpf.o`;
  run("clang", [...CLANG_FLAGS, `-I${OUT}`, "-c", `${HERE}/handlers.bpf.c`, "-o", obj]);

  const { dir: fs, unmount } = bpffs();
  const pins = `${fs}/tsbpf_insn_count_${process.pid}`;
  const counts = new Map<string, Count>();
  try {
    run("bpftool", ["prog", "loadall", obj, pins]);
    for (const name of readdirSync(pins)) {
      const info = JSON.parse(run("bpftool", ["prog", "show", "pinned", `${pins}/${name}`, "-j"]));
      const listing = run("bpftool", ["prog", "dump", "xlated", "pinned", `${pins}/${name}`]);
      counts.set(name, { insns: info.bytes_xlated / 8, dump: () => listing });
    }
  } finally {
    rmSync(pins, { recursive: true, force: true }); // unpins: the programs and their maps go with the last reference
    unmount();
  }
  return counts;
}

/** A mounted bpffs to pin into: /sys/fs/bpf when it is one, else a private mount, undone afterwards. */
function bpffs(): { dir: string; unmount: () => void } {
  const mounts = readFileSync("/proc/mounts", "utf8").split("\n").map((l) => l.split(" "));
  const existing = mounts.find((m) => m[2] === "bpf" && m[1] === "/sys/fs/bpf") ?? mounts.find((m) => m[2] === "bpf");
  if (existing) return { dir: existing[1], unmount: () => {} };
  const dir = mkdtempSync(`${tmpdir()}/tsbpf-bpffs-`);
  run("mount", ["-t", "bpf", "bpf", dir]);
  return {
    dir,
    unmount: () => {
      run("umount", [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------------------------ tsbpf

interface TsCount extends Count {
  probe: string;
  /** Instructions as tsbpf emitted them (before the kernel's rewrites). */
  emitted: number;
}

async function tsbpfCounts(): Promise<Map<string, TsCount>> {
  const file = `${HERE}/handlers.ts`;
  const [spec] = compile(readFileSync(file, "utf8"), file, await hostTarget());
  const maps = new Map<string, OwnedFd>();
  const counts = new Map<string, TsCount>();
  try {
    for (const m of spec.maps) maps.set(m.name, createMap(m, { size: 4096 }, spec.programs.length));
    for (const p of spec.programs) {
      const fd = loadProgram(p, maps, file, undefined);
      try {
        const info = progInfo(fd.fd);
        const listing = run("bpftool", ["prog", "dump", "xlated", "id", String(info.id)]);
        counts.set(p.name, { insns: info.xlatedLen / 8, emitted: atob(p.insns).length / 8, probe: probeName(p), dump: () => listing });
      } finally {
        fd.close();
      }
    }
  } finally {
    for (const fd of maps.values()) fd.close();
  }
  return counts;
}

const probeName = (p: ProgramSpec) => `${p.probe.kind === "rawTracepoint" ? "raw_tracepoint" : p.probe.kind} ${p.probe.target}`;

// ------------------------------------------------------------------------------------ report

const ts = await tsbpfCounts();
const cl = clangCounts();

if (opts.dump) {
  const a = ts.get(opts.dump), b = cl.get(opts.dump);
  if (!a || !b) {
    console.error(`no handler "${opts.dump}"; handlers: ${[...ts.keys()].join(", ")}`);
    process.exit(2);
  }
  console.log(`== tsbpf (${a.insns})\n${a.dump()}\n== clang (${b.insns})\n${b.dump()}`);
  process.exit(0);
}

const rows = [...ts].map(([name, t]) => {
  const c = cl.get(name);
  if (!c) throw new Error(`handlers.bpf.c has no program "${name}"`);
  return { name, probe: t.probe, tsbpf: t.insns, clang: c.insns, ratio: t.insns / c.insns };
});
const missed = rows.filter((r) => r.ratio > GOAL);
const total = (k: "tsbpf" | "clang") => rows.reduce((s, r) => s + r[k], 0);

const table = [
  "| handler | program type | tsbpf | clang -O2 | tsbpf / clang | ≤ 1.2× |",
  "|---|---|--:|--:|--:|:-:|",
  ...rows.map((r) => `| ${r.name} | ${r.probe} | ${r.tsbpf} | ${r.clang} | ${r.ratio.toFixed(2)} | ${r.ratio <= GOAL ? "✅" : "❌"} |`),
  `| **all** | | **${total("tsbpf")}** | **${total("clang")}** | **${(total("tsbpf") / total("clang")).toFixed(2)}** | ${missed.length ? `${missed.length} ❌` : "✅"} |`,
];
console.log(table.join("\n"));
console.log(missed.length ? `\n${missed.length} of ${rows.length} pairs above ${GOAL}×: ${missed.map((r) => r.name).join(", ")}` : `\nall ${rows.length} pairs within ${GOAL}×`);

if (!opts["no-write"]) {
  const clang = run("clang", ["--version"]).split("\n")[0];
  const commit = (() => {
    try {
      return run("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]).trim();
    } catch {
      return "?";
    }
  })();
  const section = [
    BEGIN,
    "## Instruction counts: tsbpf vs clang",
    "",
    "Each handler of `bench/insn_count/handlers.ts` has a twin of the same name in `bench/insn_count/handlers.bpf.c` doing the",
    "same work (the same helper calls, kernel reads and event fields) for the same program type. Both are loaded into the",
    "kernel; the counts are the kernel's (`xlated_prog_len / 8` from BPF_OBJ_GET_INFO_BY_FD, after the verifier's rewrites).",
    `Goal (issue 3): tsbpf ≤ ${GOAL}× clang on every pair. Reproduce: \`sudo node_modules/.bin/bun bench/insn_count/run.ts\``,
    "(or `deno run -A`); `--dump NAME` prints both programs. Before the optimiser (commit 53001b9: linear-scan allocation",
    "over r1-r4/r6-r9, no propagation, folding or narrowing) the same handlers took 449 instructions against clang's 421,",
    "6 pairs above 1.2× (hash_u32 1.61, sched_switch 1.51, clamp_args 1.50, ternary 1.40, killsnoop and task_parent 1.29).",
    "",
    `- date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}; kernel: ${readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}; tsbpf commit: ${commit}`,
    `- ${clang}, \`clang ${CLANG_FLAGS.join(" ")}\` (default CPU v1: no 32-bit ALU or JMP32 code); C loaded by \`bpftool prog loadall\` (libbpf, CO-RE)`,
    "",
    ...table,
    END,
  ].join("\n");
  // Another benchmark writes this file too: re-read it right before writing, replace only our section.
  const current = existsSync(RESULTS) ? readFileSync(RESULTS, "utf8") : "# Benchmark results\n";
  const start = current.indexOf(BEGIN), end = current.indexOf(END);
  const next = start >= 0 && end > start
    ? current.slice(0, start) + section + current.slice(end + END.length)
    : current.replace(/\n*$/, "\n\n") + section + "\n";
  writeFileSync(RESULTS, next);
  console.log("wrote the insn_count section of bench/RESULTS.md");
}
if (opts.check && missed.length) process.exit(1);
