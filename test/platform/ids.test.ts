import { describe, expect, it } from "vitest";
import { randomId } from "../../src/platform/ids";

describe("randomId", () => {
  it("renders 32 lower-case hex characters of a v4 uuid, unique per call", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    }
  });
});
