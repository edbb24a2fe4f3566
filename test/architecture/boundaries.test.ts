import path from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

/**
 * The layer allowlist (eslint.boundaries.mjs) is enforced by the project's own ESLint config:
 * these cases lint source text as if it were a file of a given layer, through ESLint's Node API.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const eslint = new ESLint({ cwd: root });

async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages.filter((m) => m.ruleId === "boundaries/element-types").map((m) => m.message);
}

describe("layer boundaries", () => {
  it("rejects the engine importing the remote layer", async () => {
    const errors = await boundaryErrors(
      "src/engine/wrong-direction.ts",
      'import { createGeoResolver } from "../remote/geo";\nexport const x = createGeoResolver;\n',
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/engine.*remote/);
  });

  it("rejects artifact and remote importing each other", async () => {
    expect(
      await boundaryErrors("src/artifact/wrong.ts", 'import { createDeliveryClient } from "../remote/delivery-client";\nexport const x = createDeliveryClient;\n'),
    ).toHaveLength(1);
    expect(
      await boundaryErrors("src/remote/wrong.ts", 'import { createPoller } from "../artifact/poller";\nexport const x = createPoller;\n'),
    ).toHaveLength(1);
  });

  it("rejects the server reaching past the client into the engine", async () => {
    expect(
      await boundaryErrors("src/server/wrong.ts", 'import { decide } from "../engine/decide";\nexport const x = decide;\n'),
    ).toHaveLength(1);
  });

  it("accepts the directions the allowlist names", async () => {
    expect(
      await boundaryErrors("src/engine/right.ts", 'import { DecisioningError } from "../errors";\nimport type { DeliveryRequest } from "../protocol/delivery";\nexport type R = DeliveryRequest;\nexport const e = DecisioningError;\n'),
    ).toEqual([]);
    expect(
      await boundaryErrors("src/server/right.ts", 'import { TargetClient } from "../client";\nexport const c = TargetClient;\n'),
    ).toEqual([]);
    expect(
      await boundaryErrors("src/client/right.ts", 'import { decide } from "../engine/decide";\nexport const d = decide;\n'),
    ).toEqual([]);
  });
});
