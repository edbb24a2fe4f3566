import { describe, expect, it } from "vitest";
import { escapeLabelValue, formatValue, Registry } from "../../src/server/prometheus";

describe("Prometheus exposition", () => {
  it("renders HELP, TYPE and labelled counter samples", () => {
    const r = new Registry();
    const c = r.counter("odd_things_total", "Things.\nSecond line", ["kind"]);
    c.inc({ kind: "a" });
    c.inc({ kind: "a" }, 2);
    c.inc({ kind: 'b"\\\n' });
    c.inc({ kind: "a" }, -5); // counters never go down
    expect(r.render()).toBe(
      [
        "# HELP odd_things_total Things.\\nSecond line",
        "# TYPE odd_things_total counter",
        'odd_things_total{kind="a"} 3',
        'odd_things_total{kind="b\\"\\\\\\n"} 1',
        "",
      ].join("\n"),
    );
  });

  it("renders an unlabelled counter as 0 before any increment, and gauges as set", () => {
    const r = new Registry();
    r.counter("odd_c_total", "c");
    const g = r.gauge("odd_g", "g");
    g.set(undefined, 1.5);
    g.dec(undefined, 0.5);
    expect(r.render()).toContain("odd_c_total 0\n");
    expect(r.render()).toContain("odd_g 1\n");
  });

  it("renders histograms with cumulative buckets, +Inf, sum and count", () => {
    const r = new Registry();
    const h = r.histogram("odd_latency_seconds", "Latency.", ["method"], [0.1, 1]);
    h.observe({ method: "x" }, 0.05);
    h.observe({ method: "x" }, 0.5);
    h.observe({ method: "x" }, 3);
    h.observe({ method: "x" }, Number.NaN); // ignored
    expect(r.render()).toBe(
      [
        "# HELP odd_latency_seconds Latency.",
        "# TYPE odd_latency_seconds histogram",
        'odd_latency_seconds_bucket{method="x",le="0.1"} 1',
        'odd_latency_seconds_bucket{method="x",le="1"} 2',
        'odd_latency_seconds_bucket{method="x",le="+Inf"} 3',
        'odd_latency_seconds_sum{method="x"} 3.55',
        'odd_latency_seconds_count{method="x"} 3',
        "",
      ].join("\n"),
    );
  });

  it("mirrors external totals without letting them decrease", () => {
    const r = new Registry();
    const c = r.counter("odd_sent_total", "s");
    c.setTotal(undefined, 5);
    c.setTotal(undefined, 3);
    expect(c.get()).toBe(5);
  });

  it("folds label combinations beyond the series cap into one overflow series", () => {
    const r = new Registry(2);
    const c = r.counter("odd_x_total", "x", ["id"]);
    for (const id of ["a", "b", "c", "d"]) c.inc({ id });
    const text = r.render();
    expect(text).toContain('odd_x_total{id="overflow"} 2');
    expect(text.split("\n").filter((l) => l.startsWith("odd_x_total"))).toHaveLength(3);
  });

  it("refreshes snapshot gauges through collectors, surviving a throwing one", () => {
    const r = new Registry();
    const g = r.gauge("odd_snapshot", "s");
    let n = 0;
    r.onCollect(() => {
      throw new Error("boom");
    });
    r.onCollect(() => g.set(undefined, ++n));
    expect(r.render()).toContain("odd_snapshot 1");
    expect(r.render()).toContain("odd_snapshot 2");
  });

  it("rejects invalid names and duplicate registrations", () => {
    const r = new Registry();
    expect(() => r.counter("bad-name", "x")).toThrow();
    expect(() => r.counter("odd_ok", "x", ["le"])).toThrow();
    r.gauge("odd_dup", "x");
    expect(() => r.gauge("odd_dup", "x")).toThrow();
    expect(() => r.histogram("odd_h", "x", [], [1, 1])).toThrow();
  });

  it("formats special values and escapes label values", () => {
    expect([formatValue(Infinity), formatValue(-Infinity), formatValue(NaN), formatValue(0.25)]).toEqual([
      "+Inf",
      "-Inf",
      "NaN",
      "0.25",
    ]);
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });
});
