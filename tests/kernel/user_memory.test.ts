// User memory is read as user memory: a connect() tracer decodes the sockaddr a real connect()
// passed, IPv4 and IPv6 (with bpf_probe_read_kernel every field read 0).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { readFileSync } from "node:fs";
import { type AddressInfo, connect, createServer } from "node:net";
import { type Connect, ConnectSnoop, destination } from "../fixtures/connect_snoop.ts";
import { spawnSync } from "node:child_process";
import { waitFor } from "./util.ts";
import { buildC, cannotBuild, importScript, removeMade } from "./user_programs.ts";
import { pmuType } from "../../runtime/features.ts";
import { compile, CompileError, fromBase64 } from "../../compiler/mod.ts";
import { hostTarget } from "../../tracer/compile_target.ts";

const kernel = await hostTarget();

/** Connects once to a server of this process on `host`; its port. */
async function connectOnce(host: string): Promise<number> {
  const server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve, reject) => {
    const c = connect(port, host, () => c.on("close", () => resolve()));
    c.on("data", () => {});
    c.on("error", reject);
  });
  await new Promise((r) => server.close(r));
  return port;
}

test("connect(): the destination address and port, read from user memory, IPv4 and IPv6", async () => {
  const tracer = new ConnectSnoop();
  await tracer.start({ exitOnError: false });
  try {
    const seen: string[] = [];
    tracer.events.on((e: Connect) => {
      if (e.pid === process.pid) seen.push(destination(e));
    });
    const v4 = await connectOnce("127.0.0.1");
    const v6 = await connectOnce("::1");
    const want = [`127.0.0.1:${v4}`, `[::1]:${v6}`];
    assert.ok(await waitFor(() => want.every((w) => seen.includes(w)), 60_000), `wanted ${want.join(", ")}; saw ${seen.join(", ") || "nothing"}`);
  } finally {
    await tracer.stop();
  }
});

test("docs/language.md shows the tested connect() tracer", () => {
  const doc = readFileSync(new URL("../../docs/language.md", import.meta.url), "utf8");
  const fixture = readFileSync(new URL("../fixtures/connect_snoop.ts", import.meta.url), "utf8");
  const cls = /class ConnectSnoop[\s\S]*?\n}\n/.exec(fixture)![0];
  assert.ok(doc.includes(cls), "the class in docs/language.md differs from tests/fixtures/connect_snoop.ts");
});

const HEADER = `import { curtask, kernel, rawTracepoint, str, tracepoint, Tracer, user, type u64 } from "tsbpf";
class T extends Tracer {
`;

/** The helpers the compiled handler calls, by name. */
function helpersCalled(body: string, decorator = `@tracepoint("syscalls:sys_enter_connect")`, after = ""): string[] {
  const spec = compile(`${HEADER}  ${decorator}\n  h(args: any) {\n${body}\n  }\n}\n${after}`, "/x/t.ts", kernel)[0];
  const insns = fromBase64(spec.programs[0].insns);
  const names: Record<number, string> = { 45: "probe_read_str", 112: "probe_read_user", 113: "probe_read_kernel", 114: "probe_read_user_str", 115: "probe_read_kernel_str" };
  const out: string[] = [];
  for (let i = 0; i < insns.length; i += 8) {
    if (insns[i] === 0x85 && insns[i + 1] === 0) out.push(names[new DataView(insns.buffer, insns.byteOffset + i + 4, 4).getInt32(0, true)] ?? "other");
  }
  return out.filter((n) => n !== "other");
}

function diagnostic(body: string, decorator = `@tracepoint("syscalls:sys_enter_connect")`) {
  try {
    compile(`${HEADER}  ${decorator}\n  h(args: any) {\n${body}\n  }\n}\n`, "/x/t.ts", kernel);
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics[0];
    throw e;
  }
  assert.fail("expected a compile error");
}

test("a cast keeps a user pointer's address space; user<T>() and kernel<T>() set it", () => {
  // Was bpf_probe_read_kernel, which reads nothing at a user address.
  assert.deepEqual(helpersCalled("    return (args.uservaddr as unknown as sockaddr_in).sin_port;"), ["probe_read_user"]);
  assert.deepEqual(helpersCalled("    return args.uservaddr.sa_family;"), ["probe_read_user"]);
  assert.deepEqual(helpersCalled("    return user<sockaddr_in6>(args.uservaddr).sin6_addr.in6_u.u6_addr32[3];"), ["probe_read_user"]);
  assert.deepEqual(helpersCalled("    const s: Str<108> = str(user<sockaddr_un>(args.uservaddr).sun_path);"), ["probe_read_user_str"]);
  assert.deepEqual(helpersCalled("    return kernel<task_struct>(args[0]).tgid;", `@rawTracepoint("sys_enter")`), ["probe_read_kernel"]);
  // A pointer read from user memory points to user memory; from kernel memory, to kernel memory.
  assert.deepEqual(helpersCalled("    return user<msghdr>(args[1]).msg_namelen;", `@rawTracepoint("sys_enter")`), ["probe_read_user"]);
  assert.deepEqual(helpersCalled("    return kernel<task_struct>(args[0]).real_parent.tgid;", `@rawTracepoint("sys_enter")`), ["probe_read_kernel", "probe_read_kernel"]);
});

