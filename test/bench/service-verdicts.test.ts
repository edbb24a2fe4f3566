import { describe, expect, it } from "vitest";
import { serviceVerdicts, verdictTable } from "../../bench/service/verdicts";

const delivered = (n: number) => ({ answered: n, exactlyOnce: n });

describe("bench:service verdicts", () => {
  it("judges each target on the rows of one run", () => {
    const verdicts = serviceVerdicts([
      { id: "floor", rps: 20_000 },
      { id: "off-w1", rps: 10_500, latencyMs: { p99: 4.2 } },
      { id: "notify-w1", rps: 4_000, errors: 0, non2xx: 0, notifications: delivered(40_000), serviceNotifications: { dropped: 0 } },
      { id: "notify-floor", rps: 12_000 },
      { id: "reference", rps: 1_000 },
      { id: "off-w2", rps: 13_000 },
      { id: "outage", rps: 5_000, errors: 0, non2xx: 0, notifications: { answered: 10, exactlyOnce: 9 } },
      { id: "sigterm", rps: 3_000, exitCode: 0, errorCodes: { ECONNRESET: 0 }, notifications: delivered(100) },
    ]);
    expect(verdicts.map((v) => v.verdict)).toEqual([
      "met", // 0.525 of the floor
      "met", // p99 4.2 ms
      "NOT met", // 0.2 of the floor
      "NOT met", // 4×
      "NOT met", // the notify floor: 12×
      "met",
      "NOT met", // one notification missing in the outage row
      "NOT met", // 1.24×
      "met",
    ]);
    expect(verdictTable(verdicts)).toContain("| `--upstream off` p99 ≤ 5 ms | 4.20 ms | met |");
  });

  it("says n/a for rows that were not run", () => {
    const verdicts = serviceVerdicts([{ id: "floor", rps: 20_000 }]);
    expect(new Set(verdicts.map((v) => v.verdict))).toEqual(new Set(["n/a"]));
  });
});
