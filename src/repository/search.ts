/**
 * Full-text search semantics (`/queries/core/search`). One analyzer serves field values and query
 * terms: lowercase, split on every character that is not a letter or a digit. A term matches a
 * field when its tokens occur contiguously among the field's tokens. `q` is split into terms at
 * whitespace and at the unescaped special characters; a backslash makes the next character part
 * of the term; a `q` wrapped in double quotes is a single phrase. Absent `field`, every string
 * under `_instance` is searched except `@id` and references to other instances.
 */
import { isPlainObject } from "./json-body";
import { parsePath, stringsIn, valuesAt, type PropertyPath } from "./paths";
import { badQuery } from "./problem";

const SPECIAL = new Set(["+", "-", "=", "&", "|", ">", "<", "!", "(", ")", "{", "}", "[", "]", "^", '"', "~", "*", "?", ":", "\\", "/"]);
export const MAX_QUERY_LENGTH = 1024;
const REFERENCE = /^(xcore|dps):/;

export interface TextQuery {
  /** Each term as its token sequence. */
  terms: string[][];
  mode: "and" | "or";
  /** Restricting paths, or undefined for the default fields. */
  fields?: PropertyPath[];
}

export const analyze = (text: string): string[] => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((t) => t !== "");

function splitTerms(q: string): string[] {
  const trimmed = q.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    return [trimmed.slice(1, -1).replace(/\\(.)/gs, "$1")];
  }
  const terms: string[] = [];
  let current = "";
  for (let i = 0; i < trimmed.length; i++) {
    const ch = trimmed[i]!;
    if (ch === "\\" && i + 1 < trimmed.length) {
      current += trimmed[++i];
    } else if (SPECIAL.has(ch) || /\s/.test(ch)) {
      if (current !== "") terms.push(current);
      current = "";
    } else current += ch;
  }
  if (current !== "") terms.push(current);
  return terms;
}

/** Parses q / qop / field; undefined when there is no full-text restriction. */
export function parseTextQuery(q: string | undefined, qop: string | undefined, fields: string[]): TextQuery | undefined {
  const mode = (qop ?? "or").toLowerCase();
  if (mode !== "and" && mode !== "or") throw badQuery(`qop must be "and" or "or", got "${qop}"`);
  if (q === undefined || q.trim() === "") return undefined;
  if (q.length > MAX_QUERY_LENGTH) throw badQuery(`q is longer than ${MAX_QUERY_LENGTH} characters`);
  const terms = splitTerms(q).map(analyze).filter((t) => t.length > 0);
  if (terms.length === 0) return undefined;
  const paths = fields.flatMap((f) => f.split(",")).filter((f) => f.trim() !== "").map((f) => parsePath(f.trim(), "field"));
  return { terms, mode, ...(paths.length > 0 ? { fields: paths } : {}) };
}

/** The strings a search looks at in one representation. */
function searchedStrings(doc: Record<string, unknown>, fields: PropertyPath[] | undefined): string[] {
  if (fields) return fields.flatMap((path) => valuesAt(doc, path).flatMap((v) => stringsIn(v)));
  return stringsIn(doc._instance, (key, v) => key === "@id" || REFERENCE.test(v)).filter((s) => !REFERENCE.test(s));
}

function containsRun(haystack: readonly string[], needle: readonly string[]): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

export function matchesText(doc: unknown, query: TextQuery): boolean {
  if (!isPlainObject(doc)) return false;
  const fieldTokens = searchedStrings(doc, query.fields).map(analyze);
  const termMatches = (term: string[]) => fieldTokens.some((tokens) => containsRun(tokens, term));
  return query.mode === "and" ? query.terms.every(termMatches) : query.terms.some(termMatches);
}

/** The token text an instance contributes to the full-text index (a superset of what matches). */
export const indexText = (instance: unknown): string => stringsIn(instance).flatMap(analyze).join(" ");
