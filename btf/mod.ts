/** The BTF module: a reader for kernel BTF and a builder for the BTF a loaded program carries. */
export { Btf, type FuncProto, type MemberRef } from "./reader.ts";
export { BtfError } from "./error.ts";
export {
  BtfBuilder,
  encodeFuncInfo,
  encodeLineInfo,
  FUNC_INFO_SIZE,
  type FuncInfoRecord,
  LINE_INFO_SIZE,
  lineCol,
  type LineInfoRecord,
} from "./writer.ts";
export type * from "./types.ts";
