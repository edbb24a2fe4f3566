/** Logger port. Messages are prefixed with "AT:" like the reference SDK. */
export interface Logger {
  debug?: (...args: unknown[]) => void;
  info?: (...args: unknown[]) => void;
  warn?: (...args: unknown[]) => void;
  error?: (...args: unknown[]) => void;
}

export interface SafeLogger {
  readonly debugEnabled: boolean;
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

const noop = () => {};

/** Wraps a user logger: missing methods become no-ops, a throwing logger never breaks the caller. */
export function createSafeLogger(logger?: Logger): SafeLogger {
  const wrap = (fn: ((...a: unknown[]) => void) | undefined) => {
    if (typeof fn !== "function") return noop;
    return (...args: unknown[]) => {
      try {
        fn.call(logger, "AT:", ...args);
      } catch {
        // a logger must never break decisioning
      }
    };
  };
  return {
    debugEnabled: typeof logger?.debug === "function",
    debug: wrap(logger?.debug),
    info: wrap(logger?.info),
    warn: wrap(logger?.warn ?? logger?.error),
    error: wrap(logger?.error),
  };
}
