/**
 * The telemetry store: a bounded in-memory list of entries, drained into the next server-side call
 * as `telemetry.entries`. The entries themselves are built by src/protocol/telemetry.ts.
 */
import type { TelemetryEntry } from "../protocol/delivery";
import { numberOption } from "../primitives/options";

export const DEFAULT_TELEMETRY_MAX_ENTRIES = 100;

export interface TelemetryStore {
  /** Adds an entry; a no-op when disabled. Beyond `maxEntries` the oldest entry is dropped. */
  add(entry: TelemetryEntry): void;
  /** Returns and clears all pending entries (oldest first). */
  take(): TelemetryEntry[];
  readonly size: number;
  readonly enabled: boolean;
}

export function createTelemetryStore(o: { enabled?: boolean; maxEntries?: number } = {}): TelemetryStore {
  const enabled = o.enabled !== false;
  const max = numberOption(o.maxEntries, DEFAULT_TELEMETRY_MAX_ENTRIES, { min: 1, integer: true });
  let entries: TelemetryEntry[] = [];
  return {
    add(entry) {
      if (!enabled || !entry) return;
      entries.push(entry);
      if (entries.length > max) entries.splice(0, entries.length - max);
    },
    take() {
      const out = entries;
      entries = [];
      return out;
    },
    get size() {
      return entries.length;
    },
    enabled,
  };
}
