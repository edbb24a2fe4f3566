/**
 * Recursive-descent parser for the PQL subset (grammar and precedence in docs/offers.md). It
 * rejects the constructs we deliberately leave out with an "unsupported construct" error, and it
 * bounds the input: nesting of parentheses/brackets/calls/negations, the height of the tree and the
 * length of list literals. Every error points at a line and column.
 */
import type { CompareOp, Direction, Expr, OccursTail, PeriodAnchor, TimeRef, TimeUnit } from "./ast";
import { pqlCompileError, type SourcePosition } from "./errors";
import { tokenize, type Token } from "./lexer";

/** Product limit on nesting (parentheses, brackets, calls, negations, quantifier bodies). */
export const MAX_NESTING = 30;
/** Height of the syntax tree; keeps compilation and evaluation far from the stack limit. */
export const MAX_TREE_HEIGHT = 200;
export const MAX_LIST_ITEMS = 1000;

const UNITS: Record<string, TimeUnit> = {};
for (const u of ["millisecond", "second", "minute", "hour", "day", "week", "month", "year"] as const) {
  UNITS[u] = u;
  UNITS[`${u}s`] = u;
}
const UNSUPPORTED_UNITS = new Set([
  "decade",
  "decades",
  "century",
  "centuries",
  "millennium",
  "millennia",
  "millenniums",
]);
const COMPARE_OPS: Record<string, CompareOp> = {
  "=": "=",
  "==": "=",
  "!=": "!=",
  "<": "<",
  "<=": "<=",
  ">": ">",
  ">=": ">=",
};
const NAMED_TIMES = new Set(["now", "today", "yesterday", "tomorrow"]);
/** Words that end an operand; they can never start one (except as a member name after a dot). */
const RESERVED = new Set([
  "and",
  "or",
  "not",
  "in",
  "notin",
  "like",
  "occurs",
  "from",
  "where",
  "between",
  "before",
  "after",
  "let",
]);

class Parser {
  private pos = 0;
  private nesting = 0;
  private noIn = false;
  private readonly heights = new WeakMap<Expr, number>();

  constructor(private readonly tokens: Token[]) {}

