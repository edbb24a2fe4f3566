/**
 * The PQL syntax tree. Every node keeps the position of its first token so that compile-time
 * checks made after parsing (unknown function, wrong arity) can still point at the source.
 */
import type { SourcePosition } from "./errors";

export type CompareOp = "=" | "!=" | "<" | "<=" | ">" | ">=";
export type ArithOp = "+" | "-" | "*" | "/" | "%";

export type TimeUnit = "millisecond" | "second" | "minute" | "hour" | "day" | "week" | "month" | "year";
export type PeriodAnchor = "this" | "last" | "next";
export type Direction = "before" | "after" | "from";

/** A reference instant or interval in an `occurs` tail. */
export type TimeRef =
  | { kind: "named"; name: "now" | "today" | "yesterday" | "tomorrow" }
  | { kind: "period"; anchor: PeriodAnchor; unit: TimeUnit }
  | { kind: "expr"; expr: Expr };

export type OccursTail =
  | { form: "relative"; op: CompareOp; amount: number; unit: TimeUnit; direction: Direction; ref: TimeRef }
  | { form: "direction"; direction: Direction; ref: TimeRef }
  | { form: "on"; ref: TimeRef }
  | { form: "between"; from: TimeRef; to: TimeRef };

interface At {
  at: SourcePosition;
}

export type Expr = At &
  (
    | { kind: "literal"; value: string | number | boolean | null }
    | { kind: "list"; items: Expr[] }
    | { kind: "name"; name: string }
    | { kind: "context"; schema: string }
    | { kind: "member"; object: Expr; name: string }
    | { kind: "method"; object: Expr; name: string; args: Expr[] }
    | { kind: "call"; name: string; args: Expr[] }
    | { kind: "filter"; object: Expr; condition: Expr }
    | { kind: "negate"; operand: Expr }
    | { kind: "not"; operand: Expr }
    | { kind: "logical"; op: "and" | "or"; left: Expr; right: Expr }
    | { kind: "compare"; op: CompareOp; left: Expr; right: Expr }
    | { kind: "arith"; op: ArithOp; left: Expr; right: Expr }
    | { kind: "in"; negated: boolean; value: Expr; collection: Expr }
    | { kind: "like"; value: Expr; pattern: string }
    | { kind: "occurs"; value: Expr; tail: OccursTail }
    | { kind: "let"; name: string; value: Expr; body: Expr }
    | { kind: "quantifier"; quantifier: "exists" | "forall"; variable: string; source: Expr; condition: Expr }
    | { kind: "select"; variable: string; source: Expr; condition: Expr | undefined }
  );

export type ExprOf<K extends Expr["kind"]> = Extract<Expr, { kind: K }>;
