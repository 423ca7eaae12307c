// Kernel types from BTF as TypeScript declarations (`tsbpf types`): what an editor needs so
// `sk.__sk_common.skc_daddr` autocompletes and type-checks in a handler.
//
//   struct/union     → interface (anonymous members flattened, as C and the compiler read them)
//   pointer to struct → the struct's interface (tsbpf reads fields through pointers)
//   other pointers   → Ptr<T>, an address (u64) that remembers its pointee
//   arrays           → T[] with the C length in a comment; bitfields → the smallest uN
//   enums            → const enums; the members of anonymous enums → constants
//   typedefs         → type aliases (a typedef of an anonymous struct names the interface)
//   functions        → KernelFunctions, one method per kernel function (for @kprobe parameters:
//                      Parameters<KernelFunctions["vfs_read"]>)
//
// Pure (no I/O) and deterministic: declarations sorted by name within each group; where C
// names collide, the lowest BTF id keeps the name (see ts_names.ts).
import type { Btf } from "../../btf/reader.ts";
import { BtfError } from "../../btf/error.ts";
import type { BtfType, TypeOfKind } from "../../btf/types.ts";
import { Namer, parameterName, propertyKey } from "./ts_names.ts";
import { printable } from "../../runtime/output.ts";

const SCALARS = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "bool"];
const OWN_NAMES = [...SCALARS, "Ptr", "KernelFunctions"];
const MAX_INLINE_DEPTH = 16;
/**
 * How deep one type's expression may nest (qualifiers, arrays, prototypes, pointers and inline
 * members together). The kernel's types nest a few levels; a blob given with --btf whose types
 * refer to themselves (an array of itself, a prototype returning itself) would recurse forever.
 */
const MAX_NESTING = 256;

const HEADER = `export type u8 = number;
export type u16 = number;
export type u32 = number;
export type u64 = bigint;
export type i8 = number;
export type i16 = number;
export type i32 = number;
export type i64 = bigint;
export type bool = boolean;
/** A pointer to a T that is not a struct or union (pointers to those are typed as the struct: tsbpf reads fields through them). */
export type Ptr<T = unknown> = bigint & { readonly __pointee?: T };
`;

export interface DtsStats {
  structs: number;
  enums: number;
  typedefs: number;
  functions: number;
  constants: number;
}

export interface Dts {
  text: string;
  stats: DtsStats;
}

type Composite = TypeOfKind<"struct" | "union">;
type Decl = { name: string; text: string };

export function kernelDeclarations(btf: Btf, title: string): Dts {
  return new Generator(btf).generate(title);
}

class Generator {
  readonly #types = new Namer(OWN_NAMES);
  readonly #values = new Namer();
  /** BTF id → the TS type name of a struct, union, fwd, enum or typedef. */
  readonly #names = new Map<number, string>();
  readonly #structs: Decl[] = [];
  readonly #enums: Decl[] = [];
  readonly #typedefs: Decl[] = [];
  readonly #constants: Decl[] = [];
  /** The first forward declaration of each name that has no definition. */
  readonly #opaque = new Set<number>();

  constructor(readonly btf: Btf) {}

