import { jest } from '@jest/globals';
import { Metrics } from '../../src/observability/metrics.js';
import { silentLogger } from '../../src/observability/logger.js';
import { CardLog } from '../../src/store/cardLog.js';
import { LATEST_SCHEMA_VERSION } from '../../src/store/migrations.js';
import { Pseudonymizer } from '../../src/store/pseudonym.js';
import type { CardLogEntry, FeedbackEntry, ReplayVerdict, Store } from '../../src/store/store.js';
import { StoreHealth } from '../../src/store/storeHealth.js';
import { closeAll, dumpAllTables, freshLocation, freshStore, openAt, STORE_KINDS } from './storeKinds.js';

const T0 = Date.parse('2026-11-25T12:00:00Z'); // Wednesday of ISO week 2026-W48

function card(uuid: string, over: Partial<CardLogEntry> = {}): CardLogEntry {
  return {
    cardUuid: uuid,
    serviceId: 'nkr-pain-patient-view',
    kind: 'screening-incomplete',
    indicator: 'info',
    language: 'da',
    issuedAt: T0,
    patientKey: 'pk',
    findingKey: 'fk',
    orderKey: null,
    suggestions: [],
    ...over,
  };
}

function fb(key: string, cardUuid: string, over: Partial<FeedbackEntry> = {}): FeedbackEntry {
  return {
    feedbackKey: key,
    cardUuid,
    serviceId: 'nkr-pain-patient-view',
    outcome: 'overridden',
    acceptedSuggestions: [],
    reason: null,
    hasUserComment: false,
    outcomeTimestamp: '2026-11-25T12:01:00Z',
    receivedAt: T0 + 60_000,
    callerKey: null,
    ...over,
  };
}

afterAll(closeAll);

/**
 * Whether a promise rejects. Not `rejects.toThrow()`: better-sqlite3's native part keeps the error class
 * of the first Jest module registry that loaded it, so in later test files of the same worker its
 * errors are no `Error` of this realm and toThrow() reports "did not throw".
 */
async function rejects(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return false;
  } catch {
    return true;
  }
}

/** One key through the store's batch statement. */
async function checkJti(store: Store, key: string, expiresAt: number, now: number): Promise<ReplayVerdict | undefined> {
  const [verdict] = await store.checkAndStoreJtis([{ key, expiresAt }], now);
  return verdict;
}

