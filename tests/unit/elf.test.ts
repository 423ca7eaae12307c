/**
 * ELF reader, symbols and USDT notes, checked against real files of this machine (/bin/bash,
 * libc.so.6, libraries with SDT notes, and small programs compiled here with <sys/sdt.h>),
 * with binutils' `readelf` and `objdump` as the reference: nothing about these files is
 * hard-coded, so the tests follow the installed versions.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { arch, tmpdir } from "node:os";
import { join } from "node:path";
import { Btf } from "../../btf/reader.ts";
import { Elf, ElfError, globMatch, parseUsdtArgs, PT_REGS, PT_REGS_SIZE, type UsdtArg, usdtProbes, versionedName, x86Register } from "../../elf/mod.ts";

const BASH = "/bin/bash";
const LIBC = ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6"].find((p) => existsSync(p));
const SDT_LIBS = ["libstdc++.so.6", "libpython3.11.so.1.0"].map((f) => `/lib/x86_64-linux-gnu/${f}`).filter((p) => existsSync(p));
const notX64 = arch() === "x64" ? false : `these tests read x86-64 system binaries; this is ${arch()}`;
const noLibc = LIBC ? false : "libc.so.6 not found in /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu or /lib64";

function missing(cmd: string, pkg: string): string | false {
  try {
    execFileSync(cmd, ["--version"], { stdio: "ignore" });
    return false;
  } catch {
    return `${cmd} is not installed (apt-get install ${pkg})`;
  }
}
const noBinutils = missing("readelf", "binutils") || missing("objdump", "binutils");
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 256 << 20 });
const read = (path: string) => new Uint8Array(readFileSync(path));
const hex = (s: string) => parseInt(s, 16);

// ---- Fixtures: a PIE built with -O2 and a non-PIE built with -O0, both with USDT probes ----

const PROGRAM = `#include <sys/sdt.h>
#include <stdio.h>
int counter = 5;
struct pair { long a; int b[4]; };
long sema_probe(int i);
__attribute__((noinline)) long work(struct pair *p, int i, long *arr) {
  STAP_PROBE3(tsbpf, hello, i, p->a, 5);
  STAP_PROBE3(tsbpf, indexed, arr[i], p->b[i], counter);
  return p->a + i + sema_probe(i);
}
int main(int argc, char **argv) {
  struct pair p = { argc, { 1, 2, 3, 4 } };
  long arr[4] = { 1, 2, 3, 4 };
  printf("%ld\\n", work(&p, argc & 3, arr));
  return 0;
}
`;
// A separate unit: _SDT_HAS_SEMAPHORES gives every probe of its unit a semaphore.
const SEMA_UNIT = `#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
unsigned short tsbpf_withsema_semaphore __attribute__((unused)) __attribute__((section(".probes")));
extern int counter;
__attribute__((noinline)) long sema_probe(int i) {
  if (tsbpf_withsema_semaphore) STAP_PROBE2(tsbpf, withsema, counter, (char)i);
  return i;
}
`;

function buildFixtures(): { pie: string; nopie: string } | string {
  if (notX64) return notX64;
  const noCc = missing("cc", "gcc");
  if (noCc) return noCc;
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-elf-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "t.c"), PROGRAM);
  writeFileSync(join(dir, "s.c"), SEMA_UNIT);
  const cc = (out: string, flags: string[]) => execFileSync("cc", [...flags, "-o", join(dir, out), join(dir, "t.c"), join(dir, "s.c")], { stdio: "pipe" });
  try {
    cc("pie", ["-O2", "-fPIE", "-pie"]);
    cc("nopie", ["-O0", "-fno-pie", "-no-pie"]);
  } catch (e) {
    const err = String((e as { stderr?: unknown }).stderr ?? e);
    if (err.includes("sys/sdt.h")) return "<sys/sdt.h> is missing (apt-get install systemtap-sdt-dev)";
    return `cc failed: ${err.slice(0, 300)}`;
  }
  return { pie: join(dir, "pie"), nopie: join(dir, "nopie") };
}
const fixtures = buildFixtures();
const noFixtures = typeof fixtures === "string" ? fixtures : false;
const fixture = (which: "pie" | "nopie") => (fixtures as { pie: string; nopie: string })[which];

// ---- What readelf and objdump say ----

interface RSection { index: number; name: string; type: string; addr: number; offset: number; size: number; entsize: number; link: number; info: number; align: number }
function readelfSections(path: string): RSection[] {
  const re = /^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]{16})\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([A-Za-z]*)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/;
  return run("readelf", ["-SW", path]).split("\n").flatMap((line) => {
    const m = re.exec(line);
    if (!m) return [];
    return [{ index: +m[1], name: m[2], type: m[3], addr: hex(m[4]), offset: hex(m[5]), size: hex(m[6]), entsize: hex(m[7]), link: +m[9], info: +m[10], align: +m[11] }];
  });
}

function readelfLoads(path: string) {
  const re = /^\s*LOAD\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+([RWE ]+?)\s+0x([0-9a-f]+)\s*$/;
  return run("readelf", ["-lW", path]).split("\n").flatMap((line) => {
    const m = re.exec(line);
    if (!m) return [];
    const flags = (m[6].includes("R") ? 4 : 0) | (m[6].includes("W") ? 2 : 0) | (m[6].includes("E") ? 1 : 0);
    return [{ offset: hex(m[1]), vaddr: hex(m[2]), filesz: hex(m[4]), memsz: hex(m[5]), flags }];
  });
}

interface RSymbol { table: string; name: string; value: number; size: number; type: string; bind: string; ndx: string }
/** Defined symbols of the kinds the reader keeps, as `readelf -Ws` prints them. */
function readelfSymbols(path: string): RSymbol[] {
  let table = "";
  const out: RSymbol[] = [];
  for (const line of run("readelf", ["-Ws", path]).split("\n")) {
    const t = /^Symbol table '([^']+)'/.exec(line);
    if (t) table = t[1];
    const m = /^\s*\d+:\s+([0-9a-f]+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, value, size, type, bind, , ndx, name] = m;
    if (ndx === "UND" || name === "" || !["NOTYPE", "OBJECT", "FUNC", "TLS", "IFUNC"].includes(type)) continue;
    if (!["LOCAL", "GLOBAL", "WEAK", "UNIQUE"].includes(bind)) continue;
    // A version required from another library comes with its index: "stdout@GLIBC_2.2.5 (2)".
    const bare = name.replace(/ \(\d+\)$/, "");
    out.push({ table, name: bare, value: hex(value), size: size.startsWith("0x") ? hex(size) : +size, type, bind, ndx });
  }
  return out;
}

