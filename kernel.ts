// The running kernel's types as TypeScript declarations, for the editor: `tsbpf types` writes
// kernel.d.ts beside this file (it is generated per machine, so not in the repository).
//   import type { sock, task_struct } from "tsbpf/kernel";
export type * from "./kernel.d.ts";
