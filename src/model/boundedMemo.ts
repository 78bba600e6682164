/**
 * Values computed from a string key and kept for the next call, bounded: for pure computations on the hot
 * path (dates, drug texts, keyed hashes, URL checks) whose inputs repeat from call to call; the value must
 * never be changed by whoever gets it.
 *
 * Two generations rather than a strict least-recently-used list, so that a hit writes nothing: moving a
 * hit to the end of one Map (delete + set) stored each request's fresh key string in this long-lived Map,
 * and an old object's references keep young ones alive through every young-generation collection (for a
 * patient-view, ~10 KB of date strings a call copied and promoted). When the current generation is full
 * it becomes the previous one, and what was not used since goes; a hit in the previous generation moves
 * back into the current one.
 */
export class BoundedMemo<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();
  private readonly perGeneration: number;

  /** At most `maxEntries` remembered (half in each generation, at least one). */
  constructor(maxEntries: number) {
    this.perGeneration = Math.max(1, Math.floor(maxEntries / 2));
  }

  /** The value of `key`: remembered, or made by `make` now and remembered. */
  get(key: string, make: (key: string) => V): V {
    const known = this.current.get(key);
    if (known !== undefined || this.current.has(key)) return known as V;
    let value: V;
    const before = this.previous.get(key);
    if (before !== undefined || this.previous.has(key)) {
      this.previous.delete(key);
      value = before as V;
    } else value = make(key);
    if (this.current.size >= this.perGeneration) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
    return value;
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }
}
