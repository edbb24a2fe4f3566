/** The bounded walk and the request checks of src/client/request-guard.ts and src/primitives/json-bounds.ts, on their own. */
import { describe, expect, it } from "vitest";
import { DecisioningError } from "../../src/errors";
import { checkDeliveryInput, MAX_REQUEST_DEPTH } from "../../src/client/request-guard";
import { findBoundsViolation, isWellFormedString } from "../../src/primitives/json-bounds";
import { nested } from "./arbitraries";

function rejection(fn: () => void): DecisioningError {
  try {
    fn();
  } catch (e) {
    expect(DecisioningError.is(e)).toBe(true);
    return e as DecisioningError;
  }
  throw new Error("expected a rejection");
}

describe("findBoundsViolation", () => {
  it("finds depth, lone surrogates (values and keys), non-JSON types and too many values", () => {
    expect(findBoundsViolation(nested(20_000), { maxDepth: 10 })).toMatchObject({ reason: "depth" });
    expect(findBoundsViolation(nested(10), { maxDepth: 10 })).toBeUndefined();
    expect(findBoundsViolation(nested(11), { maxDepth: 10 })).toMatchObject({ reason: "depth" });
    expect(findBoundsViolation({ a: ["ok", "\uD83D"] }, { maxDepth: 5 })).toMatchObject({ reason: "string", path: "$.a[1]" });
    expect(findBoundsViolation({ ["\uDE00"]: 1 }, { maxDepth: 5 })).toMatchObject({ reason: "string" });
    expect(findBoundsViolation({ a: 1n }, { maxDepth: 5 })).toMatchObject({ reason: "type", path: "$.a" });
    expect(findBoundsViolation({ f: () => 1 }, { maxDepth: 5 })).toMatchObject({ reason: "type" });
    expect(findBoundsViolation(new Array(100).fill(0), { maxDepth: 5, maxNodes: 50 })).toMatchObject({ reason: "nodes" });
    expect(findBoundsViolation({ emoji: "😀", n: NaN, u: undefined, z: null }, { maxDepth: 5 })).toBeUndefined();
  });

  it("shortens the path of a deep violation", () => {
    const v = findBoundsViolation(nested(100, 1, "object"), { maxDepth: 50 })!;
    expect(v.path.length).toBeLessThan(120);
    expect(v.message).toContain(v.path);
  });

  it("knows well-formed UTF-16", () => {
    expect(isWellFormedString("a😀b")).toBe(true);
    expect(isWellFormedString("a\uD800")).toBe(false);
    expect(isWellFormedString("\uDC00a")).toBe(false);
  });
});

describe("checkDeliveryInput", () => {
  const cases: [string, unknown, string][] = [
    ["customerIds [null]", { request: { id: { customerIds: [null] } } }, "type"],
    ["customerIds not an array", { request: { id: { customerIds: "x" } } }, "type"],
    ["id not an object", { request: { id: "abc" } }, "type"],
    ["a lone surrogate in tntId", { request: { id: { tntId: "a\uD800" } } }, "string"],
    ["a lone surrogate in an mbox name", { request: { execute: { mboxes: [{ name: "\uDC00" }] } } }, "string"],
    ["a lone surrogate in a view name", { request: { prefetch: { views: [{ name: "v\uD800" }] } } }, "string"],
    ["context 20,000 deep", { request: { context: nested(20_000, 1, "object") } }, "depth"],
    ["id 20,000 deep", { request: { id: nested(20_000) } }, "depth"],
    ["a notification 20,000 deep", { request: { notifications: [nested(20_000, 1, "object")] } }, "depth"],
    ["an object sessionId", { sessionId: Object.create(null), request: {} }, "type"],
    ["a bigint", { request: { context: { n: 1n } } }, "type"],
    ["context.geo not an object", { request: { context: { geo: "x" } } }, "type"],
    ["notifications not an array", { request: { notifications: {} } }, "type"],
  ];
  for (const [name, input, reason] of cases) {
    it(`rejects ${name} (ODE_ERR_INVALID_REQUEST, reason ${reason})`, () => {
      const err = rejection(() => checkDeliveryInput(input));
      expect(err.code).toBe("ODE_ERR_INVALID_REQUEST");
      expect(err.details?.reason).toBe(reason);
    });
  }

  it("accepts ordinary requests, and leaves what the reference drops to later code", () => {
    checkDeliveryInput({
      sessionId: "s1",
      targetCookie: "session#abc|PC#x.28_0#1",
      request: {
        id: { tntId: "x", customerIds: [{ id: "1", integrationCode: "crm" }] },
        context: { channel: "web", address: { url: "https://a.example/😀" }, geo: { latitude: 1 } },
        execute: { mboxes: [{ name: "" }, null, { name: 5 }] },
        notifications: [{}],
      },
    });
    checkDeliveryInput({ request: { context: nested(MAX_REQUEST_DEPTH - 2, 1, "object") } });
    checkDeliveryInput({ request: {}, callback: () => 1, visitor: { getState: () => ({}) } });
    checkDeliveryInput(undefined);
    checkDeliveryInput({ request: null });
  });
});
