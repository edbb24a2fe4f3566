/**
 * One bounded walk over untrusted JSON-like values (requests, notifications, artifacts) before any
 * other code touches them. Recursive code further on (JSON.stringify, structuredClone, the engine's
 * compilers) would overflow the stack on deeply nested input and throw an untyped RangeError; a lone
 * UTF-16 surrogate makes encodeURIComponent throw a URIError. This walk is iterative, so it can
 * never overflow itself, and it stops at the first violation.
 *
 * Runtime-neutral: no Node built-ins.
 */

export type BoundsViolationReason = "depth" | "nodes" | "string" | "type";

export interface BoundsViolation {
  reason: BoundsViolationReason;
  /** Where, as a JSONPath-like string (`$.context.geo.city`), truncated for long paths. */
  path: string;
  message: string;
}

export interface JsonBounds {
  /** Deepest allowed nesting of objects and arrays (the top-level value is depth 0). */
  maxDepth: number;
  /** Most values visited (objects, arrays and leaves); bounds the walk on shared sub-objects. */
  maxNodes?: number;
  /** Reject strings and keys that are not well-formed UTF-16 (a lone surrogate). Default true. */
  wellFormedStrings?: boolean;
  /** How the walked value is named in paths (default `$`, e.g. `$.request` for a part of a larger value). */
  rootPath?: string;
}

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  key: string | number | undefined;
}

const MAX_PATH_SEGMENTS = 12;
const MAX_KEY_LENGTH = 40;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const nativeWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

/** Whether `text` is well-formed UTF-16 (every surrogate is part of a pair). */
export function isWellFormedString(text: string): boolean {
  return nativeWellFormed ? nativeWellFormed.call(text) : !LONE_SURROGATE.test(text);
}

function printable(key: string | number): string {
  if (typeof key === "number") return `[${key}]`;
  const safe = isWellFormedString(key) ? key : key.replace(/[\uD800-\uDFFF]/g, "\uFFFD");
  const short = safe.length > MAX_KEY_LENGTH ? `${safe.slice(0, MAX_KEY_LENGTH)}…` : safe;
  return /^[A-Za-z_$][\w$]*$/.test(short) ? `.${short}` : `[${JSON.stringify(short)}]`;
}

/** `$.a.b[0]`, keeping the first and last segments of a long path. */
function pathOf(frame: Frame, root: string): string {
  const keys: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f && f.key !== undefined; f = f.parent) keys.push(f.key);
  keys.reverse();
  if (keys.length <= MAX_PATH_SEGMENTS) return `${root}${keys.map(printable).join("")}`;
  const head = keys.slice(0, MAX_PATH_SEGMENTS / 2).map(printable).join("");
  const tail = keys.slice(-MAX_PATH_SEGMENTS / 2).map(printable).join("");
  return `${root}${head}…(${keys.length - MAX_PATH_SEGMENTS} more)…${tail}`;
}

/**
 * The first place where `value` leaves the bounds, or undefined when it stays within them. Leaves
 * may be strings, finite or non-finite numbers, booleans, null and undefined; functions, symbols
 * and bigints are type violations (they cannot be sent as JSON).
 */
export function findBoundsViolation(value: unknown, bounds: JsonBounds): BoundsViolation | undefined {
  const checkStrings = bounds.wellFormedStrings !== false;
  const root = bounds.rootPath ?? "$";
  const violation = (reason: BoundsViolationReason, frame: Frame, message: string): BoundsViolation => {
    const path = pathOf(frame, root);
    return { reason, path, message: `${message} at ${path}` };
  };
  const maxNodes = bounds.maxNodes ?? Number.POSITIVE_INFINITY;
  const stack: Frame[] = [{ value, depth: 0, parent: undefined, key: undefined }];
  let visited = 0;
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (++visited > maxNodes) return violation("nodes", frame, `More than ${bounds.maxNodes} values`);
    const type = typeof v;
    if (type === "string") {
      if (checkStrings && !isWellFormedString(v as string)) {
        return violation("string", frame, "A string is not well-formed UTF-16 (lone surrogate)");
      }
      continue;
    }
    if (type === "function" || type === "symbol" || type === "bigint") {
      return violation("type", frame, `A ${type} is not a JSON value`);
    }
    if (type !== "object" || v === null) continue;
    if (frame.depth >= bounds.maxDepth) {
      return violation("depth", frame, `Nesting deeper than ${bounds.maxDepth} levels`);
    }
    const depth = frame.depth + 1;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth, parent: frame, key: i });
      continue;
    }
    const record = v as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (checkStrings && !isWellFormedString(key)) {
        return violation("string", { value: undefined, depth, parent: frame, key }, "A key is not well-formed UTF-16 (lone surrogate)");
      }
      stack.push({ value: record[key], depth, parent: frame, key });
    }
  }
  return undefined;
}
