import request from 'supertest';
import type { Store } from '../../src/store/store.js';
import type { SqlStore } from '../../src/store/sqlStore.js';
import { captureLogs } from '../support/captureLogs.js';
import { OVERRIDE_REASON_SYSTEM } from '../../src/model/overrideReasons.js';
import { buildTestApp, FIXED_NOW, patientViewRequest, type TestApp } from '../support/testApp.js';
import { closeAll, freshStore, STORE_KINDS } from '../store/storeKinds.js';
import { feedbackReport } from '../../src/store/report.js';

const URL = '/cds-services/nkr-pain-patient-view/feedback';
const SERVICE = '/cds-services/nkr-pain-patient-view';
const ADMIN_TOKEN = 'admin-token-0123456789';

/** What the CDS Hooks sandbox sent (fixtures/sandbox/ captures 11 and 21; https://cds-hooks.hl7.org/2.0/#feedback): accept, and override with a reason without display. */
const accepted = () => ({
  feedback: [{ card: 'f1a8bc59-1133-4a20-afeb-3e2f34c14e05', outcome: 'accepted', acceptedSuggestions: [{ id: '120bada8-5496-48e5-bd50-7a5e4b0559f1' }], outcomeTimestamp: '2026-11-25T17:39:34.987Z' }],
});
const overridden = () => ({
  feedback: [
    {
      card: '52bbb69b-841f-44e5-8ee4-8a18ccbfabdc',
      outcome: 'overridden',
      outcomeTimestamp: '2026-11-25T17:39:50.395Z',
      overrideReason: { reason: { code: 'pt-pref', system: 'http://example.org/override' } } as { reason: { code: string; system: string }; userComment?: string },
    },
  ],
});

function expectOperationOutcome(res: request.Response, status: number): fhir4.OperationOutcome {
  expect(res.status).toBe(status);
  expect(res.body.resourceType).toBe('OperationOutcome');
  return res.body as fhir4.OperationOutcome;
}

/** The stored feedback rows of any store, as plain objects. */
async function stored(store: SqlStore): Promise<Array<Record<string, unknown>>> {
  const rows = await store.db.all('SELECT card_uuid, service_id, outcome, reason_system, reason_code, has_user_comment, outcome_timestamp FROM feedback ORDER BY outcome_timestamp');
  const sugg = await store.db.all('SELECT f.card_uuid, s.suggestion_uuid FROM feedback_suggestion s JOIN feedback f ON f.feedback_key = s.feedback_key');
  return rows.map((r) => ({ ...r, has_user_comment: Number(r.has_user_comment), suggestions: sugg.filter((s) => s.card_uuid === r.card_uuid).map((s) => s.suggestion_uuid) }));
}

afterAll(closeAll);