interface RProbe { provider: string; name: string; pc: number; base: number; semaphore: number; args: string }
function readelfNotes(path: string): { buildId: string | undefined; probes: RProbe[] } {
  const text = run("readelf", ["-nW", path]);
  const probes: RProbe[] = [];
  const re = /Provider: (\S+)\n\s+Name: (\S+)\n\s+Location: 0x([0-9a-f]+), Base: 0x([0-9a-f]+), Semaphore: 0x([0-9a-f]+)\n\s+Arguments:[ ]?([^\n]*)/g;
  for (const m of text.matchAll(re)) {
    probes.push({ provider: m[1], name: m[2], pc: hex(m[3]), base: hex(m[4]), semaphore: hex(m[5]), args: m[6] });
  }
  return { buildId: /Build ID: ([0-9a-f]+)/.exec(text)?.[1], probes };
}

/** The file offset objdump prints for the instruction at `vaddr`. */
function objdumpFileOffset(path: string, vaddr: number): number {
  const out = run("objdump", ["-d", "-F", `--start-address=0x${vaddr.toString(16)}`, `--stop-address=0x${(vaddr + 1).toString(16)}`, path]);
  const m = /File Offset: 0x([0-9a-f]+)/.exec(out);
  assert.ok(m, `objdump printed a file offset for 0x${vaddr.toString(16)}`);
  return hex(m[1]);
}

const SECTION_TYPES: Record<string, number> = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, HASH: 5, DYNAMIC: 6, NOTE: 7, NOBITS: 8, DYNSYM: 11, GNU_HASH: 0x6ffffff6, VERDEF: 0x6ffffffd, VERNEED: 0x6ffffffe, VERSYM: 0x6fffffff };

