/**
 * Quiet by design (docs/clinical-rules.md §6) through the HTTP API, on both stores: a card a clinician
 * answered is not repeated while its finding is the same; a changed finding shows at once; only shown,
 * never answered, is shown again. The clock is injected (buildTestApp `clock`) for the expiries.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import { silentLogger } from '../../src/observability/logger.js';
import { createAuthVerifier } from '../../src/transport/auth/index.js';
import { OVERRIDE_REASON_SYSTEM } from '../../src/model/overrideReasons.js';
import { loadConfig } from '../../src/config.js';
import { issue } from '../../src/model/cdsResponse.js';
import { STORE_WAIT_ON_REQUEST_PATH_MS } from '../../src/model/storeWait.js';
import { answeredAt, answerOrder, entriesForAnswer, quietPolicy } from '../../src/store/quiet.js';
import type { SqlStore } from '../../src/store/sqlStore.js';
import type { LoggedCard } from '../../src/store/store.js';
import { feedbackReport, formatReport } from '../../src/store/report.js';
import { buildTestApp, cardOfKind, expectValidResponse, FIXED_NOW, patientViewRequest, testConfig, type TestApp } from '../support/testApp.js';
import { closeAll, dumpAllTables, freshLocation, freshStore, openAt, STORE_KINDS } from './storeKinds.js';

const PV = 'nkr-pain-patient-view';
const SELECT = 'nkr-pain-order-select';
const SIGN = 'nkr-pain-order-sign';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Body = { cards: Array<Record<string, any>> };

/** A test app on `store` whose clock the test moves. */
function appAt(store: SqlStore, env: Record<string, string> = {}): TestApp & { clock: { now: number } } {
  const clock = { now: FIXED_NOW };
  const t = buildTestApp({ store, env, clock: () => clock.now });
  return { ...t, clock };
}

async function hook(t: TestApp, serviceId: string, body: unknown): Promise<Body> {
  const res = await request(t.app).post(`/cds-services/${serviceId}`).set('Accept-Language', 'en').send(body as object);
  expect(res.status).toBe(200);
  return expectValidResponse(res.body);
}

const kinds = (b: Body): string[] => b.cards.map((c) => c.source.topic.code).sort();

/**
 * Posts one answer; `reason` undefined = a plain dismiss; `accept` = accept the first suggestion. Answered
 * at the app's clock (`answeredAt` to say otherwise: an answer sent later than it was given).
 */
async function answer(
  t: TestApp & { clock?: { now: number } },
  serviceId: string,
  card: Record<string, any> | undefined,
  how: { reason?: string; accept?: boolean; answeredAt?: number },
): Promise<void> {
  expect(card).toBeDefined();
  const item: Record<string, unknown> = { card: card!.uuid, outcomeTimestamp: new Date(how.answeredAt ?? t.clock?.now ?? FIXED_NOW).toISOString() };
  if (how.accept) Object.assign(item, { outcome: 'accepted', acceptedSuggestions: [{ id: card!.suggestions[0].uuid }] });
  else {
    item.outcome = 'overridden';
    if (how.reason !== undefined) item.overrideReason = { reason: { system: OVERRIDE_REASON_SYSTEM, code: how.reason } };
  }
  const res = await request(t.app).post(`/cds-services/${serviceId}/feedback`).send({ feedback: [item] });
  expect(res.status).toBe(200);
}

/** gsb-workup-missing with one more result taken (TSH): another set of missing groups, another finding. */
function workupWithTsh(): Record<string, any> {
  const body = patientViewRequest('gsb-workup-missing') as Record<string, any>;
  body.prefetch.labs.entry.push({
    resource: {
      resourceType: 'Observation',
      id: 'wm-tsh',
      status: 'final',
      subject: { reference: 'Patient/gsb-workup-missing' },
      code: { coding: [{ system: 'http://loinc.org', code: '3016-3' }] },
      effectiveDateTime: '2026-11-20',
      valueQuantity: { value: 2.1, unit: 'mIU/L' },
      referenceRange: [{ low: { value: 0.3, unit: 'mIU/L' }, high: { value: 4.5, unit: 'mIU/L' } }],
    },
  });
  return body;
}

/** gsb-complete-flagged with its flagged TSH at another value (a corrected or new result). */
function flaggedWithTsh(value: number): Record<string, any> {
  const body = patientViewRequest('gsb-complete-flagged') as Record<string, any>;
  const tsh = body.prefetch.labs.entry.find((e: any) => e.resource.id === 'gsb-complete-flagged-tsh');
  tsh.resource.valueQuantity.value = value;
  return body;
}

// --- medication hooks: one patient, draft orders ---
const ORDER_PATIENT = 'quiet-patient-4711';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const TRAMADOL = { text: 'tramadol 50 mg', coding: [{ system: RXNORM, code: '835603', display: 'tramadol 50 mg' }] };
const TRAMADOL_RETARD = { text: 'Tramadol retard 100 mg', coding: [{ system: RXNORM, code: '835603', display: 'Tramadol retard 100 mg' }] };
const PREGABALIN = { text: 'Lyrica 75 mg', coding: [{ system: RXNORM, code: '483440', display: 'Lyrica 75 mg' }] };
const AMITRIPTYLINE = { text: 'amitriptyline 25 mg', coding: [{ system: RXNORM, code: '856834', display: 'amitriptyline 25 mg' }] };
const taken = (when: string): fhir4.Dosage[] => [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: [when] as fhir4.TimingRepeat['when'] } } }];

function orderBody(hookName: 'order-select' | 'order-sign', orders: Array<{ id: string; drug: fhir4.CodeableConcept; dosageInstruction?: fhir4.Dosage[] }>): Record<string, unknown> {
  const drafts = orders.map((o) => ({
    resourceType: 'MedicationRequest',
    id: o.id,
    status: 'draft',
    intent: 'order',
    subject: { reference: `Patient/${ORDER_PATIENT}` },
    medicationCodeableConcept: o.drug,
    ...(o.dosageInstruction ? { dosageInstruction: o.dosageInstruction } : {}),
  }));
  const context: Record<string, unknown> = { patientId: ORDER_PATIENT, userId: 'Practitioner/x', draftOrders: { resourceType: 'Bundle', entry: drafts.map((resource) => ({ resource })) } };
  if (hookName === 'order-select') context.selections = drafts.map((d) => `MedicationRequest/${d.id}`);
  const fm = {
    resourceType: 'Condition',
    id: 'fm',
    subject: { reference: `Patient/${ORDER_PATIENT}` },
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] },
  };
  return {
    hook: hookName,
    hookInstance: '1f0a9a7e-61f5-4b38-8a1a-222222222222',
    context,
    prefetch: { conditions: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: fm }] }, medications: { resourceType: 'Bundle', type: 'searchset', entry: [] } },
  };
}

const drugCard = (b: Body, text: string): Record<string, any> | undefined => b.cards.find((c) => JSON.stringify(c).includes(text));

afterAll(closeAll);

