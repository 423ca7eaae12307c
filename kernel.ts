/**
 * The running kernel's types, for the editor: `sudo tsbpf types` writes them as TypeScript
 * declarations to kernel.d.ts beside this file (they differ per machine, so they are not in the
 * repository or the package), and the package's "types" condition for "tsbpf/kernel" names
 * that file. From a clone, or for your own copy: `tsbpf types -o kernel.d.ts` in your project
 * and `import type { sock } from "./kernel.d.ts"`.
 *
 * ```ts ignore
 * import type { sock, task_struct } from "tsbpf/kernel";
 * ```
 * @module
 */
export {};
