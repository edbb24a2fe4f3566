/** The change-feed sync over a feed kept in memory (the repository-backed feed is tested with the server). */
import { describe, expect, it } from "vitest";
import {
  createCatalogSync,
  type CatalogChange,
  type CatalogFeed,
} from "../../src/offers/catalog-sync";
import type { CatalogInstance } from "../../src/offers/core/catalog";
import { CatalogBuilder } from "./support";

class MemoryFeed implements CatalogFeed {
  readonly data = new Map<string, Map<string, CatalogInstance>>();
  readonly log: CatalogChange[] = [];
  reads = 0;

  write(containerId: string, instance: CatalogInstance, kind: CatalogChange["kind"] = "update"): void {
    let c = this.data.get(containerId);
    if (!c) this.data.set(containerId, (c = new Map()));
    if (kind === "delete") c.delete(instance.instanceId);
    else c.set(instance.instanceId, structuredClone(instance));
    this.log.push({ seq: this.log.length + 1, containerId, instanceId: instance.instanceId, kind });
  }
  async containerIds() {
    return [...this.data.keys()];
  }
  async instances(containerId: string) {
    this.reads++;
    return [...(this.data.get(containerId)?.values() ?? [])];
  }
  async instance(containerId: string, instanceId: string) {
    this.reads++;
    return this.data.get(containerId)?.get(instanceId);
  }
  async changesSince(seq: number, limit: number) {
    return this.log.filter((c) => c.seq > seq).slice(0, limit);
  }
}

describe("catalog sync", () => {
  it("loads every container, then follows creates, updates and deletes", async () => {
    const b = new CatalogBuilder("c1");
    const p = b.placement();
    const o = b.offer({ placements: [p], priority: 1 });
    const feed = new MemoryFeed();
    for (const i of b.instances) feed.write("c1", i, "create");
    feed.write("empty", { instanceId: "x", schemas: [], "repo:etag": 1, _instance: {} }, "create");
    const sync = createCatalogSync(feed, { batchSize: 2, pollIntervalMs: 60_000 });
    await sync.start();
    expect(sync.get("c1")!.offer(o)!.priority).toBe(1);
    expect(sync.get("empty")).toBeDefined();
    expect(sync.seq).toBe(feed.log.length);

    const changed = structuredClone(b.instance(o));
    (changed._instance["xdm:rank"] as Record<string, number>)["xdm:priority"] = 7;
    changed["repo:etag"] = 2;
    feed.write("c1", changed);
    const added = { ...structuredClone(b.instance(o)), instanceId: "new-offer" };
    added._instance["@id"] = "xcore:personalized-offer:new";
    feed.write("c2", added, "create");
    expect(await sync.poll()).toBe(2);
    expect(sync.get("c1")!.offer(o)!.priority).toBe(7);
    expect(sync.get("c2")!.offer("xcore:personalized-offer:new")).toBeDefined();

    feed.write("c1", changed, "delete");
    await sync.poll();
    expect(sync.get("c1")!.offer(o)).toBeUndefined();
    sync.stop();
  });

  it("polls on its own and reports feed failures without losing its indexes", async () => {
    const b = new CatalogBuilder("c1");
    const p = b.placement();
    const feed = new MemoryFeed();
    for (const i of b.instances) feed.write("c1", i, "create");
    const errors: unknown[] = [];
    const sync = createCatalogSync(feed, { pollIntervalMs: 20, onError: (e) => errors.push(e) });
    await sync.start();
    const original = feed.changesSince.bind(feed);
    feed.changesSince = async () => {
      throw new Error("database gone");
    };
    await new Promise((r) => setTimeout(r, 100));
    expect(errors.length).toBeGreaterThan(0);
    expect(sync.get("c1")!.placement(p)).toBeDefined();
    feed.changesSince = original;
    const o = b.offer({ placements: [p] });
    feed.write("c1", b.instance(o), "create");
    await expect.poll(() => sync.get("c1")!.offer(o), { timeout: 2000 }).toBeDefined();
    sync.stop();
  });
});
