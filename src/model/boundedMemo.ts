/**
 * Values computed from a string key and kept for the next call, bounded: when full, the least recently
 * used entry goes first. For pure computations on the hot path (dates, drug texts, keyed hashes, URL
 * checks) whose inputs repeat from call to call; the value must never be changed by whoever gets it.
 */
export class BoundedMemo<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly maxEntries: number) {}

  /** The value of `key`: remembered, or made by `make` now and remembered. */
  get(key: string, make: (key: string) => V): V {
    const known = this.entries.get(key);
    if (known !== undefined || this.entries.has(key)) {
      // Most recently used goes last (a Map keeps insertion order).
      this.entries.delete(key);
      this.entries.set(key, known as V);
      return known as V;
    }
    const made = make(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, made);
    return made;
  }

  get size(): number {
    return this.entries.size;
  }
}