describe('the rules of quieting (entriesForAnswer, quietPolicy)', () => {
  const settings = loadConfig({}).quiet;
  const card = (over: Partial<LoggedCard> = {}): LoggedCard => ({ cardUuid: 'u', serviceId: PV, kind: 'screening-abnormal', patientKey: 'P', findingKey: 'F', quietPolicy: 'patient', itemKeys: ['f1', 'f2'], callerKey: null, ...over });
  const at = FIXED_NOW;
  const over = (code: string | null) => ({ outcome: 'overridden' as const, reason: code === null ? null : { system: null, code }, outcomeTimestamp: new Date(at).toISOString(), receivedAt: at });

  test('patient-level: a reason → QUIET_DAYS, address-later → QUIET_LATER_DAYS, none → QUIET_DISMISS_HOURS, accepted → nothing quiet (an entry that ends an earlier quieting)', () => {
    expect(entriesForAnswer(card({ kind: 'current-medication' }), over('not-relevant'), settings)).toEqual([{ patientKey: 'P', entryKey: 'F', kind: 'current-medication', reason: 'override:not-relevant', quietUntil: at + 90 * DAY, setAt: at }]);
    expect(entriesForAnswer(card({ kind: 'current-medication' }), over('address-later'), settings)[0]?.quietUntil).toBe(at + 7 * DAY);
    expect(entriesForAnswer(card({ kind: 'current-medication' }), over(null), settings)[0]).toMatchObject({ reason: 'dismissed', quietUntil: at + 24 * HOUR });
    expect(entriesForAnswer(card({ kind: 'screening-incomplete' }), { outcome: 'accepted', reason: null, outcomeTimestamp: new Date(at).toISOString(), receivedAt: at }, settings)).toEqual([
      // It outlives the longest period an earlier answer could claim, so that answer sent again cannot come back.
      // Its kind is no card kind: no version of the service reads it as quieting (a rollback, two versions on one database).
      { patientKey: 'P', entryKey: 'F', kind: 'cleared:screening-incomplete', reason: 'cleared:accepted', quietUntil: at + 90 * DAY, setAt: at },
    ]);
  });

  test('the entry an acceptance leaves outlives whichever period is longest: QUIET_LATER_DAYS, QUIET_DISMISS_HOURS or QUIET_DAYS', () => {
    const accepted = { outcome: 'accepted' as const, reason: null, outcomeTimestamp: new Date(at).toISOString(), receivedAt: at };
    const until = (env: Record<string, string>) => entriesForAnswer(card({ kind: 'screening-incomplete' }), accepted, loadConfig(env).quiet)[0]?.quietUntil;
    expect(until({ QUIET_DAYS: '10', QUIET_LATER_DAYS: '30' })).toBe(at + 30 * DAY);
    expect(until({ QUIET_DAYS: '1', QUIET_LATER_DAYS: '1', QUIET_DISMISS_HOURS: '72' })).toBe(at + 72 * HOUR);
    expect(until({ QUIET_DAYS: '10', QUIET_LATER_DAYS: '3' })).toBe(at + 10 * DAY);
  });

  test('answers keep the order they were given in with a client clock up to 5 minutes ahead; further ahead, the receipt + 5 minutes', () => {
    expect(answerOrder({ outcomeTimestamp: new Date(at + 60_000).toISOString(), receivedAt: at })).toBe(at + 60_000);
    expect(answerOrder({ outcomeTimestamp: new Date(at + 30_000).toISOString(), receivedAt: at + 2_000 })).toBe(at + 30_000);
    expect(answerOrder({ outcomeTimestamp: '2099-01-01T00:00:00Z', receivedAt: at })).toBe(at + 5 * 60_000);
    // The period still runs from when it was received.
    const e = entriesForAnswer(card({ kind: 'current-medication' }), { ...over('not-relevant'), outcomeTimestamp: new Date(at + 60_000).toISOString() }, settings);
    expect(e[0]).toMatchObject({ setAt: at + 60_000, quietUntil: at + 90 * DAY });
  });

  test('an answer counts from when it was given (outcomeTimestamp), never later than it was received', () => {
    const given = '2026-11-25T11:00:00Z';
    expect(answeredAt({ outcomeTimestamp: given, receivedAt: at })).toBe(Date.parse(given));
    // A client clock ahead of ours: the receipt.
    expect(answeredAt({ outcomeTimestamp: '2026-11-26T12:00:00Z', receivedAt: at })).toBe(at);
    const e = entriesForAnswer(card({ kind: 'current-medication' }), { ...over('not-relevant'), outcomeTimestamp: given }, settings);
    expect(e[0]).toMatchObject({ setAt: Date.parse(given), quietUntil: Date.parse(given) + 90 * DAY });
  });

  test('screening-abnormal: "already addressed" / "not relevant" also answer each flagged result, with no expiry; other answers leave them unanswered', () => {
    const e = entriesForAnswer(card(), over('already-addressed'), settings);
    expect(e.filter((x) => x.kind === 'flagged-result')).toEqual([
      { patientKey: 'P', entryKey: 'f1', kind: 'flagged-result', reason: 'flag-answered:already-addressed', quietUntil: null, setAt: at },
      { patientKey: 'P', entryKey: 'f2', kind: 'flagged-result', reason: 'flag-answered:already-addressed', quietUntil: null, setAt: at },
    ]);
    // Written too, as the answer given last: an earlier "already addressed" no longer answers them.
    // A kind of their own: a version that knows only 'flagged-result' reads them as not answered too.
    expect(entriesForAnswer(card(), over('address-later'), settings).map((x) => `${x.kind} ${x.reason}`)).toEqual(['screening-abnormal override:address-later', 'flagged-result-unanswered flag-unanswered:address-later', 'flagged-result-unanswered flag-unanswered:address-later']);
    expect(entriesForAnswer(card(), over(null), settings).map((x) => `${x.kind} ${x.reason}`)).toEqual(['screening-abnormal dismissed', 'flagged-result-unanswered flag-unanswered:overridden', 'flagged-result-unanswered flag-unanswered:overridden']);
    // Only an override answers a flag: an acceptance that carries a reason anyway (the feedback schema allows it) leaves them unanswered.
    const acceptedWithReason = { ...over('already-addressed'), outcome: 'accepted' as const };
    expect(entriesForAnswer(card(), acceptedWithReason, settings).map((x) => `${x.kind} ${x.reason}`)).toEqual(['cleared:screening-abnormal cleared:accepted', 'flagged-result-unanswered flag-unanswered:already-addressed', 'flagged-result-unanswered flag-unanswered:already-addressed']);
    // QUIET_KINDS_DISABLED: the card is not quieted, but its results are still answered.
    expect(entriesForAnswer(card(), over('not-relevant'), { ...settings, disabledKinds: ['screening-abnormal'] }).map((x) => x.kind)).toEqual(['flagged-result', 'flagged-result']);
    expect(entriesForAnswer(card(), over('not-relevant'), { ...settings, enabled: false })).toEqual([]);
  });

  test('non-drug: any answer; order-select: overridden quiets, accepted ends that quieting; order-sign and unknown cards: never', () => {
    const accepted = { outcome: 'accepted' as const, reason: null, outcomeTimestamp: new Date(at).toISOString(), receivedAt: at };
    expect(entriesForAnswer(card({ kind: 'non-pharmacological-treatment', quietPolicy: 'nonpharm' }), accepted, settings)[0]?.quietUntil).toBeNull();
    expect(entriesForAnswer(card({ kind: 'non-pharmacological-treatment', quietPolicy: 'nonpharm-repeat' }), over(null), settings)[0]?.quietUntil).toBe(at + 365 * DAY);
    expect(entriesForAnswer(card({ kind: 'tramadol', quietPolicy: 'order-select' }), over(null), settings)[0]).toMatchObject({ reason: 'order-select:overridden', quietUntil: at + 12 * HOUR });
    expect(entriesForAnswer(card({ kind: 'amitriptyline', quietPolicy: 'order-select' }), accepted, settings)).toEqual([
      { patientKey: 'P', entryKey: 'F', kind: 'cleared:amitriptyline', reason: 'cleared:order-select:accepted', quietUntil: at + 12 * HOUR, setAt: at },
    ]);
    expect(entriesForAnswer(card({ quietPolicy: null }), over('not-relevant'), settings)).toEqual([]);

    const tramadolCard = { uuid: 'x', summary: 's', indicator: 'info' as const, source: { label: 'l', topic: { system: 's', code: 'tramadol' } } };
    const drug = issue(tramadolCard, { order: 'MedicationRequest/1' }, 'MedicationRequest/1');
    expect(quietPolicy('order-select', drug)).toBe('order-select');
    expect(quietPolicy('order-sign', drug)).toBeNull();
    // A draft without an id is never quieted.
    expect(quietPolicy('order-select', issue(tramadolCard, { order: null }))).toBeNull();
    const nonDrug = (phase: string) => issue({ uuid: 'y', summary: 's', indicator: 'info', source: { label: 'l', topic: { system: 's', code: 'non-pharmacological-treatment' } } }, { phase });
    expect(quietPolicy('patient-view', nonDrug('work-up'))).toBe('nonpharm');
    expect(quietPolicy('patient-view', nonDrug('established'))).toBe('nonpharm-repeat');
  });
});

