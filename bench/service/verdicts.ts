/**
 * The targets of `npm run bench:service` (issue 14), judged on the rows of one run: a table of
 * target, measured value and verdict (met / NOT met / n/a when a row was not run).
 */
export interface ServiceRow {
  id: string;
  rps: number;
  latencyMs?: { p99?: number };
  errors?: number;
  non2xx?: number;
  exitCode?: number | null;
  errorCodes?: Record<string, number>;
  notifications?: { answered: number; exactlyOnce: number };
  serviceNotifications?: { dropped: number };
}

export interface Verdict {
  target: string;
  measured: string;
  verdict: "met" | "NOT met" | "n/a";
}

const fixed = (n: number, digits = 2) => n.toFixed(digits);

function ratioTarget(
  rows: Map<string, ServiceRow>,
  target: string,
  a: string,
  b: string,
  min: number,
  unit = "",
): Verdict {
  const x = rows.get(a)?.rps;
  const y = rows.get(b)?.rps;
  if (!x || !y) return { target, measured: "not measured", verdict: "n/a" };
  const r = x / y;
  return {
    target,
    measured: `${fixed(r)}${unit} (${Math.round(x)} / ${Math.round(y)} req/s)`,
    verdict: r >= min ? "met" : "NOT met",
  };
}

/** Every answered decision's notification exactly once, no request failed, nothing dropped. */
function delivered(row: ServiceRow | undefined, target: string): Verdict {
  if (!row?.notifications) return { target, measured: "not measured", verdict: "n/a" };
  const { answered, exactlyOnce } = row.notifications;
  const failed = (row.errors ?? 0) + (row.non2xx ?? 0);
  const dropped = row.serviceNotifications?.dropped ?? 0;
  const ok = answered > 0 && exactlyOnce === answered && failed === 0 && dropped === 0;
  return {
    target,
    measured: `${exactlyOnce} of ${answered} exactly once; ${failed} failed requests; ${dropped} dropped`,
    verdict: ok ? "met" : "NOT met",
  };
}

function sigterm(row: ServiceRow | undefined): Verdict {
  const target = "SIGTERM under load: no request in flight lost, every notification exactly once, exit 0";
  if (!row?.notifications) return { target, measured: "not measured", verdict: "n/a" };
  const lost = row.errorCodes?.ECONNRESET ?? 0;
  const { answered, exactlyOnce } = row.notifications;
  const ok = lost === 0 && exactlyOnce === answered && row.exitCode === 0;
  return {
    target,
    measured: `${lost} lost in flight; ${exactlyOnce} of ${answered} exactly once; exit ${row.exitCode}`,
    verdict: ok ? "met" : "NOT met",
  };
}

export function serviceVerdicts(list: readonly ServiceRow[]): Verdict[] {
  const rows = new Map(list.map((r) => [r.id, r]));
  const offP99 = rows.get("off-w1")?.latencyMs?.p99;
  return [
    ratioTarget(rows, "`--upstream off` ≥ 0.5 × the floor (req/s)", "off-w1", "floor", 0.5),
    offP99 === undefined
      ? { target: "`--upstream off` p99 ≤ 5 ms", measured: "not measured", verdict: "n/a" }
      : {
          target: "`--upstream off` p99 ≤ 5 ms",
          measured: `${fixed(offP99)} ms`,
          verdict: offP99 <= 5 ? "met" : "NOT met",
        },
    ratioTarget(rows, "notifications ≥ 0.25 × the floor", "notify-w1", "floor", 0.25),
    ratioTarget(rows, "notifications ≥ 15 × the reference", "notify-w1", "reference", 15, "×"),
    ratioTarget(
      rows,
      "15× reachable at all: the notify floor ≥ 15 × the reference",
      "notify-floor",
      "reference",
      15,
      "×",
    ),
    delivered(rows.get("notify-w1"), "every display notification exactly once"),
    delivered(rows.get("outage"), "stand-in down mid-run: no request failed, nothing lost"),
    ratioTarget(rows, "`--workers 2` ≥ 1.4 × `--workers 1`", "off-w2", "off-w1", 1.4, "×"),
    sigterm(rows.get("sigterm")),
  ];
}

export function verdictTable(verdicts: readonly Verdict[]): string {
  const lines = ["| target | measured | verdict |", "| --- | --- | --- |"];
  for (const v of verdicts)
    lines.push(`| ${v.target} | ${v.measured} | ${v.verdict === "NOT met" ? "**NOT met**" : v.verdict} |`);
  return lines.join("\n");
}
