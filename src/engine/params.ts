import { LruCache } from "../primitives/lru";

/**
 * The `mbox` object of the rule context (docs/target-behaviour.md#rule-context): a request detail's `parameters`, with dotted
 * keys un-flattened into nested objects and a lower-cased `<key>_lc` sibling for every string value.
 *
 * Parameters are untrusted: only own properties are ever read, and keys such as `__proto__`,
 * `constructor` or `prototype` become ordinary own properties (never a prototype write), so a
 * condition on `mbox.__proto__.x` reads what the request sent and nothing else is affected.
 * The caller's objects are never modified.
 */

/** Parameters beyond this count are ignored. */
const MAX_PARAMETERS = 1000;
/** Dotted keys with more segments are ignored; nested objects deeper than this get no `_lc` keys. */
const MAX_DEPTH = 32;
/** Total number of keys the `_lc` pass visits (nested objects included); the rest is kept as is. */
const MAX_LOWER_CASE_KEYS = 10_000;

type Dict = Record<string, unknown>;

/**
 * Parameter names repeat across requests, so their split paths and `_lc` names are memoised: V8
 * stores properties much faster under key strings it has seen before than under fresh ones (this
 * halves the cost of a typical call).
 */
const MEMO_SIZE = 1000;
const MEMO_MAX_KEY_LENGTH = 128;
const pathMemo = new LruCache<string, readonly string[]>(MEMO_SIZE);
const lowerCaseNameMemo = new LruCache<string, string>(MEMO_SIZE);

function memoised<T>(memo: LruCache<string, T>, key: string, compute: (key: string) => T): T {
  let value = memo.get(key);
  if (value === undefined) {
    value = compute(key);
    if (key.length <= MEMO_MAX_KEY_LENGTH) memo.set(key, value);
  }
  return value;
}

const splitPath = (key: string): readonly string[] => Object.freeze(key.split("."));
const lowerCaseName = (key: string): string => `${key}_lc`;

/** Creates an own, enumerable, writable, configurable property, even for `__proto__`. */
function setOwn(target: Dict, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * Own enumerable properties of `source` (a string gives its characters), like `{...source}`; built
 * by assignment because V8 makes adding properties to a spread copy much slower.
 */
function copyOwn(source: unknown, keys: readonly string[]): Dict {
  const copy: Dict = {};
  for (const key of keys) setOwn(copy, key, (source as Dict)[key]);
  return copy;
}

function isPlainObject(value: unknown): value is Dict {
  if (value === null || typeof value !== "object") return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `a.b.c` is expanded; keys with `..`, or starting or ending with `.`, are kept verbatim. */
function isExpandable(key: string): boolean {
  return key.includes(".") && !key.includes("..") && key[0] !== "." && key[key.length - 1] !== ".";
}

/**
 * Writes `value` at the path. Intermediate objects are created (over a missing or falsy value, as
 * the reference does) or, when the parameters themselves hold an object there, copied once. A path
 * that runs into any other value (a string, number, array …) is ignored: the reference throws a
 * TypeError there, or writes onto the caller's array.
 */
function setPath(root: Dict, parts: readonly string[], value: unknown, owned: Set<object>): void {
  let current = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i]!;
    const existing = Object.hasOwn(current, key) ? current[key] : undefined;
    let next: Dict;
    if (!existing) {
      next = {};
    } else if (isPlainObject(existing)) {
      if (owned.has(existing)) {
        current = existing;
        continue;
      }
      next = copyOwn(existing, Object.keys(existing));
    } else {
      return;
    }
    owned.add(next);
    setOwn(current, key, next);
    current = next;
  }
  setOwn(current, parts[parts.length - 1]!, value);
}

function unflatten(parameters: object, owned: Set<object>): Dict {
  const result: Dict = {};
  let count = 0;
  // Like the reference, any truthy value is read through Object.keys (a string gives its characters).
  for (const key of Object.keys(parameters)) {
    if (++count > MAX_PARAMETERS) break;
    const value = (parameters as Dict)[key];
    if (!isExpandable(key)) {
      setOwn(result, key, value);
      continue;
    }
    const parts = memoised(pathMemo, key, splitPath);
    if (parts.length <= MAX_DEPTH) setPath(result, parts, value, owned);
  }
  return result;
}

/**
 * Adds the `_lc` siblings to `target` (an object of ours, changed in place) and recurses into plain
 * objects, copying those that are not ours. Mirrors the reference step by step, which works on a copy
 * of each object while it reads the original's keys and values: hence the snapshot of the values
 * (when both `a` and `a_lc` are present, the `_lc` write for `a` replaces the later `a_lc` value).
 */
function addLowerCase(target: Dict, depth: number, owned: Set<object>, budget: { keys: number }): void {
  const keys = Object.keys(target);
  const originals = Object.values(target);
  for (let i = 0; i < keys.length; i++) {
    if (--budget.keys < 0) return;
    const key = keys[i]!;
    const current = target[key];
    if (typeof current === "string")
      target[memoised(lowerCaseNameMemo, key, lowerCaseName)] = current.toLowerCase();
    if (depth < MAX_DEPTH && isPlainObject(originals[i])) {
      // `current` is the original object, or a string when an earlier `_lc` write replaced it.
      const child =
        current !== null && typeof current === "object" && owned.has(current)
          ? (current as Dict)
          : copyOwn(current, Object.keys(current as object));
      addLowerCase(child, depth + 1, owned, budget);
      if (child !== current) setOwn(target, key, child);
    }
  }
}

/** The `mbox` context of a request detail's `parameters` (missing or falsy → `{}`). */
export function buildMboxContext(parameters: unknown): Record<string, unknown> {
  if (!parameters) return {};
  const owned = new Set<object>();
  const result = unflatten(parameters as object, owned);
  addLowerCase(result, 1, owned, { keys: MAX_LOWER_CASE_KEYS });
  return result;
}
