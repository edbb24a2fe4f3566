/** compileArtifact on the production artifact and on a 10× synthetic one (the cost of an update). */
import { compileArtifact } from "../../src/engine/compile";
import { loadProductionArtifactText, scaleArtifact } from "../lib/artifacts";
import type { MicroCase } from "./micro";

function compileOf(factor: number): () => (i: number) => unknown {
  return () => {
    const base = JSON.parse(loadProductionArtifactText());
    const artifacts = [scaleArtifact(base, factor), scaleArtifact(base, factor)];
    return (i) => compileArtifact(artifacts[i & 1] as any).ruleCount;
  };
}

export const cases: MicroCase[] = [
  {
    name: "compile: compileArtifact, production artifact (152 rules)",
    setup: compileOf(1),
    batch: 1,
    budgetMs: 1000,
  },
  {
    name: "compile: compileArtifact, 10× artifact (1,520 rules)",
    setup: compileOf(10),
    batch: 1,
    budgetMs: 1500,
  },
];
