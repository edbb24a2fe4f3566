/**
 * Work that must finish after the response: edge runtimes keep a request alive for the promises
 * handed to `waitUntil` (Workers' `ctx.waitUntil`, Vercel's `waitUntil`). Runtimes without one
 * (Deno, browsers) keep running what was started; {@link createBackgroundTasks} tracks those
 * promises so a server can wait for them before it stops (and tests can observe them).
 */
export type WaitUntil = (promise: Promise<unknown>) => void;

export interface BackgroundTasks {
  /** Hand this to the client (or a call) as its `waitUntil`. */
  readonly waitUntil: WaitUntil;
  /** Promises handed over and not yet settled. */
  readonly pending: number;
  /** Resolves once every promise handed over so far (and any handed over meanwhile) has settled. */
  settled(): Promise<void>;
}

export function createBackgroundTasks(): BackgroundTasks {
  const open = new Set<Promise<unknown>>();
  return {
    waitUntil(promise) {
      const tracked: Promise<unknown> = promise.then(
        () => open.delete(tracked),
        () => open.delete(tracked),
      );
      open.add(tracked);
    },
    get pending() {
      return open.size;
    },
    async settled() {
      while (open.size > 0) await Promise.all([...open]);
    },
  };
}
