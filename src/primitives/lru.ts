interface Entry<V> {
  value: V;
  /** Clock reading when the entry was last moved to the most-recent end. */
  stamp: number;
}

/**
 * A bounded least-recently-used cache on top of `Map`, whose iteration order is insertion order:
 * the first entry is the one evicted when an insert goes beyond `max`.
 *
 * Promotion is lazy, to keep hits cheap (a hit would otherwise cost a `delete` plus a `set`): a hit
 * moves its entry to the most-recent end only when the entry has drifted into the older half of the
 * cache. So a hit entry always survives at least `max / 2` further inserts (exact LRU: `max - 1`).
 *
 * `undefined` is the "miss" value of `get`, so caching `undefined` itself is not meaningful.
 */
export class LruCache<K, V> {
  readonly #max: number;
  readonly #recent: number;
  readonly #map = new Map<K, Entry<V>>();
  #clock = 0;

  /** `max` is the number of entries kept; values below 1 (or not numbers) count as 1. */
  constructor(max: number) {
    this.#max = max >= 1 ? Math.floor(max) : 1;
    this.#recent = Math.max(1, Math.floor(this.#max / 2));
  }

  get(key: K): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    // At most `#clock - stamp` entries were placed after this one; below `#recent` it is still young.
    if (this.#clock - entry.stamp >= this.#recent) this.#promote(key, entry);
    return entry.value;
  }

  set(key: K, value: V): void {
    const map = this.#map;
    const entry = map.get(key);
    if (entry !== undefined) {
      entry.value = value;
      this.#promote(key, entry);
      return;
    }
    if (map.size >= this.#max) map.delete(map.keys().next().value as K);
    map.set(key, { value, stamp: ++this.#clock });
  }

  delete(key: K): void {
    this.#map.delete(key);
  }

  get size(): number {
    return this.#map.size;
  }

  #promote(key: K, entry: Entry<V>): void {
    this.#map.delete(key);
    entry.stamp = ++this.#clock;
    this.#map.set(key, entry);
  }
}
