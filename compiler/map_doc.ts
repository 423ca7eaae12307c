// What a map field's doc comment says beyond code: its description (HELP text of the exported
// metric), its unit (`@unit ns`: exported in seconds), and the metric's name (`@metric name`).
//
//   /**
//    * Time from wakeup to running, per CPU.
//    * @unit ns
//    */
//   latency = new Histogram<u32>();
import { Code, type DiagnosticBag } from "../spec/diagnostics.ts";
import { type Node, posOf } from "./parse.ts";
import type { MapSpec } from "../spec/tracer_spec.ts";

import { type Unit, UNITS } from "../spec/tracer_spec.ts";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** The doc comment's description, unit and metric name, checked; errors point at the comment. */
export function mapDoc(member: Node, diags: DiagnosticBag): Pick<MapSpec, "help" | "unit" | "metric"> {
  const comment = [...(member.leadingComments ?? [])].reverse().find((c: Node) => c.type === "CommentBlock" && c.value.startsWith("*"));
  if (!comment) return {};
  const lines = (comment.value as string).split("\n").map((l) => l.replace(/^\s*\*?\s?/, "").trimEnd());
  const out: Pick<MapSpec, "help" | "unit" | "metric"> = {};
  const text: string[] = [];
  for (const line of lines) {
    const tag = /^@(\w+)\s*(.*)$/.exec(line.trim());
    if (!tag) {
      if (line.trim()) text.push(line.trim());
      continue;
    }
    const [, name, value] = tag;
    if (name === "unit") {
      if (!(value in UNITS)) {
        diags.error(Code.BadMap, posOf(comment), `unknown unit "${value}" in @unit`, `write one of: ${Object.keys(UNITS).join(", ")}`);
      } else out.unit = value as Unit;
    } else if (name === "metric") {
      if (!METRIC_NAME.test(value)) {
        diags.error(Code.BadMap, posOf(comment), `"${value}" is not a Prometheus metric name`, "use letters, digits, _ and :, not starting with a digit, e.g. @metric http_requests");
      } else out.metric = value;
    }
  }
  if (text.length) out.help = text.join(" ");
  return out;
}