  // ---- token helpers ----
  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (t.type !== "eof") this.pos++;
    return t;
  }
  private isWord(word: string, t = this.peek()): boolean {
    return t.type === "word" && t.text.toLowerCase() === word;
  }
  private isOp(op: string, t = this.peek()): boolean {
    return t.type === "op" && t.text === op;
  }
  private acceptWord(word: string): boolean {
    if (!this.isWord(word)) return false;
    this.pos++;
    return true;
  }
  private acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.pos++;
    return true;
  }
  private expectOp(op: string): void {
    if (!this.acceptOp(op)) this.fail(`expected "${op}"`);
  }
  private expectWord(word: string): void {
    if (!this.acceptWord(word)) this.fail(`expected "${word}"`);
  }

  /** Throws for the current token, naming a deliberately unsupported construct where it is one. */
  fail(expected: string, t = this.peek()): never {
    if (this.isOp("^", t)) throw pqlCompileError("unsupported", 'the up-operator "^"', t);
    if (this.isOp("=>", t)) throw pqlCompileError("unsupported", "lambda expressions", t);
    if (t.type === "param") throw pqlCompileError("unsupported", `parameter reference ${t.text}`, t);
    const found = t.type === "eof" ? "end of input" : JSON.stringify(t.text);
    throw pqlCompileError("syntax", `${expected}, found ${found}`, t);
  }

  private node<E extends Expr>(expr: E, ...children: (Expr | undefined)[]): E {
    let height = 1;
    for (const c of children) if (c) height = Math.max(height, (this.heights.get(c) ?? 1) + 1);
    if (height > MAX_TREE_HEIGHT) {
      throw pqlCompileError("limit", `expression deeper than ${MAX_TREE_HEIGHT} levels`, expr.at);
    }
    this.heights.set(expr, height);
    return expr;
  }

  private nested<T>(at: SourcePosition, parse: () => T): T {
    if (++this.nesting > MAX_NESTING)
      throw pqlCompileError("limit", `nesting deeper than ${MAX_NESTING}`, at);
    const saved = this.noIn;
    this.noIn = false;
    try {
      return parse();
    } finally {
      this.noIn = saved;
      this.nesting--;
    }
  }

  // ---- grammar ----
  parseRule(): Expr {
    const first = this.peek();
    if (this.isOp("{", first)) throw pqlCompileError("unsupported", "the XDM AST form of rules", first);
    if (first.type === "eof") this.fail("expected an expression");
    const expr = this.parseExpr();
    if (this.peek().type !== "eof") this.fail("expected end of expression");
    return expr;
  }

  parseExpr(): Expr {
    const at = this.peek();
    return this.nested(at, () => (this.isWord("let") ? this.parseLet() : this.parseOr()));
  }

  private parseLet(): Expr {
    const at = this.next();
    const name = this.parseIdentifier();
    this.expectOp("=");
    this.noIn = true;
    const value = this.parseOr();
    this.noIn = false;
    this.expectWord("in");
    const body = this.parseOr();
    return this.node({ kind: "let", name, value, body, at }, value, body);
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    for (;;) {
      const at = this.peek();
      if (!this.acceptWord("or") && !this.acceptOp("||")) return left;
      const right = this.parseAnd();
      left = this.node({ kind: "logical", op: "or", left, right, at }, left, right);
    }
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    for (;;) {
      const at = this.peek();
      if (!this.acceptWord("and") && !this.acceptOp("&&")) return left;
      const right = this.parseNot();
      left = this.node({ kind: "logical", op: "and", left, right, at }, left, right);
    }
  }

  private parseNot(): Expr {
    const at = this.peek();
    if (this.acceptWord("not") || this.acceptOp("!")) {
      return this.nested(at, () => {
        const operand = this.parseNot();
        return this.node({ kind: "not", operand, at }, operand);
      });
    }
    return this.parsePredicate();
  }

  private parsePredicate(): Expr {
    const value = this.parseSum();
    const at = this.peek();
    const op = at.type === "op" && Object.hasOwn(COMPARE_OPS, at.text) ? COMPARE_OPS[at.text] : undefined;
    if (op) {
      this.pos++;
      const right = this.parseSum();
      return this.node({ kind: "compare", op, left: value, right, at }, value, right);
    }
    const negated = this.isWord("notin");
    if (negated || (!this.noIn && this.isWord("in"))) {
      this.pos++;
      const collection = this.parseSum();
      return this.node({ kind: "in", negated, value, collection, at }, value, collection);
    }
    if (this.acceptWord("like")) {
      const pattern = this.next();
      if (pattern.type !== "string") this.fail("expected a string literal after like", pattern);
      return this.node({ kind: "like", value, pattern: pattern.text, at }, value);
    }
    if (this.acceptWord("occurs")) {
      const tail = this.parseOccursTail();
      const refs = occursExprs(tail);
      return this.node({ kind: "occurs", value, tail, at }, value, ...refs);
    }
    return value;
  }

  // ---- occurs ----
  private parseUnit(): TimeUnit {
    const t = this.next();
    const word = t.type === "word" ? t.text.toLowerCase() : "";
    if (UNSUPPORTED_UNITS.has(word)) throw pqlCompileError("unsupported", `the time unit "${t.text}"`, t);
    const unit = Object.hasOwn(UNITS, word) ? UNITS[word] : undefined;
    if (!unit) this.fail("expected a time unit (millisecond … year)", t);
    return unit;
  }

  private parseDirection(): Direction | undefined {
    for (const d of ["before", "after", "from"] as const) if (this.acceptWord(d)) return d;
    return undefined;
  }

  private parsePeriod(): TimeRef | undefined {
    for (const anchor of ["this", "last", "next"] as PeriodAnchor[]) {
      if (this.isWord(anchor) && this.peek(1).type === "word") {
        this.pos++;
        return { kind: "period", anchor, unit: this.parseUnit() };
      }
    }
    return undefined;
  }

  private parseTimeRef(): TimeRef {
    const t = this.peek();
    if (t.type === "word" && NAMED_TIMES.has(t.text.toLowerCase()) && !this.isOp(".", this.peek(1))) {
      this.pos++;
      return { kind: "named", name: t.text.toLowerCase() as "now" };
    }
    return this.parsePeriod() ?? { kind: "expr", expr: this.parseSum() };
  }

  private parseOccursTail(): OccursTail {
    const t = this.peek();
    const op = t.type === "op" && Object.hasOwn(COMPARE_OPS, t.text) ? COMPARE_OPS[t.text] : undefined;
    if (op || t.type === "number") {
      if (op) this.pos++;
      const amount = this.next();
      if (amount.type !== "number" || !/^\d+$/.test(amount.text))
        this.fail("expected a whole number", amount);
      const unit = this.parseUnit();
      const direction = this.parseDirection() ?? this.fail("expected before, after or from");
      return {
        form: "relative",
        op: op ?? "=",
        amount: Number(amount.text),
        unit,
        direction,
        ref: this.parseTimeRef(),
      };
    }
    const direction = this.parseDirection();
    if (direction) return { form: "direction", direction, ref: this.parseTimeRef() };
    if (this.acceptWord("between")) {
      const from = this.parseTimeRef();
      this.expectWord("and");
      return { form: "between", from, to: this.parseTimeRef() };
    }
    this.acceptWord("on");
    return { form: "on", ref: this.parseTimeRef() };
  }

  // ---- arithmetic ----
  private parseSum(): Expr {
    let left = this.parseProduct();
    for (;;) {
      const at = this.peek();
      if (!this.isOp("+") && !this.isOp("-")) return left;
      this.pos++;
      const right = this.parseProduct();
      left = this.node({ kind: "arith", op: at.text as "+", left, right, at }, left, right);
    }
  }

  private parseProduct(): Expr {
    let left = this.parseUnary();
    for (;;) {
      const at = this.peek();
      if (!this.isOp("*") && !this.isOp("/") && !this.isOp("%")) return left;
      this.pos++;
      const right = this.parseUnary();
      left = this.node({ kind: "arith", op: at.text as "*", left, right, at }, left, right);
    }
  }

  private parseUnary(): Expr {
    const at = this.peek();
    if (!this.acceptOp("-")) return this.parsePostfix();
    const operand = this.parsePostfix();
    return this.node({ kind: "negate", operand, at }, operand);
  }

  private parsePostfix(): Expr {
    let expr = this.parsePrimary();
    for (;;) {
      const at = this.peek();
      if (this.acceptOp(".")) {
        const name = this.parseIdentifier(true);
        if (this.isOp("(")) {
          const args = this.parseArgs();
          expr = this.node({ kind: "method", object: expr, name, args, at }, expr, ...args);
        } else {
          expr = this.node({ kind: "member", object: expr, name, at }, expr);
        }
      } else if (this.acceptOp("[")) {
        const condition = this.parseExpr();
        this.expectOp("]");
        expr = this.node({ kind: "filter", object: expr, condition, at }, expr, condition);
      } else {
        return expr;
      }
    }
  }

  private parseArgs(): Expr[] {
    this.next();
    const args: Expr[] = [];
    if (this.acceptOp(")")) return args;
    do args.push(this.parseExpr());
    while (this.acceptOp(","));
    this.expectOp(")");
    return args;
  }

  private parseIdentifier(afterDot = false): string {
    const t = this.next();
    if (t.type === "quoted") return t.text;
    if (t.type === "word" && (afterDot || !RESERVED.has(t.text.toLowerCase()))) return t.text;
    return this.fail("expected a name", t);
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    switch (t.type) {
      case "number":
        this.pos++;
        return this.node({ kind: "literal", value: Number(t.text), at: t });
      case "string":
        this.pos++;
        return this.node({ kind: "literal", value: t.text, at: t });
      case "context":
        this.pos++;
        return this.node({ kind: "context", schema: t.text, at: t });
      case "quoted":
        this.pos++;
        return this.node({ kind: "name", name: t.text, at: t });
      case "word":
        return this.parseWordPrimary(t);
      case "op":
        if (t.text === "(") return this.parseParenthesized(t);
        if (t.text === "[") return this.parseList(t);
        return this.fail("expected an operand");
      default:
        return this.fail("expected an operand");
    }
  }

  private parseWordPrimary(t: Token): Expr {
    const word = t.text.toLowerCase();
    if (word === "true" || word === "false") {
      this.pos++;
      return this.node({ kind: "literal", value: word === "true", at: t });
    }
    if (word === "null") {
      this.pos++;
      return this.node({ kind: "literal", value: null, at: t });
    }
    if (word === "exists" || word === "forall") return this.parseQuantifier(word);
    if (word === "select") return this.parseSelect();
    if (RESERVED.has(word)) return this.fail("expected an operand");
    this.pos++;
    if (this.isOp("=>")) throw pqlCompileError("unsupported", "lambda expressions", this.peek());
    if (this.isOp("(")) {
      const args = this.parseArgs();
      return this.node({ kind: "call", name: t.text, args, at: t }, ...args);
    }
    return this.node({ kind: "name", name: t.text, at: t });
  }

  private parseParenthesized(open: Token): Expr {
    if (this.isLambdaAhead()) throw pqlCompileError("unsupported", "lambda expressions", open);
    this.pos++;
    const inner = this.parseExpr();
    this.expectOp(")");
    return inner;
  }

  /** `(a, b) => …`: a parenthesized parameter list followed by an arrow. */
  private isLambdaAhead(): boolean {
    let i = 1;
    while (this.peek(i).type === "word" || this.peek(i).type === "param" || this.isOp(",", this.peek(i))) i++;
    return this.isOp(")", this.peek(i)) && this.isOp("=>", this.peek(i + 1));
  }

  private parseList(open: Token): Expr {
    this.pos++;
    const items: Expr[] = [];
    if (!this.acceptOp("]")) {
      do {
        if (items.length >= MAX_LIST_ITEMS) {
          throw pqlCompileError("limit", `list literal longer than ${MAX_LIST_ITEMS} items`, this.peek());
        }
        items.push(this.parseExpr());
      } while (this.acceptOp(","));
      this.expectOp("]");
    }
    return this.node({ kind: "list", items, at: open }, ...items);
  }

  private parseBinding(keyword: string): { variable: string; source: Expr } {
    const variable = this.parseIdentifier();
    if (this.isOp(",")) {
      throw pqlCompileError(
        "unsupported",
        `several bindings in one ${keyword} (nest them instead)`,
        this.peek(),
      );
    }
    this.expectWord("from");
    const source = this.parseSum();
    if (this.isOp(",")) {
      throw pqlCompileError(
        "unsupported",
        `several bindings in one ${keyword} (nest them instead)`,
        this.peek(),
      );
    }
    return { variable, source };
  }

  private parseQuantifier(quantifier: "exists" | "forall"): Expr {
    const at = this.next();
    const { variable, source } = this.parseBinding(quantifier);
    if (!this.acceptWord("where") && !this.acceptOp(":")) this.fail('expected "where" or ":"');
    const condition = this.parseExpr();
    return this.node({ kind: "quantifier", quantifier, variable, source, condition, at }, source, condition);
  }

  private parseSelect(): Expr {
    const at = this.next();
    const { variable, source } = this.parseBinding("select");
    const condition = this.acceptWord("where") ? this.parseExpr() : undefined;
    if (this.isWord("select")) throw pqlCompileError("unsupported", "chained select joins", this.peek());
    return this.node({ kind: "select", variable, source, condition, at }, source, condition);
  }
}

function occursExprs(tail: OccursTail): Expr[] {
  const refs = tail.form === "between" ? [tail.from, tail.to] : [tail.ref];
  return refs.flatMap((r) => (r.kind === "expr" ? [r.expr] : []));
}

/** Parses a rule text into a syntax tree; throws a coded error with line and column. */
export function parsePql(text: string): Expr {
  return new Parser(tokenize(text)).parseRule();
}
