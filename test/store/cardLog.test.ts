import { Metrics } from '../../src/observability/metrics.js';
import { silentLogger } from '../../src/observability/logger.js';
import { CardLog, CARDS_PER_WRITE, suggestionName } from '../../src/store/cardLog.js';
import { memoryStore } from '../../src/store/openStore.js';
import { Pseudonymizer } from '../../src/store/pseudonym.js';
import type { CardLogEntry, Store } from '../../src/store/store.js';
import { StoreHealth } from '../../src/store/storeHealth.js';
import type { IssuedCard } from '../../src/model/cdsResponse.js';

const issued = (uuid: string): IssuedCard => ({
  card: { uuid, summary: 's', indicator: 'info', source: { label: 'l' } },
  kind: 'screening-incomplete',
  facts: { missing: ['TSH'] },
});

function setup(store: Store, options: { maxPending?: number; flushMs?: number } = {}) {
  const metrics = new Metrics();
  const health = new StoreHealth({ logger: silentLogger(), metrics });
  const log = new CardLog({ store, health, metrics, pseudonyms: new Pseudonymizer('k'.repeat(32)), flushMs: options.flushMs ?? 60_000, ...(options.maxPending ? { maxPending: options.maxPending } : {}) });
  return { log, metrics, health };
}

describe('CardLog', () => {
  test('the hook path only appends; the timer writes the batch', async () => {
    const { store } = memoryStore();
    const { log } = setup(store, { flushMs: 20 });
    log.record({ serviceId: 's', language: 'en', patientId: 'p1', cards: [issued('u1'), issued('u2')], now: 0 });
    expect(log.pendingCount).toBe(2);
    expect((await store.reportRows()).weeks).toEqual([]);
    await new Promise((r) => setTimeout(r, 100));
    expect(log.pendingCount).toBe(0);
    expect((await store.reportRows()).weeks[0]?.issued).toBe(2);
  });

  test(`a large batch is written in slices of ${CARDS_PER_WRITE}; a failed slice and the rest are kept for the next try`, async () => {
    const { store } = memoryStore();
    const writes: number[] = [];
    let failAt = 2;
    const flaky: Store = Object.create(store) as Store;
    flaky.appendCards = (entries: readonly CardLogEntry[]) => {
      writes.push(entries.length);
      if (writes.length === failAt) return Promise.reject(new Error('disk full'));
      return store.appendCards(entries);
    };
    const { log, metrics, health } = setup(flaky);
    const cards = Array.from({ length: 2 * CARDS_PER_WRITE + 10 }, (_, i) => issued(`u${i}`));
    log.record({ serviceId: 's', language: 'en', patientId: 'p1', cards, now: 0 });
    await log.flush();
    expect(writes).toEqual([CARDS_PER_WRITE, CARDS_PER_WRITE]);
    expect(log.pendingCount).toBe(CARDS_PER_WRITE + 10);
    expect(health.up).toBe(false);
    expect(await metrics.registry.getSingleMetricAsString('cds_store_errors_total')).toContain('operation="card-log"} 1');
    failAt = -1;
    await log.close();
    expect(log.pendingCount).toBe(0);
    expect(health.up).toBe(true);
    expect((await store.reportRows()).weeks[0]?.issued).toBe(cards.length);
  });

  test('while the store is down the buffer is bounded: the oldest entries are dropped and counted', async () => {
    const { store } = memoryStore();
    await store.close();
    const { log, metrics } = setup(store, { maxPending: 3 });
    log.record({ serviceId: 's', language: 'en', patientId: 'p1', cards: [issued('a'), issued('b')], now: 0 });
    await log.flush();
    log.record({ serviceId: 's', language: 'en', patientId: 'p1', cards: [issued('c'), issued('d')], now: 0 });
    expect(log.pendingCount).toBe(3);
    expect(await metrics.registry.getSingleMetricAsString('cds_card_log_dropped_total')).toContain('cds_card_log_dropped_total 1');
  });

  test('a failed write is retried by the timer with no new call coming in (nothing lost while the clinic is quiet)', async () => {
    const { store } = memoryStore();
    let failures = 1;
    const flaky: Store = Object.create(store) as Store;
    flaky.appendCards = (entries: readonly CardLogEntry[]) => (failures-- > 0 ? Promise.reject(new Error('locked')) : store.appendCards(entries));
    const { log } = setup(flaky, { flushMs: 20 });
    log.record({ serviceId: 's', language: 'en', patientId: 'p1', cards: [issued('u1')], now: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(log.pendingCount).toBe(0);
    expect((await store.reportRows()).weeks[0]?.issued).toBe(1);
  });

  test('close() during a write in progress returns only once that write is done (shutdown loses nothing)', async () => {
    const { store } = memoryStore();
    const slow: Store = Object.create(store) as Store;
    slow.appendCards = async (entries: readonly CardLogEntry[]) => {
      await new Promise((r) => setTimeout(r, 50));
      return store.appendCards(entries);
    };
    const { log } = setup(slow);
    log.record({ serviceId: 's', language: 'en', patientId: 'p1', cards: [issued('u1'), issued('u2')], now: 0 });
    const inProgress = log.flush();
    await log.close();
    expect((await store.reportRows()).weeks[0]?.issued).toBe(2);
    await inProgress;
  });

  test('close() while the store fails slowly: the timer does not start a write of its own after close, so every card not written is counted', async () => {
    // A frozen PostgreSQL: each write fails only after a while, longer than CARD_LOG_FLUSH_MS. A failed write
    // used to re-arm the timer even after close(); that timer's write took the cards while close() returned
    // with none pending, and shutdown exited without its "card log not written" line.
    const { store } = memoryStore();
    let writes = 0;
    const frozen: Store = Object.create(store) as Store;
    frozen.appendCards = async () => {
      writes++;
      await new Promise((r) => setTimeout(r, 60));
      throw new Error('query timeout');
    };
    const { log } = setup(frozen, { flushMs: 20 });
    log.record({ serviceId: 's', language: 'en', patientId: 'p1', cards: [issued('u1'), issued('u2')], now: 0 });
    await new Promise((r) => setTimeout(r, 30)); // the timer's write is under way
    log.record({ serviceId: 's', language: 'en', patientId: 'p1', cards: [issued('u3')], now: 0 });
    await log.close();
    expect(log.pendingCount).toBe(3);
    const writesAtClose = writes;
    await new Promise((r) => setTimeout(r, 200));
    expect(writes).toBe(writesAtClose);
    expect(log.pendingCount).toBe(3);
  });

  test('the bounded buffer keeps the newest entries: the oldest are the ones dropped', async () => {
    const { store } = memoryStore();
    let down = true;
    const written: string[] = [];
    const flaky: Store = Object.create(store) as Store;
    flaky.appendCards = (entries: readonly CardLogEntry[]) => {
      if (down) return Promise.reject(new Error('down'));
      written.push(...entries.map((e) => e.cardUuid));
      return store.appendCards(entries);
    };
    const { log } = setup(flaky, { maxPending: 3 });
    log.record({ serviceId: 's', language: 'en', patientId: 'p1', cards: [issued('a'), issued('b')], now: 0 });
    await log.flush();
    log.record({ serviceId: 's', language: 'en', patientId: 'p1', cards: [issued('c'), issued('d')], now: 0 });
    down = false;
    await log.close();
    expect(written).toEqual(['b', 'c', 'd']);
  });

  test('a suggestion is named by the code it orders, a delete as delete, else by its label', () => {
    expect(suggestionName({ label: 'Henvis', uuid: 'x', actions: [{ type: 'create', description: 'd', resource: { resourceType: 'ServiceRequest', code: { coding: [{ system: 'http://snomed.info/sct', code: '311401005' }] } } as fhir4.ServiceRequest }] })).toBe('ServiceRequest 311401005');
    expect(suggestionName({ label: 'Stop', uuid: 'x', actions: [{ type: 'delete', description: 'd', resourceId: 'MedicationRequest/1' }] })).toBe('delete');
    // A DSTU2 lab order names its test in its first item (src/render/suggestedOrders.ts).
    const dstu2Order = { resourceType: 'DiagnosticOrder', status: 'proposed', item: [{ code: { coding: [{ system: 'http://loinc.org', code: '3016-3' }] } }] } as unknown as fhir4.Resource;
    expect(suggestionName({ label: 'Bestil 3 prøver', uuid: 'x', actions: [{ type: 'create', description: 'd', resource: dstu2Order }] })).toBe('DiagnosticOrder 3016-3');
    expect(suggestionName({ label: 'Just a label', uuid: 'x' })).toBe('Just a label');
  });
});