/** Sections, loadable segments, build ID and every kept symbol, compared with readelf. */
function assertMatchesReadelf(path: string): Elf {
  const elf = Elf.parse(read(path));
  const rs = readelfSections(path);
  assert.equal(elf.sections.length, rs.length, "section count");
  for (const r of rs) {
    const s = elf.sections[r.index];
    const ours = { index: s.index, name: s.name, addr: s.addr, offset: s.offset, size: s.size, entsize: s.entsize, link: s.link, info: s.info, align: s.addralign };
    const { type: _t, ...theirs } = r;
    assert.deepEqual(ours, theirs, `section ${r.index}`);
    if (r.type in SECTION_TYPES) assert.equal(s.type, SECTION_TYPES[r.type], `type of section ${r.name}`);
  }
  const loads = elf.loadSegments().map(({ offset, vaddr, filesz, memsz, flags }) => ({ offset, vaddr, filesz, memsz, flags }));
  assert.deepEqual(loads, readelfLoads(path));
  assert.equal(elf.buildId(), readelfNotes(path).buildId);

  const theirs = readelfSymbols(path);
  const syms = elf.symbols();
  const dynKeys = new Set(theirs.filter((r) => r.table === ".dynsym").map((r) => `${r.name.split("@")[0]}\0${r.value}`));
  const expected = theirs.filter((r) => r.table === ".dynsym" || !dynKeys.has(`${r.name}\0${r.value}`)).length;
  assert.equal(syms.count, expected, "symbol count (.dynsym, plus .symtab entries .dynsym lacks)");
  for (const r of theirs) {
    const found = syms.lookupAll(r.name).find((s) => s.value === r.value && s.size === r.size && s.type === r.type.toLowerCase());
    assert.ok(found, `lookup("${r.name}") finds the ${r.table} symbol at 0x${r.value.toString(16)}`);
    if (r.table === ".dynsym") assert.equal(versionedName(found), r.name);
  }
  return elf;
}

describe("Elf reads real files", { skip: notX64 || noBinutils }, () => {
  test("/bin/bash (a PIE): sections, segments, build ID and symbols match readelf", () => {
    const elf = assertMatchesReadelf(BASH);
    assert.equal(elf.type, "DYN");
    assert.equal(elf.machine, "x86_64");
    assert.ok(elf.segments.some((p) => p.type === 3), "a PIE has PT_INTERP");
    assert.match(elf.buildId() ?? "", /^[0-9a-f]{40}$/);
  });

  test("libc.so.6: sections, segments, build ID and all versioned symbols match readelf", { skip: noLibc }, () => {
    const elf = assertMatchesReadelf(LIBC!);
    assert.equal(elf.type, "DYN");
    const syms = elf.symbols();
    const malloc = syms.lookup("malloc");
    assert.ok(malloc && malloc.dynamic && malloc.type === "func" && malloc.size > 0);
    assert.equal(malloc.version?.startsWith("GLIBC_"), true);
    assert.equal(malloc.versionHidden, false);
    assert.equal(syms.lookup(versionedName(malloc)), malloc);
    assert.equal(syms.lookup(`malloc@${malloc.version}`), malloc, "one @ selects the version too");
    assert.equal(syms.lookup("malloc@@GLIBC_0.0"), undefined, "a version libc does not define");
    assert.equal(syms.lookup("no_such_symbol_here"), undefined);
    // Symbols with an old and a default version: lookup without a version gives the default.
    const twoVersions = syms.symbols.find((s) => s.versionHidden && syms.lookupAll(s.name).some((t) => !t.versionHidden));
    if (twoVersions) {
      const [best] = syms.lookupAll(twoVersions.name);
      assert.equal(best.versionHidden, false);
      assert.equal(syms.lookup(versionedName(twoVersions)), twoVersions);
    }
  });

  test("programs compiled here (PIE and non-PIE, with .symtab) match readelf", { skip: noFixtures }, () => {
    const pie = assertMatchesReadelf(fixture("pie"));
    const nopie = assertMatchesReadelf(fixture("nopie"));
    assert.equal(pie.type, "DYN");
    assert.equal(nopie.type, "EXEC");
    assert.ok(nopie.loadSegments()[0].vaddr >= 0x400000, "a non-PIE loads at a fixed address");
  });
});