  generate(title: string): Dts {
    const btf = this.btf;
    const composites: number[] = [], fwds: number[] = [], enums: number[] = [], typedefs: number[] = [], funcs: number[] = [];
    for (let id = 1; id < btf.typeCount; id++) {
      switch (btf.kindOf(id)) {
        case "struct": case "union": composites.push(id); break;
        case "fwd": fwds.push(id); break;
        case "enum": case "enum64": enums.push(id); break;
        case "typedef": typedefs.push(id); break;
        case "func": funcs.push(id); break;
      }
    }
    this.#nameTypes(composites, fwds, enums, typedefs);
    for (const id of composites) if (this.#names.has(id)) this.#structs.push(this.#interface(id, this.#names.get(id)!));
    for (const id of fwds) this.#fwd(id);
    for (const id of enums) this.#enum(id);
    for (const id of typedefs) this.#typedef(id);
    const functions = this.#functions(funcs);
    const sortByName = (a: Decl, b: Decl) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const groups = [this.#enums, this.#constants, this.#typedefs, this.#structs].map((g) => g.sort(sortByName));
    const stats = { structs: this.#structs.length, enums: this.#enums.length, typedefs: this.#typedefs.length, functions: functions.count, constants: this.#constants.length };
    const text = [
      `// Kernel types of ${commentText(title)}, from its BTF, by \`tsbpf types\`. Generated: regenerate instead of editing.`,
      `// ${stats.structs} structs and unions, ${stats.enums} enums, ${stats.constants} enum constants, ${stats.typedefs} typedefs, ${stats.functions} functions.`,
      HEADER,
      ...groups.map((g) => g.map((d) => d.text).join("\n")),
      functions.text,
      "",
    ].join("\n");
    return { text, stats };
  }

  // ------------------------------------------------------------------ names

  #nameTypes(composites: number[], fwds: number[], enums: number[], typedefs: number[]): void {
    const btf = this.btf;
    const byTag = new Map<string, number>();
    for (const id of composites) {
      const name = btf.nameOf(id);
      if (!name) continue;
      this.#names.set(id, this.#types.claim(name));
      if (!byTag.has(name)) byTag.set(name, id);
    }
    // A forward declaration stands for the definition of its name, or is an opaque interface.
    const opaque = new Map<string, string>();
    for (const id of fwds) {
      const name = btf.nameOf(id);
      const def = byTag.get(name);
      if (def !== undefined) this.#names.set(id, this.#names.get(def)!);
      else {
        if (!opaque.has(name)) {
          opaque.set(name, this.#types.claim(name));
          this.#opaque.add(id);
        }
        this.#names.set(id, opaque.get(name)!);
      }
    }
    for (const id of enums) {
      const name = btf.nameOf(id);
      if (!name) continue;
      this.#names.set(id, this.#types.claim(name));
      // A const enum is a value too: no constant may take its name.
      this.#values.reserve(this.#names.get(id)!);
    }
    for (const id of typedefs) {
      const t = btf.type(id) as TypeOfKind<"typedef">;
      const target = this.#stripQualifiers(t.type);
      const tk = btf.kindOf(target);
      if (SCALARS.includes(t.name) && this.#isScalar(target, t.name)) {
        this.#names.set(id, t.name); // the kernel's own u32 is our u32
      } else if ((tk === "struct" || tk === "union" || tk === "enum" || tk === "enum64") && !btf.nameOf(target) && !this.#names.has(target)) {
        // typedef struct { ... } name_t: the anonymous type takes the typedef's name.
        const name = this.#types.claim(t.name);
        this.#names.set(target, name);
        this.#names.set(id, name);
      } else if (this.#names.get(target) === t.name) {
        this.#names.set(id, t.name); // typedef struct foo foo
      } else {
        this.#names.set(id, this.#types.claim(t.name));
      }
    }
  }

  #isScalar(id: number, name: string): boolean {
    const t = this.btf.type(this.btf.resolve(id));
    if (t.kind !== "int") return false;
    if (name === "bool") return t.bool || t.size === 1;
    return name === `${t.signed ? "i" : "u"}${t.size * 8}`;
  }

  #stripQualifiers(id: number): number {
    for (let i = 0; i < 32; i++) {
      const k = this.btf.kindOf(id);
      if (k !== "const" && k !== "volatile" && k !== "restrict" && k !== "type_tag") return id;
      id = (this.btf.type(id) as { type: number }).type;
    }
    return id;
  }

  // ------------------------------------------------------------------ declarations

  #interface(id: number, name: string): Decl {
    const t = this.btf.type(id) as Composite;
    const lines = [`/** ${t.kind} ${commentText(t.name || name)}, ${t.size} bytes */`, `export interface ${name} {`];
    for (const m of this.#members(t, 0)) lines.push(`  ${m.key}: ${m.type};${m.comment ? ` // ${commentText(m.comment)}` : ""}`);
    lines.push("}");
    return { name, text: lines.join("\n") };
  }

  /** Emits an empty interface for the first forward declaration of a name nothing defines. */
  #fwd(id: number): void {
    if (!this.#opaque.has(id)) return;
    const name = this.#names.get(id)!;
    const t = this.btf.type(id) as TypeOfKind<"fwd">;
    this.#structs.push({ name, text: `/** ${t.union ? "union" : "struct"} ${commentText(t.name)}: declared, never defined in this BTF */\nexport interface ${name} {}` });
  }

  #enum(id: number): void {
    const t = this.btf.type(id) as TypeOfKind<"enum" | "enum64">;
    const name = this.#names.get(id);
    // Every member is also a constant under its C name, as C code uses them.
    for (const v of t.values) {
      if (this.#values.has(v.name) || !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(v.name)) continue;
      const constName = this.#values.claim(v.name);
      if (constName !== v.name) continue; // a reserved word: leave it out rather than rename a C constant
      const literal = typeof v.value === "bigint" ? `${v.value}n` : String(v.value);
      this.#constants.push({ name: constName, text: `export declare const ${constName}: ${literal};` });
    }
    if (!name) return;
    if (t.kind === "enum64") {
      this.#enums.push({ name, text: `/** enum ${commentText(t.name)}: 64-bit values */\nexport type ${name} = ${t.signed ? "i64" : "u64"};` });
      return;
    }
    const members = t.values.map((v) => `  ${propertyKey(v.name)} = ${v.value},`);
    this.#enums.push({ name, text: `/** enum ${commentText(t.name || `(anonymous, typedef ${name})`)} */\nexport declare const enum ${name} {\n${members.join("\n")}\n}` });
  }

  #typedef(id: number): void {
    const t = this.btf.type(id) as TypeOfKind<"typedef">;
    const name = this.#names.get(id)!;
    const target = this.#stripQualifiers(t.type);
    // Already declared under this name: our scalar, the struct it names, or the anonymous type it named.
    if ((SCALARS.includes(name) && name === t.name) || this.#names.get(target) === name) return;
    this.#typedefs.push({ name, text: `/** typedef ${commentText(`${this.btf.typeName(t.type)} ${t.name}`)} */\nexport type ${name} = ${this.#expr(t.type, 0)};` });
  }

  #functions(funcs: number[]): { text: string; count: number } {
    const seen = new Set<string>();
    const rows: [string, string][] = [];
    for (const id of funcs) {
      const f = this.btf.type(id) as TypeOfKind<"func">;
      if (seen.has(f.name)) continue;
      seen.add(f.name);
      const proto = this.btf.type(f.type);
      if (proto.kind !== "func_proto") continue;
      rows.push([f.name, `  ${propertyKey(f.name)}${this.#signature(proto, ": ")};`]);
    }
    rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const text = [
      "/** Every kernel function with a BTF prototype: a @kprobe handler's parameters are Parameters<KernelFunctions[\"name\"]>. */",
      "export interface KernelFunctions {",
      ...rows.map((r) => r[1]),
      "}",
    ].join("\n");
    return { text, count: rows.length };
  }

