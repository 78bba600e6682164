import { createHash } from 'node:crypto';

/**
 * Remembers JWT ids (`jti`) until their token can no longer be accepted, so a captured token cannot
 * be sent twice. The interface is async and check-and-store in one step: `StoreReplayCache` keeps the
 * ids in the service's store (PostgreSQL: shared by every instance) in one round trip.
 */
export type ReplayVerdict = 'new' | 'seen' | 'full';

export interface ReplayCache {
  /**
   * Records `key` until `expiresAt` (seconds since the epoch) unless it is already recorded and
   * unexpired. 'new' = first use (now recorded), 'seen' = replay, 'full' = cannot record (caller refuses).
   */
  checkAndStore(key: string, expiresAt: number, now: number): Promise<ReplayVerdict>;
}

const DEFAULT_REPLAY_CACHE_MAX_ENTRIES = 100_000;

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

/** The part of the store the replay check needs (src/store/store.ts implements it). */
export interface ReplayStore {
  /** Several keys in one statement; verdicts in order (src/store/store.ts). */
  checkAndStoreJtis(items: ReadonlyArray<{ key: string; expiresAt: number }>, now: number): Promise<ReplayVerdict[]>;
  pruneJtis(now: number): Promise<number>;
}

export interface ReplayStoreHealth {
  readonly up: boolean;
  failed(operation: string, err: unknown): void;
  succeeded(): void;
}

/**
 * The replay cache in the store: one INSERT … ON CONFLICT … RETURNING per token, so with PostgreSQL a
 * `jti` accepted by one instance is refused by every other. Keys are hashed (bounded, no NUL bytes).
 * While the store is down the instance falls back to its own in-memory cache (replays to *this*
 * instance are still refused; hook calls keep being answered), and asks the store again after
 * STORE_RETRY_SECONDS, so a store that times out costs one request the timeout, not every request.
 * Expired entries are deleted now and then, off the request path.
 */
export const STORE_RETRY_SECONDS = 5;

/** At most this many keys per statement (the store's multi-row insert holds 200 rows). */
const MAX_BATCH = 200;

interface PendingCheck {
  key: string;
  expiresAt: number;
  now: number;
  resolve: (verdict: ReplayVerdict) => void;
  reject: (err: unknown) => void;
}

export class StoreReplayCache implements ReplayCache {
  private nextPruneAt = 0;
  /**
   * Checks that arrived in the same turn of the event loop, written in ONE statement at its end: under
   * load a statement (a transaction, in SQLite a WAL write) per call cost as much as verifying the
   * signature (`npm run bench`); alone, a check waits one setImmediate.
   */
  private pending: PendingCheck[] = [];
  private flushScheduled = false;
  /** After a failure, calls skip the store (no connect timeout on the request path) until this time. */
  private skipStoreUntil = 0;

  constructor(
    private readonly store: ReplayStore,
    private readonly health: ReplayStoreHealth,
    private readonly fallback: ReplayCache = new InMemoryReplayCache(),
  ) {}

  async checkAndStore(key: string, expiresAt: number, now: number): Promise<ReplayVerdict> {
    const hashed = createHash('sha256').update(key).digest('hex');
    if (now < this.skipStoreUntil) return this.fallback.checkAndStore(hashed, expiresAt, now);
    let verdict: ReplayVerdict;
    try {
      verdict = await this.batched(hashed, expiresAt, now);
      this.health.succeeded();
    } catch (err) {
      this.health.failed('jwt-replay', err);
      this.skipStoreUntil = now + STORE_RETRY_SECONDS;
      return this.fallback.checkAndStore(hashed, expiresAt, now);
    }
    // A token first seen here during an outage is also refused after the store came back.
    if (verdict === 'new' && (await this.fallback.checkAndStore(hashed, expiresAt, now)) === 'seen') verdict = 'seen';
    if (now >= this.nextPruneAt) {
      this.nextPruneAt = now + 60;
      this.store.pruneJtis(now).catch((err: unknown) => this.health.failed('jwt-replay-prune', err));
    }
    return verdict;
  }

  private batched(key: string, expiresAt: number, now: number): Promise<ReplayVerdict> {
    return new Promise((resolve, reject) => {
      this.pending.push({ key, expiresAt, now, resolve, reject });
      if (this.pending.length >= MAX_BATCH) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    // The earliest clock of the batch decides whether an expired entry may be taken over (the safe side).
    const now = Math.min(...batch.map((b) => b.now));
    this.store.checkAndStoreJtis(batch, now).then(
      (verdicts) => batch.forEach((b, i) => b.resolve(verdicts[i] ?? 'seen')),
      (err: unknown) => batch.forEach((b) => b.reject(err)),
    );
  }
}