describe.each(STORE_KINDS)('quiet by design with the %s store', (storeKind) => {
  let store: SqlStore;
  beforeEach(async () => {
    store = await freshStore(storeKind);
  });

  test('override with a reason → the same finding is quiet for QUIET_DAYS (90); a changed finding shows at once', async () => {
    const t = appAt(store);
    const first = await hook(t, PV, patientViewRequest('gsb-workup-missing'));
    await answer(t, PV, cardOfKind(first, 'screening-incomplete'), { reason: 'already-addressed' });
    // At once (the card log is not flushed yet: the card is resolved from memory).
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual([]);
    // A new result changes the set of missing groups: shown at once.
    expect(kinds(await hook(t, PV, workupWithTsh()))).toEqual(['screening-incomplete']);
    t.clock.now = FIXED_NOW + 89 * DAY;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual([]);
    t.clock.now = FIXED_NOW + 91 * DAY;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual(['screening-incomplete']);
  });

  test('feedback sent to another service\'s endpoint answers nothing: the card is not quieted, from memory or from the card log, and the report counts it unmatched', async () => {
    const t = appAt(store);
    const card = cardOfKind(await hook(t, PV, patientViewRequest('gsb-workup-missing')), 'screening-incomplete');
    await answer(t, SELECT, card, { reason: 'already-addressed' });
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual(['screening-incomplete']);
    await t.runtime.cardLog.flush();
    await answer(t, SIGN, card, { reason: 'not-relevant' });
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual(['screening-incomplete']);
    expect((await store.reportRows()).unmatchedCards).toBe(1);
    // The same answer at the issuing service's endpoint quiets it.
    await answer(t, PV, card, { reason: 'already-addressed' });
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual([]);
  });

  test('current-medication: overridden "not relevant" → quiet; another drug is another finding, shown at once', async () => {
    const t = appAt(store);
    const withDrugs = (...drugs: fhir4.CodeableConcept[]): Record<string, any> => {
      const body = patientViewRequest('gsb-established-complete') as Record<string, any>;
      body.prefetch.medications.entry = drugs.map((d, i) => ({
        resource: { resourceType: 'MedicationRequest', id: `active-${i}`, status: 'active', intent: 'order', subject: { reference: 'Patient/gsb-established-complete' }, medicationCodeableConcept: d },
      }));
      return body;
    };
    const first = await hook(t, PV, withDrugs(TRAMADOL));
    expect(kinds(first)).toEqual(['current-medication', 'non-pharmacological-treatment']);
    await answer(t, PV, cardOfKind(first, 'current-medication'), { reason: 'not-relevant' });
    expect(kinds(await hook(t, PV, withDrugs(TRAMADOL)))).toEqual(['non-pharmacological-treatment']);
    expect(kinds(await hook(t, PV, withDrugs(TRAMADOL, PREGABALIN)))).toEqual(['current-medication', 'non-pharmacological-treatment']);
  });

  test('a plain dismiss (no reason) quiets for a day, then the card is back', async () => {
    const t = appAt(store);
    await answer(t, PV, cardOfKind(await hook(t, PV, patientViewRequest('gsb-workup-missing')), 'screening-incomplete'), {});
    t.clock.now = FIXED_NOW + 23 * HOUR;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual([]);
    t.clock.now = FIXED_NOW + 25 * HOUR;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual(['screening-incomplete']);
  });

  test('a reason no card offers (an EHR\'s own code or text, not kept) quiets as a plain dismiss: a day, not QUIET_DAYS', async () => {
    const t = appAt(store);
    const card = cardOfKind(await hook(t, PV, patientViewRequest('gsb-workup-missing')), 'screening-incomplete')!;
    const item = { card: card.uuid, outcome: 'overridden', outcomeTimestamp: new Date(FIXED_NOW).toISOString(), overrideReason: { reason: { system: 'http://ehr.example/reasons', code: 'pt-pref' } } };
    expect((await request(t.app).post(`/cds-services/${PV}/feedback`).send({ feedback: [item] })).status).toBe(200);
    t.clock.now = FIXED_NOW + 23 * HOUR;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual([]);
    t.clock.now = FIXED_NOW + 25 * HOUR;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual(['screening-incomplete']);
  });

  test('"will address later" quiets for 7 days (QUIET_LATER_DAYS); QUIET_DAYS is configurable', async () => {
    const t = appAt(store, { QUIET_DAYS: '30' });
    await answer(t, PV, cardOfKind(await hook(t, PV, patientViewRequest('gsb-workup-missing')), 'screening-incomplete'), { reason: 'address-later' });
    t.clock.now = FIXED_NOW + 6 * DAY;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual([]);
    t.clock.now = FIXED_NOW + 8 * DAY;
    const back = await hook(t, PV, patientViewRequest('gsb-workup-missing'));
    expect(kinds(back)).toEqual(['screening-incomplete']);
    await answer(t, PV, cardOfKind(back, 'screening-incomplete'), { reason: 'not-relevant' });
    t.clock.now = FIXED_NOW + 8 * DAY + 29 * DAY;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual([]);
    t.clock.now = FIXED_NOW + 8 * DAY + 31 * DAY;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual(['screening-incomplete']);
  });

  test('the answer given last wins, not the one received last: an earlier answer sent again (a retry) neither undoes a later one nor restarts its period (docs §6)', async () => {
    const t = appAt(store);
    const card = cardOfKind(await hook(t, PV, patientViewRequest('gsb-workup-missing')), 'screening-incomplete');
    await answer(t, PV, card, { reason: 'not-relevant' }); // 90 days, answered at FIXED_NOW
    t.clock.now = FIXED_NOW + HOUR;
    await answer(t, PV, card, { reason: 'address-later' }); // 7 days from FIXED_NOW + 1 h: the clinician's latest word
    t.clock.now = FIXED_NOW + 2 * HOUR;
    await answer(t, PV, card, { reason: 'not-relevant', answeredAt: FIXED_NOW }); // the first answer again, byte for byte
    t.clock.now = FIXED_NOW + HOUR + 7 * DAY - HOUR;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual([]);
    t.clock.now = FIXED_NOW + HOUR + 7 * DAY + HOUR;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual(['screening-incomplete']);
  });

  test('in one batch the answer given last wins whatever the order of the items; a dismiss sent again keeps its first expiry', async () => {
    const t = appAt(store);
    const card = cardOfKind(await hook(t, PV, patientViewRequest('gsb-workup-missing')), 'screening-incomplete');
    const item = (code: string | null, at: number) => ({
      card: card!.uuid,
      outcome: 'overridden',
      outcomeTimestamp: new Date(at).toISOString(),
      ...(code === null ? {} : { overrideReason: { reason: { system: OVERRIDE_REASON_SYSTEM, code } } }),
    });
    t.clock.now = FIXED_NOW + 10 * 60_000;
    const res = await request(t.app).post(`/cds-services/${PV}/feedback`).send({ feedback: [item('address-later', FIXED_NOW + 5 * 60_000), item('not-relevant', FIXED_NOW + 2 * 60_000)] });
    expect(res.status).toBe(200);
    t.clock.now = FIXED_NOW + 8 * DAY;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual(['screening-incomplete']);
    // A plain dismiss at 8 days, sent again 3 hours later: quiet for a day from when it was given.
    const back = cardOfKind(await hook(t, PV, patientViewRequest('gsb-workup-missing')), 'screening-incomplete');
    await answer(t, PV, back, {});
    t.clock.now = FIXED_NOW + 8 * DAY + 3 * HOUR;
    await answer(t, PV, back, { answeredAt: FIXED_NOW + 8 * DAY });
    t.clock.now = FIXED_NOW + 9 * DAY + HOUR;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual(['screening-incomplete']);
  });

  test("one EHR's patient \"123\" is not another's: an answer on one fhirServer quiets nothing for the same patient id on another; the same server written otherwise is the same", async () => {
    const t = appAt(store);
    const at = (fhirServer: string) => patientViewRequest('gsb-workup-missing', { fhirServer });
    await answer(t, PV, cardOfKind(await hook(t, PV, at('https://fhir.hospital-a.example/r4')), 'screening-incomplete'), { reason: 'not-relevant' });
    expect(kinds(await hook(t, PV, at('https://fhir.hospital-b.example/r4')))).toEqual(['screening-incomplete']);
    expect(kinds(await hook(t, PV, at('https://FHIR.Hospital-A.example/r4/')))).toEqual([]);
  });

  test('a card only shown, never answered, is shown again; accepting a screening suggestion quiets nothing', async () => {
    const t = appAt(store);
    const first = await hook(t, PV, patientViewRequest('gsb-workup-missing'));
    const second = await hook(t, PV, patientViewRequest('gsb-workup-missing'));
    expect(kinds(second)).toEqual(['screening-incomplete']);
    expect(cardOfKind(second, 'screening-incomplete')!.uuid).not.toBe(cardOfKind(first, 'screening-incomplete')!.uuid);
    await answer(t, PV, cardOfKind(second, 'screening-incomplete'), { accept: true });
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual(['screening-incomplete']);
  });

  test('non-drug card, established phase: any answer quiets it for NONPHARM_REPEAT_DAYS (365)', async () => {
    const t = appAt(store);
    const card = cardOfKind(await hook(t, PV, patientViewRequest('gsb-established-complete')), 'non-pharmacological-treatment');
    await answer(t, PV, card, { accept: true });
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-established-complete')))).toEqual([]);
    t.clock.now = FIXED_NOW + 364 * DAY;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-established-complete')))).toEqual([]);
    t.clock.now = FIXED_NOW + 366 * DAY;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-established-complete')))).toEqual(['non-pharmacological-treatment']);
  });

  test('an answered established non-drug card comes back when what only it says changes: a group the screening did not include', async () => {
    const t = appAt(store);
    const card = cardOfKind(await hook(t, PV, patientViewRequest('gsb-established-complete')), 'non-pharmacological-treatment');
    expect(card!.detail).not.toContain('did not include');
    await answer(t, PV, card, { reason: 'not-relevant' });
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-established-complete')))).toEqual([]);
    // One result less: that group is newly "not included".
    const fewer = patientViewRequest('gsb-established-complete') as Record<string, any>;
    fewer.prefetch.labs.entry.pop();
    if (fewer.prefetch.labs.total !== undefined) fewer.prefetch.labs.total = fewer.prefetch.labs.entry.length;
    const back = await hook(t, PV, fewer);
    expect(kinds(back)).toEqual(['non-pharmacological-treatment']);
    expect(cardOfKind(back, 'non-pharmacological-treatment')!.detail).toContain('did not include');
  });

  test('an answered established non-drug card comes back when what only it says changes: a result from before the registration newly flagged', async () => {
    const t = appAt(store);
    // The TSH taken before the diagnosis was registered (2024-01-10): not counted, and here not flagged.
    const earlierTsh = (flagged: boolean): Record<string, any> => {
      const body = patientViewRequest('gsb-established-complete') as Record<string, any>;
      const tsh = body.prefetch.labs.entry.find((e: any) => e.resource.id === 'gsb-established-complete-o0').resource;
      tsh.effectiveDateTime = '2023-12-01';
      if (flagged) {
        tsh.valueQuantity.value = 7.9;
        tsh.interpretation = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }];
      }
      return body;
    };
    const card = cardOfKind(await hook(t, PV, earlierTsh(false)), 'non-pharmacological-treatment');
    expect(card!.detail).not.toContain('flagged by the lab');
    await answer(t, PV, card, { reason: 'not-relevant' });
    expect(kinds(await hook(t, PV, earlierTsh(false)))).toEqual([]);
    const back = await hook(t, PV, earlierTsh(true));
    expect(kinds(back)).toEqual(['non-pharmacological-treatment']);
    expect(cardOfKind(back, 'non-pharmacological-treatment')!.detail).toContain('The latest result from before the diagnosis was registered is flagged by the lab: TSH');
  });

  test('NONPHARM_REPEAT_DAYS=30: an overridden established non-drug card is back after 30 days', async () => {
    const t = appAt(store, { NONPHARM_REPEAT_DAYS: '30' });
    await answer(t, PV, cardOfKind(await hook(t, PV, patientViewRequest('gsb-established-complete')), 'non-pharmacological-treatment'), {});
    t.clock.now = FIXED_NOW + 29 * DAY;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-established-complete')))).toEqual([]);
    t.clock.now = FIXED_NOW + 31 * DAY;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-established-complete')))).toEqual(['non-pharmacological-treatment']);
  });

  test('screening-abnormal "already addressed" → its results count as answered: the work-up non-drug card is shown; a changed result shows at once', async () => {
    const t = appAt(store);
    const first = await hook(t, PV, patientViewRequest('gsb-complete-flagged'));
    // The flagged TSH holds back the non-drug card (docs/clinical-rules.md §3.4).
    expect(kinds(first)).toEqual(['screening-abnormal']);
    await answer(t, PV, cardOfKind(first, 'screening-abnormal'), { reason: 'already-addressed' });
    const after = await hook(t, PV, patientViewRequest('gsb-complete-flagged'));
    expect(kinds(after)).toEqual(['non-pharmacological-treatment']);
    // The answered result no longer keeps back the "communicate the diagnosis" paragraph either.
    expect(cardOfKind(after, 'non-pharmacological-treatment')!.detail).toMatch(/>/);
    // Nor does the card send the clinician to the abnormal-results card, which is quiet now.
    expect(cardOfKind(after, 'non-pharmacological-treatment')!.detail).toContain('The flagged results have been addressed; generalized musculoskeletal pain can coexist with other disease.');
    expect(cardOfKind(after, 'non-pharmacological-treatment')!.detail).not.toContain('separate card');
    // A changed value is another result: its card shows at once, and it holds back the non-drug card again.
    expect(kinds(await hook(t, PV, flaggedWithTsh(9.4)))).toEqual(['screening-abnormal']);
    // The non-drug card in the work-up, once answered, stays quiet until its finding changes.
    await answer(t, PV, cardOfKind(after, 'non-pharmacological-treatment'), { accept: true });
    t.clock.now = FIXED_NOW + 30 * DAY;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-complete-flagged')))).toEqual([]);
  });

  test('results sent without an id: "already addressed" answers the one on the card; a new one of the same value, taken another day, is another result and shows at once', async () => {
    const t = appAt(store);
    const idless = (effectiveDateTime?: string): Record<string, any> => {
      const body = flaggedWithTsh(7.9);
      const tsh = body.prefetch.labs.entry.find((e: any) => e.resource.id === 'gsb-complete-flagged-tsh').resource;
      delete tsh.id;
      if (effectiveDateTime) tsh.effectiveDateTime = effectiveDateTime;
      return body;
    };
    const first = await hook(t, PV, idless());
    expect(kinds(first)).toEqual(['screening-abnormal']);
    await answer(t, PV, cardOfKind(first, 'screening-abnormal'), { reason: 'already-addressed' });
    expect(kinds(await hook(t, PV, idless()))).toEqual(['non-pharmacological-treatment']);
    const newer = await hook(t, PV, idless('2026-11-20'));
    expect(kinds(newer)).toEqual(['screening-abnormal']);
    expect(cardOfKind(newer, 'screening-abnormal')!.detail).toContain('TSH');
  });

  test('a not-assessable result is never kept quiet unseen (§3.2): once the flagged-results card is quiet the non-drug card lists it; a new one brings the flagged-results card back', async () => {
    const t = appAt(store);
    const first = await hook(t, PV, patientViewRequest('gsb-complete-flagged'));
    expect(cardOfKind(first, 'screening-abnormal')!.detail).toContain('CK (creatine kinase) 150 U/L');
    await answer(t, PV, cardOfKind(first, 'screening-abnormal'), { reason: 'already-addressed' });
    const after = await hook(t, PV, patientViewRequest('gsb-complete-flagged'));
    expect(kinds(after)).toEqual(['non-pharmacological-treatment']);
    const nonDrug = cardOfKind(after, 'non-pharmacological-treatment')!.detail as string;
    expect(nonDrug).toContain('Every screening group has a result, but some cannot be assessed automatically');
    expect(nonDrug).toContain('CK (creatine kinase) 150 U/L');
    expect(nonDrug).not.toContain('no flagged result awaits review');
    // A new CK the lab gave no range: another finding of the flagged-results card, which lists it.
    const body = patientViewRequest('gsb-complete-flagged') as Record<string, any>;
    const ck = body.prefetch.labs.entry.find((e: any) => e.resource.id === 'gsb-complete-flagged-ck');
    Object.assign(ck.resource, { id: 'gsb-complete-flagged-ck-2', effectiveDateTime: '2026-11-20', valueQuantity: { ...ck.resource.valueQuantity, value: 2400 } });
    const again = await hook(t, PV, body);
    expect(kinds(again)).toEqual(['non-pharmacological-treatment', 'screening-abnormal']);
    expect(cardOfKind(again, 'screening-abnormal')!.detail).toContain('CK (creatine kinase) 2400 U/L');
  });

  test('a new not-assessable result brings back the flagged-results card, which lists it; an answered non-drug card stays quiet (its finding is not the other card\'s)', async () => {
    const t = appAt(store);
    await answer(t, PV, cardOfKind(await hook(t, PV, patientViewRequest('gsb-complete-flagged')), 'screening-abnormal'), { reason: 'not-relevant' });
    await answer(t, PV, cardOfKind(await hook(t, PV, patientViewRequest('gsb-complete-flagged')), 'non-pharmacological-treatment'), { accept: true });
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-complete-flagged')))).toEqual([]);
    const body = patientViewRequest('gsb-complete-flagged') as Record<string, any>;
    const ck = body.prefetch.labs.entry.find((e: any) => e.resource.id === 'gsb-complete-flagged-ck');
    Object.assign(ck.resource, { id: 'gsb-complete-flagged-ck-2', effectiveDateTime: '2026-11-20', valueQuantity: { ...ck.resource.valueQuantity, value: 2400 } });
    const back = await hook(t, PV, body);
    expect(kinds(back)).toEqual(['screening-abnormal']);
    expect(cardOfKind(back, 'screening-abnormal')!.detail).toContain('CK (creatine kinase) 2400 U/L');
  });

  test('a non-drug card without flagged results lists a not-assessable result and comes back when a new one is listed', async () => {
    const t = appAt(store);
    const body = (value: number | null): Record<string, any> => {
      const b = patientViewRequest('gsb-complete-flagged') as Record<string, any>;
      // No flags: TSH and vitamin D normal; CK without a range stays not assessable.
      const tsh = b.prefetch.labs.entry.find((e: any) => e.resource.id === 'gsb-complete-flagged-tsh').resource;
      delete tsh.interpretation;
      tsh.valueQuantity.value = 2.1;
      b.prefetch.labs.entry.find((e: any) => e.resource.id === 'gsb-complete-flagged-vitd').resource.valueQuantity.value = 80;
      if (value !== null) {
        const ck = b.prefetch.labs.entry.find((e: any) => e.resource.id === 'gsb-complete-flagged-ck').resource;
        Object.assign(ck, { id: 'gsb-complete-flagged-ck-2', effectiveDateTime: '2026-11-20', valueQuantity: { ...ck.valueQuantity, value } });
      }
      return b;
    };
    const first = await hook(t, PV, body(null));
    expect(kinds(first)).toEqual(['non-pharmacological-treatment']);
    expect(cardOfKind(first, 'non-pharmacological-treatment')!.detail).toContain('CK (creatine kinase) 150 U/L');
    await answer(t, PV, cardOfKind(first, 'non-pharmacological-treatment'), { accept: true });
    expect(kinds(await hook(t, PV, body(null)))).toEqual([]);
    const back = await hook(t, PV, body(2400));
    expect(kinds(back)).toEqual(['non-pharmacological-treatment']);
    expect(cardOfKind(back, 'non-pharmacological-treatment')!.detail).toContain('CK (creatine kinase) 2400 U/L');
  });

  test('an answered non-drug card does not come back when the flagged-results card is quieted ("will address later", established phase): it lists nothing the clinician has not seen', async () => {
    const t = appAt(store);
    const body = (): Record<string, any> => {
      const b = patientViewRequest('gsb-complete-flagged') as Record<string, any>;
      b.prefetch.conditions.entry[0].resource.recordedDate = '2025-01-10';
      return b;
    };
    const first = await hook(t, PV, body());
    await answer(t, PV, cardOfKind(first, 'non-pharmacological-treatment'), { reason: 'not-relevant' });
    await answer(t, PV, cardOfKind(first, 'screening-abnormal'), { reason: 'address-later' });
    expect(kinds(await hook(t, PV, body()))).toEqual([]);
  });

  test('the non-drug card does not send the clinician to a flagged-results card that is quiet ("will address later", established phase)', async () => {
    const t = appAt(store);
    const body = (): Record<string, any> => {
      const b = patientViewRequest('gsb-complete-flagged') as Record<string, any>;
      const condition = b.prefetch.conditions.entry[0].resource;
      condition.recordedDate = '2025-01-10';
      for (const e of b.prefetch.labs.entry) e.resource.effectiveDateTime = '2026-08-05';
      return b;
    };
    const first = await hook(t, PV, body());
    expect(kinds(first)).toEqual(['non-pharmacological-treatment', 'screening-abnormal']);
    expect(cardOfKind(first, 'non-pharmacological-treatment')!.detail).toContain('see the separate card');
    await answer(t, PV, cardOfKind(first, 'screening-abnormal'), { reason: 'address-later' });
    const after = await hook(t, PV, body());
    expect(kinds(after)).toEqual(['non-pharmacological-treatment']);
    const detail = cardOfKind(after, 'non-pharmacological-treatment')!.detail as string;
    expect(detail).not.toContain('separate card');
    expect(detail).toContain('The lab has flagged results (see the lab results)'); // TSH and vitamin D
    expect(detail).toContain('CK (creatine kinase) 150 U/L');
  });

  test('the answer given last decides whether the flagged results are answered: "will address later" after "already addressed" leaves them unanswered, whatever order the answers arrive in', async () => {
    const t = appAt(store);
    const card = cardOfKind(await hook(t, PV, patientViewRequest('gsb-complete-flagged')), 'screening-abnormal');
    await answer(t, PV, card, { reason: 'already-addressed', answeredAt: FIXED_NOW - 10 * 60_000 });
    await answer(t, PV, card, { reason: 'address-later', answeredAt: FIXED_NOW - 60_000 });
    // The flagged TSH holds back the work-up non-drug card again; the flagged-results card is quiet for 7 days.
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-complete-flagged')))).toEqual([]);
    t.clock.now = FIXED_NOW + 8 * DAY;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-complete-flagged')))).toEqual(['screening-abnormal']);
    // Arriving the other way round: the same.
    const other = appAt(await freshStore(storeKind));
    const card2 = cardOfKind(await hook(other, PV, patientViewRequest('gsb-complete-flagged')), 'screening-abnormal');
    await answer(other, PV, card2, { reason: 'address-later', answeredAt: FIXED_NOW - 60_000 });
    await answer(other, PV, card2, { reason: 'already-addressed', answeredAt: FIXED_NOW - 10 * 60_000 });
    expect(kinds(await hook(other, PV, patientViewRequest('gsb-complete-flagged')))).toEqual([]);
  });

  test('a client clock ahead keeps the order its answers were given in: a dismiss given before a reason, both dated ahead of us, leaves the reason in force', async () => {
    const t = appAt(store);
    const card = cardOfKind(await hook(t, PV, patientViewRequest('gsb-workup-missing')), 'screening-incomplete');
    await answer(t, PV, card, { reason: 'not-relevant', answeredAt: FIXED_NOW + 60_000 });
    t.clock.now = FIXED_NOW + 2_000;
    await answer(t, PV, card, { answeredAt: FIXED_NOW + 30_000 });
    t.clock.now = FIXED_NOW + 2 * DAY;
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual([]);
  });

  test('screening-abnormal "not relevant" answers its results too; "will address later" does not', async () => {
    const later = appAt(store);
    await answer(later, PV, cardOfKind(await hook(later, PV, patientViewRequest('gsb-complete-flagged')), 'screening-abnormal'), { reason: 'address-later' });
    expect(kinds(await hook(later, PV, patientViewRequest('gsb-complete-flagged')))).toEqual([]);
    const other = await freshStore(storeKind);
    const t = appAt(other);
    await answer(t, PV, cardOfKind(await hook(t, PV, patientViewRequest('gsb-complete-flagged')), 'screening-abnormal'), { reason: 'not-relevant' });
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-complete-flagged')))).toEqual(['non-pharmacological-treatment']);
  });

  test('order-select answered → order-sign quiet for that order and drug; another order, another drug, or after 12 h: shown', async () => {
    const t = appAt(store);
    const rx1 = [{ id: 'rx-1', drug: TRAMADOL }];
    const selected = await hook(t, SELECT, orderBody('order-select', rx1));
    expect(kinds(selected)).toEqual(['tramadol']);
    // order-select's own repeat is not quieted (only order-sign is, docs/clinical-rules.md §6).
    await answer(t, SELECT, selected.cards[0], { reason: 'treatment-plan-agreed' });
    expect(kinds(await hook(t, SELECT, orderBody('order-select', rx1)))).toEqual(['tramadol']);
    expect(kinds(await hook(t, SIGN, orderBody('order-sign', rx1)))).toEqual([]);
    // Another order with the same drug is shown.
    const both = await hook(t, SIGN, orderBody('order-sign', [...rx1, { id: 'rx-2', drug: TRAMADOL_RETARD }]));
    expect(both.cards).toHaveLength(1);
    expect(drugCard(both, 'retard')).toBeDefined();
    // The same order id with another drug (an EHR may reuse ids) is shown.
    expect(kinds(await hook(t, SIGN, orderBody('order-sign', [{ id: 'rx-1', drug: PREGABALIN }])))).toEqual(['gabapentinoid']);
    t.clock.now = FIXED_NOW + 11 * HOUR;
    expect(kinds(await hook(t, SIGN, orderBody('order-sign', rx1)))).toEqual([]);
    t.clock.now = FIXED_NOW + 13 * HOUR;
    expect(kinds(await hook(t, SIGN, orderBody('order-sign', rx1)))).toEqual(['tramadol']);
  });

  test('an answered bedtime amitriptyline card (info) does not quiet the daytime-dosing warning when the order is changed to the morning before signing', async () => {
    const t = appAt(store);
    const selected = await hook(t, SELECT, orderBody('order-select', [{ id: 'rx-a', drug: AMITRIPTYLINE, dosageInstruction: taken('HS') }]));
    expect(selected.cards.map((c) => [c.source.topic.code, c.indicator])).toEqual([['amitriptyline', 'info']]);
    await answer(t, SELECT, cardOfKind(selected, 'amitriptyline'), { reason: 'not-relevant' });
    // The same card at signing is quiet; given in the morning it is another finding (a warning with its fix): shown.
    expect(kinds(await hook(t, SIGN, orderBody('order-sign', [{ id: 'rx-a', drug: AMITRIPTYLINE, dosageInstruction: taken('HS') }])))).toEqual([]);
    const morning = await hook(t, SIGN, orderBody('order-sign', [{ id: 'rx-a', drug: AMITRIPTYLINE, dosageInstruction: taken('MORN') }]));
    expect(morning.cards.map((c) => [c.source.topic.code, c.indicator])).toEqual([['amitriptyline', 'warning']]);
  });

  test('a suggestion accepted at order-select quiets nothing: the same order reaching order-sign unchanged was not changed, so its card shows', async () => {
    const t = appAt(store);
    const morning = [{ id: 'rx-m', drug: AMITRIPTYLINE, dosageInstruction: taken('MORN') }];
    const selected = await hook(t, SELECT, orderBody('order-select', morning));
    const card = cardOfKind(selected, 'amitriptyline');
    expect(card?.indicator).toBe('warning');
    expect(card?.suggestions).toHaveLength(1);
    await answer(t, SELECT, card, { accept: true });
    const signed = await hook(t, SIGN, orderBody('order-sign', morning));
    expect(signed.cards.map((c) => [c.source.topic.code, c.indicator])).toEqual([['amitriptyline', 'warning']]);
    // Overridden at order-select, the same card is quiet at order-sign.
    await answer(t, SELECT, cardOfKind(await hook(t, SELECT, orderBody('order-select', morning)), 'amitriptyline'), { reason: 'not-relevant' });
    expect(kinds(await hook(t, SIGN, orderBody('order-sign', morning)))).toEqual([]);
  });

  test('accepted after overridden at order-select: the answer given last is in force, so the same order at order-sign shows its card', async () => {
    const t = appAt(store);
    const rx = [{ id: 'rx-o', drug: AMITRIPTYLINE, dosageInstruction: taken('MORN') }];
    await answer(t, SELECT, (await hook(t, SELECT, orderBody('order-select', rx))).cards[0], {});
    t.clock.now = FIXED_NOW + 60_000;
    await answer(t, SELECT, (await hook(t, SELECT, orderBody('order-select', rx))).cards[0], { accept: true });
    expect(kinds(await hook(t, SIGN, orderBody('order-sign', rx)))).toEqual(['amitriptyline']);
    // An override given earlier, on a card of the same finding issued again, does not come back over the later accept.
    await answer(t, SELECT, (await hook(t, SELECT, orderBody('order-select', rx))).cards[0], { answeredAt: FIXED_NOW });
    expect(kinds(await hook(t, SIGN, orderBody('order-sign', rx)))).toEqual(['amitriptyline']);
  });

  test('order-select shown but not answered → order-sign shows it; answered at order-sign → not quieted there', async () => {
    const t = appAt(store, { ORDERING_SESSION_HOURS: '2' });
    const rx = [{ id: 'rx-9', drug: TRAMADOL }];
    expect(kinds(await hook(t, SELECT, orderBody('order-select', rx)))).toEqual(['tramadol']);
    const signed = await hook(t, SIGN, orderBody('order-sign', rx));
    expect(kinds(signed)).toEqual(['tramadol']);
    await answer(t, SIGN, signed.cards[0], {});
    expect(kinds(await hook(t, SIGN, orderBody('order-sign', rx)))).toEqual(['tramadol']);
    // ORDERING_SESSION_HOURS=2: an answer at order-select quiets order-sign for 2 hours.
    await answer(t, SELECT, (await hook(t, SELECT, orderBody('order-select', rx))).cards[0], { reason: 'treatment-plan-agreed' });
    t.clock.now = FIXED_NOW + 1 * HOUR;
    expect(kinds(await hook(t, SIGN, orderBody('order-sign', rx)))).toEqual([]);
    t.clock.now = FIXED_NOW + 3 * HOUR;
    expect(kinds(await hook(t, SIGN, orderBody('order-sign', rx)))).toEqual(['tramadol']);
  });

  test('QUIET_BY_DESIGN=off: nothing is quieted and nothing is written; QUIET_KINDS_DISABLED names kinds never quieted', async () => {
    const off = appAt(store, { QUIET_BY_DESIGN: 'off' });
    await answer(off, PV, cardOfKind(await hook(off, PV, patientViewRequest('gsb-workup-missing')), 'screening-incomplete'), { reason: 'already-addressed' });
    expect(kinds(await hook(off, PV, patientViewRequest('gsb-workup-missing')))).toEqual(['screening-incomplete']);
    expect(await store.db.all('SELECT * FROM quiet_state')).toEqual([]);

    const some = appAt(await freshStore(storeKind), { QUIET_KINDS_DISABLED: 'screening-incomplete' });
    await answer(some, PV, cardOfKind(await hook(some, PV, patientViewRequest('gsb-workup-missing')), 'screening-incomplete'), { reason: 'already-addressed' });
    expect(kinds(await hook(some, PV, patientViewRequest('gsb-workup-missing')))).toEqual(['screening-incomplete']);
    await answer(some, PV, cardOfKind(await hook(some, PV, patientViewRequest('gsb-established-complete')), 'non-pharmacological-treatment'), { accept: true });
    expect(kinds(await hook(some, PV, patientViewRequest('gsb-established-complete')))).toEqual([]);
  });

  test('QUIET_KINDS_DISABLED set later: a kind already quieted in the store is shown again', async () => {
    const before = appAt(store);
    await answer(before, PV, cardOfKind(await hook(before, PV, patientViewRequest('gsb-workup-missing')), 'screening-incomplete'), { reason: 'already-addressed' });
    expect(kinds(await hook(before, PV, patientViewRequest('gsb-workup-missing')))).toEqual([]);
    await before.runtime.cardLog.flush();
    // The same store, restarted with the kind disabled: the suppression is still there, but no longer applied.
    const after = appAt(store, { QUIET_KINDS_DISABLED: 'screening-incomplete' });
    expect(kinds(await hook(after, PV, patientViewRequest('gsb-workup-missing')))).toEqual(['screening-incomplete']);
    expect((await store.db.all('SELECT kind FROM quiet_state')).length).toBeGreaterThan(0);
  });

  test('the report counts suppressed cards per kind; clearing the state (quiet:reset) shows them again', async () => {
    const t = appAt(store);
    await answer(t, PV, cardOfKind(await hook(t, PV, patientViewRequest('gsb-workup-missing')), 'screening-incomplete'), { reason: 'already-addressed' });
    await hook(t, PV, patientViewRequest('gsb-workup-missing'));
    await hook(t, PV, patientViewRequest('gsb-workup-missing'));
    await t.runtime.cardLog.flush();
    const report = await feedbackReport(store, FIXED_NOW);
    expect(report.suppressed).toEqual({ total: 2, kinds: [{ kind: 'screening-incomplete', language: 'en', cards: 2 }] });
    // Suppressed cards are not "issued" (the EHR never saw them).
    expect(report.kinds.find((k) => k.kind === 'screening-incomplete')).toMatchObject({ issued: 1, overridden: 1, noAnswer: 0 });
    expect(formatReport(report)).toContain('Quieted by design (answered before, not shown again): 2 card(s)');
    expect(formatReport(report)).toMatch(/screening-incomplete \[en\]: 2 quieted/);
    expect(await store.clearQuiet()).toBe(1);
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual(['screening-incomplete']);
  });

  test('one store read per hook call: patient-view and order-sign read once, order-select never', async () => {
    const t = appAt(store);
    let reads = 0;
    const original = store.quietEntries.bind(store);
    store.quietEntries = (key, now) => {
      reads++;
      return original(key, now);
    };
    await hook(t, PV, patientViewRequest('gsb-complete-flagged'));
    expect(reads).toBe(1);
    await hook(t, SELECT, orderBody('order-select', [{ id: 'rx-1', drug: TRAMADOL }]));
    expect(reads).toBe(1);
    await hook(t, SIGN, orderBody('order-sign', [{ id: 'rx-1', drug: TRAMADOL }]));
    expect(reads).toBe(2);
  });

  test('a store that cannot be read quiets nothing (the cards still come); a suppression that cannot be written → 503, the EHR sends it again', async () => {
    const t = appAt(store);
    const card = cardOfKind(await hook(t, PV, patientViewRequest('gsb-workup-missing')), 'screening-incomplete');
    const put = store.putQuiet.bind(store);
    store.putQuiet = () => Promise.reject(new Error('down'));
    const item = { card: card!.uuid, outcome: 'overridden', outcomeTimestamp: new Date(FIXED_NOW).toISOString(), overrideReason: { reason: { system: OVERRIDE_REASON_SYSTEM, code: 'already-addressed' } } };
    expect((await request(t.app).post(`/cds-services/${PV}/feedback`).send({ feedback: [item] })).status).toBe(503);
    store.putQuiet = put;
    expect((await request(t.app).post(`/cds-services/${PV}/feedback`).send({ feedback: [item] })).status).toBe(200);
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual([]);
    store.quietEntries = () => Promise.reject(new Error('down'));
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual(['screening-incomplete']);
    // A store that stops answering (a frozen PostgreSQL) holds the call at most STORE_WAIT_ON_REQUEST_PATH_MS.
    store.quietEntries = () => new Promise<never>(() => undefined);
    const started = Date.now();
    expect(kinds(await hook(t, PV, patientViewRequest('gsb-workup-missing')))).toEqual(['screening-incomplete']);
    expect(Date.now() - started).toBeLessThan(STORE_WAIT_ON_REQUEST_PATH_MS + 1500);
  });

  test('no patient identifier in the database: every table is scanned for the fixtures\' ids and names', async () => {
    const t = appAt(store);
    for (const name of ['gsb-workup-missing', 'gsb-complete-flagged']) {
      const body = await hook(t, PV, patientViewRequest(name));
      await answer(t, PV, body.cards[0], { reason: 'already-addressed' });
      await hook(t, PV, patientViewRequest(name));
    }
    await answer(t, SELECT, (await hook(t, SELECT, orderBody('order-select', [{ id: 'rx-1', drug: TRAMADOL }]))).cards[0], {});
    await hook(t, SIGN, orderBody('order-sign', [{ id: 'rx-1', drug: TRAMADOL }]));
    await t.runtime.cardLog.flush();
    const { tables, text } = await dumpAllTables(store);
    expect(tables).toEqual(expect.arrayContaining(['card_log', 'feedback', 'quiet_state']));
    expect((await store.db.all('SELECT * FROM quiet_state')).length).toBeGreaterThanOrEqual(4);
    for (const id of ['gsb-workup-missing', 'gsb-complete-flagged', ORDER_PATIENT, 'Larsen', 'gsb-complete-flagged-tsh', 'MedicationRequest/rx-1']) {
      expect(text).not.toContain(id);
    }
    // The TSH value as a number of its own: a timestamp such as "03:05:47.951Z" (the migrations' applied_at) holds "7.9" too.
    expect(text).not.toMatch(/(?<![\d.])7\.9(?![\d])/);
  });
});

