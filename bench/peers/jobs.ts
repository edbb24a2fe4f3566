/**
 * The two jobs of `npm run bench:peers`, defined once for every system:
 *
 * - job a: one A/B decision (50/50, two experiences) for a new visitor: every call has a distinct
 *   visitor id and gets experience "A" or "B".
 * - job b: the same A/B decision plus two targeted A/B decisions, three locations per call: `peers-url`
 *   decides only when the page URL contains `/products/`, `peers-ua` only for a Chrome user agent;
 *   otherwise they return no experience. URLs and user agents rotate over real-world values.
 *
 * Each system answers a call with one value per location: "A", "B" or null. Verification compares
 * those answers with expectations computed here, independently of every system.
 */
import { visitorIdPool } from "../lib/visitor-ids";

export type JobId = "a" | "b";
export type Answer = "A" | "B" | null;

export const AB_LOCATION = "peers-ab";
export const URL_LOCATION = "peers-url";
export const UA_LOCATION = "peers-ua";
export const URL_MARK = "/products/";
export const CHROME_MARK = "Chrome/";

/** What each location targets: the visit attribute that must contain a mark (none for the A/B test). */
export const LOCATION_AUDIENCES: Record<
  string,
  { attribute: "url" | "userAgent"; mark: string } | undefined
> = {
  [AB_LOCATION]: undefined,
  [URL_LOCATION]: { attribute: "url", mark: URL_MARK },
  [UA_LOCATION]: { attribute: "userAgent", mark: CHROME_MARK },
};

export const JOB_LOCATIONS: Record<JobId, readonly string[]> = {
  a: [AB_LOCATION],
  b: [AB_LOCATION, URL_LOCATION, UA_LOCATION],
};

export const JOB_TITLES: Record<JobId, string> = {
  a: "a: one A/B decision, new visitor",
  b: "b: A/B + URL and user-agent audiences (3 locations)",
};

/** Real-world pages; three of eight contain the URL audience's mark. */
export const URLS = [
  "https://www.adobe.com/products/target.html?foo=bar",
  "https://shop.example.co.uk/cart?item=42&foo=bar",
  "https://store.myshopify.com/products/hat?color=red",
  "https://en.m.wikipedia.org/wiki/Bar?foo=bar",
  "https://www.bbc.co.uk/news/technology?foo=bar",
  "https://wayne-enterprises.us-east-1.elasticbeanstalk.com/products/cave",
  "http://pied.piper.decentralized.test.hooli.com/?implementation=psl",
  "https://town.ide.kyoto.jp/visit?foo=bar",
];

/** Chrome, Firefox, Safari and iPhone Safari: "Chrome/" appears exactly in the Chrome one. */
export const USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:73.0) Gecko/20100101 Firefox/73.0",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
];

/** What every system receives for call i (job a ignores url and userAgent). */
export interface Visit {
  visitorId: string;
  url: string;
  userAgent: string;
}

/** 32-hex-char visitor ids, distinct for 262,144 consecutive calls. */
export const visitorId = visitorIdPool(1 << 18);

export function visit(i: number): Visit {
  // Different periods (8 and 4 × 3) so every URL meets every user agent.
  return {
    visitorId: visitorId(i),
    url: URLS[i % URLS.length]!,
    userAgent: USER_AGENTS[Math.floor(i / 3) % 4]!,
  };
}

/** Which locations must decide for this visit (the A/B one always does). */
export function expectedEligible(job: JobId, v: Visit): boolean[] {
  if (job === "a") return [true];
  return [true, v.url.toLowerCase().includes(URL_MARK), v.userAgent.includes(CHROME_MARK)];
}

export interface Verification {
  calls: number;
  /** Share of "A" among the answers of each location that decided. */
  shareA: number[];
  ok: boolean;
  problems: string[];
}

/**
 * Checks `calls` answers: eligible locations answer "A" or "B" with a share of A within
 * `tolerance` of 50 %, ineligible ones answer null.
 */
export function verify(job: JobId, answers: readonly (readonly Answer[])[], tolerance = 0.02): Verification {
  const locations = JOB_LOCATIONS[job];
  const decided = locations.map(() => 0);
  const countA = locations.map(() => 0);
  const problems: string[] = [];
  answers.forEach((row, i) => {
    const eligible = expectedEligible(job, visit(i));
    locations.forEach((name, k) => {
      const answer = row[k];
      if (eligible[k]) {
        if (answer !== "A" && answer !== "B")
          problems.push(`call ${i}: ${name} should decide, got ${String(answer)}`);
        else {
          decided[k]!++;
          if (answer === "A") countA[k]!++;
        }
      } else if (answer !== null) {
        problems.push(`call ${i}: ${name} should not decide, got ${String(answer)}`);
      }
    });
  });
  const shareA = locations.map((_, k) => (decided[k]! > 0 ? countA[k]! / decided[k]! : NaN));
  shareA.forEach((share, k) => {
    if (!(Math.abs(share - 0.5) <= tolerance)) {
      problems.push(
        `${locations[k]}: share of A ${(share * 100).toFixed(2)} % is not 50 % ± ${tolerance * 100}`,
      );
    }
  });
  return { calls: answers.length, shareA, ok: problems.length === 0, problems: problems.slice(0, 5) };
}
