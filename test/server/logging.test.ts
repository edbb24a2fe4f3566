import { describe, expect, it } from "vitest";
import { DecisioningError } from "../../src/errors";
import { clientLogger, createLogger, requestLoggerFactory } from "../../src/server/logging";

function sink(level: "info" | "debug" = "info") {
  const lines: any[] = [];
  return { lines, logger: createLogger(level, { write: (s: string) => void lines.push(JSON.parse(s)) }) };
}

describe("clientLogger", () => {
  it("logs the client's messages as JSON without the AT: prefix, with the error code", () => {
    const { lines, logger } = sink();
    const log = clientLogger(logger);
    log.warn!("AT:", "artifact not loaded", new DecisioningError("ODE_ERR_NETWORK", "refused"));
    expect(lines).toEqual([
      expect.objectContaining({
        level: "warn",
        component: "client",
        code: "ODE_ERR_NETWORK",
        msg: "artifact not loaded ODE_ERR_NETWORK: refused",
      }),
    ]);
  });

  it("offers debug only when debug logging is on (the client formats debug messages lazily)", () => {
    expect(clientLogger(sink("info").logger).debug).toBeUndefined();
    const { lines, logger } = sink("debug");
    clientLogger(logger).debug!("AT:", "detail", { a: 1 });
    expect(lines[0]).toMatchObject({ level: "debug", msg: 'detail {"a":1}' });
  });

  it("collapses repeats of a message within the window and reports how many were skipped", () => {
    const { lines, logger } = sink();
    let now = 0;
    const log = clientLogger(logger, { repeatWindowMs: 1000, now: () => now });
    log.error!("AT:", "Sending 1 notification(s) failed");
    log.error!("AT:", "Sending 2 notification(s) failed");
    log.error!("AT:", "Sending 3 notification(s) failed");
    log.error!("AT:", "something else");
    now = 1500;
    log.error!("AT:", "Sending 4 notification(s) failed");
    expect(lines.map((l) => [l.msg, l.repeated])).toEqual([
      ["Sending 1 notification(s) failed", undefined],
      ["something else", undefined],
      ["Sending 4 notification(s) failed", 2],
    ]);
  });

  it("truncates large arguments", () => {
    const { lines, logger } = sink();
    clientLogger(logger).info!("AT:", { big: "x".repeat(2000) });
    expect(lines[0].msg.length).toBeLessThan(600);
  });
});

describe("requestLoggerFactory (fastify's request.log)", () => {
  function parent(level: "info" | "debug" | "silent") {
    const lines: Record<string, any>[] = [];
    const logger = createLogger(level, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const spy = { children: 0 };
    const child = logger.child;
    // Children inherit this property (pino children are made with Object.create): call with their `this`.
    logger.child = function (this: typeof logger, ...args: Parameters<typeof child>) {
      spy.children++;
      return child.apply(this, args);
    } as typeof logger.child;
    return { lines, logger, spy };
  }

  it("makes no pino child for calls below the level, and binds the request id on the first line", () => {
    const { lines, logger, spy } = parent("info");
    const log = requestLoggerFactory(logger, { reqId: "r-1" }, {});
    log.debug({ a: 1 }, "below the level");
    log.trace("below the level");
    expect(spy.children).toBe(0);
    expect(log.level).toBe("info");
    log.info({ status: 200 }, "shown");
    log.error("also shown");
    expect(spy.children).toBe(1);
    expect(lines).toEqual([
      expect.objectContaining({ reqId: "r-1", status: 200, msg: "shown", level: "info" }),
      expect.objectContaining({ reqId: "r-1", msg: "also shown", level: "error" }),
    ]);
  });

  it("follows a route's own level, a level set later, silent, and children", () => {
    const { lines, logger } = parent("info");
    const routeLevel = requestLoggerFactory(logger, { reqId: "r-2" }, { level: "debug" });
    routeLevel.debug("route logs debug");
    const raised = requestLoggerFactory(logger, { reqId: "r-3" }, {});
    raised.level = "error";
    raised.warn("not at error");
    raised.child({ part: "x" }).error("from a child");
    const silent = requestLoggerFactory(parent("silent").logger, { reqId: "r-4" }, {});
    silent.fatal("never");
    expect(lines.map((l) => [l.reqId, l.msg, l.part])).toEqual([
      ["r-2", "route logs debug", undefined],
      ["r-3", "from a child", "x"],
    ]);
  });
});
