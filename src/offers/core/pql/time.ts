/**
 * Calendar arithmetic for `occurs`, all in UTC: adding N units (months and years clamp to the end
 * of the month), the bucket of a unit that contains an instant (weeks start on Monday), and the
 * previous/current/next calendar period around "now".
 */
import type { PeriodAnchor, TimeUnit } from "./ast";

const FIXED_MS: Partial<Record<TimeUnit, number>> = {
  millisecond: 1,
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
};

function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(d.getUTCDate(), lastDay);
  return Date.UTC(
    year,
    month,
    day,
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
}

/** ms + amount·unit (amount may be negative). */
export function addUnits(ms: number, amount: number, unit: TimeUnit): number {
  if (unit === "month") return addMonths(ms, amount);
  if (unit === "year") return addMonths(ms, amount * 12);
  return ms + amount * FIXED_MS[unit]!;
}

/** Start of the unit bucket containing ms. */
export function startOf(ms: number, unit: TimeUnit): number {
  const d = new Date(ms);
  switch (unit) {
    case "year":
      return Date.UTC(d.getUTCFullYear(), 0, 1);
    case "month":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    case "week": {
      const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      const sinceMonday = (d.getUTCDay() + 6) % 7;
      return day - sinceMonday * 86_400_000;
    }
    default: {
      const size = FIXED_MS[unit]!;
      return Math.floor(ms / size) * size;
    }
  }
}

/** [start, end] (inclusive, in ms) of the bucket of `unit` containing ms. */
export function bucket(ms: number, unit: TimeUnit): [number, number] {
  const start = startOf(ms, unit);
  return [start, addUnits(start, 1, unit) - 1];
}

/** The previous, current or next calendar period of `unit` around now. */
export function period(now: number, anchor: PeriodAnchor, unit: TimeUnit): [number, number] {
  const shift = anchor === "last" ? -1 : anchor === "next" ? 1 : 0;
  return bucket(addUnits(startOf(now, unit), shift, unit), unit);
}

export const DAY_MS = 86_400_000;

export function startOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}
