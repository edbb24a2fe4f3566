/** One compiled rule condition against a rule context: an A/B split and an audience rule. */
import { compileCondition } from "../../src/engine/conditions";
import { createBaseContext, createRuleContext } from "../../src/engine/context";
import { loadProductionArtifactText } from "../lib/artifacts";
import type { MicroCase } from "./micro";

function ruleCase(
  name: string,
  mbox: string,
  ruleIndex: number,
  url: string,
  parameters: Record<string, unknown>,
): MicroCase {
  return {
    name,
    setup: () => {
      const artifact = JSON.parse(loadProductionArtifactText());
      const condition = compileCondition(artifact.rules.mboxes[mbox][ruleIndex].condition);
      const base = createBaseContext({ context: { channel: "web", address: { url } } } as any, Date.now());
      const ctx = createRuleContext(base, { name: mbox, parameters } as any) as unknown as Record<
        string,
        unknown
      >;
      return (i) => {
        ctx.allocation = (i % 10000) / 100;
        return condition(ctx);
      };
    },
    batch: 10_000,
  };
}

export const cases: MicroCase[] = [
  ruleCase("rule: A/B split (perf-mbox, allocation range)", "perf-mbox", 0, "https://www.adobe.com/", {}),
  ruleCase(
    "rule: audience (mbox-urlcontains: TLD + domain + subdomain + query)",
    "mbox-urlcontains",
    4,
    "http://pied.piper.decentralized.test.hooli.com/?implementation=psl",
    {},
  ),
  ruleCase(
    "rule: audience (mbox-params: 3 lower-cased parameters)",
    "mbox-params",
    2,
    "https://www.adobe.com/",
    {
      "first.programming.language": "Racket",
      "favorite.color": "Red",
      "favorite.movie": "The Big Lebowski",
    },
  ),
];
