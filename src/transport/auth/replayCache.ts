import { createHash } from 'node:crypto';
import { STORE_WAIT_ON_REQUEST_PATH_MS, withinMs } from '../../model/storeWait.js';

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

/**
 * What a full cache does with a new id: `refuse` (fail closed: the cache is the only record, so forgetting a
 * live id would let it be replayed), or `evict-oldest` (the cache backs up the store: the oldest id, the
 * first to expire, makes room, so a busy instance is not refused when the store falls over).
 */
export type WhenFull = 'refuse' | 'evict-oldest';

export class InMemoryReplayCache implements ReplayCache {
  /** Insertion order is about expiry order (tokens live about as long as each other): the oldest come first. */
  private readonly entries = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly whenFull: WhenFull;
  private nextPruneAt = 0;
  private evictions = 0;

  constructor(options: { maxEntries?: number; whenFull?: WhenFull } = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_REPLAY_CACHE_MAX_ENTRIES;
    this.whenFull = options.whenFull ?? 'refuse';
  }

  get size(): number {
    return this.entries.size;
  }

  /** Live ids dropped to make room (evict-oldest). */
  get evicted(): number {
    return this.evictions;
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
      // The expired ones at the front first: no scan of the whole cache on every call when it is full.
      for (const [k, e] of this.entries) {
        if (e > now) break;
        this.entries.delete(k);
      }
      if (this.entries.size >= this.maxEntries && this.whenFull === 'evict-oldest') {
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
        this.evictions++;
      }
      // The only record: look for an expired id anywhere before refusing.
      if (this.entries.size >= this.maxEntries) this.prune(now);
      // Refuse: entries live at most the maximum token age, which bounds how long this lasts.
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
  succeeded(operation?: string): void;
}

/**
 * The replay cache in the store: one INSERT … ON CONFLICT … RETURNING per token, so with PostgreSQL a
 * `jti` accepted by one instance is refused by every other. Keys are hashed (bounded, no NUL bytes).
 * While the store is down the instance falls back to its own in-memory cache (replays to *this*
 * instance are still refused; hook calls keep being answered), and asks the store again after
 * STORE_RETRY_SECONDS, so a store that times out costs one request the timeout, not every request.
 * The ids it accepted meanwhile are written to the store once it answers again, so the other instances
 * refuse them from then on. Expired entries are deleted now and then, off the request path.
 */
export const STORE_RETRY_SECONDS = 5;

/** At most this many keys per statement (the store's multi-row insert holds 200 rows). */
const MAX_BATCH = 200;
/** Ids accepted during an outage kept for writing back, as many as the fallback itself holds. */
const MAX_WRITE_BACK = 100_000;

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
  /** Ids accepted by the fallback while the store was down (hashed key → expiry), to write back; bounded as the fallback is. */
  private acceptedWhileDown = new Map<string, number>();
  /** The write-back running now (one at a time). */
  private writingBack: Promise<void> | null = null;

  constructor(
    private readonly store: ReplayStore,
    private readonly health: ReplayStoreHealth,
    private readonly fallback: ReplayCache = new InMemoryReplayCache({ whenFull: 'evict-oldest' }),
  ) {}

  async checkAndStore(key: string, expiresAt: number, now: number): Promise<ReplayVerdict> {
    const hashed = createHash('sha256').update(key).digest('hex');
    if (now < this.skipStoreUntil) return this.acceptWhileDown(hashed, expiresAt, now);
    let verdict: ReplayVerdict;
    try {
      // A store that does not answer in time counts as down for this call (and the next STORE_RETRY_SECONDS).
      verdict = await withinMs(this.batched(hashed, expiresAt, now), STORE_WAIT_ON_REQUEST_PATH_MS, 'the replay check in the store');
      this.health.succeeded('jwt-replay');
    } catch (err) {
      this.health.failed('jwt-replay', err);
      this.skipStoreUntil = now + STORE_RETRY_SECONDS;
      return this.acceptWhileDown(hashed, expiresAt, now);
    }
    if (this.acceptedWhileDown.size > 0) this.writeBack(now);
    // A token first seen here during an outage is also refused after the store came back.
    if (verdict === 'new' && (await this.fallback.checkAndStore(hashed, expiresAt, now)) === 'seen') verdict = 'seen';
    if (now >= this.nextPruneAt) {
      this.nextPruneAt = now + 60;
      this.store.pruneJtis(now).catch((err: unknown) => this.health.failed('jwt-replay-prune', err));
    }
    return verdict;
  }

  private async acceptWhileDown(key: string, expiresAt: number, now: number): Promise<ReplayVerdict> {
    const verdict = await this.fallback.checkAndStore(key, expiresAt, now);
    if (verdict === 'new') {
      if (this.acceptedWhileDown.size >= MAX_WRITE_BACK) {
        const oldest = this.acceptedWhileDown.keys().next().value;
        if (oldest !== undefined) this.acceptedWhileDown.delete(oldest);
      }
      this.acceptedWhileDown.set(key, expiresAt);
    }
    return verdict;
  }

  /**
   * The ids accepted during the outage, to the store off the request path, one statement after another (not
   * all at once beside the calls' own checks, which have STORE_WAIT_ON_REQUEST_PATH_MS); what could not be
   * written is kept, within MAX_WRITE_BACK, for the next time the store answers.
   */
  private writeBack(now: number): void {
    if (this.writingBack) return;
    const entries = [...this.acceptedWhileDown].filter(([, expiresAt]) => expiresAt > now);
    this.acceptedWhileDown = new Map();
    this.writingBack = (async () => {
      for (let i = 0; i < entries.length; i += MAX_BATCH) {
        const slice = entries.slice(i, i + MAX_BATCH);
        try {
          await this.store.checkAndStoreJtis(
            slice.map(([key, expiresAt]) => ({ key, expiresAt })),
            now,
          );
        } catch (err) {
          this.health.failed('jwt-replay-write-back', err);
          for (const [key, expiresAt] of entries.slice(i)) {
            if (this.acceptedWhileDown.size >= MAX_WRITE_BACK) break;
            this.acceptedWhileDown.set(key, expiresAt);
          }
          return;
        }
      }
    })().finally(() => {
      this.writingBack = null;
    });
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