describe("Symbols", { skip: notX64 || noBinutils }, () => {
  test("bash: readline exists and its file offset is what objdump says", () => {
    const elf = Elf.parse(read(BASH));
    const readline = elf.symbols().lookup("readline");
    assert.ok(readline && readline.type === "func");
    const [r] = readelfSymbols(BASH).filter((s) => s.name === "readline");
    assert.equal(readline.value, r.value);
    assert.equal(elf.fileOffset(readline.value), objdumpFileOffset(BASH, readline.value));
  });

  test("file offsets with non-zero vaddr-offset deltas (non-PIE text, PIE data)", { skip: noFixtures }, () => {
    for (const path of [fixture("nopie"), fixture("pie")]) {
      const elf = Elf.parse(read(path));
      const syms = elf.symbols();
      for (const name of ["main", "work", "sema_probe"]) {
        const s = syms.lookup(name)!;
        assert.equal(elf.fileOffset(s.value), objdumpFileOffset(path, s.value), `${path}: ${name}`);
        assert.equal(elf.vaddr(elf.fileOffset(s.value)!), s.value);
      }
      // `counter` is in .data, whose segment is usually mapped a page above its file offset.
      const counter = syms.lookup("counter")!;
      const data = readelfSections(path).find((s) => s.name === ".data")!;
      assert.equal(elf.fileOffset(counter.value), data.offset + counter.value - data.addr);
      assert.equal(elf.fileOffset(0xdead_0000_0000), undefined);
      const bss = elf.loadSegments().find((p) => p.memsz > p.filesz);
      if (bss) assert.equal(elf.fileOffset(bss.vaddr + bss.memsz - 1), undefined, ".bss has no file bytes");
    }
    const nopie = Elf.parse(read(fixture("nopie")));
    const main = nopie.symbols().lookup("main")!;
    assert.notEqual(nopie.fileOffset(main.value), main.value, "vaddr is not the file offset in a non-PIE");
  });

  test("symbolize round-trips every function of bash and libc", { skip: noLibc }, () => {
    for (const path of [BASH, LIBC!]) {
      const syms = Elf.parse(read(path)).symbols();
      const funcs = syms.symbols.filter((s) => s.type === "func" || s.type === "ifunc");
      assert.ok(funcs.length > 1000, `${path} has ${funcs.length} functions`);
      for (const f of funcs) {
        const hit = syms.symbolize(f.value);
        assert.ok(hit, `symbolize(${f.name})`);
        assert.equal(hit.offset, 0);
        assert.equal(hit.symbol.value, f.value, `${f.name}: an alias at the same address`);
        if (f.size > 1) {
          const end = syms.symbolize(f.value + f.size - 1)!;
          assert.equal(end.symbol.value + end.offset, f.value + f.size - 1);
        }
      }
      assert.equal(syms.symbolize(0), undefined);
      assert.equal(syms.symbolize(2 ** 48), undefined);
    }
    const libc = Elf.parse(read(LIBC!)).symbols();
    const malloc = libc.lookup("malloc")!;
    assert.deepEqual(libc.symbolize(malloc.value + 5), { symbol: malloc, offset: 5 }, "malloc, not one of its __ aliases");
  });

  test("glob matching", { skip: noLibc }, () => {
    const bash = Elf.parse(read(BASH)).symbols();
    const names = new Set(readelfSymbols(BASH).map((s) => s.name));
    const rl = bash.match("rl_*").map((s) => s.name);
    assert.deepEqual(new Set(rl), new Set([...names].filter((n) => n.startsWith("rl_"))));
    assert.ok(rl.length > 10);
    assert.equal(bash.match("*").length, bash.count);
    assert.deepEqual(bash.match("readline").map((s) => s.name), ["readline"]);
    const libc = Elf.parse(read(LIBC!)).symbols();
    assert.ok(libc.match("mall?c").some((s) => s.name === "malloc"));
    assert.ok(libc.match("*alloc").every((s) => s.name.endsWith("alloc")));
    assert.ok(libc.match("pthread_*_lock").every((s) => /^pthread_.*_lock$/.test(s.name)));

    assert.ok(globMatch("", ""));
    assert.ok(globMatch("*", ""));
    assert.ok(!globMatch("?", ""));
    assert.ok(globMatch("a*b*c", "aXXbYYc"));
    assert.ok(!globMatch("a*b*c", "aXXbYY"));
    assert.ok(globMatch("*[abi:cxx11]*", "foo[abi:cxx11]()"), "brackets are literal");
    // No exponential backtracking: the characters read stay within len(glob) * len(name)
    class CountedReads extends String {
      reads = 0;
      override charCodeAt(index: number): number {
        this.reads++;
        return super.charCodeAt(index);
      }
    }
    const glob = "a*a*a*a*a*a*a*a*b", name = new CountedReads("a".repeat(5000));
    assert.ok(!globMatch(glob, name as unknown as string));
    assert.ok(name.reads > 0 && name.reads <= glob.length * name.length, `${name.reads} characters read`);
  });
});

