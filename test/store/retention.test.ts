import { Metrics } from '../../src/observability/metrics.js';
import { Retention } from '../../src/store/retention.js';
import type { CardLogEntry } from '../../src/store/store.js';
import { StoreHealth } from '../../src/store/storeHealth.js';
import { captureLogs } from '../support/captureLogs.js';
import { closeAll, freshLocation, freshStore, openAt, STORE_KINDS } from './storeKinds.js';

afterAll(closeAll);

const T0 = Date.parse('2026-11-25T12:00:00Z');
const DAY = 86_400_000;
const card = (uuid: string, issuedAt: number): CardLogEntry => ({
  cardUuid: uuid,
  serviceId: 'nkr-pain-patient-view',
  kind: 'screening-incomplete',
  indicator: 'info',
  language: 'da',
  issuedAt,
  patientKey: 'pk',
  findingKey: 'fk',
  orderKey: null,
  suggestions: [],
});

describe('Retention (RETENTION_DAYS)', () => {
  test('a pass deletes every card older than the retention, step by step, keeps the rest, and says how many in one line', async () => {
    const store = await freshStore('sqlite');
    await store.appendCards([...Array.from({ length: 1_200 }, (_, i) => card(`old-${i}`, T0 - 60 * DAY + i)), card('recent', T0 - 29 * DAY)]);
    const logs = captureLogs();
    const health = new StoreHealth({ logger: logs.logger, metrics: new Metrics() });
    const retention = new Retention({ store, health, logger: logs.logger, days: 30, clock: () => T0 });
    expect(await retention.runOnce()).toBe(1_200);
    expect((await store.db.all('SELECT card_uuid FROM card_log')).map((r) => r.card_uuid)).toEqual(['recent']);
    expect(logs.lines().filter((l) => l.msg === 'retention: old cards and feedback deleted')).toEqual([expect.objectContaining({ deleted: 1_200, olderThanDays: 30 })]);
    expect(await retention.runOnce()).toBe(0);
    await retention.stop();
  });

  test('a pass leaves the main thread to hook calls: it waits four times as long as a step took before the next (a step that holds the thread 20 ms: at most about a fifth of the pass)', async () => {
    const store = await freshStore('sqlite');
    let left = 6;
    const busy: number[] = [];
    store.pruneBefore = async (_cutoff, limit) => {
      const started = performance.now();
      while (performance.now() - started < 20) {
        // A synchronous SQLite step holds the thread this long.
      }
      busy.push(20);
      return left-- > 0 ? limit : 0;
    };
    const logs = captureLogs();
    const retention = new Retention({ store, health: new StoreHealth({ logger: logs.logger, metrics: new Metrics() }), logger: logs.logger, days: 30, clock: () => T0 });
    const started = performance.now();
    // A timer that should fire often meanwhile: the hook calls' turn.
    let turns = 0;
    const timer = setInterval(() => turns++, 1);
    await retention.runOnce();
    clearInterval(timer);
    const elapsed = performance.now() - started;
    expect(busy).toHaveLength(7);
    expect(busy.reduce((a, b) => a + b, 0) / elapsed).toBeLessThan(0.3);
    expect(turns).toBeGreaterThanOrEqual(6);
  });

  test('a store that fails is counted by health as a failed write; the pass ends without throwing', async () => {
    const store = await freshStore('sqlite');
    store.pruneBefore = () => Promise.reject(new Error('disk full'));
    const logs = captureLogs();
    const health = new StoreHealth({ logger: logs.logger, metrics: new Metrics() });
    const retention = new Retention({ store, health, logger: logs.logger, days: 30, clock: () => T0 });
    expect(await retention.runOnce()).toBe(0);
    expect(health.up).toBe(false);
    health.succeeded('ping');
    expect(health.up).toBe(false); // a write failed: only a write clears it
  });

  // Several instances on one PostgreSQL store: one pass at a time, the others skip theirs (README "Running several instances").
  const pgOnly = STORE_KINDS.includes('postgres') ? test : test.skip;
  pgOnly('PostgreSQL: while one instance\'s pass runs, another\'s skips (rows left, a debug line); after the first failed, the next pass deletes', async () => {
    const loc = await freshLocation('postgres');
    const [a, b] = [await openAt(loc), await openAt(loc)];
    // Another store (schema) on the same server: its pass is not held back by this one's.
    const elsewhere = await freshStore('postgres');
    try {
      const old = Array.from({ length: 3 }, (_, i) => card(`old-${i}`, T0 - 60 * DAY + i));
      await a.appendCards(old);
      await elsewhere.appendCards(old);
      // Instance a's first step waits until the test lets it go, then fails (a lost connection, say).
      let entered!: () => void;
      const inStep = new Promise<void>((resolve) => (entered = resolve));
      let letGo!: () => void;
      const gate = new Promise<void>((resolve) => (letGo = resolve));
      a.pruneBefore = async () => {
        entered();
        await gate;
        throw new Error('connection lost');
      };
      const logs = captureLogs();
      const health = new StoreHealth({ logger: logs.logger, metrics: new Metrics() });
      const retentionA = new Retention({ store: a, health, logger: logs.logger, days: 30, clock: () => T0 });
      const retentionB = new Retention({ store: b, health, logger: logs.logger, days: 30, clock: () => T0 });
      const passA = retentionA.runOnce();
      await inStep;
      expect(await retentionB.runOnce()).toBe(0);
      expect(await b.db.all('SELECT COUNT(*)::int AS n FROM card_log')).toEqual([{ n: 3 }]);
      expect(logs.lines().filter((l) => l.msg === 'retention: another instance is running it; this pass skipped')).toHaveLength(1);
      expect(await new Retention({ store: elsewhere, health, logger: logs.logger, days: 30, clock: () => T0 }).runOnce()).toBe(3);
      letGo();
      expect(await passA).toBe(0);
      // The failed pass let the lock go: the next pass anywhere runs.
      expect(await retentionB.runOnce()).toBe(3);
      expect(await b.db.all('SELECT COUNT(*)::int AS n FROM card_log')).toEqual([{ n: 0 }]);
      await Promise.all([retentionA.stop(), retentionB.stop()]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
