// Values the entry block computes are reused, not computed again: the entry block runs before
// anything else, so its results are available everywhere after it. This covers the current
// task's ids, task_struct and CPU (helpers whose answer cannot change while one program runs:
// BPF programs run with migration disabled) and arithmetic on them, so the common
// `if (pid() !== X) return; ... { pid: pid() }` fetches and shifts the pid once.
import { Helper } from "../spec/bpf/helpers.ts";
import { defCounts } from "./flow.ts";
import { type Instr, isReg, type Operand, type VReg } from "./ir.ts";

const INVARIANT_HELPERS = new Set<number>([Helper.get_current_pid_tgid, Helper.get_current_cgroup_id, Helper.get_current_uid_gid, Helper.get_current_task, Helper.get_smp_processor_id]);

export function reuseEntryValues(code: Instr[]): Instr[] {
  const defs = defCounts(code);
  const once = (r: VReg) => defs[r] === 1;
  // A register defined once and copied from another defined once is that other register.
  const alias = new Map<VReg, VReg>();
  const canon = (o: Operand): Operand => (isReg(o) ? alias.get(o) ?? o : o);
  /** What the instruction computes, when that depends only on registers defined once. */
  const keyOf = (ins: Instr): string | undefined => {
    if (ins.op === "call" && INVARIANT_HELPERS.has(ins.helper) && ins.args.length === 0) return `call ${ins.helper}`;
    if (ins.op !== "alu") return undefined;
    const [a, b] = [canon(ins.a), canon(ins.b)];
    if ((isReg(a) && !once(a)) || (isReg(b) && !once(b))) return undefined;
    const text = (o: Operand) => (isReg(o) ? `r${o}` : `#${o}`);
    return `${ins.alu}${ins.w32 ? "32" : ""} ${text(a)} ${text(b)}`;
  };
  const entryEnd = code.findIndex((i) => i.op === "label" || i.op === "br" || i.op === "jmp" || i.op === "ret");
  const computed = new Map<string, VReg>();
  return code.map((ins, at) => {
    const dst = ins.op === "call" || ins.op === "alu" ? ins.dst : undefined;
    if (dst === undefined || !once(dst)) return ins;
    const key = keyOf(ins);
    if (key === undefined) return ins;
    const earlier = computed.get(key);
    if (earlier !== undefined) {
      alias.set(dst, earlier);
      return { op: "mov", dst, src: earlier, loc: ins.loc };
    }
    if (entryEnd < 0 || at < entryEnd) computed.set(key, dst);
    return ins;
  });
}