describe("USDT probes", { skip: notX64 || noBinutils }, () => {
  /** Every probe's note fields as readelf -n shows them, and their file offsets. */
  function assertProbesMatchReadelf(path: string) {
    const elf = Elf.parse(read(path));
    const probes = usdtProbes(elf);
    const theirs = readelfNotes(path).probes;
    const ours = probes.map((p) => ({ provider: p.provider, name: p.name, pc: p.pc, base: p.base, semaphore: p.semaphore, args: p.argSpec }));
    assert.deepEqual(ours, theirs);
    const sections = readelfSections(path);
    const containing = (a: number) => sections.find((s) => s.type !== "NOBITS" && s.addr > 0 && a >= s.addr && a < s.addr + s.size)!;
    for (const p of probes) {
      assert.equal(p.address, p.pc, "not prelinked: the note is right as written");
      const text = containing(p.address);
      assert.equal(p.fileOffset, text.offset + p.address - text.addr, `${p.name}: file offset of the probe`);
      if (p.semaphore) {
        const sec = containing(p.semaphore);
        assert.equal(sec.name, ".probes");
        assert.equal(p.semaphoreOffset, sec.offset + p.semaphore - sec.addr, `${p.name}: file offset of the semaphore`);
      } else {
        assert.equal(p.semaphoreOffset, undefined);
      }
      for (const a of p.args) assert.equal(render(a), a.text, "decoded argument renders back to its text");
    }
    return probes;
  }

  test("compiled probes (PIE -O2, non-PIE -O0) match readelf -n", { skip: noFixtures }, () => {
    for (const path of [fixture("pie"), fixture("nopie")]) {
      const probes = assertProbesMatchReadelf(path);
      assert.deepEqual(probes.map((p) => p.name), ["hello", "indexed", "withsema"]);
      const [hello, , withsema] = probes;
      assert.equal(hello.args.length, 3);
      assert.deepEqual(hello.args[2], { kind: "const", size: 4, signed: true, text: "-4@$5", value: 5n });
      assert.equal(withsema.args[1].size, 1, "(char)i is one byte");
      assert.ok(withsema.semaphoreOffset !== undefined);
    }
  });

  test("prelink: probe and semaphore move with .stapsdt.base", { skip: noFixtures }, () => {
    const bytes = read(fixture("pie"));
    const elf = Elf.parse(bytes);
    const before = usdtProbes(elf);
    // Pretend the notes were written when .stapsdt.base sat 16 bytes higher.
    const copy = bytes.slice();
    const dv = new DataView(copy.buffer);
    for (const n of elf.notes().filter((n) => n.name === "stapsdt")) {
      dv.setBigUint64(n.descOffset + 8, dv.getBigUint64(n.descOffset + 8, true) + 16n, true);
    }
    const moved = Elf.parse(copy);
    const after = usdtProbes(moved);
    for (const [i, p] of after.entries()) {
      assert.equal(p.address, before[i].pc - 16);
      assert.equal(p.fileOffset, moved.fileOffset(before[i].pc - 16));
      if (p.semaphore) assert.equal(p.semaphoreAddress, before[i].semaphore - 16);
    }
  });

  test(`libc and libraries with SDT notes match readelf -n (${SDT_LIBS.length} found)`, { skip: noLibc }, () => {
    // Debian's libc is built without SDT probes; then both sides must say none.
    for (const path of [LIBC!, ...SDT_LIBS]) assertProbesMatchReadelf(path);
  });

  test("argument specs: sizes, signedness, registers, memory, constants", () => {
    const args = parseUsdtArgs("-4@%edi 8@-8(%rbp) 8@%rax -4@$5 8@16(%rax,%rdx,8) 1@%dil 2@(,%rcx,4) -4@counter+4(%rip) 8@$-1 8@$0x10");
    assert.deepEqual(args.map((a) => [a.size, a.signed, a.kind]), [
      [4, true, "reg"], [8, false, "mem"], [8, false, "reg"], [4, true, "const"], [8, false, "mem"],
      [1, false, "reg"], [2, false, "mem"], [4, true, "mem"], [8, false, "const"], [8, false, "const"],
    ]);
    const [edi, rbp8, , five, indexed, dil, noBase, rip, minus1, hex16] = args as UsdtArg[];
    assert.ok(edi.kind === "reg" && edi.reg.field === "di" && edi.reg.offset === 112 && edi.reg.width === 4);
    assert.ok(rbp8.kind === "mem" && rbp8.base?.field === "bp" && rbp8.disp === -8 && rbp8.index === undefined);
    assert.ok(five.kind === "const" && five.value === 5n);
    assert.ok(indexed.kind === "mem" && indexed.base?.field === "ax" && indexed.index?.field === "dx" && indexed.scale === 8 && indexed.disp === 16);
    assert.ok(dil.kind === "reg" && dil.reg.field === "di" && dil.reg.width === 1);
    assert.ok(noBase.kind === "mem" && noBase.base === undefined && noBase.index?.field === "cx" && noBase.scale === 4);
    assert.ok(rip.kind === "mem" && rip.base?.field === "ip" && rip.symbol === "counter" && rip.disp === 4);
    assert.ok(minus1.kind === "const" && minus1.value === -1n);
    assert.ok(hex16.kind === "const" && hex16.value === 16n);
    assert.deepEqual(parseUsdtArgs(""), []);

    const bad = (spec: string, why: RegExp) =>
      assert.throws(() => parseUsdtArgs(spec, "p:n", 1000), (e: unknown) => e instanceof ElfError && why.test(e.message) && e.offset !== undefined);
    bad("3@%eax", /argument 1 "3@%eax" of USDT probe p:n: size 3/);
    bad("8@%rax 8@%foo", /argument 2 .*unknown x86-64 register "%foo".*offset 1007/);
    bad("8@%fs:40", /segment-relative/);
    bad("8@(%rax,%rbx,3)", /scale "3"/);
    bad("8@8(%rax", /does not end/);
    bad("8@$abc", /not an integer/);
  });

  test("x86-64 register names map to struct pt_regs slots", () => {
    const cases: [string, string, number, number, number][] = [
      ["%rdi", "di", 112, 8, 0], ["%edi", "di", 112, 4, 0], ["%di", "di", 112, 2, 0], ["%dil", "di", 112, 1, 0],
      ["%rax", "ax", 80, 8, 0], ["%ah", "ax", 80, 1, 8], ["%r8d", "r8", 72, 4, 0], ["%r15b", "r15", 0, 1, 0],
      ["%rbp", "bp", 32, 8, 0], ["%rsp", "sp", 152, 8, 0], ["%rip", "ip", 128, 8, 0],
    ];
    for (const [name, field, offset, width, shift] of cases) {
      const r = x86Register(name)!;
      assert.deepEqual([r.field, r.offset, r.width, r.shift], [field, offset, width, shift], name);
    }
    assert.equal(x86Register("%rdi")!.uapi, "rdi");
    assert.equal(x86Register("%xmm0"), undefined);
  });

  test("pt_regs offsets agree with the kernel's BTF", { skip: existsSync("/sys/kernel/btf/vmlinux") ? false : "no /sys/kernel/btf/vmlinux" }, () => {
    const btf = Btf.parse(read("/sys/kernel/btf/vmlinux"));
    const ptRegs = btf.find("pt_regs", "struct");
    assert.ok(ptRegs);
    assert.equal(ptRegs.size, PT_REGS_SIZE);
    for (const f of PT_REGS) {
      const m = btf.member(ptRegs.id, f.field);
      assert.ok(m, `pt_regs.${f.field}`);
      assert.equal(m.bitOffset / 8, f.offset, `offset of pt_regs.${f.field}`);
    }
  });
});

