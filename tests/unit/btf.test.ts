/**
 * BTF reader and writer, checked against this machine's /sys/kernel/btf/vmlinux and, when
 * bpftool is installed, against bpftool's raw dump of every type. Layout facts asserted here
 * are uapi or long-stable kernel layouts, verified with `bpftool btf dump ... format raw`.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Btf, SEARCHES_BEFORE_INDEX } from "../../btf/reader.ts";
import { BtfError } from "../../btf/error.ts";
import { BtfBuilder, encodeFuncInfo, encodeLineInfo, FUNC_INFO_SIZE, LINE_INFO_SIZE } from "../../btf/writer.ts";
import type { BtfKind, TypeOfKind } from "../../btf/types.ts";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const noVmlinux = existsSync(VMLINUX) ? false : `${VMLINUX} is missing (kernel built without CONFIG_DEBUG_INFO_BTF)`;
const vmlinuxBytes = noVmlinux ? new Uint8Array(0) : new Uint8Array(readFileSync(VMLINUX));
let cached: Btf | undefined;
const vmlinux = (): Btf => (cached ??= Btf.parse(vmlinuxBytes));

function bpftoolMissing(): string | false {
  try {
    execFileSync("bpftool", ["version"], { stdio: "ignore" });
    return false;
  } catch {
    return "bpftool is not installed (apt-get install bpftool)";
  }
}
const noBpftool = bpftoolMissing();

function struct(btf: Btf, name: string): TypeOfKind<"struct"> {
  const t = btf.find(name, "struct");
  assert.ok(t, `struct ${name} exists`);
  return t;
}

function member(btf: Btf, id: number, name: string) {
  const m = btf.member(id, name);
  assert.ok(m, `member ${name} of ${btf.typeName(id)} exists`);
  return m;
}

describe("Btf reads vmlinux", { skip: noVmlinux }, () => {
  test("indexes every type", () => {
    const btf = vmlinux();
    assert.equal(btf.firstId, 1);
    assert.ok(btf.typeCount > 10_000, `${btf.typeCount} types`);
    assert.equal(btf.type(0).kind, "void");
    assert.throws(() => btf.type(btf.typeCount), BtfError);
    assert.throws(() => btf.type(-1), BtfError);
    assert.throws(() => btf.type(1.5), BtfError);
  });

  test("task_struct: tgid is a pid_t (int, 4 bytes), real_parent points to task_struct", () => {
    const btf = vmlinux();
    const task = struct(btf, "task_struct");
    assert.deepEqual(btf.findByName("task_struct", "struct"), [task.id]);
    assert.equal(btf.sizeOf(task.id), task.size);

    const tgid = member(btf, task.id, "tgid");
    assert.equal(btf.typeName(tgid.type), "pid_t");
    const int = btf.type(btf.resolve(tgid.type));
    assert.equal(int.kind, "int");
    assert.equal(btf.typeName(int.id), "int");
    assert.ok(int.kind === "int" && int.signed);
    assert.equal(btf.sizeOf(tgid.type), 4);
    assert.equal(btf.alignOf(tgid.type), 4);
    assert.equal(tgid.bitSize, 0);
    // `pid_t pid; pid_t tgid;` are declared next to each other.
    assert.equal(tgid.bitOffset, member(btf, task.id, "pid").bitOffset + 32);

    const parent = member(btf, task.id, "real_parent");
    const ptr = btf.type(btf.resolve(parent.type));
    assert.ok(ptr.kind === "ptr");
    assert.equal(btf.resolve(ptr.type), task.id);
    assert.equal(btf.typeName(parent.type), "struct task_struct *");
    assert.equal(btf.sizeOf(parent.type), 8);
    assert.equal(parent.bitOffset % 64, 0);

    const comm = member(btf, task.id, "comm");
    assert.equal(btf.typeName(comm.type), "char[16]");
    assert.equal(btf.sizeOf(comm.type), 16);
    assert.equal(btf.alignOf(comm.type), 1);
  });

  test("sock: __sk_common.skc_daddr and skc_dport resolve through anonymous unions", () => {
    const btf = vmlinux();
    const sock = struct(btf, "sock");
    const common = member(btf, sock.id, "__sk_common");
    assert.equal(common.bitOffset, 0);
    assert.equal(btf.typeName(common.type), "struct sock_common");
    // skc_daddr sits in an anonymous struct inside an anonymous union at offset 0 of
    // sock_common; skc_dport in another at byte 12 (bpftool: unions at bits 0 and 96).
    const daddr = member(btf, common.type, "skc_daddr");
    assert.deepEqual({ bitOffset: daddr.bitOffset, bitSize: daddr.bitSize }, { bitOffset: 0, bitSize: 0 });
    assert.equal(btf.typeName(daddr.type), "__be32");
    assert.equal(btf.sizeOf(daddr.type), 4);
    assert.equal(member(btf, common.type, "skc_rcv_saddr").bitOffset, 32);
    assert.equal(member(btf, common.type, "skc_dport").bitOffset, 96);
    assert.equal(member(btf, common.type, "skc_num").bitOffset, 112);
    assert.equal(btf.sizeOf(member(btf, common.type, "skc_dport").type), 2);

    const names = btf.memberNames(common.type);
    assert.ok(names.includes("skc_daddr") && names.includes("skc_dport") && !names.includes(""));
    assert.ok(btf.memberNames(sock.id).includes("__sk_common"));
    assert.equal(btf.member(sock.id, "skc_daddr"), undefined, "named members are not flattened");
    assert.equal(btf.member(sock.id, "no_such_member"), undefined);
    assert.throws(() => btf.member(daddr.type, "x"), BtfError);
  });

  test("bitfield members carry their bit size and offset", () => {
    const btf = vmlinux();
    const common = struct(btf, "sock_common");
    // unsigned char skc_reuse:4; unsigned char skc_reuseport:1; ...
    const reuse = member(btf, common.id, "skc_reuse");
    const reuseport = member(btf, common.id, "skc_reuseport");
    assert.equal(reuse.bitSize, 4);
    assert.equal(reuseport.bitSize, 1);
    assert.equal(reuseport.bitOffset, reuse.bitOffset + 4);
    assert.equal(btf.typeName(reuse.type), "unsigned char");
    assert.equal(member(btf, struct(btf, "task_struct").id, "sched_reset_on_fork").bitSize, 1);
  });

  test("funcProto(tcp_connect) has one parameter sk: struct sock *", () => {
    const btf = vmlinux();
    const fn = btf.funcProto("tcp_connect");
    assert.ok(fn);
    assert.deepEqual(fn.params.map((p) => p.name), ["sk"]);
    assert.equal(btf.typeName(fn.params[0].type), "struct sock *");
    assert.equal(btf.typeName(fn.returnType), "int");
    assert.equal(fn.variadic, false);
    assert.equal(btf.typeName(fn.funcId), "int tcp_connect(struct sock *sk)");
    assert.equal(btf.funcProto("no_such_function_in_any_kernel"), undefined);

    const printk = btf.funcProto("_printk");
    assert.ok(printk?.variadic, "_printk(const char *fmt, ...)");
    assert.equal(btf.typeName(printk.params[0].type), "const char *");
  });

  test("enum values: uapi enum bpf_func_id and the 64-bit BPF_F_CTXLEN_MASK", () => {
    const btf = vmlinux();
    const ids = btf.find("bpf_func_id", "enum");
    assert.ok(ids);
    const value = (name: string) => ids.values.find((v) => v.name === name)?.value;
    assert.equal(value("BPF_FUNC_map_lookup_elem"), 1);
    assert.equal(value("BPF_FUNC_get_current_pid_tgid"), 14);
    assert.equal(btf.sizeOf(ids.id), 4);

    // enum { BPF_F_INDEX_MASK = 0xffffffffULL, BPF_F_CURRENT_CPU = .., BPF_F_CTXLEN_MASK = 0xfffffULL << 32 }
    let ctxlen: bigint | undefined;
    for (let id = 1; id < btf.typeCount && ctxlen === undefined; id++) {
      if (btf.kindOf(id) !== "enum64") continue;
      const t = btf.type(id) as TypeOfKind<"enum64">;
      ctxlen = t.values.find((v) => v.name === "BPF_F_CTXLEN_MASK")?.value;
    }
    assert.equal(ctxlen, 0xfffffn << 32n);
  });

  test("findByName, kinds and type names", () => {
    const btf = vmlinux();
    assert.deepEqual(btf.findByName("no_such_type_anywhere"), []);
    assert.deepEqual(btf.findByName(""), []);
    const pid = btf.findByName("pid_t", "typedef");
    assert.equal(pid.length, 1);
    assert.equal(btf.kindOf(pid[0]), "typedef");
    assert.equal(btf.nameOf(pid[0]), "pid_t");
    assert.deepEqual(btf.findByName("pid_t", "struct"), []);
    assert.equal(btf.pointerSize(), 8);
    assert.throws(() => btf.sizeOf(btf.funcProto("tcp_connect")!.funcId), BtfError);
    assert.equal(btf.typeName(btf.find("list_head", "struct")!.id), "struct list_head");
  });

  test("lookups by name search the strings, agree with the name index, and build it only after many", () => {
    const searched = Btf.parse(vmlinuxBytes), indexed = Btf.parse(vmlinuxBytes);
    // More lookups than are searched build the index of every name.
    for (let i = 0; i <= SEARCHES_BEFORE_INDEX; i++) indexed.findByName(`no_such_name_${i}`);
    assert.equal(indexed.indexedNames, indexed.typeCount - 1);
    // A name that several types share (a struct and a forward declaration, ...): every id, in ascending order.
    const seen = new Set<string>();
    let shared = "";
    for (let id = 1; id < indexed.typeCount && !shared; id++) {
      const name = indexed.nameOf(id);
      if (name && seen.has(name)) shared = name;
      seen.add(name);
    }
    assert.ok(indexed.findByName(shared).length > 1, "a name used twice");
    const sharedKind = indexed.kindOf(indexed.findByName(shared)[0]);
    const asks: [string, BtfKind?][] = [
      ["task_struct", "struct"], ["task_struct"], ["pid_t", "typedef"], ["pid_t", "struct"], ["no_such_type_anywhere"],
      ["tcp_connect", "func"], ["sock", "struct"], ["btf_trace_sched_switch", "typedef"], [shared, sharedKind], [shared], ["long int", "int"],
    ];
    for (const [name, kind] of [...asks, ...asks]) {
      assert.deepEqual(searched.findByName(name, kind), indexed.findByName(name, kind), `${name} (${kind ?? "any kind"})`);
    }
    assert.equal(searched.indexedNames, 0, "the lookups of a compile do not hash every name");
  });

  test("naming a type decodes no struct, union or enum: their names are enough", () => {
    const btf = Btf.parse(vmlinuxBytes);
    const sk = btf.funcProto("tcp_connect")!.params[0].type;
    const decoded = btf.decodedTypes;
    assert.equal(btf.typeName(sk), "struct sock *");
    // The pointer only: struct sock's ~90 members are not read to print its name.
    assert.equal(btf.decodedTypes - decoded, 1);
  });

  test("withNamePrefix and paramSlots agree with a walk over every type", () => {
    const btf = vmlinux();
    const stubs: number[] = [];
    for (let id = 1; id < btf.typeCount; id++) if (btf.kindOf(id) === "func" && btf.nameOf(id).startsWith("__bpf_trace_")) stubs.push(id);
    assert.ok(stubs.length > 0);
    assert.deepEqual(btf.withNamePrefix("__bpf_trace_", "func"), stubs);
    for (const id of stubs) {
      const p = btf.funcProtoOf(id);
      assert.equal(btf.paramSlots(id), p.params.length + (p.variadic ? 1 : 0), btf.nameOf(id));
    }
    assert.throws(() => btf.paramSlots(btf.find("task_struct", "struct")!.id), BtfError);
  });

  test("matches bpftool's raw dump for every type", { skip: noBpftool }, () => {
    const btf = vmlinux();
    const dump = execFileSync("bpftool", ["btf", "dump", "file", VMLINUX, "format", "raw"], {
      encoding: "utf8",
      maxBuffer: 1 << 30,
    }).split("\n");
    if (dump.at(-1) === "") dump.pop();
    assertSameDump(btf, dump);
  });

  test("module BTF parses on top of vmlinux", {
    skip: noVmlinux || (moduleBtf() ? false : "no module BTF in /sys/kernel/btf on this kernel"),
  }, () => {
    const base = vmlinux();
    const mod = Btf.parse(new Uint8Array(readFileSync(moduleBtf()!)), base);
    assert.equal(mod.firstId, base.typeCount);
    for (let id = mod.firstId; id < mod.typeCount; id++) mod.typeName(id);
  });

  test("truncated vmlinux blobs throw BtfError, never RangeError", () => {
    const n = vmlinuxBytes.length;
    const cuts = [0, 1, 4, 23, 24, 25, 100, 4096, n >> 1, n - 5, n - 1];
    for (let i = 0; i < 12; i++) cuts.push(Math.floor(random() * n));
    for (const cut of cuts) {
      assert.throws(() => Btf.parse(vmlinuxBytes.subarray(0, cut)), BtfError, `cut at ${cut}`);
    }
    // The same bytes at an odd address are copied, not viewed, and still parse.
    const odd = new Uint8Array(n + 1);
    odd.set(vmlinuxBytes, 1);
    assert.equal(Btf.parse(odd.subarray(1)).typeCount, vmlinux().typeCount);
  });
});

describe("Btf rejects malformed input with BtfError", () => {
  const good = () => sampleBuilder().bytes();
  const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const expect = (bytes: Uint8Array, message: RegExp) =>
    assert.throws(() => Btf.parse(bytes), (e: unknown) => e instanceof BtfError && message.test(e.message));

  test("bad header", () => {
    expect(new Uint8Array(0), /shorter than its 24-byte header.*offset 0/);
    let b = good();
    b[0] = 0x12;
    expect(b, /Bad BTF magic 0xeb12.*offset 0/);
    b = good();
    [b[0], b[1]] = [0xeb, 0x9f];
    expect(b, /big-endian/);
    b = good();
    b[2] = 2;
    expect(b, /Unsupported BTF version 2.*offset 2/);
    b = good();
    dv(b).setUint32(4, 1 << 20, true);
    expect(b, /header length/);
    b = good();
    dv(b).setUint32(4, 28, true);
    expect(b, /header extension/);
  });

  test("sections out of bounds or malformed", () => {
    let b = good();
    dv(b).setUint32(20, dv(b).getUint32(20, true) + 1, true);
    expect(b, /String section .* truncated.*offset 20/);
    b = good();
    dv(b).setUint32(12, dv(b).getUint32(12, true) + 4, true);
    expect(b, /overlap|truncated/);
    b = good();
    dv(b).setUint32(12, dv(b).getUint32(12, true) - 4, true);
    expect(b, /is truncated/);
    b = good();
    b[b.length - 1] = 0x41;
    expect(b, /does not end with a NUL/);
  });

  test("string offsets and type ids out of range, unknown kinds", () => {
    let b = good();
    dv(b).setUint32(24, 0x00ffffff, true); // name_off of type 1
    expect(b, /String offset 16777215 of type 1 is out of range.*offset 24/);
    expect(rawBtf([0, 2 << 24, 999], "\0"), /Type id 999 is out of range \(0\.\.1\).*offset 32/);
    b = good();
    b[24 + 7] = 25; // kind byte of type 1's info
    expect(b, /unknown kind 25/);
  });

  test("a bad member, parameter or enum value is an error where its type is decoded: parsing checks records, not entries", () => {
    // [1] INT a (4 bytes), [2] STRUCT s { m: [bad] }, [3] ENUM e { v = 1 }, [4] FUNC_PROTO (a)
    const blob = (memberName: number, memberType: number, valueName: number, paramType: number) => rawBtf([
      1, 1 << 24, 4, 32,
      3, (4 << 24) | 1, 4, memberName, memberType, 0,
      5, (6 << 24) | 1, 4, valueName, 1,
      0, (13 << 24) | 1, 1, 0, paramType,
    ], "\0a\0s\0e\0m\0v\0");
    const fine = Btf.parse(blob(7, 1, 9, 1));
    assert.deepEqual([2, 3, 4].map((id) => fine.type(id).kind), ["struct", "enum", "func_proto"]);
    // Parsing vmlinux no longer walks its ~600k members and values; what a decode reads is checked there.
    for (const [bytes, id, message] of [
      [blob(7, 99, 9, 1), 2, /Type id 99 of type 2 is out of range \(0\.\.4\)/],
      [blob(999, 1, 9, 1), 2, /String offset 999 of type 2 is out of range/],
      [blob(7, 1, 999, 1), 3, /String offset 999 of type 3 is out of range/],
      [blob(7, 1, 9, 5), 4, /Type id 5 of type 4 is out of range/],
    ] as const) {
      const btf = Btf.parse(bytes);
      assert.equal(btf.type(1).kind, "int", "the good types decode");
      assert.throws(() => btf.type(id), (e: unknown) => e instanceof BtfError && message.test(e.message));
      assert.throws(() => btf.memberNames(id), BtfError);
    }
  });

  test("reference cycles are errors, not hangs", () => {
    // [1] TYPEDEF a -> 2, [2] TYPEDEF b -> 1, [3] PTR -> 1
    const btf = Btf.parse(rawBtf([1, 8 << 24, 2, 3, 8 << 24, 1, 0, 2 << 24, 1], "\0a\0b\0"));
    assert.throws(() => btf.resolve(1), BtfError);
    assert.throws(() => btf.sizeOf(1), BtfError);
    assert.throws(() => btf.alignOf(1), BtfError);
    assert.throws(() => btf.member(1, "x"), BtfError);
    assert.equal(btf.typeName(3), "a *", "naming a typedef does not follow it");
    assert.equal(btf.sizeOf(3), 8, "a pointer's size does not depend on its target");
  });

  test("random corruption gives a Btf or a BtfError, and decoding it never throws anything else", () => {
    const base = good();
    for (let round = 0; round < 3000; round++) {
      const b = base.slice(0, round % 7 === 0 ? Math.floor(random() * base.length) : base.length);
      const flips = 1 + Math.floor(random() * 4);
      for (let i = 0; i < flips && b.length; i++) b[Math.floor(random() * b.length)] = Math.floor(random() * 256);
      let btf: Btf;
      try {
        btf = Btf.parse(b);
      } catch (e) {
        assert.ok(e instanceof BtfError, `round ${round}: ${e}`);
        continue;
      }
      for (let id = 0; id < btf.typeCount; id++) {
        for (const use of [
          () => btf.type(id), () => btf.typeName(id), () => btf.sizeOf(id), () => btf.alignOf(id),
          () => btf.memberNames(id), () => btf.findByName(btf.nameOf(id)),
        ]) {
          try {
            use();
          } catch (e) {
            assert.ok(e instanceof BtfError, `round ${round}, type ${id}: ${e}`);
          }
        }
      }
    }
  });
});

describe("BtfBuilder", () => {
  test("round-trips through the reader", () => {
    const b = new BtfBuilder();
    const ids = sampleTypes(b);
    const btf = Btf.parse(b.bytes());
    assert.equal(btf.typeCount, 11, "10 types after void");
    assert.equal(btf.typeName(ids.int), "int");
    assert.deepEqual(btf.type(ids.u8), {
      kind: "int", id: ids.u8, name: "unsigned char", size: 1, bits: 8, bitOffset: 0,
      signed: false, char: false, bool: false,
    });
    assert.equal(btf.typeName(ids.comm), "char[16]");
    assert.equal(btf.typeName(ids.voidPtr), "void *");
    assert.deepEqual(btf.findByName("event", "struct"), [ids.event]);
    assert.equal(btf.sizeOf(ids.event), 24);
    assert.equal(btf.alignOf(ids.event), 4);
    assert.deepEqual(btf.member(ids.event, "flags"), { name: "flags", type: ids.u8, bitOffset: 32, bitSize: 3 });
    assert.deepEqual(btf.member(ids.event, "comm"), { name: "comm", type: ids.comm, bitOffset: 64, bitSize: 0 });
    assert.deepEqual(btf.member(ids.event, "v"), { name: "v", type: ids.int, bitOffset: 0, bitSize: 0 });
    assert.equal(btf.typeName(ids.main), "int handle(void *ctx, struct event *e)");
    assert.deepEqual(btf.funcProto("handle"), {
      funcId: ids.main, protoId: ids.proto, linkage: "global",
      params: [{ name: "ctx", type: ids.voidPtr }, { name: "e", type: ids.eventPtr }],
      returnType: ids.int, variadic: false,
    });
    assert.equal((btf.type(ids.helper) as TypeOfKind<"func">).linkage, "static");
  });

  test("deduplicates strings", () => {
    const b = new BtfBuilder();
    assert.equal(b.addString(""), 0);
    const a = b.addString("tcpconnect.ts");
    assert.equal(b.addString("tcpconnect.ts"), a);
    const int = b.addInt("int", 4, { signed: true });
    const before = b.bytes().length;
    b.addStruct("int", 4, [{ name: "tcpconnect.ts", type: int, bitOffset: 0 }]);
    assert.equal(b.bytes().length, before + 12 + 12, "only the struct's words were added");
    const btf = Btf.parse(b.bytes());
    assert.equal(btf.string(a), "tcpconnect.ts");
  });

  test("a struct that points to its own kind: the pointer first, as a forward reference", () => {
    const b = new BtfBuilder();
    const int = b.addInt("int", 4, { signed: true });
    const ptr = b.addPtr(int + 2, true);
    const node = b.addStruct("node", 16, [{ name: "value", type: int, bitOffset: 0 }, { name: "next", type: ptr, bitOffset: 64 }]);
    assert.equal(node, ptr + 1);
    const btf = Btf.parse(b.bytes());
    assert.equal(btf.typeName(btf.member(node, "next")!.type), "struct node *");
  });

  test("rejects what the kernel would", () => {
    const b = new BtfBuilder();
    assert.throws(() => b.addPtr(1), BtfError);
    assert.throws(() => b.addInt("x", 3), BtfError);
    assert.throws(() => b.addInt("x", 1, { signed: true, char: true }), BtfError);
    assert.throws(() => b.addString("a\0b"), BtfError);
    assert.throws(() => b.addFunc("", 0, "static"), BtfError);
  });

  test("bpftool reads the output as we do", { skip: noBpftool }, () => {
    const b = new BtfBuilder();
    sampleTypes(b);
    const dir = mkdtempSync(join(tmpdir(), "tsbpf-btf-"));
    try {
      const file = join(dir, "prog.btf");
      writeFileSync(file, b.bytes());
      const dump = execFileSync("bpftool", ["btf", "dump", "file", file, "format", "raw"], { encoding: "utf8" });
      assertSameDump(Btf.parse(b.bytes()), dump.trimEnd().split("\n"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("func_info and line_info records", () => {
  test("bpf_func_info is {insn_off, type_id}, 8 bytes each", () => {
    const bytes = encodeFuncInfo([{ insnOff: 0, typeId: 7 }, { insnOff: 42, typeId: 9 }]);
    assert.equal(bytes.length, 2 * FUNC_INFO_SIZE);
    const v = new DataView(bytes.buffer);
    assert.deepEqual([0, 4, 8, 12].map((o) => v.getUint32(o, true)), [0, 7, 42, 9]);
    assert.throws(() => encodeFuncInfo([{ insnOff: 1, typeId: 7 }]), BtfError);
    assert.throws(() => encodeFuncInfo([{ insnOff: 0, typeId: 7 }, { insnOff: 0, typeId: 8 }]), BtfError);
  });

  test("bpf_line_info is {insn_off, file_name_off, line_off, line_col = line << 10 | col}", () => {
    const bytes = encodeLineInfo([
      { insnOff: 0, fileNameOff: 1, lineOff: 15, line: 12, column: 5 },
      { insnOff: 3, fileNameOff: 1, lineOff: 40, line: 4_000_000, column: 5000 },
    ]);
    assert.equal(bytes.length, 2 * LINE_INFO_SIZE);
    const v = new DataView(bytes.buffer);
    assert.deepEqual([0, 4, 8].map((o) => v.getUint32(o, true)), [0, 1, 15]);
    const lineCol = v.getUint32(12, true);
    assert.equal(lineCol >>> 10, 12); // BPF_LINE_INFO_LINE_NUM
    assert.equal(lineCol & 0x3ff, 5); // BPF_LINE_INFO_LINE_COL
    const second = v.getUint32(16 + 12, true);
    assert.deepEqual([v.getUint32(16, true), second >>> 10, second & 0x3ff], [3, 4_000_000, 1023]);
    assert.throws(() => encodeLineInfo([{ insnOff: 0, fileNameOff: 1, lineOff: 1, line: 1 << 22, column: 0 }]), BtfError);
    assert.throws(
      () =>
        encodeLineInfo([
          { insnOff: 2, fileNameOff: 1, lineOff: 1, line: 1, column: 0 },
          { insnOff: 2, fileNameOff: 1, lineOff: 1, line: 2, column: 0 },
        ]),
      BtfError,
    );
  });
});

describe("split BTF", () => {
  test("ids and strings continue after the base", () => {
    const base = Btf.parse(sampleBuilder().bytes());
    const point = base.find("event", "struct")!;
    // Split strings start at base.strEnd; ids at base.typeCount.
    const s = (off: number) => base.strEnd + off;
    const first = base.typeCount;
    const split = Btf.parse(
      rawBtf(
        [
          0, 2 << 24, point.id, //                          [first]     PTR -> struct event
          s(1), 8 << 24, point.id, //                       [first + 1] TYPEDEF event_t
          s(9), (4 << 24) | 2, 48, //                       [first + 2] STRUCT pair { a, b }
          s(14), point.id, 0,
          s(16), first + 1, 192,
        ],
        "\0event_t\0pair\0a\0b\0",
      ),
      base,
    );
    assert.equal(split.firstId, first);
    assert.equal(split.typeCount, first + 3);
    assert.equal(split.type(1).kind, "int", "base ids resolve through the base");
    assert.equal(split.typeName(first), "struct event *");
    assert.deepEqual(split.findByName("event"), [point.id]);
    assert.deepEqual(split.findByName("pair"), [first + 2]);
    assert.equal(split.typeName(split.member(first + 2, "b")!.type), "event_t");
    assert.equal(split.member(first + 2, "b")!.bitOffset, 192);
    assert.equal(split.sizeOf(first + 1), 24);
    assert.throws(() => Btf.parse(rawBtf([0, 2 << 24, first + 5], "\0"), base), /Type id .* out of range/);
  });
});

// ---- helpers ----

function sampleTypes(b: BtfBuilder) {
  const int = b.addInt("int", 4, { signed: true });
  const u8 = b.addInt("unsigned char", 1);
  const char = b.addInt("char", 1, { char: true });
  const comm = b.addArray(char, int, 16);
  const event = b.addStruct("event", 24, [
    { name: "v", type: int, bitOffset: 0 },
    { name: "flags", type: u8, bitOffset: 32, bitSize: 3 },
    { name: "comm", type: comm, bitOffset: 64 },
  ]);
  const voidPtr = b.addPtr(0);
  const eventPtr = b.addPtr(event);
  const proto = b.addFuncProto(int, [{ name: "ctx", type: voidPtr }, { name: "e", type: eventPtr }]);
  const main = b.addFunc("handle", proto, "global");
  const helper = b.addFunc("helper", proto, "static");
  return { int, u8, char, comm, event, voidPtr, eventPtr, proto, main, helper };
}

function sampleBuilder(): BtfBuilder {
  const b = new BtfBuilder();
  sampleTypes(b);
  return b;
}

/** A BTF blob from raw type words and a string section given as text. */
function rawBtf(words: number[], strings: string): Uint8Array {
  const strs = Uint8Array.from(strings, (c) => c.charCodeAt(0));
  const out = new Uint8Array(24 + words.length * 4 + strs.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(12, words.length * 4, true);
  v.setUint32(16, words.length * 4, true);
  v.setUint32(20, strs.length, true);
  words.forEach((w, i) => v.setUint32(24 + 4 * i, w >>> 0, true));
  out.set(strs, 24 + words.length * 4);
  return out;
}

function moduleBtf(): string | undefined {
  try {
    const name = readdirSync("/sys/kernel/btf").find((f) => f !== "vmlinux");
    return name && `/sys/kernel/btf/${name}`;
  } catch {
    return undefined;
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

/** Renders every type the way `bpftool btf dump format raw` (bpftool 7.x) does and compares. */
function assertSameDump(btf: Btf, dump: string[]): void {
  let line = 0;
  for (let id = 1; id < btf.typeCount; id++) {
    for (const ours of bpftoolLines(btf, id)) {
      if (dump[line] !== ours) {
        assert.fail(`type ${id}, dump line ${line + 1}:\n  bpftool: ${dump[line]}\n  ours:    ${ours}`);
      }
      line++;
    }
  }
  assert.equal(line, dump.length, "bpftool printed more lines than we have types");
}

function bpftoolLines(btf: Btf, id: number): string[] {
  const t = btf.type(id);
  const q = (s: string) => `'${s || "(anon)"}'`;
  const head = `[${id}] ${t.kind.toUpperCase()} ${q(t.name)}`;
  switch (t.kind) {
    case "void":
      return [];
    case "int": {
      const enc = t.signed ? "SIGNED" : t.char ? "CHAR" : t.bool ? "BOOL" : "(none)";
      return [`${head} size=${t.size} bits_offset=${t.bitOffset} nr_bits=${t.bits} encoding=${enc}`];
    }
    case "ptr":
    case "typedef":
    case "volatile":
    case "const":
    case "restrict":
    case "type_tag":
      return [`${head} type_id=${t.type}`];
    case "array":
      return [`${head} type_id=${t.elemType} index_type_id=${t.indexType} nr_elems=${t.nelems}`];
    case "struct":
    case "union":
      return [
        `${head} size=${t.size} vlen=${t.members.length}`,
        ...t.members.map((m) =>
          `\t${q(m.name)} type_id=${m.type} bits_offset=${m.bitOffset}${m.bitSize ? ` bitfield_size=${m.bitSize}` : ""}`
        ),
      ];
    case "enum":
    case "enum64": {
      const suffix = t.kind === "enum" ? "" : t.signed ? "LL" : "ULL";
      return [
        `${head} encoding=${t.signed ? "SIGNED" : "UNSIGNED"} size=${t.size} vlen=${t.values.length}`,
        ...t.values.map((v) => `\t${q(v.name)} val=${v.value}${suffix}`),
      ];
    }
    case "fwd":
      return [`${head} fwd_kind=${t.union ? "union" : "struct"}`];
    case "func":
      return [`${head} type_id=${t.type} linkage=${t.linkage}`];
    case "func_proto":
      return [
        `${head} ret_type_id=${t.returnType} vlen=${t.params.length + (t.variadic ? 1 : 0)}`,
        ...t.params.map((p) => `\t${q(p.name)} type_id=${p.type}`),
        ...(t.variadic ? [`\t'(anon)' type_id=0`] : []),
      ];
    case "var":
      return [`${head} type_id=${t.type}, linkage=${t.linkage}`];
    case "datasec":
      return [
        `${head} size=${t.size} vlen=${t.vars.length}`,
        ...t.vars.map((v) =>
          `\ttype_id=${v.type} offset=${v.offset} size=${v.size} (${btf.kindOf(v.type).toUpperCase()} ${q(btf.nameOf(v.type))})`
        ),
      ];
    case "float":
      return [`${head} size=${t.size}`];
    case "decl_tag":
      return [`${head} type_id=${t.type} component_idx=${t.componentIdx}`];
  }
}
