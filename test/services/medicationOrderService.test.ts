import nock from 'nock';
import request from 'supertest';
import { projectPath } from '../../src/projectRoot.js';
import { buildTestApp, cardOfKind, expectValidResponse, patientViewRequest, readJson, searchset } from '../support/testApp.js';

const SELECT = '/cds-services/nkr-pain-order-select';
const SIGN = '/cds-services/nkr-pain-order-sign';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const ATC = 'http://www.whocc.no/atc';

const fibromyalgia: fhir4.Condition = {
  resourceType: 'Condition',
  id: 'fm',
  subject: { reference: 'Patient/p1' },
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
  code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] },
};

function draft(id: string, medication: fhir4.CodeableConcept | undefined, extra: Partial<fhir4.MedicationRequest> = {}): fhir4.MedicationRequest {
  const r: fhir4.MedicationRequest = { resourceType: 'MedicationRequest', id, status: 'draft', intent: 'order', subject: { reference: 'Patient/p1' }, ...extra };
  if (medication) r.medicationCodeableConcept = medication;
  return r;
}
const rx = (code: string, text: string): fhir4.CodeableConcept => ({ text, coding: [{ system: RXNORM, code, display: text }] });
const atc = (code: string, text: string): fhir4.CodeableConcept => ({ text, coding: [{ system: ATC, code }] });

interface CallOptions {
  hook?: 'order-select' | 'order-sign';
  selections?: string[];
  conditions?: fhir4.Condition[] | null;
  active?: fhir4.Resource[];
  lang?: string;
  fhirServer?: string;
  env?: Record<string, string>;
}

function body(drafts: fhir4.Resource[], o: CallOptions = {}): Record<string, unknown> {
  const hook = o.hook ?? 'order-select';
  const context: Record<string, unknown> = {
    patientId: 'p1',
    userId: 'Practitioner/COREPRACTITIONER1',
    draftOrders: { resourceType: 'Bundle', entry: drafts.map((resource) => ({ resource })) },
  };
  if (hook === 'order-select') context.selections = o.selections ?? drafts.map((d) => `${d.resourceType}/${d.id}`);
  const prefetch: Record<string, unknown> = { medications: searchset(o.active ?? []) };
  if (o.conditions !== undefined) prefetch.conditions = o.conditions === null ? null : searchset(o.conditions);
  else prefetch.conditions = searchset([fibromyalgia]);
  const b: Record<string, unknown> = { hook, hookInstance: '1f0a9a7e-61f5-4b38-8a1a-111111111111', context, prefetch };
  if (o.fhirServer) b.fhirServer = o.fhirServer;
  return b;
}

async function call(drafts: fhir4.Resource[], o: CallOptions = {}) {
  const { app } = buildTestApp(o.env ? { env: o.env } : {});
  const res = await request(app)
    .post(o.hook === 'order-sign' ? SIGN : SELECT)
    .set('Accept-Language', o.lang ?? 'en')
    .send(body(drafts, o));
  expect(res.status).toBe(200);
  return expectValidResponse(res.body);
}

const kinds = (b: { cards: Array<Record<string, any>> }) => b.cards.map((c) => c.source.topic.code);

afterEach(() => nock.cleanAll());