/** Writes a decoded argument back in the form <sys/sdt.h> prints it. */
function render(a: UsdtArg): string {
  const size = `${a.signed ? "-" : ""}${a.size}@`;
  if (a.kind === "reg") return `${size}%${a.reg.name}`;
  if (a.kind === "const") return `${size}$${a.value}`;
  const disp = a.symbol ? `${a.symbol}${a.disp > 0 ? `+${a.disp}` : a.disp < 0 ? a.disp : ""}` : a.disp ? `${a.disp}` : "";
  // GNU as prints no scale of 1: "(%rdx,%rax)".
  const index = a.index ? `,%${a.index.name}${a.scale !== 1 ? `,${a.scale}` : ""}` : "";
  return `${size}${disp}${a.base || a.index ? `(${a.base ? `%${a.base.name}` : ""}${index})` : ""}`;
}

// ---- Malformed input ----

/** Uses everything the module offers on `bytes`; returns whether it parsed, or rethrows non-ElfErrors. */
function exercise(bytes: Uint8Array): boolean {
  try {
    const elf = Elf.parse(bytes);
    elf.buildId();
    const syms = elf.symbols();
    for (const s of syms.symbols) {
      syms.lookup(s.name);
      syms.symbolize(s.value + 1);
      elf.fileOffset(s.value);
    }
    syms.lookup("main@@NOPE");
    syms.match("*a*");
    for (const p of usdtProbes(elf)) void p.args;
    return true;
  } catch (e) {
    if (e instanceof ElfError) return false;
    throw e;
  }
}