test("a cast to an interface of the script named like a kernel struct (for the editor) reads the kernel's struct", () => {
  // Was "only casts to integer types are supported".
  const read = helpersCalled("    return (args.uservaddr as sockaddr_in).sin_port;", undefined, "interface sockaddr_in { sin_port: u16 }\n");
  assert.deepEqual(read, ["probe_read_user"]);
});

test("a read through a pointer whose address space is unknown is an error that says how to give it one", () => {
  const d = diagnostic("    const a = args.addrlen as u64;\n    return (a as unknown as sockaddr_in).sin_port;");
  assert.deepEqual([d.line, d.column], [6, 13]);
  assert.match(d.message, /may point to user or kernel memory/);
  assert.match(d.hints.join(" "), /user<sockaddr_in>\(p\).*kernel<sockaddr_in>\(p\)/);
});

test("a pointer of unknown type: the hint says what to cast it to", () => {
  const d = diagnostic("    return args.filename.x;", `@tracepoint("syscalls:sys_enter_openat")`);
  assert.deepEqual([d.line, d.column], [5, 12]);
  assert.match(d.message, /this pointer's type is unknown \(const char \*\)/);
  assert.match(d.hints.join(" "), /str\(p\)/);
  assert.match(d.hints.join(" "), /user<sockaddr_in>\(p\)/);
});

test("user<T>() names a kernel struct: an unknown one is an error at the type", () => {
  const d = diagnostic("    return user<sockaddr_inn>(args.uservaddr).sin_port;");
  assert.deepEqual([d.line, d.column, d.code], [5, 17, "TSB1009"]);
  assert.match(d.message, /no struct or union "sockaddr_inn"/);
});

after(removeMade);
const noUprobes = (pmuType("uprobe") === undefined && "this kernel has no uprobe PMU (CONFIG_UPROBES)") || cannotBuild(["netinet/in.h"]) || false;

test("a uprobe's pointer argument is a user pointer: a cast keeps it, and the struct reads right", { skip: noUprobes }, async () => {
  const program = buildC("sockaddr_target", `
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
__attribute__((noinline)) int tsbpf_dest(const struct sockaddr_in *sa) { return sa->sin_port; }
int main(void) {
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(4242) };
  inet_pton(AF_INET, "10.1.2.3", &sa.sin_addr);
  printf("%d\\n", tsbpf_dest(&sa));
  return 0;
}
`, ["-O1"]);
  const { T } = await importScript("sockaddr", ["uprobe", "RingBuf", "Tracer", "user", "type u16", "type u32", "type u64"], `
interface Dest { family: u16; port: u16; addr: u32 }
export class T extends Tracer {
  dests = new RingBuf<Dest>();
  @uprobe("${program}:tsbpf_dest")
  onDest(sa: u64) {
    const a = sa as unknown as sockaddr_in;
    this.dests.submit({ family: a.sin_family, port: a.sin_port, addr: user<sockaddr_in>(sa).sin_addr.s_addr });
  }
}`);
  const tracer = new T();
  await tracer.start({ exitOnError: false });
  try {
    const seen: { family: number; port: number; addr: number }[] = [];
    tracer.dests.on((d: (typeof seen)[number]) => seen.push(d));
    assert.equal(spawnSync(program, { encoding: "utf8" }).status, 0);
    assert.ok(await waitFor(() => seen.length >= 1, 60_000), "no event");
    const { family, port, addr } = seen[0];
    assert.deepEqual([family, ((port & 0xff) << 8) | (port >> 8), [...new Uint8Array(new Uint32Array([addr]).buffer)].join(".")], [2, 4242, "10.1.2.3"]);
  } finally {
    await tracer.stop();
  }
});

test("an address held as a number: reading a field or a string of it says how to name its memory", () => {
  const field = diagnostic("    return args[1].sin_port;", `@rawTracepoint("sys_enter")`);
  assert.deepEqual([field.line, field.column], [5, 12]);
  assert.match(field.hints.join(" "), /kernel<task_struct>\(x\) or user<sockaddr_in>\(x\)/);
  const string = diagnostic("    const s: Str<16> = str(args[1]);", `@rawTracepoint("sys_enter")`);
  assert.deepEqual([string.line, string.column], [5, 28]);
  assert.match(string.hints.join(" "), /str\(user\(x\)\) or str\(kernel\(x\)\)/);
  // And what the hint says compiles, reading with the helper it names.
  assert.deepEqual(helpersCalled("    const s: Str<16> = str(user(args[1]));", `@rawTracepoint("sys_enter")`), ["probe_read_user_str"]);
});

test("a struct or array of user or kernel memory is copied whole into a value of its size", () => {
  const v6 = "user<sockaddr_in6>(args.uservaddr).sin6_addr";
  assert.deepEqual(helpersCalled(`    const a: [u32, u32, u32, u32] = ${v6}.in6_u.u6_addr32;`), ["probe_read_user"]);
  assert.deepEqual(helpersCalled("    const c: [u64, u64] = curtask().comm;", `@rawTracepoint("sys_enter")`), ["probe_read_kernel"]);
  const d = diagnostic(`    const a: [u32, u32] = ${v6};`);
  assert.deepEqual([d.line, d.column], [5, 27]);
  assert.match(d.message, /expected \[u32, u32\] \(8 bytes\) here, got struct in6_addr \(16 bytes\) of user memory/);
  const s = diagnostic("    const s: Str<16> = curtask().comm;", `@rawTracepoint("sys_enter")`);
  assert.match(s.hints.join(" "), /str\(/);
});
