/**
 * A minimal Prometheus registry and text exposition (format 0.0.4): counters, gauges and
 * histograms with fixed label names. Written here instead of depending on prom-client because the
 * service needs a dozen series, and the format is small and stable
 * (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Label values must come from bounded sets (methods, outcomes, error codes, route patterns): every
 * distinct label combination is a series kept for the life of the process. `maxSeries` caps each
 * metric as a safety net; beyond it new combinations are folded into one `overflow` series.
 */

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
const DEFAULT_MAX_SERIES = 500;
const OVERFLOW = "overflow";

export type Labels = Readonly<Record<string, string>>;
type MetricType = "counter" | "gauge" | "histogram";

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Renders a sample value: integers as they are, `+Inf`/`-Inf`/`NaN` by name. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function renderLabels(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) parts.push(`${names[i]}="${escapeLabelValue(values[i] ?? "")}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

abstract class Metric<S> {
  protected readonly series = new Map<string, { values: string[]; state: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    readonly labelNames: readonly string[],
    private readonly maxSeries: number,
  ) {
    if (!NAME_RE.test(name)) throw new Error(`invalid metric name ${name}`);
    for (const label of labelNames) {
      if (!LABEL_RE.test(label) || label.startsWith("__") || label === "le")
        throw new Error(`invalid label ${label}`);
    }
  }

  protected abstract initial(): S;

  protected entry(labels: Labels | undefined): S {
    let values = this.labelNames.map((n) => (labels && typeof labels[n] === "string" ? labels[n] : ""));
    let key = values.join("\u0000");
    let found = this.series.get(key);
    if (!found) {
      if (this.series.size >= this.maxSeries) {
        values = this.labelNames.map(() => OVERFLOW);
        key = values.join("\u0000");
        found = this.series.get(key);
      }
      if (!found) {
        found = { values, state: this.initial() };
        this.series.set(key, found);
      }
    }
    return found.state;
  }

  /** Removes every series (gauges re-filled from a snapshot at each scrape). */
  reset(): void {
    this.series.clear();
  }

  header(): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
  }

  abstract render(): string;
}

export class Counter extends Metric<{ value: number }> {
  protected initial() {
    return { value: 0 };
  }

  inc(labels?: Labels, by = 1): void {
    if (!(by >= 0)) return; // counters never go down; NaN ignored
    this.entry(labels).value += by;
  }

  get(labels?: Labels): number {
    return this.entry(labels).value;
  }

  /** Mirrors a monotonic count kept elsewhere (read at scrape time); ignored if it would go down. */
  setTotal(labels: Labels | undefined, total: number): void {
    const state = this.entry(labels);
    if (total >= state.value) state.value = total;
  }

  render(): string {
    let out = this.header();
    if (this.series.size === 0 && this.labelNames.length === 0) out += `${this.name} 0\n`;
    for (const { values, state } of this.series.values()) {
      out += `${this.name}${renderLabels(this.labelNames, values)} ${formatValue(state.value)}\n`;
    }
    return out;
  }
}

export class Gauge extends Metric<{ value: number }> {
  protected initial() {
    return { value: 0 };
  }

  set(labels: Labels | undefined, value: number): void {
    this.entry(labels).value = value;
  }

  inc(labels?: Labels, by = 1): void {
    this.entry(labels).value += by;
  }

  dec(labels?: Labels, by = 1): void {
    this.entry(labels).value -= by;
  }

  render(): string {
    let out = this.header();
    for (const { values, state } of this.series.values()) {
      out += `${this.name}${renderLabels(this.labelNames, values)} ${formatValue(state.value)}\n`;
    }
    return out;
  }
}

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramState> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
    maxSeries: number,
  ) {
    super(name, help, "histogram", labelNames, maxSeries);
    for (let i = 1; i < buckets.length; i++) {
      if (!((buckets[i] as number) > (buckets[i - 1] as number)))
        throw new Error(`${name}: buckets must increase`);
    }
  }

  protected initial(): HistogramState {
    return { counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 };
  }

  observe(labels: Labels | undefined, value: number): void {
    if (!Number.isFinite(value)) return;
    const state = this.entry(labels);
    state.sum += value;
    state.count++;
    // Non-cumulative per bucket; made cumulative when rendered.
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= (this.buckets[i] as number)) {
        state.counts[i]!++;
        break;
      }
    }
  }

  render(): string {
    let out = this.header();
    for (const { values, state } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += state.counts[i] as number;
        const le = formatValue(this.buckets[i] as number);
        out += `${this.name}_bucket${renderLabels(this.labelNames, values, ["le", le])} ${cumulative}\n`;
      }
      out += `${this.name}_bucket${renderLabels(this.labelNames, values, ["le", "+Inf"])} ${state.count}\n`;
      out += `${this.name}_sum${renderLabels(this.labelNames, values)} ${formatValue(state.sum)}\n`;
      out += `${this.name}_count${renderLabels(this.labelNames, values)} ${state.count}\n`;
    }
    return out;
  }
}

/** Holds the metrics of one process; `collect` hooks refresh snapshot gauges before rendering. */
export class Registry {
  readonly #metrics: Metric<unknown>[] = [];
  readonly #collectors: (() => void)[] = [];
  readonly #names = new Set<string>();

  constructor(private readonly maxSeries = DEFAULT_MAX_SERIES) {}

  #add<M extends Metric<any>>(metric: M): M {
    if (this.#names.has(metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.#names.add(metric.name);
    this.#metrics.push(metric);
    return metric;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#add(new Counter(name, help, "counter", labelNames, this.maxSeries));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#add(new Gauge(name, help, "gauge", labelNames, this.maxSeries));
  }

  histogram(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ): Histogram {
    return this.#add(new Histogram(name, help, labelNames, buckets, this.maxSeries));
  }

  onCollect(fn: () => void): void {
    this.#collectors.push(fn);
  }

  /** The text exposition of every metric. A throwing collector leaves its gauges as they were. */
  render(): string {
    for (const collect of this.#collectors) {
      try {
        collect();
      } catch {
        // a snapshot that cannot be taken must not break the scrape
      }
    }
    return this.#metrics.map((m) => m.render()).join("");
  }
}
