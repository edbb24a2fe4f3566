/**
 * The artifact cache storage for Node: one file per key in a directory. Writes go to a temporary
 * file in the same directory and are renamed over the target, so a reader (or a crash) never sees
 * a half-written entry. Runtimes without a filesystem pass their own ArtifactCacheStorage.
 */
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ArtifactCacheStorage } from "./cache";

let tmpCounter = 0;

export function createDirectoryStorage(dir: string): ArtifactCacheStorage {
  return {
    async get(key) {
      try {
        return await readFile(join(dir, key), "utf8");
      } catch (err) {
        if ((err as { code?: string }).code === "ENOENT") return undefined;
        throw err;
      }
    },
    async set(key, value) {
      await mkdir(dir, { recursive: true });
      const target = join(dir, key);
      const tmp = `${target}.${process.pid}.${++tmpCounter}.tmp`;
      try {
        await writeFile(tmp, value, "utf8");
        await rename(tmp, target);
      } catch (err) {
        await unlink(tmp).catch(() => {});
        throw err;
      }
    },
  };
}
