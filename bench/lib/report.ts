/**
 * Results: the markdown tables (printed and put into docs/performance.md), the target verdicts
 * of issue 5, and the JSON written under bench/results/.
 */
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import type { ScenarioResult, Stats } from "./types";

export interface Machine {
  node: string;
  cpu: string;
  cores: number;
  platform: string;
  totalMemGB: number;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    totalMemGB: Math.round(os.totalmem() / 1024 ** 3),
  };
}

export interface TargetVerdict {
  target: string;
  measured: string;
  met: boolean | undefined;
}

const fmt = (v: number | undefined, digits = 1) =>
  v === undefined || !Number.isFinite(v)
    ? "—"
    : v >= 1000
      ? Math.round(v).toLocaleString("en-US")
      : v.toFixed(digits);
const ops = (s: Stats | undefined) => (s ? Math.round(s.opsPerSec).toLocaleString("en-US") : "—");
const ratio = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v)
    ? "—"
    : `${v >= 100 ? Math.round(v) : v >= 0.1 ? v.toFixed(1) : v.toPrecision(2)}×`;

export function latencyTable(results: ScenarioResult[]): string {
  const rows = results.filter((r) => r.kind === "latency" || r.kind === "floor");
  const head =
    "| # | scenario | ours ops/s | ours mean µs | ours p50 µs | ours p99 µs | ref ops/s | ref mean µs | ref p50 µs | ref p99 µs | ours ÷ ref throughput |\n" +
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
  const lines = rows.map((r) => {
    const o = r.ours;
    const f = r.reference;
    const label = r.kind === "floor" ? `${r.title} *(no decision; ours columns = the round trip)*` : r.title;
    return `| ${r.id} | ${label} | ${ops(o)} | ${fmt(o?.meanUs)} | ${fmt(o?.p50Us)} | ${fmt(o?.p99Us)} | ${ops(f)} | ${fmt(f?.meanUs)} | ${fmt(f?.p50Us)} | ${fmt(f?.p99Us)} | ${ratio(r.ratio)} |`;
  });
  return [head, ...lines].join("\n");
}

export function readyTable(results: ScenarioResult[]): string {
  const rows = results.filter((r) => r.kind === "ready");
  if (rows.length === 0) return "";
  const head =
    "| # | artifact | ours ready ms | ours heap MB | ref ready ms | ref heap MB | ref ÷ ours time | ours ÷ ref heap |\n" +
    "|---|---|---:|---:|---:|---:|---:|---:|";
  const lines = rows.map((r) => {
    const o = r.ready?.ours;
    const f = r.ready?.reference;
    const heap = o && f ? o.heapMB / f.heapMB : undefined;
    return `| ${r.id} | ${r.title.replace("time + heap to ready, ", "")} | ${fmt(o?.ms)} | ${fmt(o?.heapMB)} | ${fmt(f?.ms)} | ${fmt(f?.heapMB)} | ${ratio(r.ratio)} | ${heap === undefined ? "—" : `${heap.toFixed(2)}×`} |`;
  });
  return [head, ...lines].join("\n");
}

export function scaleCheckLine(results: ScenarioResult[]): string {
  const r = results.find((x) => x.kind === "scale-check");
  if (!r || !r.ours || !r.control) return "";
  return (
    `Scale check (${r.title}): 1× mean ${fmt(r.control.meanUs, 2)} µs / p50 ${fmt(r.control.p50Us, 2)} µs; ` +
    `largest mean ${fmt(r.ours.meanUs, 2)} µs / p50 ${fmt(r.ours.p50Us, 2)} µs → ratio ${r.ratio?.toFixed(3)} (p50; both clients share one heap, so GC pauses make the mean noise).`
  );
}

function find(results: ScenarioResult[], id: string): ScenarioResult | undefined {
  return results.find((r) => r.id === id);
}

