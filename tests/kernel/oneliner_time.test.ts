// bpftrace's time() in a probe prints the local time of the event, as it does in BEGIN, END and
// interval (the present there): before, tsbpf refused it in a probe. Its format's text is printed
// as written (a newline ends the line, not "\x0a"), each conversion is the event's time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tsbpf } from "./cli_run.ts";

test("time() in a probe prints the event's local time, by default as %H:%M:%S and a newline", async () => {
  const r = await tsbpf(["-c", "/bin/true", "-e", 'tracepoint("sched:sched_process_exec", () => pid() > 0 && time())']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d\d:\d\d:\d\d$/m, r.stdout);
});

test("time(format) in a probe before a printf: the date, a literal % and the event's line", async () => {
  const r = await tsbpf(["-c", "/bin/true", "-e", 'tracepoint("sched:sched_process_exec", () => { time("%Y-%m-%d %H:%M:%S 100%% "); printf("%s\\n", comm()); })']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d 100% true$/m, r.stdout);
});

test("a conversion time() lacks is an error at the format", async () => {
  const r = await tsbpf(["-e", 'tracepoint("sched:sched_process_exec", () => time("%Q"))']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^-e:1:51: error\[TSB1002\]: %Q is not one of time\(\)'s conversions/m, r.stderr);
});
