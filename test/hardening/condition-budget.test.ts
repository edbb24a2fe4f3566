/**
 * Issue 10, item 6: the cost of a condition is bounded. A short condition whose work doubles per
 * element (`reduce` merging its accumulator with itself), or grows by nested map/merge, stops at the
 * evaluation budget: it throws ODE_ERR_CONDITION_BUDGET, its rule does not match, the decision
 * goes on with the next rule.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TargetClient } from "../../src/index";
import { CONDITION_BUDGET, compileCondition } from "../../src/engine/conditions";
import { DecisioningError } from "../../src/errors";
import { anArtifact, urlContains } from "../../src/testing/index";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CLIENT, ORG, memoryLogger } from "../client/support";
import { postDelivery } from "../server/support";
import { startCapturedService } from "./support";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Doubles an array `n` times: 2^n elements (2^20 ≈ 1M: slow but finishing without a budget). */
const doubling = (n: number) => ({ reduce: [range(n), { merge: [{ var: "accumulator" }, { var: "accumulator" }] }, [1]] });
/** Nested map over merge: every level multiplies the element size by 4. */
function mapMerge(levels: number): unknown {
  let c: unknown = [range(8)];
  for (let i = 0; i < levels; i++) c = { map: [c, { merge: [{ var: "" }, { var: "" }, { var: "" }, { var: "" }] }] };
  return c;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe("compileCondition evaluation budget", () => {
  it("stops a doubling reduce with ODE_ERR_CONDITION_BUDGET", () => {
    const err = thrown(() => compileCondition({ "!!": [doubling(40)] })({}));
    expect(DecisioningError.is(err)).toBe(true);
    expect((err as DecisioningError).code).toBe("ODE_ERR_CONDITION_BUDGET");
  });

  it("stops nested map/merge growth (a few hundred bytes of condition)", () => {
    const cond = { "==": [{ var: "mbox.x" }, { cat: [mapMerge(12)] }] };
    expect(JSON.stringify(cond).length).toBeLessThan(1000);
    expect((thrown(() => compileCondition(cond)({ mbox: { x: "1" } })) as DecisioningError).code).toBe("ODE_ERR_CONDITION_BUDGET");
  });

  it("resets the budget for every evaluation and leaves ordinary conditions alone", () => {
    const small = compileCondition({ some: [{ var: "list" }, { "==": [{ var: "" }, 3] }] });
    const list = range(CONDITION_BUDGET / 2);
    for (let i = 0; i < 5; i++) expect(small({ list: [...list.slice(0, 10), 3] })).toBe(true);
    // Half the budget per call, many calls: never exhausted across calls.
    for (let i = 0; i < 5; i++) expect(small({ list })).toBe(true);
    expect(compileCondition({ "==": [1, 1] })({})).toBe(true);
  });

  it("bounds cat of ever longer text", () => {
    const cond = { reduce: [range(40), { cat: [{ var: "accumulator" }, { var: "accumulator" }] }, "xxxxxxxx"] };
    expect((thrown(() => compileCondition(cond)({})) as DecisioningError).code).toBe("ODE_ERR_CONDITION_BUDGET");
  });
});

const clients: TargetClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe("a costly rule does not match (client)", () => {
  it("skips the rule whose condition exceeds the budget and decides with the next one", async () => {
    const artifact = anArtifact({ client: CLIENT, organizationId: ORG })
      .xtActivity({
        id: 7,
        name: "Bomb",
        mbox: "hero",
        experiences: [
          { name: "Costly", audience: urlContains("/never"), json: { hero: "costly" } },
          { name: "Default", json: { hero: "default" } },
        ],
      })
      .build() as any;
    // A condition that is true when evaluated to the end (2^20 elements, about a second of work
    // before the budget existed).
    artifact.rules.mboxes.hero[0].condition = { "!!": [doubling(20)] };
    const { lines, logger } = memoryLogger();
    const client = TargetClient.create({
      client: CLIENT,
      organizationId: ORG,
      decisioningMethod: "on-device",
      artifactPayload: artifact,
      targetLocationHint: "28",
      pollingInterval: 0,
      logger,
    });
    clients.push(client);
    await client.ready({ timeout: 2000 });
    const result = await client.getOffers({ request: { execute: { mboxes: [{ name: "hero", index: 1 }] } } });
    expect(result.response.execute!.mboxes![0]!.options![0]!.content).toEqual({ hero: "default" });
    // Counted and logged (one warn line for the decision).
    expect(client.status().conditionsOverBudget).toBe(1);
    expect(lines.filter((l) => l.startsWith("warn") && l.includes("ODE_ERR_CONDITION_BUDGET"))).toHaveLength(1);
  });

  it("the service counts it in odd_rule_conditions_over_budget_total", async () => {
    const artifact = anArtifact({ client: "demo", organizationId: "DEMO@AdobeOrg" })
      .abActivity({ id: 8, name: "Bomb", mbox: "hero", experiences: [{ name: "Only", json: { hero: 1 } }] })
      .build() as any;
    artifact.rules.mboxes.hero[0].condition = { "!!": [doubling(30)] };
    const dir = mkdtempSync(path.join(tmpdir(), "odd-budget-"));
    const file = path.join(dir, "rules.json");
    writeFileSync(file, JSON.stringify(artifact));
    const service = await startCapturedService({ artifact: file, method: "on-device", upstream: "off" });
    try {
      const res = await postDelivery(service.url, { execute: { mboxes: [{ name: "hero", index: 1 }] } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toMatch(/^odd_rule_conditions_over_budget_total 1$/m);
    } finally {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
