import { describe, expect, it } from "vitest";
import { NotificationBuffer, type SealedBatch } from "../../../src/remote/notification-queue/buffer";
import { estimateBytes } from "../../../src/remote/notification-queue/estimate";
import { ItemWaiters } from "../../../src/remote/notification-queue/waiters";
import { note } from "./support";

const visitor = (n: number) => ({ id: { tntId: `tnt-${n}` }, context: { channel: "web" } });

function buffer(limits: Partial<{ batchSize: number; maxQueued: number; maxQueuedBytes: number }> = {}) {
  const drops: { dropped: number; reason: string }[] = [];
  const unserialisable: unknown[] = [];
  const b = new NotificationBuffer(
    { batchSize: 3, maxQueued: 1000, maxQueuedBytes: 1 << 30, ...limits },
    {
      onUnserialisable: (err) => unserialisable.push(err),
      onDropped: (dropped, reason) => drops.push({ dropped, reason }),
    },
  );
  /** Appends notifications for visitor `v` and returns its group. */
  const add = (v: number, ...tokens: string[]) => {
    const group = b.groupFor({ request: visitor(v) })!;
    b.append(group, tokens.map(note));
    return group;
  };
  const takeAll = () => {
    const out: SealedBatch[] = [];
    for (let batch = b.takeNext(); batch; batch = b.takeNext()) out.push(batch);
    return out;
  };
  return { b, add, takeAll, drops, unserialisable };
}

const tokens = (batches: SealedBatch[]) => batches.map((x) => x.notifications.map((n) => n.tokens![0]));

describe("NotificationBuffer grouping and sealing", () => {
  it("groups by visitor identity and session, or by the item's own batchKey", () => {
    const { b } = buffer();
    const g1 = b.groupFor({ request: visitor(1) })!;
    expect(b.groupFor({ request: visitor(1) })).toBe(g1);
    expect(b.groupFor({ request: visitor(1), sessionId: "s" })).not.toBe(g1);
    expect(b.groupFor({ request: visitor(2) })).not.toBe(g1);
    const keyed = b.groupFor({ request: visitor(3), batchKey: "k" } as never)!;
    expect(b.groupFor({ request: visitor(4), batchKey: "k" } as never)).toBe(keyed);
    expect(keyed.request).toEqual(visitor(3));
    expect(keyed.request).not.toHaveProperty("property");
    expect(b.groupCount).toBe(4);
  });

  it("computes a context key part only for a visitor that already waits, and splits on it", () => {
    const { b } = buffer();
    const computed: string[] = [];
    const item = (visitorKey: string, context: string) => ({
      request: visitor(1),
      batchKey: visitorKey,
      batchContextKey: () => (computed.push(context), context),
    });
    const x = b.groupFor(item("v", "X"))!;
    b.groupFor(item("w", "X"));
    expect(computed).toEqual([]); // a new visitor never builds the context part
    expect(b.groupFor(item("v", "X"))).toBe(x);
    expect(computed).toEqual(["X", "X"]); // the item's, then the group's (kept)
    const y = b.groupFor(item("v", "Y"))!;
    expect(y).not.toBe(x);
    expect(b.groupFor(item("v", "Y"))).toBe(y);
    expect(b.groupFor(item("v", "X"))).toBe(x);
    expect(computed.filter((c) => c === "X")).toHaveLength(3); // the group's own part only once
    expect(b.groupCount).toBe(3);
  });

  it("never merges two contexts of one visitor, whatever was sealed in between", () => {
    const { b, takeAll } = buffer({ batchSize: 50 });
    const item = (context: string) => ({ request: visitor(1), batchKey: "v", batchContextKey: () => context });
    b.append(b.groupFor(item("X"))!, [note("x1")]);
    b.append(b.groupFor(item("Y"))!, [note("y1")]);
    b.sealAll();
    b.append(b.groupFor(item("Y"))!, [note("y2")]);
    b.append(b.groupFor(item("X"))!, [note("x2")]);
    b.append(b.groupFor(item("Y"))!, [note("y3")]);
    b.sealAll();
    const batches = takeAll().map((batch) => batch.notifications.map((n) => n.tokens![0]));
    expect(batches).toEqual([["x1"], ["y1"], ["y2", "y3"], ["x2"]]);
  });

  it("refuses an item whose request cannot be serialised, through the hook", () => {
    const { b, unserialisable } = buffer();
    const context: Record<string, unknown> = {};
    context.self = context;
    expect(b.groupFor({ request: { context: context as never } })).toBeUndefined();
    expect(unserialisable).toHaveLength(1);
    expect(b.groupCount).toBe(0);
    expect(b.queuedBytes).toBe(0);
  });

  it("seals full batches of batchSize, keeps the rest grouped, numbers batches in sealing order", () => {
    const { b, add, takeAll } = buffer({ batchSize: 3 });
    const group = add(1, "a", "b");
    expect(b.sealIfDue(group)).toBe(false);
    b.append(group, ["c", "d", "e", "f", "g"].map(note));
    expect(b.sealIfDue(group)).toBe(true);
    expect(b.sealedCount).toBe(2);
    expect(b.groupCount).toBe(1);
    expect(b.queued).toBe(7);
    expect(b.oldestSealedSeq()).toBe(1);
    expect(b.nextSeq).toBe(3);
    const sealed = takeAll();
    expect(tokens(sealed)).toEqual([
      ["a", "b", "c"],
      ["d", "e", "f"],
    ]);
    expect(sealed.map((s) => s.seq)).toEqual([1, 2]);
    expect(b.oldestSealedSeq()).toBe(3);
    b.sealAll();
    expect(tokens(takeAll())).toEqual([["g"]]);
  });

  it("seals every group once batchSize visitors wait", () => {
    const { b, add, takeAll } = buffer({ batchSize: 3 });
    expect(b.sealIfDue(add(1, "a"))).toBe(false);
    expect(b.sealIfDue(add(2, "b"))).toBe(false);
    expect(b.sealIfDue(add(3, "c"))).toBe(true);
    expect(b.groupCount).toBe(0);
    expect(tokens(takeAll())).toEqual([["a"], ["b"], ["c"]]);
  });

  it("returns its byte accounting to 0 once everything is taken", () => {
    const { b, add, takeAll } = buffer({ batchSize: 2 });
    const group = add(1, "a", "b", "c");
    add(2, "d");
    expect(b.queuedBytes).toBeGreaterThan(3 * estimateBytes(note("a")));
    b.sealIfDue(group);
    b.addSpooled({ request: visitor(9), notifications: [note("s")] });
    b.dropOldest();
    b.sealAll();
    const batches = takeAll();
    expect(batches.flatMap((x) => x.notifications)).toHaveLength(4);
    expect(b.queued).toBe(0);
    expect(b.queuedBytes).toBe(0);
  });

  it("makes a request for a telemetry carrier only when nothing else waits", () => {
    const { b, add, takeAll } = buffer();
    b.carryTelemetry({ request: visitor(5) });
    b.sealAll();
    const [carrier, ...others] = takeAll();
    expect(others).toHaveLength(0);
    expect(carrier!.request).toEqual(visitor(5));
    expect(carrier!.notifications).toEqual([]);
    expect(b.queuedBytes).toBe(0);

    add(1, "a");
    b.carryTelemetry({ request: visitor(5) });
    b.sealAll();
    expect(tokens(takeAll())).toEqual([["a"]]);
    b.sealAll();
    expect(b.sealedCount).toBe(0); // the carrier was consumed by the earlier sealing
  });
});

