/**
 * The cost of being scraped: a tracer with a 10 000-series Count served at /metrics, scraped
 * once a second by a separate process (as Prometheus would), then as fast as it answers.
 *
 *   sudo node_modules/.bin/bun bench/metrics.ts
 *   sudo node_modules/.bin/deno run -A bench/metrics.ts
 *
 * Reports the scrape latency (median and max of 30 scrapes after 3 warm-up ones), the size of
 * the exposition, and the tracer process's CPU (utime + stime from /proc) over 10 s at one
 * scrape per second, and over 10 s with nothing scraping it (the floor: its own polling).
 */
import process from "node:process";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { median } from "./timing.ts";
import { Count, Tracer, tracepoint, type TracepointArgs, type u32 } from "../mod.ts";
import { libc } from "../runtime/ffi/mod.ts";

const SERIES = 10_000, WARM = 3, SCRAPES = 30, SECONDS = 10;

class Keys extends Tracer {
  /** getpgid() calls by the pid asked about. */
  byPid = new Count<u32>(SERIES);
  @tracepoint("syscalls:sys_enter_getpgid")
  onCall(args: TracepointArgs) {
    this.byPid.add(args.pid);
  }
}

if (process.argv.includes("--serve")) {
  const c = await libc();
  const t = await new Keys().start({ metrics: "127.0.0.1:0" });
  for (let i = 1; i <= SERIES; i++) c.syscall(121, BigInt(i)); // getpgid(i): one key each
  console.log(`ready ${t.metricsAddress!.port}`);
  await t.stopped;
} else {
  const self = new URL(import.meta.url).pathname;
  const cmd = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? [process.execPath, self, "--serve"] : [process.execPath, "run", "-A", self, "--serve"];
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  const url = `http://127.0.0.1:${port}/metrics`;
  const cpuMs = () => {
    const f = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, in 100 Hz ticks
  };
  let size = 0, series = 0;
  const scrape = async () => {
    const t0 = performance.now();
    const text = await (await fetch(url)).text();
    size = text.length;
    series = text.split("\n").filter((l) => l.startsWith("keys_by_pid_total{")).length;
    return performance.now() - t0;
  };
  for (let i = 0; i < WARM; i++) await scrape();
  const times: number[] = [];
  for (let i = 0; i < SCRAPES; i++) times.push(await scrape());
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let c0 = cpuMs();
  await sleep(SECONDS * 1000);
  const idle = (cpuMs() - c0) / (SECONDS * 10);
  c0 = cpuMs();
  for (let i = 0; i < SECONDS; i++) {
    const t0 = performance.now();
    await scrape();
    await sleep(1000 - (performance.now() - t0));
  }
  const scraped = (cpuMs() - c0) / (SECONDS * 10);
  child.kill("SIGTERM");
  const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "Bun" : "Deno";
  console.log(`| ${runtime} | ${series} | ${(size / 1024).toFixed(0)} KiB | ${median(times).toFixed(1)} ms | ${Math.max(...times).toFixed(1)} ms | ${idle.toFixed(1)} % | ${scraped.toFixed(1)} % |`);
}
