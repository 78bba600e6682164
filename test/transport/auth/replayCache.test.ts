import { describe, expect, it } from '@jest/globals';
import { STORE_WAIT_ON_REQUEST_PATH_MS } from '../../../src/model/storeWait.js';
import { InMemoryReplayCache, STORE_RETRY_SECONDS, StoreReplayCache } from '../../../src/transport/auth/replayCache.js';

describe('InMemoryReplayCache', () => {
  it('answers new once, then seen until the entry expires', async () => {
    const cache = new InMemoryReplayCache();
    expect(await cache.checkAndStore('a', 1100, 1000)).toBe('new');
    expect(await cache.checkAndStore('a', 1100, 1050)).toBe('seen');
    expect(await cache.checkAndStore('a', 1200, 1100)).toBe('new');
  });

  it('refuses (full) rather than evicting a live entry when the size bound is reached', async () => {
    const cache = new InMemoryReplayCache({ maxEntries: 2 });
    expect(await cache.checkAndStore('a', 2000, 1000)).toBe('new');
    expect(await cache.checkAndStore('b', 2000, 1000)).toBe('new');
    expect(await cache.checkAndStore('c', 2000, 1000)).toBe('full');
    // 'a' is still remembered: a full cache never forgets a live id.
    expect(await cache.checkAndStore('a', 2000, 1001)).toBe('seen');
  });

  it('makes room by dropping expired entries', async () => {
    const cache = new InMemoryReplayCache({ maxEntries: 2 });
    await cache.checkAndStore('a', 1010, 1000);
    await cache.checkAndStore('b', 2000, 1000);
    expect(await cache.checkAndStore('c', 2000, 1020)).toBe('new');
    expect(cache.size).toBe(2);
  });

  it('refuse mode finds an expired entry anywhere, not only at the front, before refusing', async () => {
    const cache = new InMemoryReplayCache({ maxEntries: 2 });
    await cache.checkAndStore('long', 5000, 1000);
    await cache.checkAndStore('short', 1010, 1000);
    expect(await cache.checkAndStore('c', 2000, 1020)).toBe('new');
    expect(await cache.checkAndStore('long', 5000, 1021)).toBe('seen');
  });

  it('sweeps expired entries over time, so memory follows traffic', async () => {
    const cache = new InMemoryReplayCache();
    for (let i = 0; i < 50; i++) await cache.checkAndStore(`k${i}`, 1010, 1000);
    expect(cache.size).toBe(50);
    await cache.checkAndStore('later', 2000, 1100);
    expect(cache.size).toBe(1);
  });
});