describe("NotificationBuffer capacity", () => {
  it("drops the oldest: sealed batches first, then groups in arrival order", () => {
    const { b, add, takeAll, drops } = buffer({ batchSize: 2, maxQueued: 3 });
    b.sealIfDue(add(1, "s1", "s2"));
    add(2, "g1");
    add(3, "h1", "h2");
    expect(b.queued).toBe(5);
    b.enforceCapacity();
    expect(b.queued).toBe(3);
    expect(b.dropped).toBe(2);
    expect(drops).toEqual([
      { dropped: 1, reason: "count" },
      { dropped: 2, reason: "count" },
    ]);
    // Both drops came from the sealed batch: its notifications are gone, the groups are intact.
    expect(b.dropOldest()).toBe(true);
    expect(b.groupCount).toBe(1); // visitor 2's group emptied and removed
    b.sealAll();
    expect(tokens(takeAll())).toEqual([[], ["h1", "h2"]]);
    expect(b.queuedBytes).toBe(0);
    expect(b.dropOldest()).toBe(false);
  });

  it("drops for the bytes bound and says so", () => {
    const { b, add, drops } = buffer({ maxQueuedBytes: 1 });
    add(1, "a", "b");
    b.enforceCapacity();
    // Each drop frees a notification; the last also frees the emptied group's parts.
    expect(drops.map((d) => d.reason)).toEqual(["bytes", "bytes"]);
    expect(b.queued).toBe(0);
    expect(b.queuedBytes).toBe(0);
  });

  it("counts drops against the callers waiting and settles them when their group empties", async () => {
    const { b, add } = buffer({ maxQueued: 1 });
    const group = add(1);
    const waiters = (group.waiters = new ItemWaiters());
    const done = new Promise<void>((resolve, reject) => waiters.add(resolve, reject));
    b.append(group, [note("a"), note("b")]);
    b.enforceCapacity();
    expect(waiters.dropped).toBe(1);
    b.dropOldest();
    await expect(done).rejects.toMatchObject({
      code: "ODE_ERR_NOTIFICATION_DROPPED",
      details: { dropped: 2 },
    });
  });

  it("keeps dropping and taking in order across more than 1024 sealed batches", () => {
    const { b, add, takeAll } = buffer({ batchSize: 1, maxQueued: 5000 });
    for (let i = 0; i < 1500; i++) b.sealIfDue(add(1, `t${i}`));
    for (let i = 0; i < 1100; i++) b.takeNext();
    for (let i = 0; i < 10; i++) b.dropOldest();
    const rest = takeAll();
    expect(rest).toHaveLength(400);
    expect(rest.filter((x) => x.notifications.length > 0)[0]!.notifications[0]!.tokens).toEqual(["t1110"]);
    expect(rest.map((x) => x.seq)).toEqual(Array.from({ length: 400 }, (_, i) => 1101 + i));
    expect(b.queued).toBe(0);
    expect(b.queuedBytes).toBe(0);
  });
});
