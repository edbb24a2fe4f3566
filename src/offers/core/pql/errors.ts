/**
 * PQL compile and evaluation errors. Compile errors carry the 1-based line and column of the
 * offending token; the message always ends with "at line L, column C" so that a reader of a CLI
 * error or of /diagnostics can find the spot.
 */
import { DecisioningError, type ErrorCode } from "../../../errors";

export type PqlErrorKind = "syntax" | "unsupported" | "limit";

export interface SourcePosition {
  line: number;
  column: number;
}

const CODE_OF_KIND: Record<PqlErrorKind, ErrorCode> = {
  syntax: "ODE_ERR_PQL_SYNTAX",
  unsupported: "ODE_ERR_PQL_UNSUPPORTED",
  limit: "ODE_ERR_PQL_LIMIT",
};

/** A PQL text that cannot be compiled; `details` holds `{ kind, line, column }`. */
export function pqlCompileError(kind: PqlErrorKind, message: string, at: SourcePosition): DecisioningError {
  const text = kind === "unsupported" ? `unsupported construct: ${message}` : message;
  return new DecisioningError(CODE_OF_KIND[kind], `${text} at line ${at.line}, column ${at.column}`, {
    details: { kind, line: at.line, column: at.column },
  });
}

/** Thrown during evaluation when a rule runs past its step budget; the rule counts as not eligible. */
export function pqlBudgetError(limit: number): DecisioningError {
  return new DecisioningError("ODE_ERR_PQL_LIMIT", `evaluation exceeded its budget of ${limit} steps`, {
    details: { kind: "limit" },
  });
}
