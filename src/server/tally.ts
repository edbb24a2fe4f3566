/**
 * Metrics for the per-request hot path. A prom-client `inc` or `observe` hashes and validates its
 * label object on every call (about 3 µs per Delivery request for a histogram and two counters in
 * `npm run bench:service:profile`); these keep plain numbers per label value instead and hand
 * prom-client the totals when it collects, at scrape time. The exposition (and the cluster
 * aggregation: counters and buckets summed) is the same as prom-client's own Counter and Histogram.
 * Label values must come from bounded sets (routes, methods, status codes, outcomes).
 */
import { Counter, type Registry } from "prom-client";

export interface TallyCounter {
  add(a: string, b?: string, c?: string): void;
}

/** A counter with up to three labels, incremented by one per `add`. */
export function tallyCounter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly string[],
): TallyCounter {
  const totals = new Map<string, { labels: Record<string, string>; count: number }>();
  new Counter({
    name,
    help,
    labelNames: [...labelNames],
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, count } of totals.values()) this.inc(labels, count);
    },
  });
  return {
    add(a, b = "", c = "") {
      const key = `${a}\u0000${b}\u0000${c}`;
      const total = totals.get(key);
      if (total) total.count++;
      else
        totals.set(key, {
          labels: Object.fromEntries(labelNames.map((n, i) => [n, [a, b, c][i]!])),
          count: 1,
        });
    },
  };
}

export interface TallyHistogram {
  observe(labelValue: string, value: number): void;
}

interface Series {
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  readonly buckets: number[];
  sum: number;
  count: number;
}

interface SampleValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/** The exposition samples of one label value: cumulative `_bucket`s, `+Inf`, `_sum`, `_count`. */
function samples(
  name: string,
  label: Record<string, string>,
  bounds: readonly number[],
  s: Series,
): SampleValue[] {
  const out: SampleValue[] = [];
  let cumulative = 0;
  bounds.forEach((le, i) => {
    cumulative += s.buckets[i]!;
    out.push({ metricName: `${name}_bucket`, labels: { le, ...label }, value: cumulative });
  });
  out.push({ metricName: `${name}_bucket`, labels: { le: "+Inf", ...label }, value: s.count });
  out.push({ metricName: `${name}_sum`, labels: { ...label }, value: s.sum });
  out.push({ metricName: `${name}_count`, labels: { ...label }, value: s.count });
  return out;
}

/** A histogram with one label, registered in `registry` as a prom-client metric object. */
export function tallyHistogram(
  registry: Registry,
  name: string,
  help: string,
  labelName: string,
  bounds: readonly number[],
): TallyHistogram {
  const series = new Map<string, Series>();
  const metric = {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    get: async () => ({
      name,
      help,
      type: "histogram",
      aggregator: "sum",
      values: [...series].flatMap(([value, s]) => samples(name, { [labelName]: value }, bounds, s)),
    }),
  };
  registry.registerMetric(metric as unknown as Parameters<Registry["registerMetric"]>[0]);
  return {
    observe(labelValue, value) {
      let s = series.get(labelValue);
      if (!s)
        series.set(
          labelValue,
          (s = { buckets: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 }),
        );
      let i = 0;
      while (i < bounds.length && value > bounds[i]!) i++;
      s.buckets[i]!++;
      s.sum += value;
      s.count++;
    },
  };
}
