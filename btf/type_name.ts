/**
 * C-like names for BTF types, for diagnostics and generated declarations: `struct sock *`,
 * `char[16]`, `const char *`, `char *const`, `int (*)(struct sock *)`.
 *
 * C declarators read inside-out, so a name is built by carrying the declarator text ("inner")
 * down the chain of pointers, arrays and prototypes until a named base type is reached.
 */
import { BtfError } from "./error.ts";
import type { BtfKind, BtfType } from "./types.ts";

/** What naming a type reads of a Btf (the reader passes itself; importing it here would be a cycle). */
interface TypeTable {
  type(id: number): BtfType;
  kindOf(id: number): BtfKind;
  nameOf(id: number): string;
}

const MAX_DEPTH = 64;

export function renderTypeName(btf: TypeTable, id: number): string {
  return declare(btf, id, "", 0);
}

function declare(btf: TypeTable, id: number, inner: string, depth: number): string {
  if (depth > MAX_DEPTH) throw new BtfError(`Type ${id} nests too deeply to name (a cycle?)`);
  // Named kinds by their names alone: decoding a struct reads all of its members.
  const kind = btf.kindOf(id);
  switch (kind) {
    case "int":
    case "float":
    case "typedef":
      return join(btf.nameOf(id), inner);
    case "struct":
    case "union":
      return join(`${kind} ${btf.nameOf(id) || "{...}"}`, inner);
    case "enum":
    case "enum64":
      return join(`enum ${btf.nameOf(id) || "{...}"}`, inner);
  }
  const t = btf.type(id);
  switch (t.kind) {
    case "void":
      return join("void", inner);
    case "fwd":
      return join(`${t.union ? "union" : "struct"} ${t.name}`, inner);
    case "ptr": {
      const target = btf.kindOf(t.type);
      const decl = "*" + inner;
      // `char (*)[16]`, `int (*)(void)`: without parentheses these would mean something else.
      const wrapped = target === "array" || target === "func_proto" ? `(${decl})` : decl;
      return declare(btf, t.type, wrapped, depth + 1);
    }
    case "const":
    case "volatile":
    case "restrict":
      // A qualified pointer is written after the star (`char *const`), anything else before.
      if (btf.kindOf(t.type) === "ptr") return declare(btf, t.type, inner ? `${t.kind} ${inner}` : t.kind, depth + 1);
      return `${t.kind} ${declare(btf, t.type, inner, depth + 1)}`;
    case "type_tag":
      return declare(btf, t.type, inner, depth + 1);
    case "array":
      return declare(btf, t.elemType, `${inner}[${t.nelems}]`, depth + 1);
    case "func_proto": {
      const params = t.params.map((p) => declare(btf, p.type, p.name, depth + 1));
      if (t.variadic) params.push("...");
      return declare(btf, t.returnType, `${inner}(${params.length ? params.join(", ") : "void"})`, depth + 1);
    }
    case "func":
      return declare(btf, t.type, t.name, depth + 1);
    case "var":
      return declare(btf, t.type, t.name, depth + 1);
    case "datasec":
    case "decl_tag":
      return t.name;
    default:
      // The named kinds, answered above.
      return join(t.name, inner);
  }
}

function join(base: string, inner: string): string {
  if (inner === "") return base;
  return inner.startsWith("[") ? base + inner : `${base} ${inner}`;
}
