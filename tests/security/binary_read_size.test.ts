// A uprobe, and `tsbpf list`, read the binary they name: root may be asked about another user's
// program or library, as large as its owner likes (1 GiB is allowed). They need its ELF
// headers, symbol tables and notes, not its code: reading the whole file cost root's tracer as
// much memory as the file has bytes. Here nobody's sparse binary of 768 MiB (a few KB on disk),
// its .text nearly all of it: root lists its functions, and looks one up as attaching does;
// each process's peak memory must stay far below the file's size.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { asNobody, isBun, MAIN, ROOT, rootDir } from "./attacker.ts";

const SIZE = 768 << 20;
const env = { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" };
const shared = asNobody(["mktemp", "-d", "/tmp/tsbpf-sec-binary-read-XXXXXX"]).trim();
const own = rootDir("binary-read");
after(() => {
  rmSync(shared, { recursive: true, force: true });
  rmSync(own, { recursive: true, force: true });
});

// nobody's file: sparse, SIZE bytes, code at 0x1000 (`mov eax, 110 (getppid); syscall; ret`) in
// a .text section that runs to near the end, where the section table and a symbol table naming
// the code `work` are.
const MAKE = `
import struct, sys
out, size = sys.argv[1], int(sys.argv[2])
tables = size - 0x8000
with open(out, "wb") as f:
    f.truncate(size)
    hdr = b"\\x7fELF" + bytes([2, 1, 1, 0]) + b"\\0" * 8
    hdr += struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0x1000, 64, tables, 0, 64, 56, 1, 64, 5, 4)
    f.write(hdr + struct.pack("<IIQQQQQQ", 1, 5, 0, 0, 0, 0x2000, 0x2000, 0x1000))
    f.seek(0x1000); f.write(b"\\xb8\\x6e\\x00\\x00\\x00\\x0f\\x05\\xc3")
    sh = lambda name, typ, flags, off, size, link, info, align, ent: struct.pack("<IIQQQQIIQQ", name, typ, flags, 0 if typ != 1 else 0x1000, off, size, link, info, align, ent)
    f.seek(tables)
    f.write(bytes(64) + sh(1, 1, 6, 0x1000, tables - 0x1000, 0, 0, 16, 0)
            + sh(7, 2, 0, tables + 0x1000, 48, 3, 1, 8, 24)
            + sh(15, 3, 0, tables + 0x2000, 6, 0, 0, 1, 0)
            + sh(23, 3, 0, tables + 0x3000, 33, 0, 0, 1, 0))
    f.seek(tables + 0x1000); f.write(bytes(24) + struct.pack("<IBBHQQ", 1, 0x12, 0, 1, 0x1000, 8))
    f.seek(tables + 0x2000); f.write(b"\\0work\\0")
    f.seek(tables + 0x3000); f.write(b"\\0.text\\0.symtab\\0.strtab\\0.shstrtab\\0")
`;

/** Runs `argv` as root and gives its output and its peak memory (maxrss, KB). */
function peak(argv: string[]): { status: number | null; out: string; kb: number } {
  const r = spawnSync("/usr/bin/time", ["-f", "maxrss %M", ...argv], { encoding: "utf8", env, timeout: 240_000 });
  return { status: r.status, out: r.stdout + r.stderr, kb: Number(/maxrss (\d+)/.exec(r.stderr)?.[1]) };
}

const runtime = isBun ? [process.execPath, "run"] : [process.execPath, "run", "-A", "--quiet", "--config", join(ROOT, "deno.json")];
const binary = join(shared, "big");
const made = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", MAKE, binary, String(SIZE)], { encoding: "utf8" });

test("tsbpf list reads the parts of nobody's huge binary it lists, not all of it", { timeout: 300_000 }, () => {
  assert.equal(made.status, 0, made.stderr);
  const r = peak([...runtime, MAIN, "list", `uprobe:${binary}:*`]);
  assert.equal(r.status, 0, r.out.slice(-2000));
  assert.match(r.out, /work/);
  assert.ok(r.kb > 0 && r.kb < (SIZE >> 10) / 3, `tsbpf list peaked at ${Math.round(r.kb / 1024)} MB for a file of ${SIZE >> 20} MiB`);
});

test("a uprobe reads the parts of nobody's huge binary it attaches to, not all of it", { timeout: 300_000 }, () => {
  assert.equal(made.status, 0, made.stderr);
  // What attaching a uprobe does first: open the binary and find the function's file offset.
  const tracer = join(own, "uprobe.ts");
  writeFileSync(tracer, `import { libc } from "${join(ROOT, "runtime/ffi/mod.ts")}";
import { openUserBinary } from "${join(ROOT, "probes/user_binary.ts")}";
await libc();
const bin = openUserBinary("${binary}");
const work = bin.elf.symbols().lookup("work")!;
console.log("offset", bin.elf.fileOffset(work.value));
bin.close();
`);
  const r = peak([...runtime, tracer]);
  assert.equal(r.status, 0, r.out.slice(-2000));
  assert.match(r.out, /offset 4096/);
  assert.ok(r.kb > 0 && r.kb < (SIZE >> 10) / 3, `root's uprobe lookup peaked at ${Math.round(r.kb / 1024)} MB for a file of ${SIZE >> 20} MiB`);
});