describe('StoreReplayCache (the replay cache in the store)', () => {
  const health = () => {
    const calls: string[] = [];
    return { calls, up: true, failed: (op: string) => void calls.push(`failed ${op}`), succeeded: () => void calls.push('ok') };
  };

  it('asks the store once per token, with a hashed key (bounded, no NUL bytes)', async () => {
    const keys: string[] = [];
    const store = {
      checkAndStoreJtis: (items: ReadonlyArray<{ key: string }>) =>
        Promise.resolve(
          items.map((item) => {
            keys.push(item.key);
            return keys.length === 1 ? ('new' as const) : ('seen' as const);
          }),
        ),
      pruneJtis: () => Promise.resolve(0),
    };
    const cache = new StoreReplayCache(store, health());
    expect(await cache.checkAndStore('iss\u0000jti-1', 2000, 1000)).toBe('new');
    expect(await cache.checkAndStore('iss\u0000jti-1', 2000, 1001)).toBe('seen');
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(keys[0]).toBe(keys[1]);
  });

  it('checks that arrive together go to the store in one statement, each with its own verdict', async () => {
    const batches: string[][] = [];
    const seen = new Set<string>();
    const store = {
      checkAndStoreJtis: (items: ReadonlyArray<{ key: string }>) => {
        batches.push(items.map((i) => i.key));
        return Promise.resolve(items.map((i) => (seen.has(i.key) ? ('seen' as const) : (seen.add(i.key), 'new' as const))));
      },
      pruneJtis: () => Promise.resolve(0),
    };
    const cache = new StoreReplayCache(store, health());
    const verdicts = await Promise.all(['a', 'b', 'a', 'c'].map((jti) => cache.checkAndStore(`iss\u0000${jti}`, 2000, 1000)));
    expect(verdicts).toEqual(['new', 'new', 'seen', 'new']);
    expect(batches.map((b) => b.length)).toEqual([4]);
    expect(await cache.checkAndStore('iss\u0000d', 2000, 1000)).toBe('new');
    expect(batches).toHaveLength(2);
  });

  it('store down: falls back to this instance\'s memory (a replay here is still refused) and reports the failure', async () => {
    let down = true;
    const store = {
      checkAndStoreJtis: (items: readonly unknown[]) => (down ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve(items.map(() => 'new' as const))),
      pruneJtis: () => Promise.resolve(0),
    };
    const h = health();
    const cache = new StoreReplayCache(store, h);
    expect(await cache.checkAndStore('iss\u0000a', 2000, 1000)).toBe('new');
    // Within STORE_RETRY_SECONDS the store is not asked again (no connect timeout on every call).
    expect(await cache.checkAndStore('iss\u0000a', 2000, 1001)).toBe('seen');
    expect(await cache.checkAndStore('iss\u0000c', 2000, 1001)).toBe('new');
    expect(h.calls).toEqual(['failed jwt-replay']);
    expect(await cache.checkAndStore('iss\u0000d', 2000, 1000 + STORE_RETRY_SECONDS)).toBe('new');
    expect(h.calls).toEqual(['failed jwt-replay', 'failed jwt-replay']);
    // The store is back (and has never seen 'a'): the id used during the outage is still refused here.
    down = false;
    expect(await cache.checkAndStore('iss\u0000a', 2000, 1000 + 2 * STORE_RETRY_SECONDS)).toBe('seen');
    expect(await cache.checkAndStore('iss\u0000b', 2000, 1000 + 2 * STORE_RETRY_SECONDS)).toBe('new');
    expect(h.calls.at(-1)).toBe('ok');
  });
});

describe('ids accepted during a store outage are written to the store once it answers again', () => {
  it('so another instance refuses them after the outage (it could not during it)', async () => {
    let down = false;
    const stored = new Set<string>();
    const writes: string[][] = [];
    const shared = {
      checkAndStoreJtis: (items: ReadonlyArray<{ key: string }>) => {
        if (down) return Promise.reject(new Error('ECONNREFUSED'));
        writes.push(items.map((i) => i.key));
        return Promise.resolve(items.map((i) => (stored.has(i.key) ? ('seen' as const) : (stored.add(i.key), 'new' as const))));
      },
      pruneJtis: () => Promise.resolve(0),
    };
    const quiet = { up: true, failed: () => undefined, succeeded: () => undefined };
    const a = new StoreReplayCache(shared, quiet);
    const b = new StoreReplayCache(shared, quiet);
    down = true;
    expect(await a.checkAndStore('iss\u0000during', 5000, 1000)).toBe('new');
    expect(await a.checkAndStore('iss\u0000short-lived', 1003, 1000)).toBe('new');
    down = false;
    // The store is back: A's next check writes back what A accepted meanwhile (not what has expired by then).
    expect(await a.checkAndStore('iss\u0000after', 5000, 1000 + STORE_RETRY_SECONDS)).toBe('new');
    await new Promise((r) => setImmediate(r));
    expect(writes.flat()).toHaveLength(2);
    expect(await b.checkAndStore('iss\u0000during', 5000, 1000 + STORE_RETRY_SECONDS + 1)).toBe('seen');
    expect(await b.checkAndStore('iss\u0000after', 5000, 1000 + STORE_RETRY_SECONDS + 1)).toBe('seen');
  });
});

