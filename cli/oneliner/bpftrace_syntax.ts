// bpftrace's language typed into `tsbpf -e` (`tracepoint:syscalls:sys_enter_openat { ... }`):
// recognised, and translated into a tsbpf one-liner where the translation is plain — probe
// specs, filters, map assignments of count()/hist()/..., printf, str, the common builtins.
// What has no plain translation (casts, scratch control flow, builtins tsbpf spells otherwise)
// is named instead, so the user knows what to look up in docs/cli.md.

import { type FormatPart, parseFormat } from "./printf.ts";
import { INSTEAD, PERF_NAMES } from "./bpftrace_names.ts";
import { closing, splitArguments, stringEnd, Untranslatable, untranslatable } from "./bpftrace_text.ts";
import { casts, rejectTuples, strLengths, strncmpAsPrefix } from "./bpftrace_rewrites.ts";

/** The one-liner; or what stops the translation, and where in the text when that is known. */
export type BpftraceTranslation = { oneliner: string } | { untranslatable: string; at?: { start: number; end: number } };

/** `PROBE[, PROBE]` at the start (U is usdt's short name), or `BEGIN` / `END`; then `[/FILTER/] {`. */
const PROBE_SPECS = /^\s*(BEGIN|END|(?:[a-z]+|U):[^\s{,]*)\s*(,\s*(?:[a-z]+|U):[^\s{,]*\s*)*/;

/** Where the first probe spec is written (after comments and #include lines). */
export function firstProbeSpec(text: string): { start: number; end: number } {
  const code = withoutComments(text);
  const start = code.length - code.trimStart().length;
  const spec = /^[^\s{/,]+/.exec(code.slice(start));
  return { start, end: start + Math.max(1, spec?.[0].length ?? 1) };
}

/** Whether `text` is written in bpftrace's language rather than TypeScript. */
export function looksLikeBpftrace(text: string): boolean {
  const code = withoutComments(text);
  const specs = PROBE_SPECS.exec(code);
  if (!specs) return false;
  let i = specs[0].length;
  if (code[i] === "/") {
    const end = filterEnd(code, i);
    if (end < 0) return false;
    i = end + 1;
    while (/\s/.test(code[i] ?? "")) i++;
  }
  return code[i] === "{";
}

/** The one-liner a bpftrace program becomes, or what stops its translation. */
export function translateBpftrace(text: string): BpftraceTranslation {
  try {
    // Probes that share a body (`kprobe:f, kprobe:g { ... }`): one call each.
    const code = withoutComments(text);
    // In user space $ is every map: the map @ alone is $[""] there when the program has named maps too.
    const unnamed = /@\w/.test(code) ? `$[""]` : "$";
    const blocks = splitProbes(code);
    // The maps the probes (in the kernel) use: the only ones BEGIN, END and interval can set.
    const kernelMaps = new Set(blocks.filter((b) => !b.specs.every(isUserSpace)).flatMap((b) => [...`${b.filter ?? ""} ${b.body}`.matchAll(/@(\w+)/g)].map((m) => m[1])));
    const probes = blocks.flatMap((b) => b.specs.map((spec) => {
      try {
        return translateProbe(spec, b, unnamed, kernelMaps);
      } catch (e) {
        // What stopped it is looked for from this probe's block on.
        if (e instanceof Untranslatable && e.from === undefined) e.from = b.start;
        throw e;
      }
    }));
    return { oneliner: probes.join("; ") };
  } catch (e) {
    if (!(e instanceof Untranslatable)) throw e;
    const at = e.near === undefined ? undefined : placeOf(withoutComments(text), e.near, e.from ?? 0) ?? placeOf(withoutComments(text), e.near, 0);
    return at ? { untranslatable: e.message, at } : { untranslatable: e.message };
  }
}

/** Where `near` is written first in `code` from `from` on (outside strings; a name as a whole word). */
function placeOf(code: string, near: string, from: number): { start: number; end: number } | undefined {
  const word = /^[\w$]/.test(near) && /\w$/.test(near);
  for (let i = from; i < code.length; i++) {
    if (code[i] === '"') i = stringEnd(code, i);
    else if (code.startsWith(near, i) && !(word && (/[\w$]/.test(code[i - 1] ?? "") || /\w/.test(code[i + near.length] ?? "")))) {
      return { start: i, end: i + near.length };
    }
  }
  return undefined;
}

interface ProbeBlock {
  /** Where the block (its first probe spec) starts in the program. */
  start: number;
  specs: string[];
  filter?: string;
  body: string;
}

function splitProbes(text: string): ProbeBlock[] {
  const blocks: ProbeBlock[] = [];
  let i = 0;
  const skip = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  for (skip(); i < text.length; skip()) {
    const blockStart = i;
    const specs: string[] = [];
    for (;;) {
      const start = i;
      while (i < text.length && !/[\s{,]/.test(text[i])) i++;
      specs.push(text.slice(start, i));
      skip();
      if (text[i] !== ",") break;
      i++;
      skip();
    }
    let filter: string | undefined;
    if (text[i] === "/") {
      const end = filterEnd(text, i);
      if (end < 0) throw new Untranslatable("the filter has no closing / before the probe's {");
      filter = text.slice(i + 1, end).trim();
      i = end + 1;
      skip();
    }
    if (text[i] !== "{") throw new Untranslatable(`"${text.slice(i, i + 20)}" where a probe's { ... } was expected`);
    const end = closing(text, i);
    blocks.push({ start: blockStart, specs, filter, body: text.slice(i + 1, end) });
    i = end + 1;
  }
  return blocks;
}

/**
 * The index of the / that closes the filter opened at `open`: the last / before the body's { (a / in
 * a string or a division is the filter's own, as is a { inside brackets or a string); -1 if none.
 */
function filterEnd(text: string, open: number): number {
  let depth = 0, last = -1;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '"') i = stringEnd(text, i);
    else if ("([".includes(c)) depth++;
    else if (")]".includes(c)) depth--;
    else if (c === "/") last = i;
    else if (c === "{" && depth === 0) return last;
  }
  return -1;
}

/**
 * The preprocessor lines bpftrace's tools hold: headers and `#ifndef BPFTRACE_HAVE_BTF` around
 * them. tsbpf has the kernel's types from BTF (as bpftrace with BTF), so every branch is skipped.
 */
const SKIPPED_DIRECTIVE = /^#\s*(include|ifn?def|if|elif|else|endif)\b/;

/**
 * `text` with its comments (`// ...`, `/* ... *\/`), preprocessor lines (SKIPPED_DIRECTIVE) and a
 * tool file's `#!/usr/bin/env bpftrace` first line blanked out, strings kept
 * as written (so positions stay). tsbpf takes kernel types from BTF: no headers to include.
 */
function withoutComments(text: string): string {
  text = withoutNoBtfBranches(text);
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "#" && /^\s*$/.test(text.slice(text.lastIndexOf("\n", i - 1) + 1, i)) && (SKIPPED_DIRECTIVE.test(text.slice(i, i + 8)) || (i === 0 && text.startsWith("#!")))) {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      out += " ".repeat(stop - i);
      i = stop - 1;
    } else if (c === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end + 1);
      i = end;
    } else if (c === "/" && (text[i + 1] === "/" || text[i + 1] === "*")) {
      const close = text[i + 1] === "/" ? text.indexOf("\n", i) : text.indexOf("*/", i + 2);
      const end = close < 0 ? text.length : text[i + 1] === "/" ? close : close + 2;
      out += text.slice(i, end).replace(/[^\n]/g, " ");
      i = end - 1;
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * `text` with the lines a kernel without BTF would need blanked out: the body of
 * `#ifndef BPFTRACE_HAVE_BTF` and the `#else` of `#ifdef BPFTRACE_HAVE_BTF`, where tools define
 * kernel structs (dcsnoop.bt's nameidata) that bpftrace with BTF skips too. Lengths are kept.
 */
function withoutNoBtfBranches(text: string): string {
  // Per open #if: whether it tests BPFTRACE_HAVE_BTF, and whether its current branch is skipped.
  const open: { btf: boolean; skip: boolean }[] = [];
  return text.split("\n").map((line) => {
    const d = /^\s*#\s*(ifndef|ifdef|if|else|elif|endif)\b\s*(\w*)/.exec(line);
    if (d?.[1].startsWith("if")) {
      const btf = d[1] !== "if" && d[2] === "BPFTRACE_HAVE_BTF";
      open.push({ btf, skip: btf && d[1] === "ifndef" });
    } else if (d?.[1] === "else" && open.length && open[open.length - 1].btf) {
      open[open.length - 1].skip = !open[open.length - 1].skip;
    } else if (d?.[1] === "endif") {
      open.pop();
    } else if (!d && open.some((o) => o.skip)) {
      return " ".repeat(line.length);
    }
    return line;
  }).join("\n");
}

// ------------------------------------------------------------------ probes

/** BEGIN, END and interval run in user space in tsbpf. */
function isUserSpace(spec: string): boolean {
  return spec === "BEGIN" || spec === "END" || /^(interval|i):/.test(spec);
}

function translateProbe(spec: string, block: ProbeBlock, unnamedInUserSpace: string, kernelMaps: Set<string>): string {
  const userSpace = isUserSpace(spec);
  const body = translateBody(block.body, block.filter, userSpace ? { unnamed: unnamedInUserSpace, userSpace: spec, kernelMaps } : { unnamed: "$" });
  const uses = (name: RegExp) => name.test(body.text);
  // bpftrace's argN is a 64-bit integer: a uprobe's register or a USDT argument declared u64 is one in
  // arithmetic (hist(arg0)) and still an address str(arg0) reads through. A kprobe's arguments have their types.
  const positional = (type: string) => {
    const n = Math.max(-1, ...[...body.text.matchAll(/\barg(\d+)\b/g)].map((m) => Number(m[1])));
    return n < 0 ? "()" : `(${Array.from({ length: n + 1 }, (_, i) => `arg${i}${type}`).join(", ")})`;
  };
  const fn = (params: string) => `${params} => ${body.arrowBody}`;
  if (spec === "BEGIN" || spec === "END") return `${spec.toLowerCase()}(() => ${body.arrowBody})`;
  const [kind, ...rest] = spec.split(":");
  const target = rest.join(":");
  switch (kind) {
    case "tracepoint": case "t":
      return `tracepoint(${JSON.stringify(target)}, ${fn(uses(/\bargs\b/) ? "args" : "()")})`;
    case "rawtracepoint": case "rt": {
      // tsbpf's handler takes the raw arguments as one array: bpftrace's arg1 is args[1].
      const arrowBody = body.arrowBody.replace(/\barg(\d+)\b/g, "args[$1]");
      return `rawTracepoint(${JSON.stringify(target)}, ${uses(/\bargs\b|\barg\d+\b/) ? "args" : "()"} => ${arrowBody})`;
    }
    case "kprobe": case "k": case "uprobe": case "u": case "usdt": case "U":
      if (uses(/\bargs\b/)) throw new Untranslatable(`args in a ${kind} probe: name the function's arguments as the arrow's parameters`, "args");
      return `${({ k: "kprobe", u: "uprobe", U: "usdt" } as Record<string, string>)[kind] ?? kind}(${JSON.stringify(target)}, ${fn(positional(kind.startsWith("k") ? "" : ": u64"))})`;
    case "kretprobe": case "kr": case "uretprobe": case "ur":
      return `${kind.startsWith("k") ? "kretprobe" : "uretprobe"}(${JSON.stringify(target)}, ${fn(uses(/\bretval\b/) ? "retval" : "()")})`;
    case "profile": case "p": case "interval": case "i": {
      const [unit, value] = rest.length === 2 ? rest : ["hz", rest[0]];
      const n = Number(value);
      if (!/^\d+$/.test(value ?? "")) throw new Untranslatable(`the probe "${spec}"`, spec);
      if (kind.startsWith("p")) {
        // profile:ms:10 is every 10 ms: 100 Hz; a period that is no whole number of Hz has no form.
        const hz = ({ hz: n, s: 1 / n, ms: 1000 / n, us: 1e6 / n } as Record<string, number>)[unit];
        if (!Number.isInteger(hz) || hz < 1) throw new Untranslatable(`"${spec}": tsbpf's profile() takes a whole rate in Hz (profile:ms:10 is profile(100, ...)); this period is ${hz === undefined ? "not one of hz, s, ms, us" : `${hz} Hz`}`, spec);
        return `profile(${hz}, ${fn("()")})`;
      }
      const seconds = ({ s: n, ms: n / 1000, us: n / 1e6 } as Record<string, number>)[unit];
      if (seconds === undefined) throw new Untranslatable(`the probe "${spec}"`, spec);
      return `interval(${seconds}, () => ${body.arrowBody})`;
    }
    case "software": case "s": case "hardware": case "h": {
      const [name, count] = rest;
      if (!name || rest.length > 2 || (count !== undefined && !/^\d+$/.test(count))) break;
      const type = kind.startsWith("s") ? "software" : "hardware";
      const period = count === undefined ? "" : `, period: ${Number(count)}`;
      return `perfEvent({ type: "${type}", config: ${JSON.stringify(PERF_NAMES[name] ?? name)}${period} }, ${fn("()")})`;
    }
  }
  throw new Untranslatable(`the probe "${spec}" (tsbpf's probes: docs/cli.md, "One-liners")`, spec);
}


// ------------------------------------------------------------------ bodies and expressions

const AGGREGATIONS = new Set(["count", "sum", "min", "max", "avg", "stats", "hist", "lhist"]);
const BUILTINS: Record<string, string> = {
  pid: "pid()", tid: "tid()", uid: "uid()", gid: "gid()", comm: "comm()", cpu: "cpu()", nsecs: "ktime()",
  kstack: "kstack()", ustack: "ustack()", probe: "probe()", curtask: "curtask()", cgroup: "cgroup()",
};
/** Names that stay as they are: the handler's parameters, and functions tsbpf has too. */
const KEPT = new Set(["as", "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "args", "retval", "str", "ksym", "usym", "ntop", "reg", "printf", "print", "join", "exit", "clear", ...AGGREGATIONS]);

/** Where a body runs: what the map @ is written as there; `userSpace`, the probe, for BEGIN, END and interval. */
interface Scope {
  unnamed: string;
  /** Loops translated so far: each loop's counter has a name of its own. */
  loops?: number;
  userSpace?: string;
  /** In user space: the maps the probes use (the ones that exist there). */
  kernelMaps?: Set<string>;
  /** A printf's value: where strftime(format, nsecs) has a translation (the event's time). */
  printf?: boolean;
}

function translateBody(body: string, filter: string | undefined, scope: Scope): { text: string; arrowBody: string } {
  // bpftrace's $x lives for the whole probe: one first set inside a block is declared before it.
  const hoisted = [...nestedFirstAssignments(body)].map((name) => `let ${name} = 0`);
  const declared = new Set<string>(nestedFirstAssignments(body));
  const statements = [...hoisted, ...splitStatements(body).map((s) => translateStatement(s, declared, scope))];
  const cond = filter === undefined ? undefined : expressionOf(filter, scope);
  const text = [cond ?? "", ...statements].join(" ");
  if (statements.length === 0) return { text, arrowBody: "{}" };
  if (statements.length === 1 && !/^(let|if|return|for|while)\b/.test(statements[0])) {
    const s = statements[0];
    const wrapped = /=/.test(s.replace(/[=!<>]=|=>/g, "")) ? `(${s})` : s;
    return { text, arrowBody: cond ? `${cond} && ${wrapped}` : s };
  }
  const list = statementList(statements);
  return { text, arrowBody: cond ? `{ if (${cond}) { ${list} } }` : `{ ${list} }` };
}

/**
 * The scratch variables ($x) a body first sets inside a block (an if's, a loop's) that hold
 * numbers: the translation declares them at the top (`let x = 0`), so they are seen after the
 * block and in its else, as in bpftrace. A string first set in a block stays declared there;
 * used after it, it is named (its type and size would be a guess).
 */
function nestedFirstAssignments(body: string): Set<string> {
  const first = new Map<string, number>(), nested = new Set<string>();
  let depth = 0;
  for (const t of body.match(TOKEN) ?? []) {
    if (t === "{") depth++;
    else if (t === "}") depth--;
    else if (/^\$[A-Za-z_]\w*$/.test(t)) {
      const name = t.slice(1), at = first.get(name);
      if (at === undefined) {
        first.set(name, depth);
        if (depth > 0) nested.add(name);
      } else if (depth < at && nested.has(name) && isStringValue(body, name)) {
        untranslatable(`$${name}, a string first set inside a block and used after it: set it before the block (e.g. $${name} = "";)`, `$${name}`);
      }
    }
  }
  for (const name of nested) if (isStringValue(body, name)) nested.delete(name);
  return nested;
}

/** Whether the first value given to $name is a string (a literal, comm, str(), probe, a stack). */
function isStringValue(body: string, name: string): boolean {
  const value = new RegExp(`\\$${name}\\s*=(?!=)\\s*([^;}]*)`).exec(body)?.[1] ?? "";
  return /^("|comm\b|str\s*\(|probe\b|kstack\b|ustack\b)/.test(value.trim());
}

/** Translated statements as a block's text: `;` after each but a block. */
function statementList(statements: string[]): string {
  return statements.map((s) => (s.endsWith("}") ? s : `${s};`)).join(" ");
}

/** Statements separated by `;` at depth 0, or ending with a block's } not followed by else (strings and brackets respected). */
function splitStatements(body: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '"') i = stringEnd(body, i);
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) {
      if (--depth === 0 && c === "}" && !/^\s*else\b/.test(body.slice(i + 1))) (out.push(body.slice(start, i + 1)), (start = i + 1));
    } else if (c === ";" && depth === 0) (out.push(body.slice(start, i)), (start = i + 1));
  }
  out.push(body.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length);
}

/** One statement; `declared` holds the scratch variables ($x) this body has declared with let. */
function translateStatement(s: string, declared: Set<string>, scope: Scope): string {
  const expression = (text: string) => expressionOf(text, scope);
  if (/^if\s*\(/.test(s)) return ifStatement(s, declared, scope);
  if (/^(return|break|continue)$/.test(s)) return s;
  const loop = /^(while|unroll)\s*\(/.exec(s);
  if (loop) return loopStatement(s, loop[1], declared, scope);
  const keyword = /^(if|else|while|for|unroll|return)\b/.exec(s)?.[1];
  if (keyword) throw new Untranslatable(`"${s.split(/\s/)[0]}" blocks: write the handler's body in TypeScript (docs/cli.md)`, keyword);
  if (scope.userSpace && s.startsWith("@")) userSpaceMapWrite(s, scope);
  // clear(@m), zero(@m), print(@m) in a probe: bpftrace sends them to user space, tsbpf has them there only.
  const mapAction = /^(clear|zero|print)\s*\(\s*(@\w*)/.exec(s);
  if (mapAction && !scope.userSpace) {
    untranslatable(`${mapAction[1]}(${mapAction[2]}) in a probe: tsbpf ${mapAction[1] === "print" ? "prints" : "empties"} maps from user space: write it in an interval or END (interval:s:1 { ${mapAction[1] === "zero" ? "clear" : mapAction[1]}(${mapAction[2]}); })`, mapAction[1]);
  }
  // @name[keys] = agg(values): into tsbpf's aggregation call on @ or $.name.
  const agg = /^@(\w*)\s*(?:\[(.*)\])?\s*=\s*(\w+)\s*\((.*)\)$/s.exec(s);
  if (agg && AGGREGATIONS.has(agg[3])) {
    const [, name, keys, fn, values] = agg;
    checkArity(fn, values);
    if (name) return `$.${name}${keys ? `[${expression(keys)}]` : ""} = ${fn}(${expression(values)})`;
    return `${fn}(${[keys, values].filter((x) => x?.trim()).map((x) => expression(x!)).join(", ")})`;
  }
  // delete(@m[k]), and bpftrace 0.20's delete(@m, k)
  const del = /^delete\s*\((@.*)\)$/s.exec(s);
  if (del && scope.userSpace) untranslatable(`delete() in ${scope.userSpace}: tsbpf runs BEGIN, END and interval in user space, where map keys are only read; delete in a probe, or clear(@m) there`, "delete");
  if (del) {
    const [map, ...key] = splitArguments(del[1]);
    if (key.length > 1) untranslatable(`delete(${del[1]}): delete takes a map and one key; a tuple key is written (k1, k2)`, "delete");
    const tuple = /^\((.*)\)$/s.exec(key[0] ?? "");
    return `delete ${expression(key.length ? `${map}[${tuple ? tuple[1] : key[0]}]` : map)}`;
  }
  const printf = /^printf\s*\((.*)\)$/s.exec(s);
  if (printf) return `printf(${stringArguments(splitArguments(printf[1])).map((a) => expressionOf(a, { ...scope, printf: true })).join(", ")})`;
  const scratch = /^\$(\w+)\s*=(?!=)(.*)$/s.exec(s);
  if (scratch && !declared.has(scratch[1])) {
    declared.add(scratch[1]);
    return `let ${scratch[1]} = ${expression(scratch[2])}`;
  }
  return expression(s);
}

/** bpftrace's argument count of each aggregation (tsbpf's one-liners take a key before them, so more would be taken for one). */
const ARITY: Record<string, number> = { count: 0, sum: 1, min: 1, max: 1, avg: 1, stats: 1, hist: 1, lhist: 4 };

function checkArity(fn: string, values: string): void {
  const args = values.trim() ? splitArguments(values) : [];
  if (args.length === ARITY[fn]) return;
  const call = `${fn}(${args.map((a) => a.trim()).join(", ")})`;
  if (fn === "hist" && args.length === 2) {
    untranslatable(`${call}: bpftrace's hist(n, k) (0.20's k sub-buckets per power of two) has no tsbpf form; tsbpf's hist() has power-of-two buckets: write hist(${args[0].trim()}), or lhist() for finer ones`, fn);
  }
  const wanted = ARITY[fn] === 0 ? "no argument" : `${ARITY[fn]} argument${ARITY[fn] === 1 ? "" : "s"}`;
  untranslatable(`${call}: ${fn}() takes ${wanted}, got ${args.length}`, fn);
}

/**
 * A map written in BEGIN, END or interval (tsbpf's user space), where only what a probe fills
 * exists: a plain value a probe uses can be set (`@n = 0` in an interval); an aggregation, a key
 * or a map no probe uses would be a wrong result or an error later, so it is named here.
 */
function userSpaceMapWrite(s: string, scope: Scope): void {
  const [, name, bracket] = /^@(\w*)\s*(\[)?/.exec(s)!;
  const at = `@${name}`;
  // What the value has no form of in user space (nsecs in BEGIN) is the first thing to say.
  const value = /^@\w*\s*(?:\[.*?\])?\s*(?:[-+]?=)(?!=)(.*)$/s.exec(s)?.[1];
  if (value !== undefined && !/^\s*[a-z]\w*\s*\(/.test(value)) expressionOf(value, scope);
  const agg = /^@\w*\s*(?:\[.*\])?\s*=\s*(\w+)\s*\(/s.exec(s)?.[1];
  if (agg && AGGREGATIONS.has(agg)) untranslatable(`${at} = ${agg}() in ${scope.userSpace}: tsbpf runs BEGIN, END and interval in user space, where nothing is aggregated; ${agg}() in a probe`, at);
  if (bracket) untranslatable(`${at}[...] set in ${scope.userSpace}: tsbpf runs BEGIN, END and interval in user space, where a map's keys are only read; set them in a probe`, at);
  if (name && !scope.kernelMaps?.has(name)) untranslatable(`${at} set in ${scope.userSpace} but used by no probe: tsbpf runs BEGIN, END and interval in user space, where a map is one a probe fills; use a $variable there`, at);
}

/**
 * `while (cond) { ... }` and `unroll(N) { ... }` (a counting loop). A while stays one: in a probe
 * the one-liner bounds it for the verifier and reports the rounds it cut (cli/oneliner/body.ts).
 */
function loopStatement(s: string, kind: string, declared: Set<string>, scope: Scope): string {
  const open = s.indexOf("(");
  const close = closing(s, open, "(", ")");
  const head = s.slice(open + 1, close).trim();
  const rest = s.slice(close + 1).trimStart();
  if (!rest.startsWith("{") || closing(rest, 0) !== rest.length - 1) untranslatable(`a ${kind} without a { ... } block`);
  const body = statementList(splitStatements(rest.slice(1, -1)).map((x) => translateStatement(x, declared, scope)));
  const counter = `_${kind[0]}${(scope.loops = (scope.loops ?? 0) + 1)}`;
  if (kind === "unroll") {
    if (!/^\d+$/.test(head) || Number(head) < 1 || Number(head) > 100) untranslatable(`unroll(${head}): unroll takes a number from 1 to 100`, "unroll");
    return `for (let ${counter} = 0; ${counter} < ${head}; ${counter}++) { ${body} }`;
  }
  return `while (${expressionOf(head, scope)}) { ${body} }`;
}

/**
 * printf's arguments, a struct's field printed with %s read as a string: bpftrace prints a char
 * array field (curtask->comm) as the string it holds; tsbpf reads it with str(). (A tracepoint's
 * own char arrays, args->x, tsbpf reads as strings already.)
 */
function stringArguments(args: string[]): string[] {
  let parts: FormatPart[];
  try {
    parts = parseFormat(JSON.parse(args[0]));
  } catch {
    return args; // not a plain literal, or a format the one-liner's check reports
  }
  const conversions = parts.filter((p): p is Exclude<FormatPart, string> => typeof p !== "string");
  return args.map((a, i) => {
    const field = /^[A-Za-z_]\w*(?:\s*\(\s*\))?(?:\s*(?:->|\.)\s*\w+)+$/.test(a) && !/^args\b/.test(a);
    return i > 0 && conversions[i - 1]?.conversion === "s" && field ? `str(${a})` : a;
  });
}

/** `if (cond) { ... } [else if (...) { ... }] [else { ... }]`, each block translated statement by statement. */
function ifStatement(s: string, declared: Set<string>, scope: Scope): string {
  const open = s.indexOf("(");
  const close = closing(s, open, "(", ")");
  const cond = expressionOf(s.slice(open + 1, close), scope);
  const rest = s.slice(close + 1).trimStart();
  if (!rest.startsWith("{")) throw new Untranslatable(`an if without a { ... } block`);
  const end = closing(rest, 0);
  const block = (text: string) => `{ ${statementList(splitStatements(text).map((x) => translateStatement(x, declared, scope)))} }`;
  let out = `if (${cond}) ${block(rest.slice(1, end))}`;
  const more = rest.slice(end + 1).trim();
  if (!more) return out;
  const alternative = /^else\s*(.*)$/s.exec(more);
  if (!alternative) throw new Untranslatable(`"${more.slice(0, 20)}" after an if block`);
  const other = alternative[1];
  if (/^if\s*\(/.test(other)) out += ` else ${ifStatement(other, declared, scope)}`;
  else if (other.startsWith("{") && closing(other, 0) === other.length - 1) out += ` else ${block(other.slice(1, -1))}`;
  else throw new Untranslatable(`"else ${other.slice(0, 20)}"`);
  return out;
}

const TOKEN = /\s+|"(?:[^"\\]|\\.)*"|->|[=!<>]=|&&|\|\||\+\+|--|[-+*/%&|^]=|<<|>>|@\w*|\$#|\$\w+|[A-Za-z_]\w*|0x[0-9a-fA-F]+|\d+e\d+|\d+|./gs;

/** An expression, token by token: builtins become calls, @maps $-maps, -> a dot. */
function expressionOf(text: string, scope: Scope): string {
  let out = "";
  text = casts(strLengths(strncmpAsPrefix(text)), scope.userSpace);
  // kstack(bpftrace, N): bpftrace's default mode, the only one tsbpf prints
  text = text.replace(/\b([ku]stack\s*\(\s*)bpftrace\s*(?:,\s*|(?=\)))/g, "$1");
  rejectTuples(text);
  if (/\bstrftime\s*\(\s*"(?:[^"\\]|\\.)*"\s*,\s*(?!\s|nsecs\s*\))/.test(text)) untranslatable(`strftime() of another time than nsecs: tsbpf keeps each printed event's own time, strftime("%H:%M:%S", nsecs); print another time as nanoseconds`, "strftime");
  const tokens = text.match(TOKEN) ?? [];
  tokens.forEach((t, i) => {
    const next = tokens.slice(i + 1).find((x) => !/^\s+$/.test(x));
    const prev = out.trimEnd().at(-1);
    if (t === "->") out += ".";
    else if (t === "@") out += unnamedMap(next, scope);
    else if (t.startsWith("@")) out += `$.${t.slice(1)}`;
    else if (t === "$#") out += "$argc"; // how many positional parameters were given
    else if (t.startsWith("$")) out += /^\$\d+$/.test(t) ? t : t.slice(1); // $1: the positional parameter, as tsbpf spells it too
    else if (/^[A-Za-z_]/.test(t) && prev !== ".") out += identifier(t, next, scope);
    else if (/^\d+e\d+$/.test(t)) out += BigInt(Number(t)).toString(); // bpftrace's 1e9 is an integer
    else if (/^0\d+$/.test(t)) out += `0o${t.slice(1)}`; // bpftrace's 010 is octal, as in C
    else out += t;
  });
  return out.trim();
}

/**
 * The map @ in an expression: tsbpf's one-liners spell it `$` (and `$[key]`), which holds
 * aggregations (count(), hist(), ...) or keyed values; @ as a plain value (@++, @ = 0) has no
 * such spelling, so it is named, with the named map to use instead.
 */
function unnamedMap(next: string | undefined, scope: Scope): string {
  const plain = scope.userSpace ? next === "=" : next !== "[";
  if (plain) untranslatable(`the map @ as a plain value (@++, @ = 0): tsbpf's @ holds count(), sum(), hist() and the like; name the map instead: @n++ in the probe, printf("%d\\n", @n); @n = 0 in the interval`, "@");
  return scope.unnamed;
}

/** What <linux/socket.h> defines the address families as (the same numbers on every architecture). */
const ADDRESS_FAMILIES: Record<string, string> = { AF_UNSPEC: "0", AF_UNIX: "1", AF_INET: "2", AF_INET6: "10" };
/** What <linux/sched.h> defines a task's state as (runqlat.bt tests prev_state == TASK_RUNNING). */
const TASK_STATES: Record<string, string> = { TASK_RUNNING: "0", TASK_INTERRUPTIBLE: "1", TASK_UNINTERRUPTIBLE: "2" };

function identifier(name: string, next: string | undefined, scope: Scope): string {
  const stop = (what: string): never => untranslatable(what, name);
  if (name === "struct") stop(`a C cast (struct ... *): tsbpf types a kprobe's arguments from BTF; name the argument as the arrow's parameter and read its fields, e.g. kprobe("vfs_open", path => printf("%s\\n", str(path.dentry.d_name.name)))`);
  if (/^arg\d+$/.test(name) || KEPT.has(name)) return name;
  if (next === "(" && (name === "kstack" || name === "ustack")) return name;
  if (name === "perf" || name === "raw") stop(`the stack mode ${name}: tsbpf prints stacks as bpftrace's default mode does; write kstack or kstack(N)`);
  // In a probe as in user space: a probe's prints the event's time.
  if (name === "time" && next === "(") return name;
  // elapsed: nanoseconds since the start, on ktime()'s clock, in probes and user space alike
  if (name === "elapsed" && next !== "(") return "elapsed()";
  if (name === "strftime" && scope.printf && !scope.userSpace) return name;
  if (BUILTINS[name] && next !== "(" && scope.userSpace) {
    stop(`${name} in ${scope.userSpace}: tsbpf runs BEGIN, END and interval in user space, where there is no ${name}; use it in a probe`);
  }
  if (BUILTINS[name] && next !== "(") return BUILTINS[name];
  // Address families, from the header bpftrace's network tools include (#include <linux/socket.h>), for ntop(AF_INET, ...).
  if (ADDRESS_FAMILIES[name] !== undefined) return ADDRESS_FAMILIES[name];
  if (TASK_STATES[name] !== undefined) return TASK_STATES[name];
  if (name === "cpid") stop(`bpftrace's "cpid" (the pid of the command -c started): with -c CMD, tsbpf traces only CMD already, so drop the test`);
  return stop(`bpftrace's "${name}"${INSTEAD[name] ? `: ${INSTEAD[name]}` : ""}`);
}
