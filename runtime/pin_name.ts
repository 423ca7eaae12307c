// Pin names are checked before each use: the rule is spec/pin_name.ts's.
import { isPinName, pinNameProblem } from "../spec/pin_name.ts";
import { TracerError } from "./errors.ts";

export { isPinName, PIN_NAME, pinNameProblem } from "../spec/pin_name.ts";

export function checkPinName(name: string, where = "pin"): string {
  if (!isPinName(name)) throw new TracerError(`${where}: ${pinNameProblem(name)}`);
  return name;
}
