import { describe, expect, it } from "vitest";
import { assembleResult, collectDetails, visitorState } from "../../src/client/result";

const NOW = 1_700_000_000_000;

describe("assembleResult", () => {
  it("builds the reference's result with meta beside it, and names the edge cluster that answered", () => {
    const request = { id: { tntId: "t.28_0" } };
    const response = { status: 200, id: { tntId: "t.28_0" }, edgeHost: "mboxedge31.tt.omtrdc.net" };
    const { result, edgeCluster } = assembleResult(
      {
        request,
        response,
        call: { sessionId: "s", cluster: undefined },
        method: "hybrid",
        dependency: { remoteNeeded: true, remoteMboxes: ["r"], remoteViews: [] },
      },
      "ORG@AdobeOrg",
      NOW,
    );
    expect(edgeCluster).toBe("31");
    expect(result.response).toBe(response);
    expect(result.meta).toEqual({ decisioningMethod: "hybrid", remoteMboxes: ["r"], remoteViews: [] });
    expect(result.targetCookie?.name).toBe("mbox");
    expect(result.targetLocationHintCookie).toMatchObject({ name: "mboxEdgeCluster", value: "31" });
    expect(result.visitorState).toEqual({ "ORG@AdobeOrg": {} });
  });

  it("reports empty remote lists when no artifact was consulted", () => {
    const { result } = assembleResult(
      { request: {}, response: {}, call: { sessionId: "s", cluster: "28" }, method: "server-side", dependency: undefined },
      "O",
      NOW,
    );
    expect(result.meta).toEqual({ decisioningMethod: "server-side", remoteMboxes: [], remoteViews: [] });
    expect(result.targetLocationHintCookie?.value).toBe("28");
  });
});

describe("visitorState and collectDetails", () => {
  it("keys the SDID and customer ids by organization", () => {
    const state = visitorState(
      {
        experienceCloud: { analytics: { supplementalDataId: "SD" } },
        id: { customerIds: [{ id: "c", integrationCode: "crm", authenticatedState: "authenticated" }] },
      },
      "O",
    );
    expect(state).toEqual({ O: { sdid: { supplementalDataIDCurrent: "SD" }, customerIDs: { crm: { id: "c", authState: "authenticated" } } } });
  });

  it("collects analytics, traces and response tokens in the reference's order", () => {
    const details = collectDetails({
      execute: { mboxes: [{ name: "a", analytics: { x: 1 }, options: [{ responseTokens: { t: 1 } }] }] },
      prefetch: { views: [{ name: "v", trace: { y: 2 } }] },
    });
    expect(details).toEqual({ analyticsDetails: [{ x: 1 }], trace: [{ y: 2 }], responseTokens: [{ t: 1 }] });
    expect(collectDetails({})).toEqual({});
  });
});
