import fc from "fast-check";
import { AggregatorRegistry, Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { tallyCounter, tallyHistogram } from "../../src/server/tally";

const BOUNDS = [0.001, 0.01, 0.1, 1];
const observation = fc.record({
  method: fc.constantFrom("on-device", "hybrid", "server-side"),
  value: fc.oneof(fc.constantFrom(0, 0.001, 0.01, 1, 5), fc.double({ min: 0, max: 3, noNaN: true })),
});

/** prom-client's own Histogram and our tally, fed the same observations, each in its registry. */
function histograms(observations: { method: string; value: number }[]) {
  const ours = new Registry();
  const theirs = new Registry();
  const tally = tallyHistogram(ours, "h_seconds", "help text", "method", BOUNDS);
  const histogram = new Histogram({
    name: "h_seconds",
    help: "help text",
    labelNames: ["method"],
    buckets: BOUNDS,
    registers: [theirs],
  });
  for (const { method, value } of observations) {
    tally.observe(method, value);
    histogram.observe({ method }, value);
  }
  return { ours, theirs };
}

describe("tally metrics", () => {
  it("a tally histogram exposes what prom-client's Histogram exposes for the same observations", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 40 }), async (observations) => {
        const { ours, theirs } = histograms(observations);
        expect(await ours.metrics()).toBe(await theirs.metrics());
      }),
      { numRuns: 100 },
    );
  });

  it("aggregates across workers as prom-client's Histogram does", async () => {
    const a = histograms([
      { method: "on-device", value: 0.0005 },
      { method: "hybrid", value: 0.5 },
    ]);
    const b = histograms([{ method: "on-device", value: 0.05 }]);
    const ours = AggregatorRegistry.aggregate([
      await a.ours.getMetricsAsJSON(),
      await b.ours.getMetricsAsJSON(),
    ]);
    const theirs = AggregatorRegistry.aggregate([
      await a.theirs.getMetricsAsJSON(),
      await b.theirs.getMetricsAsJSON(),
    ]);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it("a tally counter exposes what prom-client's Counter exposes", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const tally = tallyCounter(ours, "c_total", "help", ["route", "method", "status"]);
    const counter = new Counter({
      name: "c_total",
      help: "help",
      labelNames: ["route", "method", "status"],
      registers: [theirs],
    });
    for (const [route, method, status] of [
      ["/a", "GET", "200"],
      ["/a", "GET", "200"],
      ["/b", "POST", "400"],
    ] as const) {
      tally.add(route, method, status);
      counter.inc({ route, method, status });
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    tally.add("/b", "POST", "400");
    expect(await ours.metrics()).toContain('c_total{route="/b",method="POST",status="400"} 2');
  });
});
