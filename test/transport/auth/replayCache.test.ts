import { describe, expect, it } from '@jest/globals';
import { InMemoryReplayCache } from '../../../src/transport/auth/replayCache.js';

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

  it('sweeps expired entries over time, so memory follows traffic', async () => {
    const cache = new InMemoryReplayCache();
    for (let i = 0; i < 50; i++) await cache.checkAndStore(`k${i}`, 1010, 1000);
    expect(cache.size).toBe(50);
    await cache.checkAndStore('later', 2000, 1100);
    expect(cache.size).toBe(1);
  });
});