describe.each(STORE_KINDS)('%s store', (kind) => {
  test('the schema is created at open, versioned, and opening again migrates nothing', async () => {
    const loc = await freshLocation(kind);
    const first = await openAt(loc);
    expect(await first.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    await first.appendCards([card('c-1')]);
    await first.close();
    const again = await openAt(loc);
    expect(await again.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    const rows = await again.db.all('SELECT version FROM schema_migrations');
    expect(rows).toHaveLength(LATEST_SCHEMA_VERSION);
    expect((await again.reportRows()).weeks[0]?.issued).toBe(1); // data kept across the reopen
    await again.close();
  });

  test('the caller a card went to and the caller of an answer are kept (keyed hashes; null without verification) and read back', async () => {
    const store = await freshStore(kind);
    await store.appendCards([card('c-a', { quietPolicy: 'patient', callerKey: 'caller-a' }), card('c-none', { quietPolicy: 'patient' })]);
    await store.recordFeedback([fb('f-b', 'c-a', { callerKey: 'caller-b' }), fb('f-none', 'c-none')]);
    const cards = await store.loggedCards(['c-a', 'c-none']);
    expect(Object.fromEntries(cards.map((c) => [c.cardUuid, c.callerKey]))).toEqual({ 'c-a': 'caller-a', 'c-none': null });
    const answers = await store.answersFor(['c-a', 'c-none']);
    expect(Object.fromEntries(answers.map((a) => [a.cardUuid, a.callerKey]))).toEqual({ 'c-a': 'caller-b', 'c-none': null });
  });

  test('retention: pruneBefore deletes old cards with their suggestions and feedback, and old feedback, a step at a time; newer rows stay', async () => {
    const store = await freshStore(kind);
    const DAY = 86_400_000;
    const old = T0 - 100 * DAY;
    await store.appendCards([
      card('old-1', { issuedAt: old, suggestions: [{ uuid: 's-old', name: 'ServiceRequest 1' }] }),
      card('old-2', { issuedAt: old + 1 }),
      card('old-3', { issuedAt: old + 2 }),
      card('new-1', { issuedAt: T0, suggestions: [{ uuid: 's-new', name: 'ServiceRequest 2' }] }),
    ]);
    await store.recordFeedback([
      // On an old card but received recently: goes with its card.
      fb('f-old-card', 'old-1', { outcome: 'accepted', acceptedSuggestions: ['s-old'], receivedAt: T0 }),
      // Old and for no card at all: goes by its own date.
      fb('f-old-unmatched', 'nowhere', { receivedAt: old }),
      fb('f-new', 'new-1', { outcome: 'accepted', acceptedSuggestions: ['s-new'], receivedAt: T0 }),
    ]);
    const cutoff = T0 - 30 * DAY;
    expect(await store.pruneBefore(cutoff, 2)).toBe(2 + 2); // two cards (old-1 with its feedback), and the old unmatched feedback
    expect(await store.pruneBefore(cutoff, 2)).toBe(1);
    expect(await store.pruneBefore(cutoff, 2)).toBe(0);
    const left = async (table: string, column: string) => (await store.db.all(`SELECT ${column} AS v FROM ${table} ORDER BY ${column}`)).map((r) => String(r.v));
    expect(await left('card_log', 'card_uuid')).toEqual(['new-1']);
    expect(await left('card_suggestion', 'suggestion_uuid')).toEqual(['s-new']);
    expect(await left('feedback', 'feedback_key')).toEqual(['f-new']);
    expect(await left('feedback_suggestion', 'suggestion_uuid')).toEqual(['s-new']);
  });

  test('quiet state: a later answer replaces an earlier one; an earlier answer arriving late does not', async () => {
    const store = await freshStore(kind);
    const entry = (setAt: number, reason: string, quietUntil: number | null) => ({ patientKey: 'P', entryKey: 'F', kind: 'current-medication', reason, quietUntil, setAt });
    await store.putQuiet([entry(200, 'override:not-relevant', 10_000)]);
    await store.putQuiet([entry(100, 'dismissed', 5_000)]); // older, e.g. another instance's answer flushed late
    expect(await store.quietEntries('P', 1_000)).toEqual([entry(200, 'override:not-relevant', 10_000)]);
    await store.putQuiet([entry(300, 'override:already-addressed', null)]);
    expect(await store.quietEntries('P', 1_000)).toEqual([entry(300, 'override:already-addressed', null)]);
  });

  test('the card log is idempotent by card uuid', async () => {
    const store = await freshStore(kind);
    await store.appendCards([card('c-1'), card('c-2')]);
    await store.appendCards([card('c-1')]);
    expect((await store.reportRows()).weeks).toEqual([
      { kind: 'screening-incomplete', language: 'da', week: '2026-W48', issued: 2, accepted: 0, overridden: 0, acceptedUnknown: 0, noAnswer: 2 },
    ]);
  });

  test('feedback is idempotent by its key: new items true, repeats false, also within one batch', async () => {
    const store = await freshStore(kind);
    expect(await store.recordFeedback([fb('k1', 'c-1'), fb('k2', 'c-1'), fb('k1', 'c-1')])).toEqual([true, true, false]);
    expect(await store.recordFeedback([fb('k1', 'c-1'), fb('k3', 'c-2')])).toEqual([false, true]);
    const rows = await store.db.all('SELECT feedback_key FROM feedback ORDER BY feedback_key');
    expect(rows.map((r) => r.feedback_key)).toEqual(['k1', 'k2', 'k3']);
  });

  test('a failing item rolls the whole batch back: nothing is half stored', async () => {
    const store = await freshStore(kind);
    const broken = fb('k2', 'c-1');
    (broken as { outcome: unknown }).outcome = null; // NOT NULL violation
    expect(await rejects(store.recordFeedback([fb('k1', 'c-1'), broken]))).toBe(true);
    expect(await store.db.all('SELECT * FROM feedback')).toEqual([]);
  });

  test('JWT replay: first use new, again seen, after expiry new again; expired entries are pruned', async () => {
    const store = await freshStore(kind);
    expect(await checkJti(store, 'a', 1000, 900)).toBe('new');
    expect(await checkJti(store, 'a', 1000, 950)).toBe('seen');
    expect(await checkJti(store, 'b', 1100, 950)).toBe('new');
    expect(await checkJti(store, 'a', 2000, 1000)).toBe('new'); // expired at 1000: taken over
    expect(await checkJti(store, 'a', 2000, 1500)).toBe('seen');
    expect(await store.pruneJtis(1100)).toBe(1); // b
    expect(await checkJti(store, 'a', 2000, 1500)).toBe('seen');
  });

  test('JWT replay: the verifier\'s clock has fractions of a second (epoch seconds as a float)', async () => {
    const store = await freshStore(kind);
    expect(await checkJti(store, 'f', 1_790_000_360.5, 1_790_000_000.123)).toBe('new');
    expect(await checkJti(store, 'f', 1_790_000_360.5, 1_790_000_001.9)).toBe('seen');
    expect(await store.pruneJtis(1_790_000_400.7)).toBe(1);
  });

  test('JWT replay under concurrency: of 20 simultaneous uses of one id exactly one is new', async () => {
    const store = await freshStore(kind);
    const verdicts = await Promise.all(Array.from({ length: 20 }, () => checkJti(store, 'same', 5000, 100)));
    expect(verdicts.filter((v) => v === 'new')).toHaveLength(1);
  });

  test('JWT replay in one statement: verdicts in order, a key repeated in the batch new once, live entries seen, expired taken over', async () => {
    const store = await freshStore(kind);
    expect(await checkJti(store, 'live', 5000, 100)).toBe('new');
    expect(await checkJti(store, 'old', 150, 100)).toBe('new');
    const items = ['x', 'live', 'x', 'y', 'old'].map((key) => ({ key, expiresAt: 6000 }));
    expect(await store.checkAndStoreJtis(items, 200)).toEqual(['new', 'seen', 'seen', 'new', 'new']);
    expect(await store.checkAndStoreJtis([{ key: 'y', expiresAt: 6000 }], 300)).toEqual(['seen']);
    expect(await store.checkAndStoreJtis([], 300)).toEqual([]);
  });

  test('report rows: a card counts once; accepted wins over overridden; suggestions by name; reasons; no answer; unknown cards', async () => {
    const store = await freshStore(kind);
    await store.appendCards([
      card('a', { kind: 'non-pharmacological', suggestions: [{ uuid: 's-edu', name: 'ServiceRequest 311401005' }, { uuid: 's-cbt', name: 'ServiceRequest 228557008' }] }),
      card('b', { kind: 'non-pharmacological' }),
      card('c', { kind: 'non-pharmacological' }),
      card('d', { kind: 'non-pharmacological', language: 'en' }),
      card('e', { kind: 'tramadol', issuedAt: T0 + 7 * 86_400_000 }),
    ]);
    await store.recordFeedback([
      // a: two suggestions accepted in two answers, then dismissed: accepted once.
      fb('a1', 'a', { outcome: 'accepted', acceptedSuggestions: ['s-edu'] }),
      fb('a2', 'a', { outcome: 'accepted', acceptedSuggestions: ['s-cbt'], outcomeTimestamp: '2026-11-25T12:02:00Z' }),
      fb('a3', 'a', { outcome: 'overridden' }),
      // b: overridden with a reason, twice (two different timestamps): one card.
      fb('b1', 'b', { reason: { system: 'http://example.org/override', code: 'already-addressed' } }),
      fb('b2', 'b', { reason: { system: 'http://example.org/override', code: 'already-addressed' }, outcomeTimestamp: '2026-11-25T12:09:00Z' }),
      // c: plain dismiss. d, e: no answer. x: not in the card log.
      fb('c1', 'c'),
      fb('x1', 'x'),
      // d: answered at another service's feedback endpoint: no answer to d, unmatched.
      fb('d1', 'd', { serviceId: 'nkr-pain-order-select', outcome: 'accepted', acceptedSuggestions: ['s-edu'] }),
    ]);
    const rows = await store.reportRows();
    expect(rows.weeks).toEqual(
      expect.arrayContaining([
        { kind: 'non-pharmacological', language: 'da', week: '2026-W48', issued: 3, accepted: 1, overridden: 2, acceptedUnknown: 0, noAnswer: 0 },
        { kind: 'non-pharmacological', language: 'en', week: '2026-W48', issued: 1, accepted: 0, overridden: 0, acceptedUnknown: 0, noAnswer: 1 },
        { kind: 'tramadol', language: 'da', week: '2026-W49', issued: 1, accepted: 0, overridden: 0, acceptedUnknown: 0, noAnswer: 1 },
      ]),
    );
    expect(rows.weeks).toHaveLength(3);
    expect(rows.suggestions.sort((p, q) => p.name.localeCompare(q.name))).toEqual([
      { kind: 'non-pharmacological', language: 'da', name: 'ServiceRequest 228557008', cards: 1 },
      { kind: 'non-pharmacological', language: 'da', name: 'ServiceRequest 311401005', cards: 1 },
    ]);
    // a's dismissal is not a reason (a was accepted); b counts once.
    expect(rows.reasons.sort((p, q) => p.code.localeCompare(q.code))).toEqual([
      { kind: 'non-pharmacological', language: 'da', system: '', code: '', cards: 1 },
      { kind: 'non-pharmacological', language: 'da', system: 'http://example.org/override', code: 'already-addressed', cards: 1 },
    ]);
    expect(rows.unmatchedCards).toBe(2);
  });

  test("report rows: a suggestion accepted on a card it does not belong to (another card's uuid) is not credited to that card by the other's name", async () => {
    const store = await freshStore(kind);
    await store.appendCards([
      card('nonpharm', { kind: 'non-pharmacological', suggestions: [{ uuid: 's-edu', name: 'ServiceRequest 311401005' }] }),
      card('flagged', { kind: 'screening-abnormal' }),
    ]);
    await store.recordFeedback([fb('f1', 'flagged', { outcome: 'accepted', acceptedSuggestions: ['s-edu'] })]);
    const rows = await store.reportRows();
    expect(rows.suggestions).toEqual([]);
    // Not an accepted card either: counted apart.
    expect(rows.weeks.find((w) => w.kind === 'screening-abnormal')).toMatchObject({ issued: 1, accepted: 0, overridden: 0, acceptedUnknown: 1, noAnswer: 0 });
  });

  test('report rows: a card whose only acceptance names a suggestion it never had is not counted as accepted; an override of it counts, with its reason', async () => {
    const store = await freshStore(kind);
    const edu = { uuid: 's-edu', name: 'ServiceRequest 311401005' };
    await store.appendCards([card('unknown-only', { suggestions: [edu] }), card('unknown-then-override'), card('known-and-unknown', { suggestions: [{ ...edu, uuid: 's-edu-2' }] })]);
    await store.recordFeedback([
      fb('u1', 'unknown-only', { outcome: 'accepted', acceptedSuggestions: ['no-such-suggestion'] }),
      fb('u2', 'unknown-then-override', { outcome: 'accepted', acceptedSuggestions: ['no-such-suggestion'] }),
      fb('u3', 'unknown-then-override', { reason: { system: 'http://example.org/override', code: 'not-relevant' } }),
      // One answer naming a known and an unknown suggestion: accepted, under the known one's name only.
      fb('k1', 'known-and-unknown', { outcome: 'accepted', acceptedSuggestions: ['s-edu-2', 'no-such-suggestion'] }),
    ]);
    const rows = await store.reportRows();
    expect(rows.weeks).toEqual([{ kind: 'screening-incomplete', language: 'da', week: '2026-W48', issued: 3, accepted: 1, overridden: 1, acceptedUnknown: 1, noAnswer: 0 }]);
    expect(rows.suggestions).toEqual([{ kind: 'screening-incomplete', language: 'da', name: 'ServiceRequest 311401005', cards: 1 }]);
    expect(rows.reasons).toEqual([{ kind: 'screening-incomplete', language: 'da', system: 'http://example.org/override', code: 'not-relevant', cards: 1 }]);
  });

  test('feedback stored before its card is logged still joins it once the log is written', async () => {
    const store = await freshStore(kind);
    await store.recordFeedback([fb('f1', 'late', { outcome: 'accepted', acceptedSuggestions: ['s1'] })]);
    expect((await store.reportRows()).unmatchedCards).toBe(1);
    await store.appendCards([card('late', { suggestions: [{ uuid: 's1', name: 'ServiceRequest 311401005' }] })]);
    const rows = await store.reportRows();
    expect(rows.unmatchedCards).toBe(0);
    expect(rows.weeks[0]).toMatchObject({ issued: 1, accepted: 1 });
  });

  test('the report is read off the request path: timers run while its reads are under way, and two reports at once share one read', async () => {
    const store = await freshStore(kind);
    await store.appendCards([card('r-1'), card('r-2', { suppressed: true })]);
    const snapshots = jest.spyOn(store.db, 'readSnapshot');
    // Count event-loop turns until the report is in: a synchronous read on the main thread allows none.
    let turns = 0;
    let done = false;
    const spin = (): void => {
      if (done) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const [a, b] = await Promise.all([store.reportRows(), store.reportRows()]);
    done = true;
    expect(turns).toBeGreaterThan(0);
    expect(snapshots).toHaveBeenCalledTimes(1);
    expect(a).toEqual(b);
    expect(a.weeks[0]?.issued).toBe(1);
    expect(a.suppressed).toEqual([{ kind: 'screening-incomplete', language: 'da', week: '2026-W48', cards: 1 }]);
    // Once answered, the next report reads again (and sees new cards).
    await store.appendCards([card('r-3')]);
    expect((await store.reportRows()).weeks[0]?.issued).toBe(2);
    expect(snapshots).toHaveBeenCalledTimes(2);
    snapshots.mockRestore();
  });

  test('the card log written through CardLog holds keyed hashes only: no patient id in any table', async () => {
    const store = await freshStore(kind);
    const metrics = new Metrics();
    const health = new StoreHealth({ logger: silentLogger(), metrics });
    const log = new CardLog({ store, health, metrics, pseudonyms: new Pseudonymizer('x'.repeat(32)), flushMs: 10_000 });
    const issued = {
      card: { uuid: 'u-1', summary: 's', indicator: 'warning' as const, source: { label: 'l' } },
      kind: 'current-medication',
      facts: { patientRef: 'Patient/patient-gsb-4711', drugs: ['tramadol'] },
      orderRef: 'MedicationRequest/order-patient-gsb-4711',
    };
    log.record({ serviceId: 'nkr-pain-patient-view', language: 'da', patientId: 'patient-gsb-4711', cards: [issued], now: T0 });
    expect(log.pendingCount).toBe(1);
    await log.close();
    expect(log.pendingCount).toBe(0);
    const dump = await dumpAllTables(store);
    expect(dump.tables).toEqual(expect.arrayContaining(['card_log', 'feedback', 'jwt_replay']));
    expect(dump.text).toContain('u-1');
    expect(dump.text).not.toContain('gsb-4711');
  });

  test('a closed (unreachable) store rejects: ping, writes and reads', async () => {
    const store = await freshStore(kind);
    await store.close();
    expect(await rejects(store.ping())).toBe(true);
    expect(await rejects(store.recordFeedback([fb('k', 'c')]))).toBe(true);
    expect(await rejects(checkJti(store, 'a', 10, 1))).toBe(true);
  });
});