  // ------------------------------------------------------------------ type expressions

  #members(t: Composite, depth: number, seen = new Set<string>()): { key: string; type: string; comment: string }[] {
    const out: { key: string; type: string; comment: string }[] = [];
    for (const m of t.members) {
      if (!m.name) {
        // An anonymous struct or union member: its fields are the outer struct's (C11).
        const inner = this.btf.type(this.btf.resolve(m.type));
        if ((inner.kind === "struct" || inner.kind === "union") && depth < MAX_INLINE_DEPTH) out.push(...this.#members(inner, depth + 1, seen));
        continue;
      }
      if (seen.has(m.name)) continue;
      seen.add(m.name);
      if (m.bitSize) {
        const bits = m.bitSize <= 8 ? "u8" : m.bitSize <= 16 ? "u16" : m.bitSize <= 32 ? "u32" : "u64";
        out.push({ key: propertyKey(m.name), type: bits, comment: `${this.btf.typeName(m.type)} :${m.bitSize}` });
        continue;
      }
      const dims = this.#arrayDims(m.type);
      out.push({ key: propertyKey(m.name), type: this.#expr(m.type, depth), comment: dims ? `[${dims.join("][")}]` : "" });
    }
    return out;
  }

  /** The lengths of an array type (through typedefs), or undefined for other types. */
  #arrayDims(id: number): number[] | undefined {
    const dims: number[] = [];
    for (let t = this.btf.type(this.btf.resolve(id)); t.kind === "array"; t = this.btf.type(this.btf.resolve(t.elemType))) {
      if (dims.push(t.nelems) > MAX_NESTING) throw new BtfError(`Array type ${id} has more than ${MAX_NESTING} dimensions (a reference cycle?)`);
    }
    return dims.length ? dims : undefined;
  }

  #nesting = 0;

  #expr(id: number, depth: number): string {
    if (this.#nesting >= MAX_NESTING) throw new BtfError(`Type ${id} nests more than ${MAX_NESTING} levels deep (a reference cycle?)`);
    this.#nesting++;
    try {
      return this.#exprOf(id, depth);
    } finally {
      this.#nesting--;
    }
  }

  #exprOf(id: number, depth: number): string {
    const t: BtfType = this.btf.type(id);
    switch (t.kind) {
      case "void": return "void";
      case "int": return t.bool ? "bool" : t.size <= 8 && [1, 2, 4, 8].includes(t.size) ? `${t.signed ? "i" : "u"}${t.size * 8}` : "bigint";
      case "float": return "number";
      case "ptr": return this.#pointer(t.type, depth);
      case "array": {
        const elem = this.#expr(t.elemType, depth);
        return /^[\w$<>, ]+(\[\])*$/.test(elem) || elem.startsWith("{") ? `${elem}[]` : `(${elem})[]`;
      }
      case "struct": case "union": return this.#names.get(id) ?? this.#inline(t, depth);
      case "fwd": case "typedef": return this.#names.get(id)!;
      case "enum": case "enum64": return this.#names.get(id) ?? `${t.signed ? "i" : "u"}${t.size * 8}`;
      case "const": case "volatile": case "restrict": case "type_tag": return this.#expr(t.type, depth);
      case "func_proto": return `(${this.#params(t)}) => ${this.#expr(t.returnType, depth + 1)}`;
      default: return "unknown";
    }
  }

