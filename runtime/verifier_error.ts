// The kernel's verifier said no: the error a script sees (runtime/verifier_report.ts makes it
// from the verifier's log).
import { renderDiagnostic, type Diagnostic } from "../spec/diagnostics.ts";
import { errnoName } from "./errors.ts";
import { UserFacingError } from "../spec/user_facing.ts";

/** The kernel's verifier refused a handler: the message points at the TypeScript line and says why; `log` keeps the whole verifier log. */
export class VerifierError extends UserFacingError {
  /** @internal Made by the loader from the verifier's log. */
  constructor(
    readonly program: string,
    readonly errno: number,
    readonly log: string,
    readonly diagnostic: Diagnostic | undefined,
    readonly reason: string,
    source?: string,
  ) {
    super(diagnostic && source !== undefined ? renderDiagnostic(diagnostic, source) : `The kernel's verifier rejected handler "${program}" (${errnoName(errno)}): ${reason}`);
    this.name = "VerifierError";
  }
}
