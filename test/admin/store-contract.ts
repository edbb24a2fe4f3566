import { describe, expect, it } from "vitest";
import type { AdminStore } from "../../src/admin/store";

/** The contract every AdminStore adapter meets. `open` gives a fresh, empty store. */
export function adminStoreContract(name: string, open: () => Promise<AdminStore>, close?: (s: AdminStore) => Promise<void>) {
  const withStore = (fn: (store: AdminStore) => Promise<void>) => async () => {
    const store = await open();
    try {
      await fn(store);
    } finally {
      await (close ?? ((s) => s.close()))(store);
    }
  };

  describe(`AdminStore contract: ${name}`, () => {
    it(
      "puts, gets, lists in numeric id order and removes",
      withStore(async (store) => {
        await store.transaction("t1", async (tx) => {
          await tx.put("offer", "10", { id: 10, name: "ten" });
          await tx.put("offer", "9", { id: 9, name: "nine" });
          await tx.put("offer", "100", { id: 100, name: "hundred" });
        });
        await store.transaction("t1", async (tx) => {
          expect(await tx.get("offer", "9")).toEqual({ id: 9, name: "nine" });
          expect((await tx.list("offer")).map((d) => d.id)).toEqual([9, 10, 100]);
          expect(await tx.remove("offer", "10")).toBe(true);
          expect(await tx.remove("offer", "10")).toBe(false);
        });
        await store.transaction("t1", async (tx) => {
          expect(await tx.get("offer", "10")).toBeUndefined();
          expect(await tx.list("audience")).toEqual([]);
        });
      }),
    );

    it(
      "reads inside a transaction see its own writes; a failed transaction writes nothing",
      withStore(async (store) => {
        await store.transaction("t1", async (tx) => tx.put("audience", "1", { id: 1, name: "kept" }));
        await expect(
          store.transaction("t1", async (tx) => {
            await tx.put("audience", "2", { id: 2 });
            await tx.put("audience", "1", { id: 1, name: "changed" });
            await tx.remove("audience", "1");
            expect(await tx.get("audience", "1")).toBeUndefined();
            expect((await tx.list("audience")).map((d) => d.id)).toEqual([2]);
            throw new Error("boom");
          }),
        ).rejects.toThrow("boom");
        await store.transaction("t1", async (tx) => {
          expect(await tx.list("audience")).toEqual([{ id: 1, name: "kept" }]);
        });
      }),
    );

    it(
      "tenants are isolated and listed",
      withStore(async (store) => {
        await store.transaction("a", async (tx) => tx.put("offer", "1", { owner: "a" }));
        await store.transaction("b", async (tx) => tx.put("offer", "1", { owner: "b" }));
        await store.transaction("a", async (tx) => expect(await tx.get("offer", "1")).toEqual({ owner: "a" }));
        expect(await store.tenants()).toEqual(["a", "b"]);
      }),
    );

    it(
      "stored documents are copies: mutating an input or an output changes nothing",
      withStore(async (store) => {
        const doc = { id: 1, nested: { x: 1 } };
        await store.transaction("t", async (tx) => tx.put("offer", "1", doc));
        doc.nested.x = 2;
        await store.transaction("t", async (tx) => {
          const got = (await tx.get("offer", "1"))!;
          expect(got).toEqual({ id: 1, nested: { x: 1 } });
          (got.nested as { x: number }).x = 3;
        });
        await store.transaction("t", async (tx) => expect(await tx.get("offer", "1")).toEqual({ id: 1, nested: { x: 1 } }));
      }),
    );

    it(
      "concurrent transactions of a tenant do not lose updates (read-modify-write counter)",
      withStore(async (store) => {
        await Promise.all(
          Array.from({ length: 20 }, () =>
            store.transaction("t", async (tx) => {
              const current = ((await tx.get("sequence", "n"))?.value as number | undefined) ?? 0;
              await new Promise((r) => setTimeout(r, 1));
              await tx.put("sequence", "n", { value: current + 1 });
            }),
          ),
        );
        await store.transaction("t", async (tx) => expect(await tx.get("sequence", "n")).toEqual({ value: 20 }));
      }),
    );

    it(
      "keeps unicode, large documents and string ids",
      withStore(async (store) => {
        const big = { text: "ä€𝄞".repeat(50_000), list: Array.from({ length: 1000 }, (_, i) => i) };
        await store.transaction("t", async (tx) => tx.put("responseToken", "profile.tier", big));
        await store.transaction("t", async (tx) => expect(await tx.get("responseToken", "profile.tier")).toEqual(big));
      }),
    );
  });
}