describe('order-select: one card per (order, drug kind), §4 table', () => {
  test.each([
    ['opioid-without-dual-action', rx('1049621', 'oxycodone hydrochloride 5 MG Oral Tablet'), 'warning'],
    ['opioid-without-dual-action', atc('N02AB01', 'Ketogan'), 'warning'],
    ['opioid-without-dual-action', { text: 'Contalgin 10 mg depottablet' }, 'warning'],
    ['tramadol', rx('835603', 'tramadol hydrochloride 50 MG Oral Tablet'), 'warning'],
    ['tramadol', { text: 'Nobligan 50 mg' }, 'warning'],
    ['tapentadol', rx('825411', 'tapentadol 50 MG Oral Tablet'), 'warning'],
    ['ssri', rx('312941', 'Sertraline 50 MG Oral Tablet'), 'warning'],
    ['amitriptyline', rx('856783', 'Amitriptyline Hydrochloride 10 MG Oral Tablet'), 'info'],
    ['other-tca', atc('N06AA10', 'Noritren 25 mg'), 'info'],
    ['duloxetine', rx('596930', 'duloxetine 30 MG Delayed Release Oral Capsule'), 'info'],
    ['venlafaxine', atc('N06AX16', 'venlafaxin 75 mg'), 'info'],
    ['gabapentinoid', rx('483440', 'pregabalin 50 MG Oral Capsule'), 'info'],
    ['gabapentinoid', atc('N03AX12', 'gabapentin 300 mg'), 'info'],
  ])('%s: %j → %s card naming the drug and the order', async (kind, medication, indicator) => {
    const b = await call([draft('request-123', medication as fhir4.CodeableConcept)]);
    expect(kinds(b)).toEqual([kind]);
    const card = b.cards[0]!;
    expect(card.indicator).toBe(indicator);
    expect(card.summary.endsWith(`: ${(medication as fhir4.CodeableConcept).text}`)).toBe(true);
    expect(card.detail).toContain(`**Order (draft):** ${(medication as fhir4.CodeableConcept).text}`);
    expect(card.detail).not.toContain('request-123');
    expect(card.detail).toContain('*Not a check of interactions, contraindications, pregnancy/breastfeeding, kidney function or dose.*');
    expect(card.overrideReasons.map((r: any) => r.code)).toEqual([
      'treatment-plan-agreed',
      'non-drug-insufficient',
      'continuing-or-tapering',
      'short-term-or-as-needed',
      'acute-pain',
      'palliative-or-cancer-pain',
      'other-indication',
      'specialist-decision',
    ]);
  });

  test.each([
    ['paracetamol', rx('313782', 'Acetaminophen 325 MG Oral Tablet')],
    ['ibuprofen by ATC', atc('M01AE01', 'ibuprofen')],
    ['buprenorphine for substitution (N07BC01)', atc('N07BC01', 'Subutex')],
    ['antitussive combination R05FA', atc('R05FA02', 'codeine combination')],
    ['an unknown free text', { text: 'vitamin B12 injection' }],
  ])('no card for %s', async (_name, medication) => {
    expect((await call([draft('request-123', medication as fhir4.CodeableConcept)])).cards).toEqual([]);
  });

  test('the guideline\'s strength label is on every card', async () => {
    const b = await call([draft('a', rx('835603', 'tramadol 50 mg'))], { lang: 'da' });
    expect(b.cards[0]!.detail).toContain('**Anbefaling (Svag anbefaling MOD):**');
    const o = await call([draft('a', rx('1049621', 'oxycodone 5 mg'))], { lang: 'da' });
    expect(o.cards[0]!.detail).toContain('**Anbefaling (God praksis – fraråder):** Det er ikke god praksis');
  });
});

describe('opioid without dual action: the delete suggestion', () => {
  test('offered (not recommended) as a delete of the draft by resourceId', async () => {
    const card = (await call([draft('request-123', rx('1049621', 'oxycodone 5 mg'))])).cards[0]!;
    expect(card.selectionBehavior).toBe('at-most-one');
    expect(card.suggestions).toHaveLength(1);
    expect(card.suggestions[0].isRecommended).toBeUndefined();
    expect(card.suggestions[0].actions).toEqual([{ type: 'delete', description: expect.stringContaining('oxycodone'), resourceId: 'MedicationRequest/request-123' }]);
  });
  test('not offered when the patient already has an active order for the same ingredient: a tapering plan instead', async () => {
    const active: fhir4.MedicationRequest = { ...draft('old-1', atc('N02AA05', 'OxyNorm 10 mg')), status: 'active' };
    const card = (await call([draft('request-123', rx('1049621', 'oxycodone 5 mg'))], { active: [active] })).cards[0]!;
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain('(OxyNorm 10 mg): continuing or tapering – agree a tapering plan');
  });
  test('an as-needed (PN) order for another opioid does not suppress it', async () => {
    const active: fhir4.MedicationRequest = { ...draft('old-1', atc('N02AA01', 'morphine'), { dosageInstruction: [{ asNeededBoolean: true }] }), status: 'active' };
    expect((await call([draft('request-123', rx('1049621', 'oxycodone 5 mg'))], { active: [active] })).cards[0]!.suggestions).toHaveLength(1);
  });
});

describe('SSRI exclusion', () => {
  test('an SSRI ordered for depression gives no card; for fibromyalgia it does', async () => {
    const depression = { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'F32.1' }] };
    expect((await call([draft('a', rx('312941', 'sertraline'), { reasonCode: [depression] })])).cards).toEqual([]);
    const fm = { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] };
    expect(kinds(await call([draft('a', rx('312941', 'sertraline'), { reasonCode: [fm] })]))).toEqual(['ssri']);
  });
});

