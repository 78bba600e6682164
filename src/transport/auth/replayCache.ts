/**
 * Remembers JWT ids (`jti`) until their token can no longer be accepted, so a captured token cannot
 * be sent twice. The interface is async and check-and-store in one step, so a shared store (e.g.
 * Redis `SET key 1 NX EXAT t`) can replace the in-memory one when the service runs as several processes.
 */
export type ReplayVerdict = 'new' | 'seen' | 'full';

export interface ReplayCache {
  /**
   * Records `key` until `expiresAt` (seconds since the epoch) unless it is already recorded and
   * unexpired. 'new' = first use (now recorded), 'seen' = replay, 'full' = cannot record (caller refuses).
   */
  checkAndStore(key: string, expiresAt: number, now: number): Promise<ReplayVerdict>;
}

export const DEFAULT_REPLAY_CACHE_MAX_ENTRIES = 100_000;

export class InMemoryReplayCache implements ReplayCache {
  private readonly entries = new Map<string, number>();
  private readonly maxEntries: number;
  private nextPruneAt = 0;

  constructor(options: { maxEntries?: number } = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_REPLAY_CACHE_MAX_ENTRIES;
  }

  get size(): number {
    return this.entries.size;
  }

  checkAndStore(key: string, expiresAt: number, now: number): Promise<ReplayVerdict> {
    // Sweep expired entries now and then, so memory follows traffic rather than the size bound.
    if (now >= this.nextPruneAt) {
      this.prune(now);
      this.nextPruneAt = now + 60;
    }
    const known = this.entries.get(key);
    if (known !== undefined && known > now) return Promise.resolve('seen');
    if (known === undefined && this.entries.size >= this.maxEntries) {
      this.prune(now);
      // Evicting a live entry would let that token be replayed, so a full cache refuses instead
      // (fails closed). Entries live at most the maximum token age, which bounds how long this lasts.
      if (this.entries.size >= this.maxEntries) return Promise.resolve('full');
    }
    this.entries.set(key, expiresAt);
    return Promise.resolve('new');
  }

  private prune(now: number): void {
    for (const [key, expiresAt] of this.entries) if (expiresAt <= now) this.entries.delete(key);
  }
}