/** A seeded PRNG (mulberry32) so a failing corruption round can be reproduced. */
let seed = 0x5eed;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

describe("Elf rejects malformed input with ElfError", { skip: notX64 }, () => {
  const small = typeof fixtures === "string" ? "/bin/true" : fixture("pie");
  const good = () => read(small);
  const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const expect = (bytes: Uint8Array, message: RegExp, use: (e: Elf) => unknown = () => 0) =>
    assert.throws(() => use(Elf.parse(bytes)), (e: unknown) => e instanceof ElfError && message.test(e.message));
  const section = (b: Uint8Array, name: string) => Elf.parse(b).section(name)!;

  test("bad identification and header", () => {
    expect(new Uint8Array(0), /too short to be ELF.*offset 0/);
    let b = good();
    b[1] = 0x46;
    expect(b, /Bad ELF magic 7f 46 4c 46.*not an ELF file.*offset 1/);
    b = good();
    b[4] = 1;
    expect(b, /32-bit ELF .*not supported.*offset 4/);
    b = good();
    b[5] = 2;
    expect(b, /Big-endian ELF .*not supported.*offset 5/);
    expect(good().subarray(0, 10), /identification is truncated/);
    expect(good().subarray(0, 40), /ELF header is truncated: file is 40 bytes/);
    b = good();
    dv(b).setUint16(18, 40, true);
    expect(b, /ELF machine 40 \(ARM\) is not supported/);
    b = good();
    dv(b).setUint16(16, 9, true);
    expect(b, /Unsupported ELF type 0x9/);
  });

  test("tables, sections and segments outside the file", () => {
    let b = good();
    dv(b).setUint32(40, b.length - 10, true);
    expect(b, /Section header table .*runs past the end.*truncated.*offset 40/);
    b = good();
    dv(b).setUint32(32, b.length, true);
    expect(b, /Program header table .*runs past the end.*offset 32/);
    b = good();
    const dynstr = section(b, ".dynstr");
    dv(b).setUint32(dynstr.headerOffset + 32, b.length, true);
    expect(b, new RegExp(`Section ${dynstr.index} .*runs past the end.*offset ${dynstr.headerOffset + 24}`));
    b = good();
    const phoff = Number(dv(b).getBigUint64(32, true));
    dv(b).setUint32(phoff + 32, b.length, true);
    expect(b, /Segment 0 .*runs past the end/);
    b = good();
    const load = Elf.parse(b).segments.findIndex((p) => p.type === 1);
    dv(b).setUint32(phoff + load * 56 + 40, 0, true);
    expect(b, /larger than its memory size/);
    b = good();
    dv(b).setUint16(62, 999, true);
    expect(b, /Section name table index 999 is out of range/);
  });

  test("bad string offsets, symbol tables, notes and version data", { skip: noLibc }, () => {
    let b = good();
    const shoff = Number(dv(b).getBigUint64(40, true));
    dv(b).setUint32(shoff + 64, 0xffffff, true);
    expect(b, /String offset 16777215 for the name of section 1 is past the end/);
    b = good();
    const dynsym = section(b, ".dynsym");
    dv(b).setUint32(dynsym.offset + 24, 0x7fffffff, true);
    dv(b).setUint16(dynsym.offset + 24 + 6, 1, true); // defined, so it is not skipped
    b[dynsym.offset + 24 + 4] = 0x12; // GLOBAL FUNC
    expect(b, /Name of symbol 1 in section \d+ \(\.dynsym\): offset 2147483647 is past the end/, (e) => e.symbols());
    b = good();
    dv(b).setUint32(dynsym.headerOffset + 56, 16, true);
    expect(b, /entry size 16, expected 24/, (e) => e.symbols());
    b = good();
    dv(b).setUint32(dynsym.headerOffset + 40, 0, true);
    expect(b, /is section 0, which is not a string table/, (e) => e.symbols());
    b = good();
    const id = section(b, ".note.gnu.build-id");
    dv(b).setUint32(id.offset + 4, 4096, true);
    expect(b, /Note \(name size 4, descriptor size 4096\) runs past the end of section \d+ \(\.note\.gnu\.build-id\)/, (e) => e.buildId());
    b = read(LIBC!);
    const verdef = section(b, ".gnu.version_d");
    dv(b).setUint16(verdef.offset, 7, true);
    expect(b, /Unsupported version definition revision 7/, (e) => e.symbols());
  });

  test("USDT notes that do not hold together", { skip: noFixtures }, () => {
    const b = good();
    const note = Elf.parse(b).notes().find((n) => n.name === "stapsdt")!;
    const c = b.slice();
    c.fill(0x41, note.descOffset + 24, note.descOffset + note.desc.length);
    expect(c, /USDT note provider runs past the end of its descriptor/, (e) => usdtProbes(e));
    const d = b.slice();
    dv(d).setBigUint64(note.descOffset, 0xdead_0000_0000n, true);
    expect(d, /USDT probe tsbpf:hello at 0xdead00000000 is outside every loadable segment/, (e) => usdtProbes(e));
  });

  test("truncations of /bin/bash at many offsets all throw ElfError", () => {
    const bash = read(BASH);
    const n = bash.length;
    const cuts = [0, 1, 3, 4, 5, 15, 16, 17, 63, 64, 65, 120, 4096, n >> 1, n - 64, n - 1];
    for (let i = 0; i < 60; i++) cuts.push(Math.floor(random() * n));
    for (const cut of cuts) assert.throws(() => Elf.parse(bash.subarray(0, cut)), ElfError, `cut at ${cut}`);
    // The same bytes at an odd address parse the same.
    const odd = new Uint8Array(n + 1);
    odd.set(bash, 1);
    assert.equal(Elf.parse(odd.subarray(1)).symbols().count, Elf.parse(bash).symbols().count);
  });

  test("random corruption (seeded) gives ElfError or a usable file, never another exception", () => {
    const base = good();
    const elf = Elf.parse(base);
    // Most random bytes land in code; aim half of them at the structures the reader walks.
    const hot: [number, number][] = [[0, 64]];
    for (const p of elf.segments) if (p.headerOffset) hot.push([p.headerOffset, p.headerOffset + 56]);
    for (const s of elf.sections) {
      hot.push([s.headerOffset, s.headerOffset + 64]);
      if ([2, 3, 7, 11, 0x6ffffffd, 0x6fffffff].includes(s.type)) hot.push([s.offset, s.offset + s.size]);
    }
    const interesting = [0, 1, 0xff, 0xffff, 0x7fffffff, 0xffffffff, base.length, base.length - 1];
    let parsed = 0;
    const rounds = 1500;
    for (let round = 0; round < rounds; round++) {
      const b = base.slice();
      const d = dv(b);
      for (let k = 1 + Math.floor(random() * 4); k > 0; k--) {
        const [lo, hi] = random() < 0.5 ? hot[Math.floor(random() * hot.length)] : [0, b.length];
        const at = lo + Math.floor(random() * Math.max(1, hi - lo - 4));
        if (random() < 0.5) b[at] = Math.floor(random() * 256);
        else d.setUint32(at, interesting[Math.floor(random() * interesting.length)], true);
      }
      try {
        if (exercise(b)) parsed++;
      } catch (e) {
        assert.fail(`round ${round} (seed before: see PRNG) threw ${(e as Error).name}: ${(e as Error).message}`);
      }
    }
    assert.ok(parsed > 0 && parsed < rounds, `${parsed} of ${rounds} corrupted files still parsed`);
  });
});