describe('amitriptyline daytime dosing', () => {
  const bid: fhir4.Dosage[] = [{ timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } } }];
  test('twice a day → warning; one suggestion: an update to one dose at bedtime (not recommended)', async () => {
    const card = (await call([draft('request-123', rx('856834', 'Amitriptyline Hydrochloride 25 MG Oral Tablet'), { dosageInstruction: bid })])).cards[0]!;
    expect(card.indicator).toBe('warning');
    expect(card.summary).toBe('Amitriptyline should not be given in the daytime because of sedation: Amitriptyline Hydrochloride 25 MG Oral Tablet');
    expect(card.suggestions.map((s: any) => s.label)).toEqual(['Move to one dose at bedtime – check the daily dose']);
    const evening = card.suggestions[0].actions[0];
    expect(evening.type).toBe('update');
    expect(evening.resource.id).toBe('request-123');
    expect(evening.resource.dosageInstruction).toHaveLength(1);
    expect(evening.resource.dosageInstruction[0].timing.repeat).toMatchObject({ frequency: 1, period: 1, when: ['HS'] });
    expect(card.suggestions[0].isRecommended).toBeUndefined();
  });
  test('nortriptyline and imipramine are named in the detail only: no one-click switch (rev 2)', async () => {
    const card = (await call([draft('r', atc('N06AA09', 'Saroten 10 mg'), { dosageInstruction: [{ timing: { repeat: { when: ['MORN'] } } }] })], { lang: 'da' })).cards[0]!;
    expect(card.suggestions).toHaveLength(1);
    expect(JSON.stringify(card.suggestions)).not.toMatch(/nortriptyl|imipramin|N06AA10|N06AA02/i);
    expect(card.detail).toContain('nortriptylin eller imipramin virker mindre sløvende');
    expect(card.suggestions[0].label).toBe('Flyt til én dosis til natten – kontrollér døgndosis');
    // "Not in the daytime" is said once in the detail.
    expect(card.detail.match(/dagtimerne på grund af sedation/g)).toHaveLength(1);
  });
  test('once at bedtime → info, no suggestions', async () => {
    const card = (await call([draft('r', rx('856834', 'amitriptyline 25 mg'), { dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] } } }] })])).cards[0]!;
    expect(card.indicator).toBe('info');
    expect(card.suggestions).toBeUndefined();
  });
  test('the sandbox\'s DSTU2 MedicationOrder (twice a day) → warning; the update keeps the DSTU2 shape and id', async () => {
    const fixture = readJson<{ selections: string[]; draftOrders: fhir4.Bundle }>(projectPath('fixtures', 'orders', 'sandbox-dstu2-amitriptyline-bid.json'));
    const { app } = buildTestApp();
    const res = await request(app)
      .post(SELECT)
      .send({
        hook: 'order-select',
        hookInstance: 'x-1',
        context: { patientId: 'smart-1288992', userId: 'Practitioner/COREPRACTITIONER1', selections: fixture.selections, draftOrders: fixture.draftOrders },
        prefetch: { conditions: null, medications: null },
      });
    const b = expectValidResponse(res.body);
    const card = cardOfKind(b, 'amitriptyline')!;
    expect(card.indicator).toBe('warning');
    expect(card.detail).not.toContain('order-123');
    expect(card.suggestions[0].actions[0].resource).toMatchObject({ resourceType: 'MedicationOrder', id: 'order-123' });
  });
});

describe('several drafts, selections and order-sign', () => {
  const drafts = [draft('a', rx('835603', 'tramadol 50 mg')), draft('b', rx('312941', 'sertraline 50 mg')), draft('c', rx('313782', 'paracetamol'))];
  test('order-select looks only at the selected orders and says which order it is about', async () => {
    const b = await call(drafts, { selections: ['MedicationRequest/b'] });
    expect(kinds(b)).toEqual(['ssri']);
    expect(b.cards[0]!.detail).toContain('**Order (draft):** sertraline 50 mg – order 2 of 3 in the draft');
    expect(b.cards[0]!.detail).not.toContain('MedicationRequest/b');
  });
  test('order-sign looks at every draft', async () => {
    expect(kinds(await call(drafts, { hook: 'order-sign' }))).toEqual(['tramadol', 'ssri']);
  });
  test('a combination product is classified by each ingredient (Ultracet: tramadol + paracetamol)', async () => {
    const b = await call([draft('u', rx('836397', 'Acetaminophen 325 MG / tramadol hydrochloride 37.5 MG Oral Tablet [Ultracet]'))]);
    expect(kinds(b)).toEqual(['tramadol']);
    expect(b.cards[0]!.detail).toMatch(/Combination product: .*tramadol/);
  });
  test('oxycodone + naloxone (N02AA55) is an opioid without dual action', async () => {
    expect(kinds(await call([draft('t', atc('N02AA55', 'Targin 10/5 mg'))]))).toEqual(['opioid-without-dual-action']);
  });
});

