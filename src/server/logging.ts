/**
 * Structured JSON logs (pino, one line per event on stdout). Request logs carry the method, the
 * route pattern, the status and the duration, never bodies, query strings (they hold session ids)
 * or headers. The TargetClient's own messages are routed through {@link clientLogger}.
 */
import pino, { type Logger as PinoLogger } from "pino";
import { DecisioningError } from "../errors";
import type { Logger } from "../logger";
import type { LogLevel } from "./config";

export type { PinoLogger };

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): PinoLogger {
  const options: pino.LoggerOptions = {
    name: "odd",
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.err },
  };
  return pino(options, destination ?? stdoutDestination());
}

/**
 * stdout written asynchronously: lines logged while a write is in progress go out together in the
 * next one, so logging under load costs one system call per burst instead of one per line. What is
 * still buffered when the process exits is written synchronously on `exit`.
 */
function stdoutDestination(): pino.DestinationStream {
  const destination = pino.destination({ dest: 1, sync: false });
  process.once("exit", () => {
    try {
      destination.flushSync();
    } catch {
      // stdout closed or busy: nothing more can be done at exit
    }
  });
  return destination;
}

const MAX_ARG_LENGTH = 500;

function formatArg(arg: unknown): string {
  if (typeof arg === "string") return arg;
  if (DecisioningError.is(arg)) return `${arg.code}: ${arg.message}`;
  if (arg instanceof Error) return `${arg.name}: ${arg.message}`;
  let text: string;
  try {
    text = JSON.stringify(arg) ?? String(arg);
  } catch {
    text = String(arg);
  }
  return text.length > MAX_ARG_LENGTH ? `${text.slice(0, MAX_ARG_LENGTH)}…` : text;
}

export interface ClientLoggerOptions {
  /** Identical messages (digits ignored) within this window are logged once, then summarised. Default 10 s. */
  repeatWindowMs?: number;
  now?: () => number;
}

const MAX_TRACKED_MESSAGES = 200;

/**
 * Adapts pino to the client's Logger port. The client prefixes messages with "AT:" (kept from the
 * reference SDK); it is dropped here. A failing upstream can produce the same error for every
 * notification batch, so repeats of a message are collapsed: the first is logged, the next ones in
 * the window are counted and reported as `repeated` on the first one after the window.
 */
export function clientLogger(log: PinoLogger, options: ClientLoggerOptions = {}): Logger {
  const child = log.child({ component: "client" });
  const windowMs = options.repeatWindowMs ?? 10_000;
  const now = options.now ?? Date.now;
  const seen = new Map<string, { until: number; repeated: number }>();

  const emit = (level: "debug" | "info" | "warn" | "error", args: unknown[]) => {
    const parts = args[0] === "AT:" ? args.slice(1) : args;
    const msg = parts.map(formatArg).join(" ");
    const err = parts.find((p): p is DecisioningError => DecisioningError.is(p));
    const fields: Record<string, unknown> = err ? { code: err.code } : {};
    if (level !== "debug" && windowMs > 0) {
      const key = `${level}:${msg.replace(/\d+/g, "#")}`;
      const t = now();
      const entry = seen.get(key);
      if (entry && t < entry.until) {
        entry.repeated++;
        return;
      }
      if (entry && entry.repeated > 0) fields.repeated = entry.repeated;
      if (!entry && seen.size >= MAX_TRACKED_MESSAGES) seen.clear();
      seen.set(key, { until: t + windowMs, repeated: 0 });
    }
    child[level](fields, msg);
  };

  const logger: Logger = {
    info: (...args) => emit("info", args),
    warn: (...args) => emit("warn", args),
    error: (...args) => emit("error", args),
  };
  // The client builds debug strings only when a debug method exists (the lazy-logging rule).
  if (log.isLevelEnabled("debug")) logger.debug = (...args) => emit("debug", args);
  return logger;
}

type LogMethod = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

/** True when a `method` call logs at `threshold` (a level name, or "silent"). */
function logs(method: LogMethod, threshold: string): boolean {
  const values = pino.levels.values as Record<string, number | undefined>;
  return threshold !== "silent" && values[method]! >= (values[threshold] ?? Infinity);
}

/**
 * `request.log`: the request's pino child (it binds the request id) made on its first line. With
 * the default access log most requests log nothing at `info`, and a pino child per request was
 * measurable on the Delivery API's hot path; a call below the level returns before any child exists.
 */
class RequestLogger {
  readonly #parent: PinoLogger;
  readonly #bindings: pino.Bindings;
  readonly #options: pino.ChildLoggerOptions;
  #child: PinoLogger | undefined;

  constructor(parent: PinoLogger, bindings: pino.Bindings, options: pino.ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #logger(): PinoLogger {
    return (this.#child ??= this.#parent.child(this.#bindings, this.#options));
  }

  get level(): string {
    return this.#child?.level ?? this.#options.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#logger().level = level;
  }

  #log(method: LogMethod, args: unknown[]): void {
    if (!logs(method, this.level)) return;
    (this.#logger()[method] as (...a: unknown[]) => void)(...args);
  }

  fatal(...args: unknown[]): void {
    this.#log("fatal", args);
  }
  error(...args: unknown[]): void {
    this.#log("error", args);
  }
  warn(...args: unknown[]): void {
    this.#log("warn", args);
  }
  info(...args: unknown[]): void {
    this.#log("info", args);
  }
  debug(...args: unknown[]): void {
    this.#log("debug", args);
  }
  trace(...args: unknown[]): void {
    this.#log("trace", args);
  }
  silent(): void {}

  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): PinoLogger {
    return this.#logger().child(bindings, options);
  }
}

/** fastify's `childLoggerFactory`: a {@link RequestLogger} per request. */
export function requestLoggerFactory(
  logger: PinoLogger,
  bindings: pino.Bindings,
  options: pino.ChildLoggerOptions,
): PinoLogger {
  return new RequestLogger(logger, bindings, options) as unknown as PinoLogger;
}