describe.each(STORE_KINDS)('feedback with the %s store', (kind) => {
  let store: SqlStore;
  let t: TestApp;
  beforeEach(async () => {
    store = await freshStore(kind);
    t = buildTestApp({ store, env: { ADMIN_TOKEN } });
  });

  test('F1: accepted with acceptedSuggestions (sandbox capture 11) → 200 {} and stored', async () => {
    const res = await request(t.app).post(URL).send(accepted());
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.text).toBe('{}');
    expect(await stored(store)).toEqual([
      {
        card_uuid: 'f1a8bc59-1133-4a20-afeb-3e2f34c14e05',
        service_id: 'nkr-pain-patient-view',
        outcome: 'accepted',
        reason_system: null,
        reason_code: null,
        has_user_comment: 0,
        outcome_timestamp: '2026-11-25T17:39:34.987Z',
        suggestions: ['120bada8-5496-48e5-bd50-7a5e4b0559f1'],
      },
    ]);
  });

  test('F1: overridden with a reason without display (capture 21), and a plain dismiss → 200, stored; a reason no card of ours offers (the capture\'s "pt-pref", another service\'s) is stored as not offered', async () => {
    expect((await request(t.app).post(URL).send(overridden())).status).toBe(200);
    expect((await request(t.app).post(URL).send({ feedback: [{ card: 'c0000000-0000-4000-8000-000000000001', outcome: 'overridden', outcomeTimestamp: '2026-11-25T17:40:00Z' }] })).status).toBe(200);
    const ours = (card: string, reason: Record<string, string>) => ({ feedback: [{ card, outcome: 'overridden', outcomeTimestamp: '2026-11-25T17:41:00Z', overrideReason: { reason } }] });
    expect((await request(t.app).post(URL).send(ours('c0000000-0000-4000-8000-000000000003', { system: OVERRIDE_REASON_SYSTEM, code: 'not-relevant' }))).status).toBe(200);
    expect((await request(t.app).post(URL).send(ours('c0000000-0000-4000-8000-000000000004', { code: 'acute-pain' }))).status).toBe(200);
    expect(await stored(store)).toEqual([
      expect.objectContaining({ outcome: 'overridden', reason_system: null, reason_code: 'not-offered' }),
      expect.objectContaining({ card_uuid: 'c0000000-0000-4000-8000-000000000001', outcome: 'overridden', reason_code: null }),
      expect.objectContaining({ card_uuid: 'c0000000-0000-4000-8000-000000000003', reason_system: OVERRIDE_REASON_SYSTEM, reason_code: 'not-relevant' }),
      expect.objectContaining({ card_uuid: 'c0000000-0000-4000-8000-000000000004', reason_system: null, reason_code: 'acute-pain' }),
    ]);
  });

  test('free text where a code or an id belongs (a name and a CPR number) is never stored, logged or reported: the reason is "not offered", the suggestion id "not a uuid"', async () => {
    const logs = captureLogs();
    const app = buildTestApp({ store, logger: logs.logger }).app;
    const cpr = 'Mette Hansen CPR 140768-1234';
    const body = {
      feedback: [
        { card: 'c0000000-0000-4000-8000-000000000005', outcome: 'overridden', outcomeTimestamp: '2026-11-25T17:42:00Z', overrideReason: { reason: { code: `${cpr} refuses` } } },
        { card: 'c0000000-0000-4000-8000-000000000006', outcome: 'overridden', outcomeTimestamp: '2026-11-25T17:42:00Z', overrideReason: { reason: { system: 'http://ehr.example/reasons', code: 'not-relevant' } } },
        { card: 'c0000000-0000-4000-8000-000000000007', outcome: 'accepted', outcomeTimestamp: '2026-11-25T17:42:00Z', acceptedSuggestions: [{ id: cpr }] },
      ],
    };
    expect((await request(app).post(URL).send(body)).status).toBe(200);
    await new Promise((r) => setImmediate(r));
    const rows = await stored(store);
    expect(rows.map((r) => [r.reason_code, r.suggestions])).toEqual([
      ['not-offered', []],
      ['not-offered', []],
      [null, ['not-a-uuid']],
    ]);
    const everything = JSON.stringify([rows, logs.lines(), await feedbackReport(store, FIXED_NOW)]);
    expect(everything).not.toMatch(/140768|Mette/i);
  });

  test('overridden with an empty acceptedSuggestions (a serializer writing every field) → 200, stored; accepted with an empty one → 400 naming the field', async () => {
    const item = { card: 'c0000000-0000-4000-8000-000000000002', outcomeTimestamp: '2026-11-25T17:40:00Z', acceptedSuggestions: [] };
    expect((await request(t.app).post(URL).send({ feedback: [{ ...item, outcome: 'overridden' }] })).status).toBe(200);
    expect(await stored(store)).toEqual([expect.objectContaining({ card_uuid: item.card, outcome: 'overridden', suggestions: [] })]);
    const oo = expectOperationOutcome(await request(t.app).post(URL).send({ feedback: [{ ...item, outcome: 'accepted' }] }), 400);
    expect(oo.issue[0]?.expression).toEqual(['feedback[0].acceptedSuggestions']);
  });

  test('idempotent: the same feedback twice is stored once; another answer for the card is a new record', async () => {
    expect((await request(t.app).post(URL).send(accepted())).status).toBe(200);
    expect((await request(t.app).post(URL).send(accepted())).status).toBe(200);
    expect(await stored(store)).toHaveLength(1);
    const other = accepted();
    other.feedback[0]!.outcomeTimestamp = '2026-11-25T17:39:40Z';
    other.feedback[0]!.acceptedSuggestions = [{ id: 'another-suggestion' }];
    expect((await request(t.app).post(URL).send(other)).status).toBe(200);
    expect(await stored(store)).toHaveLength(2);
    const text = await t.metrics.registry.getSingleMetricAsString('cds_feedback_items_total');
    expect(text).toContain('cds_feedback_items_total{outcome="accepted",result="stored"} 2');
    expect(text).toContain('cds_feedback_items_total{outcome="accepted",result="duplicate"} 1');
  });

  test('what makes an answer the same: the suggestions in another order is a duplicate; only another outcomeTimestamp is a new record', async () => {
    const two = () => {
      const body = accepted();
      body.feedback[0]!.acceptedSuggestions = [{ id: 's-1' }, { id: 's-2' }];
      return body;
    };
    expect((await request(t.app).post(URL).send(two())).status).toBe(200);
    const reordered = two();
    reordered.feedback[0]!.acceptedSuggestions = [{ id: 's-2' }, { id: 's-1' }];
    expect((await request(t.app).post(URL).send(reordered)).status).toBe(200);
    expect(await stored(store)).toHaveLength(1);
    const later = two();
    later.feedback[0]!.outcomeTimestamp = '2026-11-25T17:45:00Z';
    expect((await request(t.app).post(URL).send(later)).status).toBe(200);
    expect(await stored(store)).toHaveLength(2);
  });

  test('a batch across cards is stored item by item', async () => {
    expect((await request(t.app).post(URL).send({ feedback: [...accepted().feedback, ...overridden().feedback] })).status).toBe(200);
    expect((await stored(store)).map((f) => f.outcome)).toEqual(['accepted', 'overridden']);
  });

  test('a userComment is not kept, only that there was one', async () => {
    const body = overridden();
    body.feedback[0]!.overrideReason.userComment = 'Patient Karen Jensen said no';
    expect((await request(t.app).post(URL).send(body)).status).toBe(200);
    const rows = await stored(store);
    expect(rows[0]?.has_user_comment).toBe(1);
    expect(JSON.stringify(await store.db.all('SELECT * FROM feedback'))).not.toContain('Karen');
  });

  test('feedback kept but its quieting not stored → 503 with Retry-After (the EHR sends it again), the feedback stored', async () => {
    const hook = await request(t.app).post(SERVICE).send(patientViewRequest('gsb-workup-missing'));
    const card = hook.body.cards[0];
    store.putQuiet = () => Promise.reject(new Error('disk full'));
    const item = { card: card.uuid, outcome: 'overridden', outcomeTimestamp: new Date(FIXED_NOW).toISOString(), overrideReason: { reason: { system: OVERRIDE_REASON_SYSTEM, code: 'already-addressed' } } };
    const res = await request(t.app).post(URL).send({ feedback: [item] });
    const oo = expectOperationOutcome(res, 503);
    expect(oo.issue[0]?.diagnostics).toContain('The feedback was kept');
    expect(res.headers['retry-after']).toBe('30');
    expect((await stored(store)).map((f) => f.card_uuid)).toEqual([card.uuid]);
  });

  test('an empty userComment is no comment', async () => {
    const body = overridden();
    body.feedback[0]!.overrideReason.userComment = '';
    expect((await request(t.app).post(URL).send(body)).status).toBe(200);
    expect((await stored(store))[0]?.has_user_comment).toBe(0);
  });

  test('a long userComment or reason display (neither kept; the body limit bounds them) does not refuse the batch: every answer in it is stored', async () => {
    const long = overridden().feedback[0]!;
    const reason = { code: 'pt-pref', system: 'http://example.org/override', display: 'd'.repeat(5000) };
    const body = { feedback: [...accepted().feedback, { ...long, overrideReason: { reason, userComment: 'x'.repeat(20_000) } }] };
    expect((await request(t.app).post(URL).send(body)).status).toBe(200);
    expect((await stored(store)).map((f) => [f.outcome, f.has_user_comment])).toEqual([['accepted', 0], ['overridden', 1]]);
  });

  test('malformed feedback → 400 naming the field, nothing stored', async () => {
    const oo = expectOperationOutcome(await request(t.app).post(URL).send({ feedback: [{ card: 'c0000000-0000-4000-8000-000000000001', outcome: 'accepted', outcomeTimestamp: '2026-11-25T17:39:34.987Z' }] }), 400);
    expect(oo.issue[0]?.expression).toEqual(['feedback[0].acceptedSuggestions']);
    expect(await stored(store)).toEqual([]);
  });

  test('card is the uuid of a card the service issued: anything else → 400 naming the field, never quoted in the answer or the log', async () => {
    const logs = captureLogs();
    const app = buildTestApp({ store, logger: logs.logger }).app;
    for (const card of ['Mette-Hansen-010170-1234', 'c0000000-0000-4000-8000-00000000000', 'urn:uuid:52bbb69b-841f-44e5-8ee4-8a18ccbfabdc']) {
      const res = await request(app).post(URL).send({ feedback: [{ card, outcome: 'overridden', outcomeTimestamp: '2026-11-25T17:40:00Z' }] });
      expect(expectOperationOutcome(res, 400).issue[0]?.expression).toEqual(['feedback[0].card']);
      expect(res.text).not.toContain(card);
    }
    await new Promise((r) => setImmediate(r));
    expect(logs.text()).not.toContain('Mette');
    expect(await stored(store)).toEqual([]);
  });

  test('card and suggestion uuids in upper case are the same as the issued (lower-case) ones: joined in the report, stored once', async () => {
    const hook = await request(t.app).post(SERVICE).set('Accept-Language', 'da').send(patientViewRequest('gsb-established-complete'));
    const card = hook.body.cards[0];
    const answer = (c: string, s: string) => ({ feedback: [{ card: c, outcome: 'accepted', acceptedSuggestions: [{ id: s }], outcomeTimestamp: '2026-11-25T12:01:00Z' }] });
    expect((await request(t.app).post(URL).send(answer(card.uuid.toUpperCase(), card.suggestions[0].uuid.toUpperCase()))).status).toBe(200);
    expect((await request(t.app).post(URL).send(answer(card.uuid, card.suggestions[0].uuid))).status).toBe(200);
    expect(await stored(store)).toEqual([expect.objectContaining({ card_uuid: card.uuid, suggestions: [card.suggestions[0].uuid] })]);
    const report = await request(t.app).get('/admin/report').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(report.body.feedbackForUnknownCards).toBe(0);
    const kindRow = report.body.kinds.find((k: { kind: string }) => k.kind === 'non-pharmacological-treatment');
    expect(kindRow).toMatchObject({ issued: 1, accepted: 1 });
    expect(kindRow.acceptedSuggestions).toHaveLength(1);
  });

  test('200 is answered only after the record is committed', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const slow: Store = Object.create(store) as Store;
    slow.recordFeedback = async (items) => {
      await gate;
      return store.recordFeedback(items);
    };
    const app = buildTestApp({ store: slow }).app;
    let answered = false;
    const pending = request(app)
      .post(URL)
      .send(accepted())
      .then((res) => {
        answered = true;
        return res;
      });
    await new Promise((r) => setTimeout(r, 150));
    expect(answered).toBe(false);
    open();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await stored(store)).toHaveLength(1);
  });

  test('a card counts once in the report even with several answers; GET /admin/report joins feedback to the issued cards', async () => {
    const hook = await request(t.app).post(SERVICE).set('Accept-Language', 'da').send(patientViewRequest('gsb-established-complete'));
    expect(hook.status).toBe(200);
    const card = hook.body.cards[0];
    expect(card.source.topic.code).toBe('non-pharmacological-treatment');
    // No explicit flush: feedback writes this instance's pending card log first.
    expect(t.runtime.cardLog.pendingCount).toBe(1);
    const [s1, s2] = card.suggestions;
    // The sandbox sends one `accepted` per clicked suggestion, and the same answer may come twice.
    for (const s of [s1, s2, s2]) {
      const res = await request(t.app)
        .post(URL)
        .send({ feedback: [{ card: card.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: s.uuid }], outcomeTimestamp: `2026-11-25T12:0${s === s1 ? 1 : 2}:00Z` }] });
      expect(res.status).toBe(200);
    }
    expect(t.runtime.cardLog.pendingCount).toBe(0);
    const res = await request(t.app).get('/admin/report').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.body.feedbackForUnknownCards).toBe(0);
    const kindRow = res.body.kinds.find((k: { kind: string }) => k.kind === 'non-pharmacological-treatment');
    expect(kindRow).toMatchObject({ language: 'da', issued: 1, accepted: 1, overridden: 0, noAnswer: 0 });
    expect(kindRow.acceptedSuggestions).toHaveLength(2);
    expect(kindRow.acceptedSuggestions.every((a: { cards: number; suggestion: string }) => a.cards === 1 && /^ServiceRequest \d+$/.test(a.suggestion))).toBe(true);
    expect(res.body.weeks).toEqual([{ week: '2026-W48', kind: 'non-pharmacological-treatment', language: 'da', issued: 1, accepted: 1, overridden: 0, acceptedUnknown: 0, noAnswer: 0 }]);
    expect(res.body.store).toBe(kind);
  });

  test('an acceptance naming a suggestion the card never had → 200 and stored, but the report does not count the card as accepted: apart', async () => {
    const hook = await request(t.app).post(SERVICE).set('Accept-Language', 'da').send(patientViewRequest('gsb-established-complete'));
    const card = hook.body.cards[0];
    const res = await request(t.app)
      .post(URL)
      .send({ feedback: [{ card: card.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: '00000000-0000-4000-8000-000000000000' }], outcomeTimestamp: '2026-11-25T12:01:00Z' }] });
    expect(res.status).toBe(200);
    const report = await request(t.app).get('/admin/report').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(report.body.totals).toEqual({ issued: 1, accepted: 0, overridden: 0, acceptedUnknown: 1, noAnswer: 0 });
    expect(report.body.kinds[0].acceptedSuggestions).toEqual([]);
  });
});