describe('scope and protocol edge cases', () => {
  test('out of scope (no GSB condition, no GSB reason) → no cards', async () => {
    expect((await call([draft('a', rx('835603', 'tramadol'))], { conditions: [] })).cards).toEqual([]);
  });
  test('a draft whose reason is fibromyalgia puts the patient in scope', async () => {
    const fm = { coding: [{ system: 'urn:oid:1.2.208.176.2.4.12', code: 'DM797' }] };
    expect(kinds(await call([draft('a', rx('835603', 'tramadol'), { reasonCode: [fm] })], { conditions: [] }))).toEqual(['tramadol']);
  });
  test('the sandbox sends reasonCode as an object: parsed leniently', async () => {
    const d = draft('a', rx('835603', 'tramadol')) as unknown as Record<string, unknown>;
    d.reasonCode = { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] };
    d.category = { coding: [{ code: 'community' }] };
    expect(kinds(await call([d as unknown as fhir4.Resource], { conditions: [] }))).toEqual(['tramadol']);
  });
  test('the sandbox\'s re-click context (patientId and userId only) → no cards, not an error', async () => {
    const { app } = buildTestApp();
    const res = await request(app).post(SELECT).send({ hook: 'order-select', hookInstance: 'x', context: { patientId: 'p1', userId: 'Practitioner/x' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cards: [] });
  });
  test('a draft without a medication needs no data: no cards even without prefetch or fhirServer', async () => {
    const { app } = buildTestApp();
    const b = body([draft('request-123', undefined)]);
    delete b.prefetch;
    const res = await request(app).post(SELECT).send(b);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cards: [] });
  });
  test('a drug the guideline speaks about, and no way to read the patient\'s Conditions → 412', async () => {
    const { app } = buildTestApp();
    const b = body([draft('a', rx('835603', 'tramadol'))]);
    delete b.prefetch;
    const res = await request(app).post(SELECT).send(b);
    expect(res.status).toBe(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(res.body)).toContain('Conditions');
  });
  test('a medicationReference that the draft does not hold is read from the fhirServer', async () => {
    const server = nock('http://127.0.0.1:8081')
      .get('/fhir/Medication/med-1')
      .reply(200, { resourceType: 'Medication', id: 'med-1', code: { coding: [{ system: RXNORM, code: '825411' }], text: 'Palexia 50 mg' } });
    const d = draft('a', undefined, { medicationReference: { reference: 'Medication/med-1' } });
    const b = await call([d], { fhirServer: 'http://127.0.0.1:8081/fhir' });
    expect(kinds(b)).toEqual(['tapentadol']);
    expect(server.isDone()).toBe(true);
  });
});

describe('patient-view: current-medication', () => {
  function withMeds(meds: fhir4.MedicationRequest[]) {
    const req = patientViewRequest('gsb-established-complete');
    (req.prefetch as Record<string, unknown>).medications = searchset(meds);
    return req;
  }
  const active = (id: string, m: fhir4.CodeableConcept, extra: Partial<fhir4.MedicationRequest> = {}): fhir4.MedicationRequest => ({
    ...draft(id, m, extra),
    status: 'active',
  });

  test('an active opioid without dual action → warning card listing it, no suggestions', async () => {
    const { app } = buildTestApp();
    const res = await request(app)
      .post('/cds-services/nkr-pain-patient-view')
      .send(withMeds([active('m1', rx('1049621', 'oxycodone 5 mg')), active('m2', rx('483440', 'pregabalin 50 mg'))]));
    const card = cardOfKind(expectValidResponse(res.body), 'current-medication')!;
    expect(card.indicator).toBe('warning');
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain('**oxycodone 5 mg** – opioids without dual action are not good practice (good practice – against)');
    expect(card.detail).toContain('**pregabalin 50 mg**');
  });
  test('amitriptyline dosed in the daytime is named as such; info without opioids', async () => {
    const { app } = buildTestApp();
    const res = await request(app)
      .post('/cds-services/nkr-pain-patient-view')
      .send(withMeds([active('m1', rx('856834', 'amitriptyline 25 mg'), { dosageInstruction: [{ timing: { repeat: { when: ['MORN'] } } }] })]));
    const card = cardOfKind(expectValidResponse(res.body), 'current-medication')!;
    expect(card.indicator).toBe('info');
    expect(card.detail).toContain('amitriptyline 25 mg (dosed in the daytime)');
  });
  test('no drug the guideline speaks about → no current-medication card', async () => {
    const { app } = buildTestApp();
    const res = await request(app).post('/cds-services/nkr-pain-patient-view').send(withMeds([active('m1', rx('313782', 'paracetamol'))]));
    expect(cardOfKind(expectValidResponse(res.body), 'current-medication')).toBeUndefined();
  });
  test('out of scope → no current-medication card even with an opioid', async () => {
    const { app } = buildTestApp();
    const req = patientViewRequest('no-gsb');
    (req.prefetch as Record<string, unknown>).medications = searchset([active('m1', rx('1049621', 'oxycodone 5 mg'))]);
    const res = await request(app).post('/cds-services/nkr-pain-patient-view').send(req);
    expect(expectValidResponse(res.body).cards).toEqual([]);
  });
});
