/** The PQL subset used by eligibility rules: parse once, evaluate many times, bounded. */
export {
  compilePql,
  DEFAULT_STEP_BUDGET,
  type CompiledPql,
  type CompileOptions,
  type PqlInput,
} from "./compile";
export { parsePql, MAX_NESTING } from "./parser";
export { MAX_RULE_BYTES } from "./lexer";
export type { Expr } from "./ast";
