import type { SafeLogger } from "../logger";
import type { EventListener } from "./options";

/**
 * Event delivery: subscribers from the `events` option (reference-compatible) and from
 * `client.on()`. Subscribers receive `{ type, ...payload }`. A throwing subscriber is logged and
 * never breaks the caller (polling, decisions, notifications).
 */
export class EventHub {
  #listeners = new Map<string, Set<EventListener>>();

  constructor(
    private readonly log: SafeLogger,
    initial?: Record<string, unknown>,
  ) {
    if (initial) {
      for (const [type, fn] of Object.entries(initial)) {
        if (typeof fn === "function") this.on(type, fn as EventListener);
      }
    }
  }

  on(type: string, listener: EventListener): () => void {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  emit(type: string, payload: Record<string, unknown> = {}): void {
    const set = this.#listeners.get(type);
    if (!set || set.size === 0) return;
    const event = { type, ...payload };
    for (const listener of [...set]) safeCall(() => listener(event), this.log, `event listener for ${type} threw`);
  }
}

/** Runs a user callback; what it throws is logged, never passed on to the caller. */
export function safeCall(fn: () => void, log: SafeLogger, message = "callback threw"): void {
  try {
    fn();
  } catch (err) {
    log.error(message, err);
  }
}