describe('feedback: bounded input and log line', () => {
  const cardUuid = (i: number): string => `c0000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const item = (i: number, suggestions = 1) => ({ card: cardUuid(i), outcome: 'accepted', outcomeTimestamp: '2026-11-25T17:39:34.987Z', acceptedSuggestions: Array.from({ length: suggestions }, (_, j) => ({ id: `s-${j}` })) });
  test('at most 100 items and 20 accepted suggestions an item (400 naming the field beyond)', async () => {
    const { app } = buildTestApp();
    expect((await request(app).post(URL).send({ feedback: Array.from({ length: 100 }, (_, i) => item(i, 20)) })).status).toBe(200);
    expect(expectOperationOutcome(await request(app).post(URL).send({ feedback: Array.from({ length: 101 }, (_, i) => item(i)) }), 400).issue[0]?.expression).toEqual(['feedback']);
    expect(expectOperationOutcome(await request(app).post(URL).send({ feedback: [item(0, 21)] }), 400).issue[0]?.expression).toEqual(['feedback[0].acceptedSuggestions']);
  });
  test('the request\'s log line names the first 20 items and counts them all; a reason code no card offers is logged as not offered', async () => {
    const logs = captureLogs();
    const { app } = buildTestApp({ logger: logs.logger });
    const body = { feedback: Array.from({ length: 100 }, (_, i) => ({ card: cardUuid(i), outcome: 'overridden', outcomeTimestamp: '2026-11-25T17:39:34.987Z', overrideReason: { reason: { code: 'x'.repeat(256) } } })) };
    expect((await request(app).post(URL).send(body)).status).toBe(200);
    await new Promise((r) => setImmediate(r));
    const line = logs.lines<{ feedback?: Array<{ reason: string }>; feedbackItems?: number }>().find((l) => l.feedbackItems !== undefined)!;
    expect(line.feedbackItems).toBe(100);
    expect(line.feedback).toHaveLength(20);
    expect(line.feedback![0]!.reason).toBe('not-offered');
    expect(JSON.stringify(line).length).toBeLessThan(5000);
  });
});

describe('feedback when the store is down', () => {
  test.each(STORE_KINDS)('%s: feedback → 503 OperationOutcome (the EHR may retry), counted, logged once a minute; hook calls still answer', async (kind) => {
    const store = await freshStore(kind);
    const logs = captureLogs();
    const t = buildTestApp({ store, logger: logs.logger });
    await store.close();
    for (let i = 0; i < 2; i++) {
      const res = await request(t.app).post(URL).send(accepted());
      const oo = expectOperationOutcome(res, 503);
      expect(oo.issue[0]?.code).toBe('transient');
      expect(res.headers['retry-after']).toBe('30');
    }
    const hook = await request(t.app).post(SERVICE).send(patientViewRequest('gsb-workup-missing'));
    expect(hook.status).toBe(200);
    expect(hook.body.cards).toHaveLength(1);
    await t.runtime.cardLog.flush();
    expect(t.runtime.cardLog.pendingCount).toBe(1); // kept for the next try
    const metrics = await t.metrics.registry.metrics();
    expect(metrics).toContain('cds_feedback_items_total{outcome="accepted",result="failed"} 2');
    expect(metrics).toMatch(/cds_store_errors_total\{operation="feedback"\} 2/);
    expect(metrics).toMatch(/cds_store_errors_total\{operation="card-log"\} 1/);
    expect(metrics).toContain('cds_store_up 0');
    expect(logs.lines().filter((l) => l.msg === 'store unavailable')).toHaveLength(1);
    const ready = await request(t.app).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.store).toMatch(/^unavailable/);
  });
});

describe('routing', () => {
  test('feedback for an unknown service → 404; an unknown card uuid → 200 {} (no hint about which cards exist); GET → 405', async () => {
    const { app, feedback } = buildTestApp();
    expectOperationOutcome(await request(app).post('/cds-services/fm-meds/feedback').send(accepted()), 404);
    expect(feedback.all()).toEqual([]);
    const res = await request(app).post(URL).send({ feedback: [{ card: '00000000-0000-4000-8000-000000000000', outcome: 'overridden', outcomeTimestamp: '2026-11-25T17:40:00Z' }] });
    expect(res.status).toBe(200);
    expect(res.text).toBe('{}');
    const get = await request(app).get(URL);
    expectOperationOutcome(get, 405);
    expect(get.headers.allow).toContain('POST');
  });

  test('a body that is not JSON → 400; not declared JSON → 415', async () => {
    const { app } = buildTestApp();
    expectOperationOutcome(await request(app).post(URL).set('Content-Type', 'application/json').send('{"feedback":'), 400);
    expectOperationOutcome(await request(app).post(URL).set('Content-Type', 'text/plain').send('{}'), 415);
  });
});