  #pointer(target: number, depth: number): string {
    const s = this.#stripQualifiers(target);
    const k = this.btf.kindOf(s);
    if (k === "struct" || k === "union" || k === "fwd") return this.#expr(s, depth);
    if (k === "typedef") {
      const r = this.btf.kindOf(this.btf.resolve(s));
      if (r === "struct" || r === "union" || r === "fwd") return this.#names.get(s)!;
    }
    if (depth > MAX_INLINE_DEPTH) return "Ptr";
    return `Ptr<${this.#expr(s, depth + 1)}>`;
  }

  #inline(t: Composite, depth: number): string {
    if (depth > MAX_INLINE_DEPTH) return "unknown";
    const members = this.#members(t, depth + 1);
    return members.length ? `{ ${members.map((m) => `${m.key}: ${m.type}`).join("; ")} }` : "{}";
  }

  #signature(proto: TypeOfKind<"func_proto">, arrow: string): string {
    return `(${this.#params(proto)})${arrow}${this.#expr(proto.returnType, 1)}`;
  }

  #params(proto: TypeOfKind<"func_proto">): string {
    const seen = new Set<string>();
    const params = proto.params.map((p, i) => `${parameterName(p.name, i, seen)}: ${this.#expr(p.type, 1)}`);
    if (proto.variadic) params.push("...args: unknown[]");
    return params.join(", ");
  }
}

/**
 * A name of the BTF file's in a comment of the generated module: the file may be another user's,
 * and its names any bytes. Line breaks and control characters as escapes (printable), and no end
 * of the comment: raw, a name wrote declarations of its own into the module, and escapes to a
 * terminal (tests/security/btf_names_dts.test.ts).
 */
function commentText(s: string): string {
  return printable(s).replaceAll("*/", "*\\/");
}
