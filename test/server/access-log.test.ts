import { afterEach, describe, expect, it, vi } from "vitest";
import { createAccessLog, type AccessLog } from "../../src/server/access-log";
import { createLogger } from "../../src/server/logging";
import { DELIVERY_PATH } from "../../src/protocol/endpoints";

function sink(level: "info" | "debug") {
  const lines: Record<string, any>[] = [];
  return { lines, logger: createLogger(level, { write: (s: string) => void lines.push(JSON.parse(s)) }) };
}

const opened: AccessLog[] = [];
afterEach(() => {
  for (const log of opened.splice(0)) log.close();
  vi.useRealTimers();
});

describe("access log", () => {
  it("summary: counts per route, method and status; one line per interval; 5xx line by line", () => {
    vi.useFakeTimers();
    const { lines, logger } = sink("info");
    const log = createAccessLog(logger, "summary", 1000);
    opened.push(log);
    log.record(logger, "POST", DELIVERY_PATH, 200, 0.4);
    log.record(logger, "POST", DELIVERY_PATH, 200, 0.5);
    log.record(logger, "POST", DELIVERY_PATH, 503, 1.234);
    log.record(logger, "GET", "/ready", 200, 0.1);
    expect(lines).toEqual([
      expect.objectContaining({ msg: "request completed", level: "info", status: 503, ms: 1.23 }),
    ]);
    vi.advanceTimersByTime(1000);
    expect(lines[1]).toMatchObject({
      msg: "requests served",
      level: "info",
      seconds: 1,
      requests: 4,
      routes: { [`POST ${DELIVERY_PATH}`]: { "200": 2, "503": 1 }, "GET /ready": { "200": 1 } },
    });
    vi.advanceTimersByTime(5000);
    expect(lines).toHaveLength(2);
    log.record(logger, "GET", "/ready", 200, 0.1);
    vi.advanceTimersByTime(1000);
    expect(lines[2]).toMatchObject({ requests: 1, routes: { "GET /ready": { "200": 1 } } });
  });

  it("summary: every request has a debug line when the level allows it", () => {
    const { lines, logger } = sink("debug");
    const log = createAccessLog(logger, "summary", 60_000);
    log.record(logger, "POST", DELIVERY_PATH, 200, 0.4);
    expect(lines).toEqual([expect.objectContaining({ msg: "request completed", level: "debug" })]);
    log.close();
    expect(lines[1]).toMatchObject({ msg: "requests served", requests: 1 });
    log.close();
    expect(lines).toHaveLength(2);
  });

  it("lines: the Delivery API and 5xx at info, the rest at debug, no summary", () => {
    vi.useFakeTimers();
    const { lines, logger } = sink("info");
    const log = createAccessLog(logger, "lines", 1000);
    log.record(logger, "POST", DELIVERY_PATH, 200, 0.4);
    log.record(logger, "GET", "/ready", 200, 0.1);
    log.record(logger, "GET", "/ready", 500, 0.1);
    vi.advanceTimersByTime(5000);
    log.close();
    expect(lines.map((l) => [l.msg, l.route, l.status])).toEqual([
      ["request completed", DELIVERY_PATH, 200],
      ["request completed", "/ready", 500],
    ]);
  });
});