describe('the write-back of ids accepted during an outage', () => {
  it('writes them one statement after another, and keeps what could not be written for the next time', async () => {
    let down = true;
    let failNextWrite = false;
    let inFlight = 0;
    let mostInFlight = 0;
    const stored = new Set<string>();
    const store = {
      checkAndStoreJtis: async (items: ReadonlyArray<{ key: string }>) => {
        if (down) throw new Error('ECONNREFUSED');
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
        if (failNextWrite && items.length > 1) {
          failNextWrite = false;
          throw new Error('ECONNRESET');
        }
        return items.map((i) => (stored.has(i.key) ? ('seen' as const) : (stored.add(i.key), 'new' as const)));
      },
      pruneJtis: () => Promise.resolve(0),
    };
    const failures: string[] = [];
    const cache = new StoreReplayCache(store, { up: true, failed: (op: string) => void failures.push(op), succeeded: () => undefined });
    for (let i = 0; i < 450; i++) expect(await cache.checkAndStore(`iss\u0000j${i}`, 5000, 1000)).toBe('new');
    down = false;
    failNextWrite = true;
    // The first write-back fails at its first statement: all 450 are kept …
    await cache.checkAndStore('iss\u0000after-1', 5000, 1000 + STORE_RETRY_SECONDS);
    await new Promise((r) => setTimeout(r, 50));
    expect(failures).toContain('jwt-replay-write-back');
    expect(stored.size).toBe(1);
    // … and written, 200 at a time and never two statements at once, when the store next answers.
    await cache.checkAndStore('iss\u0000after-2', 5000, 1000 + STORE_RETRY_SECONDS + 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(stored.size).toBe(452);
    expect(mostInFlight).toBe(1);
  });
});

describe('the in-memory fallback when full, and a store that does not answer', () => {
  it('evict-oldest: a full fallback makes room by forgetting its oldest id, without scanning the whole cache', async () => {
    const cache = new InMemoryReplayCache({ maxEntries: 3, whenFull: 'evict-oldest' });
    for (const k of ['a', 'b', 'c']) expect(await cache.checkAndStore(k, 2000, 1000)).toBe('new');
    expect(await cache.checkAndStore('d', 2000, 1001)).toBe('new');
    expect(cache.size).toBe(3);
    expect(cache.evicted).toBe(1);
    expect(await cache.checkAndStore('b', 2000, 1002)).toBe('seen');
    expect(await cache.checkAndStore('a', 2000, 1002)).toBe('new'); // the oldest was forgotten (and is now remembered again)
    // Expired ids at the front go first, without evicting a live one.
    const fresh = new InMemoryReplayCache({ maxEntries: 2, whenFull: 'evict-oldest' });
    await fresh.checkAndStore('x', 1005, 1000);
    await fresh.checkAndStore('y', 2000, 1000);
    expect(await fresh.checkAndStore('z', 2000, 1010)).toBe('new');
    expect(fresh.evicted).toBe(0);
  });

  it('a store that never answers costs a call at most STORE_WAIT_ON_REQUEST_PATH_MS; the fallback answers, and a replay is still refused', async () => {
    const store = { checkAndStoreJtis: () => new Promise<never>(() => undefined), pruneJtis: () => Promise.resolve(0) };
    const calls: string[] = [];
    const cache = new StoreReplayCache(store, { up: true, failed: (op: string) => void calls.push(`failed ${op}`), succeeded: () => void calls.push('ok') });
    const started = Date.now();
    expect(await cache.checkAndStore('iss\u0000a', 2000, 1000)).toBe('new');
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(STORE_WAIT_ON_REQUEST_PATH_MS - 5);
    expect(waited).toBeLessThan(STORE_WAIT_ON_REQUEST_PATH_MS + 1500);
    expect(calls).toEqual(['failed jwt-replay']);
    // Within STORE_RETRY_SECONDS the store is not asked: no wait at all, and the fallback knows 'a'.
    const again = Date.now();
    expect(await cache.checkAndStore('iss\u0000a', 2000, 1001)).toBe('seen');
    expect(Date.now() - again).toBeLessThan(STORE_WAIT_ON_REQUEST_PATH_MS);
  });

  it('with an evict-oldest fallback (the store\'s default), a busy instance whose store falls over is not refused', async () => {
    let down = false;
    const store = {
      checkAndStoreJtis: (items: readonly unknown[]) => (down ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve(items.map(() => 'new' as const))),
      pruneJtis: () => Promise.resolve(0),
    };
    const fallback = new InMemoryReplayCache({ maxEntries: 5, whenFull: 'evict-oldest' });
    const cache = new StoreReplayCache(store, { up: true, failed: () => undefined, succeeded: () => undefined }, fallback);
    for (let i = 0; i < 10; i++) expect(await cache.checkAndStore(`iss\u0000k${i}`, 2000, 1000)).toBe('new');
    down = true;
    for (let i = 10; i < 20; i++) expect(await cache.checkAndStore(`iss\u0000k${i}`, 2000, 1001)).toBe('new');
    expect(await cache.checkAndStore('iss\u0000k19', 2000, 1002)).toBe('seen');
    expect(fallback.size).toBe(5);
  });
});
