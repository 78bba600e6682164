import { Metrics } from '../../src/observability/metrics.js';
import { Retention } from '../../src/store/retention.js';
import type { CardLogEntry } from '../../src/store/store.js';
import { StoreHealth } from '../../src/store/storeHealth.js';
import { captureLogs } from '../support/captureLogs.js';
import { closeAll, freshStore } from './storeKinds.js';

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
});
