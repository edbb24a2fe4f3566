/**
 * Numeric option coercion, the one implementation: a value that is not a finite number in range
 * takes the fallback. Callers that must tell the user (client options) pass `onInvalid`.
 */
export interface NumberRange {
  /** Smallest allowed value (inclusive). Default: no lower bound. */
  min?: number;
  /** Largest allowed value (inclusive). Default: no upper bound. */
  max?: number;
  /** Values above `max` are clamped to it instead of falling back. */
  clampMax?: boolean;
  /** Round down to an integer. */
  integer?: boolean;
}

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

export function numberOption<F extends number | undefined>(
  value: unknown,
  fallback: F,
  range: NumberRange = {},
  onInvalid?: (value: unknown) => void,
): number | F {
  if (value === undefined) return fallback;
  const min = range.min ?? -Infinity;
  const max = range.max ?? Infinity;
  if (!isFiniteNumber(value) || value < min || (value > max && !range.clampMax)) {
    onInvalid?.(value);
    return fallback;
  }
  const bounded = Math.min(value, max);
  return range.integer ? Math.floor(bounded) : bounded;
}

/** Strictly positive numbers (zero falls back). */
export const POSITIVE: NumberRange = Object.freeze({ min: Number.MIN_VALUE });
