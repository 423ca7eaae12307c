// A loop device over a small file in the temporary directory, for the block I/O tools' tests.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface LoopDevice {
  /** /dev/loopN */
  path: string;
  /** loopN */
  name: string;
  /** dd with these operands on the device (`of=`/`if=` are added by the caller). */
  dd(...operands: string[]): void;
  remove(): void;
}

/** A fresh loop device over an 8 MiB file; undefined when losetup is missing or refused. */
export function loopDevice(): LoopDevice | undefined {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-loop-"));
  const file = join(dir, "disk.img");
  writeFileSync(file, new Uint8Array(8 << 20));
  let path: string;
  try {
    path = execFileSync("losetup", ["-f", "--show", file], { encoding: "utf8" }).trim();
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    path,
    name: path.replace("/dev/", ""),
    dd: (...operands) => void execFileSync("dd", operands, { stdio: "ignore" }),
    remove: () => {
      execFileSync("losetup", ["-d", path]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
