import { describe, expect, it } from "vitest";
import { ArtifactState } from "../../src/artifact/artifact-state";
import { createSafeLogger } from "../../src/logger";
import { anArtifact } from "./support";

const artifact = anArtifact() as Parameters<ArtifactState<number>["adopt"]>[0];

describe("ArtifactState", () => {
  it("adopts artifacts as frozen records with a growing retrieval count", () => {
    const state = new ArtifactState<number>("https://cdn.example/rules.json", createSafeLogger());
    const first = state.adopt(artifact, 1, { source: "http", etag: '"a"', retrievedAt: 10 });
    const second = state.adopt(artifact, 2, { source: "cache", retrievedAt: 20 });
    expect(first).toMatchObject({ compiled: 1, etag: '"a"', retrievalCount: 1, location: "https://cdn.example/rules.json" });
    expect(second).toMatchObject({ compiled: 2, source: "cache", retrievalCount: 2 });
    expect(second).not.toHaveProperty("etag");
    expect(Object.isFrozen(second)).toBe(true);
    expect(state.current).toBe(second);
    state.confirm(30, "http");
    expect(state.current).toMatchObject({ compiled: 2, retrievedAt: 30, source: "http", retrievalCount: 2 });
  });

  it("resolves waiters and listeners on notify, guards throwing listeners, rejects waiters on demand", async () => {
    const logs: unknown[] = [];
    const state = new ArtifactState<number>("loc", createSafeLogger({ warn: (...a: unknown[]) => logs.push(a) } as never));
    const ready = state.whenReady();
    const seen: number[] = [];
    const stop = state.onUpdate((a) => seen.push(a.compiled));
    state.onUpdate(() => {
      throw new Error("boom");
    });
    const record = state.adopt(artifact, 7, { source: "payload", retrievedAt: 0 });
    state.notify(record);
    await expect(ready).resolves.toBe(record);
    expect(seen).toEqual([7]);
    expect(logs).toHaveLength(1);
    stop();
    state.notify(record);
    expect(seen).toEqual([7]);
    const fresh = new ArtifactState<number>("loc", createSafeLogger());
    const waiting = fresh.whenReady();
    fresh.rejectWaiters(new Error("closed") as never);
    await expect(waiting).rejects.toThrow("closed");
  });

  it("reports a stale artifact once, and never without an age limit", () => {
    const state = new ArtifactState<number>("loc", createSafeLogger());
    const stale: number[] = [];
    expect(state.checkStale(100, 10, (age) => stale.push(age))).toBe(false);
    state.adopt(artifact, 1, { source: "http", retrievedAt: 0 });
    expect(state.checkStale(5, 10, (age) => stale.push(age))).toBe(false);
    expect(state.checkStale(50, 10, (age) => stale.push(age))).toBe(true);
    expect(state.checkStale(60, 10, (age) => stale.push(age))).toBe(true);
    expect(stale).toEqual([50]);
    expect(state.checkStale(1e9, undefined, (age) => stale.push(age))).toBe(false);
  });
});
