// A tracepoint handler on an event made through tracefs (uprobe_events, kprobe_events,
// synthetic_events...) is refused at its decorator, naming the probe to use instead. Such events
// sit beside the kernel's tracepoints in events/ and have a format file, so they compiled, but the
// kernel runs only kprobe-type programs on a uprobe or kprobe event and none on the others: the
// start died with a bare "BPF_LINK_CREATE failed: EINVAL", or, when the event's fields were
// packed, with a verifier rejection that told the user to shorten the handler.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync } from "node:fs";
import { compile } from "../../compiler/mod.ts";
import { Elf } from "../../elf/mod.ts";
import { hostTarget } from "../../tracer/compile_target.ts";
import { libc } from "../../runtime/ffi/mod.ts";
import { refusals } from "../unit/refusals.ts";

const kernel = await hostTarget();
await libc();

const TRACEFS = "/sys/kernel/tracing";
const GROUP = `tsbpf_dyn_${process.pid}`;
/** The C library this process runs with, and the file offset of its write(). */
const LIBC = readFileSync("/proc/self/maps", "utf8").split("\n").map((l) => l.split(/\s+/)[5]).find((p) => /\/libc\.so\.6$/.test(p ?? ""))!;
const elf = Elf.parse(new Uint8Array(readFileSync(LIBC)));
const WRITE_OFFSET = elf.fileOffset(elf.symbols().lookup("write")!.value)!;
const AT = `${LIBC}:0x${WRITE_OFFSET.toString(16)}`;

function probeEvents(line: string): void {
  appendFileSync(`${TRACEFS}/uprobe_events`, line + "\n");
}

// Compiled before the events are made: a process that compiled once must see events made later
// (a test runner, a service; the list was read once a process, and this file failed after others).
const ownTracepoint = compile(`import { Tracer, tracepoint } from "tsbpf";
class T extends Tracer {
  @tracepoint("syscalls:sys_enter_write")
  h(args: any) { const n = args.count; }
}
`, "/x/t.ts", kernel);

before(() => {
  probeEvents(`p:${GROUP}/aligned ${AT} count=%dx:u64 fd=%di:u32`);
  probeEvents(`p:${GROUP}/packed ${AT} fd=%di:u32 count=%dx:u64`);
  probeEvents(`r:${GROUP}/ret ${AT} ret=$retval:s64`);
});

after(() => {
  for (const name of ["aligned", "packed", "ret"]) {
    try {
      probeEvents(`-:${GROUP}/${name}`);
    } catch {
      // not made: before() failed
    }
  }
});

function refusal(event: string) {
  const [d] = refusals(`import { Tracer, tracepoint } from "tsbpf";
class T extends Tracer {
  @tracepoint("${GROUP}:${event}")
  h(args: any) { const n = args.count; }
}
`, kernel);
  return d;
}

test("a uprobe event from uprobe_events is refused at the decorator, with the @uprobe to write", () => {
  for (const event of ["aligned", "packed"]) {
    const d = refusal(event);
    assert.equal(d.code, "TSB1007");
    assert.equal(d.line, 3);
    assert.match(d.message, new RegExp(`"${GROUP}:${event}" is a uprobe event made through ${TRACEFS}/uprobe_events, not a kernel tracepoint`));
    assert.match(d.hints.join("\n"), new RegExp(`@uprobe on ${LIBC.replaceAll(".", "\\.")} at file offset 0x0*${WRITE_OFFSET.toString(16)}`));
  }
});

test("a uretprobe event names @uretprobe", () => {
  const d = refusal("ret");
  assert.match(d.message, /is a uretprobe event/);
  assert.match(d.hints.join("\n"), /@uretprobe/);
});

test("a wildcard leaves such events out", () => {
  const [d] = refusals(`import { Tracer, tracepoint } from "tsbpf";
class T extends Tracer {
  @tracepoint("${GROUP}:*")
  h(args: any) {}
}
`, kernel);
  assert.match(d.message, new RegExp(`no tracepoint matches "${GROUP}:\\*"`));
});

test("the kernel's own tracepoints still compile", () => {
  assert.equal(ownTracepoint[0].programs.length, 1);
});
