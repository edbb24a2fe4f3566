/**
 * Micro-benchmark of compiled json-logic conditions against json-logic-js (the reference
 * interpreter the incumbent runs per request). Plain script, no dependencies:
 *   npx tsx bench/micro/conditions.bench.ts
 * Prints ns/op (median of rounds) for the condition shapes that dominate real artifacts.
 */
import jsonLogic from "json-logic-js";
import { compileCondition } from "../../src/engine/conditions";
import { loadArtifact } from "../../test/support/shared";

function makeData(i: number): Record<string, unknown> {
  const url = `https://www.example.com/${i % 3 === 0 ? "bar" : "foo"}/page?x=${i}`;
  return {
    current_timestamp: 1_583_000_000_000 + i * 10_000_000_000,
    current_time: "1230",
    current_day: (i % 7) + 1,
    user: { browserType: i % 2 ? "firefox" : "chrome", browserVersion: 100, platform: "mac", locale: "en" },
    page: { url, url_lc: url, path: "/foo/page", domain: "example.com", query: `x=${i}` },
    geo: { country: "US", city: "SAN FRANCISCO" },
    mbox: { greg: String(i % 4), jason: "x" },
    allocation: (i * 37.3) % 100,
  };
}
const DATA = Array.from({ length: 16 }, (_, i) => makeData(i));

function measure(fn: (d: Record<string, unknown>) => unknown, iterations: number): number {
  const rounds: number[] = [];
  let sink = 0;
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) if (fn(DATA[i & 15]!)) sink++;
    rounds.push(((performance.now() - t0) * 1e6) / iterations);
  }
  if (sink === -1) console.log(sink); // keep the loop observable
  return rounds.sort((a, b) => a - b)[3]!;
}

const production = loadArtifact("PRODUCTION_ARTIFACT");
const allRules: unknown[] = [];
for (const group of [production.rules.mboxes, production.rules.views]) {
  for (const rules of Object.values(group ?? {}) as { condition: unknown }[][]) {
    for (const r of rules) allRules.push(r.condition);
  }
}
const largest = allRules.reduce((a, b) => (JSON.stringify(b).length > JSON.stringify(a).length ? b : a));

const CASES: [string, unknown][] = [
  ["literal true", true],
  ["== const var", { "==": ["firefox", { var: "user.browserType" }] }],
  ["<= between (timestamps)", { "<=": [1583400000000, { var: "current_timestamp" }, 1600000000000] }],
  [
    "and(<= between, in)",
    { and: [{ "<=": [0, { var: "allocation" }, 50] }, { in: ["bar", { var: "page.url_lc" }] }] },
  ],
  [
    "and(<, >=) allocation",
    { and: [{ "<": [0, { var: "allocation" }] }, { ">=": [50, { var: "allocation" }] }] },
  ],
  ["largest production condition", largest],
];

console.log(
  `${"condition".padEnd(32)} ${"compiled ns/op".padStart(15)} ${"json-logic-js ns/op".padStart(20)}`,
);
for (const [name, logic] of CASES) {
  const compiled = compileCondition(logic);
  const compiledNs = measure(compiled, 2_000_000);
  const refNs = measure((d) => jsonLogic.apply(logic as any, d), 200_000);
  console.log(`${name.padEnd(32)} ${compiledNs.toFixed(1).padStart(15)} ${refNs.toFixed(1).padStart(20)}`);
}

const compiledAll = allRules.map((c) => compileCondition(c));
const allNs = measure((d) => {
  let n = 0;
  for (const f of compiledAll) if (f(d)) n++;
  return n;
}, 20_000);
const refAllNs = measure((d) => {
  let n = 0;
  for (const c of allRules) if (jsonLogic.apply(c as any, d)) n++;
  return n;
}, 2_000);
console.log(
  `${`all ${allRules.length} production rules`.padEnd(32)} ${allNs.toFixed(0).padStart(15)} ${refAllNs.toFixed(0).padStart(20)}`,
);

const t0 = performance.now();
for (let i = 0; i < 20; i++) for (const c of allRules) compileCondition(c);
console.log(`compile all production rules: ${((performance.now() - t0) / 20).toFixed(2)} ms`);