describe('two EHRs (issuers) with the same patient id, caller verification on', () => {
  test("an answer from one EHR's clinician quiets nothing for the other EHR's patient of the same id, and another EHR's answer to a card quiets nothing (either path)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nkr-quiet-issuers-'));
    try {
      const pair = await generateKeyPair('ES384');
      writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES384', use: 'sig' }] }));
      const [A, B] = ['https://ehr-a.example', 'https://ehr-b.example'];
      writeFileSync(join(dir, 'issuers.json'), JSON.stringify({ issuers: [A, B].map((iss) => ({ iss, jwksFile: 'jwks.json', services: '*' })) }));
      const BASE = 'http://localhost:3000';
      const env = { AUTH: 'on', PUBLIC_BASE_URL: BASE, TRUSTED_ISSUERS_FILE: join(dir, 'issuers.json') };
      const verifier = await createAuthVerifier(testConfig(env), silentLogger(), { now: () => FIXED_NOW });
      const t = buildTestApp({ env, verifier, store: await freshStore('sqlite') });
      const now = Math.floor(FIXED_NOW / 1000);
      const token = (iss: string, path: string) =>
        new SignJWT({ iss, aud: BASE + path, iat: now, exp: now + 300, jti: randomUUID() }).setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid: 'k1' }).sign(pair.privateKey);
      const path = `/cds-services/${PV}`;
      const view = async (iss: string): Promise<Body> => {
        const res = await request(t.app).post(path).set('Authorization', `Bearer ${await token(iss, path)}`).send(patientViewRequest('gsb-workup-missing'));
        expect(res.status).toBe(200);
        return expectValidResponse(res.body);
      };
      const card = cardOfKind(await view(A), 'screening-incomplete')!;
      const feedback = { feedback: [{ card: card.uuid, outcome: 'overridden', outcomeTimestamp: new Date(FIXED_NOW).toISOString(), overrideReason: { reason: { system: OVERRIDE_REASON_SYSTEM, code: 'not-relevant' } } }] };
      const answer = async (app: TestApp['app'], iss: string) => {
        const res = await request(app).post(`${path}/feedback`).set('Authorization', `Bearer ${await token(iss, `${path}/feedback`)}`).send(feedback);
        expect(res.status).toBe(200);
      };
      // EHR B, trusted for the same service, answers A's card by its uuid: stored, and it quiets nothing of A's …
      await answer(t.app, B);
      expect(kinds(await view(A))).toEqual(['screening-incomplete']);
      // … also when it reaches another instance before this one has written the card log (read back when it is).
      const other = buildTestApp({ env, verifier: await createAuthVerifier(testConfig(env), silentLogger(), { now: () => FIXED_NOW }), store: t.store });
      const later = cardOfKind(await view(A), 'screening-incomplete')!;
      await request(other.app)
        .post(`${path}/feedback`)
        .set('Authorization', `Bearer ${await token(B, `${path}/feedback`)}`)
        .send({ feedback: [{ ...feedback.feedback[0], card: later.uuid }] })
        .expect(200);
      await t.runtime.cardLog.flush();
      expect(kinds(await view(A))).toEqual(['screening-incomplete']);
      // A's own answer quiets A's card, and nothing of B's patient of the same id.
      await answer(t.app, A);
      expect(kinds(await view(A))).toEqual([]);
      expect(kinds(await view(B))).toEqual(['screening-incomplete']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(STORE_KINDS)('two instances on one %s store share the quiet state', (storeKind) => {
  test('answered at one instance → quiet at the other; feedback before the issuing instance flushed its card log still counts', async () => {
    const loc = await freshLocation(storeKind);
    const [storeA, storeB] = [await openAt(loc), await openAt(loc)];
    try {
      const a = appAt(storeA);
      const b = appAt(storeB);
      // 1. The card is logged (flushed) by A; the feedback goes to B, which finds the card in the card log.
      const first = await hook(a, PV, patientViewRequest('gsb-workup-missing'));
      await a.runtime.cardLog.flush();
      await answer(b, PV, cardOfKind(first, 'screening-incomplete'), { reason: 'already-addressed' });
      expect(kinds(await hook(a, PV, patientViewRequest('gsb-workup-missing')))).toEqual([]);
      expect(kinds(await hook(b, PV, patientViewRequest('gsb-workup-missing')))).toEqual([]);
      // 2. The feedback reaches B before A has written the card: it takes effect when A writes it.
      const flagged = await hook(a, PV, patientViewRequest('gsb-complete-flagged'));
      await answer(b, PV, cardOfKind(flagged, 'screening-abnormal'), { reason: 'already-addressed' });
      await a.runtime.cardLog.flush();
      expect(kinds(await hook(b, PV, patientViewRequest('gsb-complete-flagged')))).toEqual(['non-pharmacological-treatment']);
      expect(kinds(await hook(a, PV, patientViewRequest('gsb-complete-flagged')))).toEqual(['non-pharmacological-treatment']);
      // 3. The same, but sent to another service's feedback endpoint: nothing when A writes the card.
      const other = await hook(a, PV, workupWithTsh());
      await answer(b, SELECT, cardOfKind(other, 'screening-incomplete'), { reason: 'already-addressed' });
      await a.runtime.cardLog.flush();
      expect(kinds(await hook(b, PV, workupWithTsh()))).toEqual(['screening-incomplete']);
    } finally {
      await Promise.all([storeA.close(), storeB.close()]);
    }
  });
});
