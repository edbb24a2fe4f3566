/**
 * PQL tokenizer. Produces the whole token list up front (rule texts are at most
 * {@link MAX_RULE_BYTES}), each token with its 1-based line and column. Keywords are not decided
 * here: words stay `word` tokens and the parser compares them case-insensitively, so a keyword can
 * still be a member name after a dot (`person.last`).
 */
import { pqlCompileError, type SourcePosition } from "./errors";

/** Product limit on the UTF-8 size of one rule text. */
export const MAX_RULE_BYTES = 15 * 1024;
/** Longest string literal, in characters. */
export const MAX_STRING_LITERAL = 4096;
const MAX_NUMBER_LENGTH = 32;

export type TokenType = "word" | "quoted" | "number" | "string" | "context" | "param" | "op" | "eof";

export interface Token extends SourcePosition {
  type: TokenType;
  /** The word, operator, decoded string, context schema id or number text. */
  text: string;
}

const OPERATORS = [
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "=>",
  "=",
  "<",
  ">",
  "!",
  "+",
  "-",
  "*",
  "/",
  "%",
  "(",
  ")",
  "[",
  "]",
  ",",
  ".",
  ":",
  "^",
  "{",
  "}",
  ";",
];
const ESCAPES: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  b: "\b",
  f: "\f",
  "/": "/",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

const isDigit = (c: string): boolean => c >= "0" && c <= "9";
const isWordStart = (c: string): boolean => /[A-Za-z_$]/.test(c);
const isWordPart = (c: string): boolean => /[A-Za-z0-9_$]/.test(c);

class Scanner {
  pos = 0;
  line = 1;
  column = 1;
  readonly tokens: Token[] = [];
  constructor(readonly text: string) {}

  here(): SourcePosition {
    return { line: this.line, column: this.column };
  }

  advance(n = 1): void {
    for (let i = 0; i < n; i++) {
      if (this.text[this.pos] === "\n") {
        this.line++;
        this.column = 1;
      } else {
        this.column++;
      }
      this.pos++;
    }
  }

  push(type: TokenType, text: string, at: SourcePosition): void {
    this.tokens.push({ type, text, line: at.line, column: at.column });
  }
}

function scanString(s: Scanner, quote: string): void {
  const at = s.here();
  s.advance();
  let out = "";
  for (;;) {
    const c = s.text[s.pos];
    if (c === undefined) throw pqlCompileError("syntax", "unterminated string literal", at);
    if (c === quote) break;
    if (c === "\\") {
      const e = s.text[s.pos + 1];
      if (e === "u" && /^[0-9a-fA-F]{4}$/.test(s.text.slice(s.pos + 2, s.pos + 6))) {
        out += String.fromCharCode(parseInt(s.text.slice(s.pos + 2, s.pos + 6), 16));
        s.advance(6);
        continue;
      }
      const mapped = e === undefined ? undefined : ESCAPES[e];
      if (mapped === undefined) throw pqlCompileError("syntax", "invalid escape in string literal", s.here());
      out += mapped;
      s.advance(2);
    } else {
      out += c;
      s.advance();
    }
    if (out.length > MAX_STRING_LITERAL) {
      throw pqlCompileError("limit", `string literal longer than ${MAX_STRING_LITERAL} characters`, at);
    }
  }
  s.advance();
  s.push("string", out, at);
}

function scanNumber(s: Scanner): void {
  const at = s.here();
  const match = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(s.text.slice(s.pos, s.pos + 64));
  const text = match![0];
  if (text.length > MAX_NUMBER_LENGTH || !Number.isFinite(Number(text))) {
    throw pqlCompileError("limit", "number literal out of range", at);
  }
  s.advance(text.length);
  if (isWordPart(s.text[s.pos] ?? ""))
    throw pqlCompileError("syntax", "unexpected character after number", s.here());
  s.push("number", text, at);
}

function scanDelimited(s: Scanner, open: number, close: string, type: TokenType, what: string): void {
  const at = s.here();
  const end = s.text.indexOf(close, s.pos + open);
  if (end < 0) throw pqlCompileError("syntax", `unterminated ${what}`, at);
  const body = s.text.slice(s.pos + open, end);
  if (body === "") throw pqlCompileError("syntax", `empty ${what}`, at);
  s.advance(end + close.length - s.pos);
  s.push(type, body, at);
}

function scanOne(s: Scanner): void {
  const c = s.text[s.pos]!;
  if (c === '"' || c === "'") return scanString(s, c);
  if (isDigit(c)) return scanNumber(s);
  if (c === "@" && s.text[s.pos + 1] === "{") return scanDelimited(s, 2, "}", "context", "context reference");
  if (c === "`") return scanDelimited(s, 1, "`", "quoted", "quoted identifier");
  if (c === "$" && isDigit(s.text[s.pos + 1] ?? "")) {
    const at = s.here();
    const text = /^\$\d+/.exec(s.text.slice(s.pos))![0];
    s.advance(text.length);
    return s.push("param", text, at);
  }
  if (isWordStart(c)) {
    const at = s.here();
    let end = s.pos + 1;
    while (end < s.text.length && isWordPart(s.text[end]!)) end++;
    const word = s.text.slice(s.pos, end);
    s.advance(word.length);
    return s.push("word", word, at);
  }
  const op = OPERATORS.find((o) => s.text.startsWith(o, s.pos));
  if (op === undefined)
    throw pqlCompileError("syntax", `unexpected character ${JSON.stringify(c)}`, s.here());
  s.push("op", op, s.here());
  s.advance(op.length);
}

/** Splits a rule text into tokens, ending with an `eof` token. */
export function tokenize(text: string): Token[] {
  const s = new Scanner(text);
  if (new TextEncoder().encode(text).length > MAX_RULE_BYTES) {
    throw pqlCompileError("limit", `rule text larger than ${MAX_RULE_BYTES} bytes`, s.here());
  }
  while (s.pos < text.length) {
    const c = text[s.pos]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") s.advance();
    else scanOne(s);
  }
  s.push("eof", "", s.here());
  return s.tokens;
}