/** The targets of issue 5, each with what was measured; `met` is undefined when not measured. */
export function evaluateTargets(results: ScenarioResult[]): TargetVerdict[] {
  const out: TargetVerdict[] = [];
  const throughput = (id: string, min: number, label: string) => {
    const r = find(results, id);
    out.push({
      target: label,
      measured: r?.ratio !== undefined ? `${r.ratio.toFixed(1)}×` : "not measured",
      met: r?.ratio === undefined ? undefined : r.ratio >= min,
    });
  };
  throughput("1", 50, "S1 throughput ≥ 50× reference");
  const s1 = find(results, "1")?.ours;
  out.push({
    target: "S1 p99 ≤ 50 µs",
    measured: s1 ? `${s1.p99Us.toFixed(1)} µs` : "not measured",
    met: s1 ? s1.p99Us <= 50 : undefined,
  });
  for (const id of ["2", "3", "4", "5"]) throughput(id, 50, `S${id} throughput ≥ 50× reference`);
  const s5 = find(results, "5")?.ours;
  const s5t = find(results, "5t")?.ours;
  const domain = s5 && s5t ? s5.meanUs / s5t.meanUs : undefined;
  out.push({
    target: "real-world domain ≤ 1.2× a test URL (S5 ÷ S5t, ours, by mean)",
    measured: domain !== undefined ? `${domain.toFixed(2)}×` : "not measured",
    met: domain === undefined ? undefined : domain <= 1.2,
  });
  const check = results.find((r) => r.kind === "scale-check");
  out.push({
    target: "S7 single-mbox cost at the largest scale (100×) ≤ 1.05× of 1× (ours, p50, interleaved)",
    measured: check?.ratio !== undefined ? `${check.ratio.toFixed(3)}×` : "not measured",
    met: check?.ratio === undefined ? undefined : check.ratio <= 1.05,
  });
  throughput("7.3@100x", 100, "S7 all views at 100×: ≥ 100× reference");
  for (const r of results.filter((x) => x.kind === "ready")) {
    const o = r.ready?.ours;
    const f = r.ready?.reference;
    out.push({
      target: `S6 ${r.id}: ready time ≤ 1.5× reference`,
      measured:
        o && f
          ? `${(o.ms / f.ms).toFixed(2)}× (${o.ms.toFixed(1)} vs ${f.ms.toFixed(1)} ms)`
          : "not measured",
      met: o && f ? o.ms <= 1.5 * f.ms : undefined,
    });
    out.push({
      target: `S6 ${r.id}: heap ≤ 2× reference`,
      measured:
        o && f
          ? `${(o.heapMB / f.heapMB).toFixed(2)}× (${o.heapMB.toFixed(1)} vs ${f.heapMB.toFixed(1)} MB)`
          : "not measured",
      met: o && f ? o.heapMB <= 2 * f.heapMB : undefined,
    });
  }
  const s8 = find(results, "8")?.ours;
  const loop = s1 && s8 ? s8.meanUs / s1.meanUs : undefined;
  out.push({
    target: "S1 local decision ≥ 20× faster than the loopback round trip (S8 mean ÷ S1 mean)",
    measured:
      loop !== undefined
        ? `${loop.toFixed(1)}× (p50: ${(s8!.p50Us / s1!.p50Us).toFixed(1)}×)`
        : "not measured",
    met: loop === undefined ? undefined : loop >= 20,
  });
  return out;
}

export function targetsTable(verdicts: TargetVerdict[]): string {
  const mark = (m: boolean | undefined) => (m === undefined ? "n/a" : m ? "met" : "**NOT met**");
  return [
    "| target | measured | verdict |",
    "|---|---|---|",
    ...verdicts.map((v) => `| ${v.target} | ${v.measured} | ${mark(v.met)} |`),
  ].join("\n");
}

export function machineLine(m: Machine): string {
  return `Node ${m.node}, ${m.cpu}, ${m.cores} cores, ${m.totalMemGB} GB RAM, ${m.platform}`;
}

export function fullReport(
  results: ScenarioResult[],
  m: Machine,
  command: string,
  date: string,
  load?: [number, number],
): string {
  const parts = [
    `Command: \`${command}\` — ${date}`,
    `Machine: ${machineLine(m)}` +
      (load ? `; 1-min load average ${load[0].toFixed(2)} before, ${load[1].toFixed(2)} after the run` : ""),
    "",
    latencyTable(results),
  ];
  const ready = readyTable(results);
  if (ready) parts.push("", ready);
  const scale = scaleCheckLine(results);
  if (scale) parts.push("", scale);
  const notes = results.filter((r) => r.notes && r.notes.length > 0 && r.kind !== "scale-check");
  if (notes.length > 0) parts.push("", ...notes.map((r) => `- ${r.id}: ${r.notes!.join("; ")}`));
  const http = results.filter(
    (r) => r.httpPerOp && (r.httpPerOp.ours !== undefined || r.httpPerOp.reference !== undefined),
  );
  if (http.length > 0) {
    parts.push(
      "",
      `Notification HTTP calls per getOffers (stubbed): ${http
        .map((r) => `S${r.id} ours ${fmt(r.httpPerOp!.ours, 2)} / ref ${fmt(r.httpPerOp!.reference, 2)}`)
        .join("; ")}`,
    );
  }
  parts.push("", targetsTable(evaluateTargets(results)));
  return parts.join("\n");
}

export const DOCS_START = "<!-- bench:results:start -->";
export const DOCS_END = "<!-- bench:results:end -->";

/**
 * Replaces a generated section of docs/performance.md and writes it formatted with the project's
 * prettier settings (so `npm run format` leaves it alone). Returns false when the markers are absent.
 */
export async function updateDocsSection(
  docPath: string,
  section: string,
  start = DOCS_START,
  end = DOCS_END,
): Promise<boolean> {
  const updated = replaceDocsSection(readFileSync(docPath, "utf8"), section, start, end);
  if (updated === undefined) return false;
  let text = updated;
  try {
    const prettier = await import("prettier");
    const options = (await prettier.resolveConfig(docPath)) ?? {};
    text = await prettier.format(updated, { ...options, filepath: docPath });
  } catch {
    // unformatted is still correct
  }
  writeFileSync(docPath, text);
  return true;
}

/** Replaces a generated section of docs/performance.md (between the markers); undefined when absent. */
export function replaceDocsSection(
  doc: string,
  section: string,
  start = DOCS_START,
  end = DOCS_END,
): string | undefined {
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) return undefined;
  return `${doc.slice(0, a + start.length)}\n${section}\n${doc.slice(b)}`;
}
