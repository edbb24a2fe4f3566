import { describe, expect, it } from "vitest";
import { DecisioningError } from "../../src/errors";
import { clientLogger, createLogger } from "../../src/server/logging";

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
