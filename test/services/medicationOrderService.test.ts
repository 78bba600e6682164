import { randomUUID } from 'node:crypto';
import nock from 'nock';
import request from 'supertest';
import { projectPath } from '../../src/projectRoot.js';
import { startFaultyFhirServer, type Fault, type FaultyFhirServer } from '../../test-support/hardening/faultyFhirServer.js';
import { GENEROUS_FHIR_TIMEOUTS } from '../support/fhirAccess.js';
import { captureLogs } from '../support/captureLogs.js';
import { buildTestApp, cardOfKind, FIXED_NOW, expectValidResponse, patientViewRequest, readJson, searchset } from '../support/testApp.js';
import { MAX_LISTED_NAMES } from '../../src/render/medicationTexts.js';

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
  const prefetch: Record<string, unknown> = { medications: searchset(o.active ?? []), medicationStatements: searchset([]) };
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
    expect(b.cards[0]!.detail).toContain('**Svag anbefaling MOD:** »');
    const o = await call([draft('a', rx('1049621', 'oxycodone 5 mg'))], { lang: 'da' });
    expect(o.cards[0]!.detail).toContain('**God praksis – imod:** »Det er ikke god praksis');
  });
});

describe('opioid without dual action: the delete suggestion', () => {
  test("the README's example request (fixtures/requests/order-select-oxycodone.json) shows the one-click removal: its active orders and statements are prefetched (none)", async () => {
    const res = await request(buildTestApp().app).post(SELECT).send(readJson(projectPath('fixtures', 'requests', 'order-select-oxycodone.json')));
    const card = expectValidResponse(res.body).cards[0]!;
    expect(card.suggestions?.[0]?.actions?.[0]?.type).toBe('delete');
  });
  test('some active orders, statements or Conditions withheld by consent or access rules (an outcome issue "suppressed", docs/clinical-rules.md §7): an opioid this draft continues, or opioid dependence, may be among them, so no delete, and the card says why (da, en)', async () => {
    const withheld = { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'suppressed' }] };
    for (const key of ['medications', 'medicationStatements', 'conditions']) {
      const b = body([draft('request-123', rx('1049621', 'oxycodone 5 mg'))]);
      const prefetch = b.prefetch as Record<string, fhir4.Bundle>;
      prefetch[key] = { ...prefetch[key]!, entry: [...(prefetch[key]!.entry ?? []), { resource: withheld as fhir4.OperationOutcome, search: { mode: 'outcome' } }] };
      const en = expectValidResponse((await request(buildTestApp().app).post(SELECT).send(b)).body).cards[0]!;
      expect([key, en.suggestions]).toEqual([key, undefined]);
      expect(en.detail).toContain("**Some of the patient's orders, shared medication record entries or diagnoses may be withheld from you** (the patient may have blocked them, or access rules): so no suggestion to remove the order");
      expect(en.detail).not.toContain('could be read');
      const da = expectValidResponse((await request(buildTestApp().app).post(SELECT).set('Accept-Language', 'da').send(b)).body).cards[0]!;
      expect(da.detail).toContain('**Nogle af patientens ordinationer, oplysninger i medicinkortet (FMK) eller diagnoser kan være skjult for dig**');
    }
    // Nothing withheld: the delete is offered.
    expect((await call([draft('request-123', rx('1049621', 'oxycodone 5 mg'))])).cards[0]!.suggestions?.[0]?.actions?.[0]?.type).toBe('delete');
  });
  test('the active orders cannot be read (no prefetch, no FHIR server): still a 200 with the card; the opioid card withholds its delete and says why (da, en), an SSRI card is unchanged', async () => {
    const { app } = buildTestApp();
    const send = (drafts: fhir4.Resource[], lang: string) => {
      const b = body(drafts);
      delete (b.prefetch as Record<string, unknown>).medications;
      return request(app).post(SELECT).set('Accept-Language', lang).send(b);
    };
    const en = await send([draft('request-123', rx('1049621', 'oxycodone 5 mg'))], 'en');
    expect(en.status).toBe(200);
    const card = expectValidResponse(en.body).cards[0]!;
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain("**Not all of the patient's active orders could be read:** so no suggestion to remove the order; check whether the patient already takes an opioid");
    const da = expectValidResponse((await send([draft('request-123', rx('1049621', 'oxycodone 5 mg'))], 'da')).body).cards[0]!;
    expect(da.detail).toContain('**Ikke alle patientens aktive ordinationer kunne læses:** derfor intet forslag om at fjerne ordinationen');
    const ssri = await send([draft('s', rx('312941', 'Zoloft 50 mg'))], 'en');
    expect(ssri.status).toBe(200);
    expect(kinds(expectValidResponse(ssri.body))).toEqual(['ssri']);
    // With the active orders read (none), the delete is offered and nothing is said about them.
    const known = await call([draft('request-123', rx('1049621', 'oxycodone 5 mg'))]);
    expect(known.cards[0]!.suggestions?.[0]?.actions?.[0]?.type).toBe('delete');
    expect(known.cards[0]!.detail).not.toContain('could be read:**');
  });
  test('order-sign re-signing a revised active order (same id): no delete of the order in force, the card says why (da, en)', async () => {
    const established = activeRx('a1', rx('1049621', 'oxycodone 5 mg'), { dosageInstruction: regular });
    for (const status of ['active', 'draft'] as const) {
      const revised = { ...draft('a1', rx('1049621', 'oxycodone 10 mg')), status };
      const en = (await call([revised], { hook: 'order-sign', active: [established] })).cards[0]!;
      expect([status, en.suggestions]).toEqual([status, undefined]);
      expect(en.detail).toContain("**This order is already among the patient's active orders** (a change to an order in force)");
    }
    const da = (await call([draft('a1', rx('1049621', 'oxycodone 10 mg'))], { hook: 'order-sign', active: [established], lang: 'da' })).cards[0]!;
    expect(da.detail).toContain('**Ordinationen findes allerede blandt patientens aktive ordinationer**');
  });
  /** The oxycodone order's card with one prefetch key replaced: no delete, and the card says why. */
  async function expectNoDeleteWith(key: string, value: unknown): Promise<void> {
    const b = body([draft('request-123', rx('1049621', 'oxycodone 5 mg'))]);
    (b.prefetch as Record<string, unknown>)[key] = value;
    const res = await request(buildTestApp().app).post(SELECT).send(b);
    expect(res.status).toBe(200);
    const card = expectValidResponse(res.body).cards[0]!;
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain("**Not all of the patient's active orders could be read:**");
  }
  test('the shared medication record (medicationStatements) that cannot be read is treated alike: no delete, the card says why', async () => {
    await expectNoDeleteWith('medicationStatements', { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] });
  });
  test('a medications key holding no MedicationRequest (a Patient sent in its place) is not "no active orders": no delete, the card says why (docs §7)', async () => {
    await expectNoDeleteWith('medications', { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { resourceType: 'Patient', id: 'p1' } }] });
  });
  test('an active order whose Medication reference cannot be read and has no display is unreadable: named, and no delete', async () => {
    const byReference = { ...activeRx('a-ref', { text: 'x' }), medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/m1' } } as unknown as fhir4.Resource;
    const logs = captureLogs('info');
    const res = await request(buildTestApp({ logger: logs.logger }).app).post(SELECT).send(body([draft('request-123', rx('1049621', 'oxycodone 5 mg'))], { active: [byReference] }));
    expect(res.status).toBe(200);
    const card = expectValidResponse(res.body).cards[0]!;
    expect(card.suggestions).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    const skipped = logs.lines<Record<string, any>>().filter((l) => Array.isArray(l.skipped)).flatMap((l) => l.skipped);
    expect(skipped).toContainEqual({ resourceType: 'MedicationRequest', id: 'a-ref', reader: 'active-medication', reason: 'medication not found' });
    // With a display, the reference names the drug: readable (Pinex, no opioid) → the delete is offered.
    const withDisplay = { ...activeRx('a-ref', { text: 'x' }), medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/m1', display: 'Pinex 500 mg' } } as unknown as fhir4.Resource;
    const ok = (await call([draft('request-123', rx('1049621', 'oxycodone 5 mg'))], { active: [withDisplay] })).cards[0]!;
    expect(ok.suggestions?.[0]?.actions?.[0]?.type).toBe('delete');
  });
  test('an order whose status is "unknown" may be active: no delete, the card says why', async () => {
    const unknown = { ...activeRx('u1', { text: 'Contalgin 30 mg' }), status: 'unknown' } as unknown as fhir4.Resource;
    const card = (await call([draft('request-123', rx('1049621', 'oxycodone 5 mg'))], { active: [unknown] })).cards[0]!;
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain("**Not all of the patient's active orders could be read:**");
    const stopped = { ...activeRx('s1', { text: 'Contalgin 30 mg' }), status: 'stopped' } as unknown as fhir4.Resource;
    expect((await call([draft('request-123', rx('1049621', 'oxycodone 5 mg'))], { active: [stopped] })).cards[0]!.suggestions?.[0]?.actions?.[0]?.type).toBe('delete');
  });
  test('an active order with a status FHIR does not have ("taking") may be active: no delete, the card says why; the closed statuses are read as closed', async () => {
    const oxy = [draft('request-123', rx('1049621', 'oxycodone 5 mg'))];
    const withStatus = (status: string) => ({ ...activeRx('m1', { text: 'Contalgin 30 mg' }), status }) as unknown as fhir4.Resource;
    const taking = (await call(oxy, { active: [withStatus('taking')] })).cards[0]!;
    expect(taking.suggestions).toBeUndefined();
    expect(taking.detail).toContain("**Not all of the patient's active orders could be read:**");
    for (const closed of ['completed', 'intended', 'on-hold', 'not-taken', 'Entered-In-Error', 'cancelled', 'draft', 'ended']) {
      expect((await call(oxy, { active: [withStatus(closed)] })).cards[0]!.suggestions?.[0]?.actions?.[0]?.type).toBe('delete');
    }
  });
  test('an active drug known only by a code of a system not read here, with no text or display, may be an opioid: no delete, the card says why', async () => {
    const oxy = [draft('request-123', rx('1049621', 'oxycodone 5 mg'))];
    const coded = (coding: fhir4.Coding) => ({ ...activeRx('d1', { text: 'x' }), medicationCodeableConcept: { coding: [coding] } }) as unknown as fhir4.Resource;
    const danishId = (await call(oxy, { active: [coded({ system: 'urn:oid:1.2.208.176.2.7', code: '28100636685' })] })).cards[0]!;
    expect(danishId.suggestions).toBeUndefined();
    expect(danishId.detail).toContain("**Not all of the patient's active orders could be read:**");
    // A display to read, or a code of a system that is read (ATC), identifies the drug: no opioid, the delete is offered.
    for (const known of [{ system: 'urn:oid:1.2.208.176.2.7', code: '28100636685', display: 'Pinex 500 mg' }, { system: ATC, code: 'N02BE01' }]) {
      expect((await call(oxy, { active: [coded(known)] })).cards[0]!.suggestions?.[0]?.actions?.[0]?.type).toBe('delete');
    }
  });
  test('one active order that cannot be read (its medication a string) is treated alike: no delete, the card says why; a readable non-opioid order is not', async () => {
    const unreadable = { ...activeRx('a-string', { text: 'x' }), medicationCodeableConcept: 'Contalgin' } as unknown as fhir4.Resource;
    const card = (await call([draft('request-123', rx('1049621', 'oxycodone 5 mg'))], { active: [unreadable] })).cards[0]!;
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain("**Not all of the patient's active orders could be read:**");
    const fine = (await call([draft('request-123', rx('1049621', 'oxycodone 5 mg'))], { active: [activeRx('p', atc('N02BE01', 'Pinex'))] })).cards[0]!;
    expect(fine.suggestions?.[0]?.actions?.[0]?.type).toBe('delete');
  });
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
    expect(card.detail).toContain('(OxyNorm 10 mg): probably continuing or tapering – agree a tapering plan');
  });
  test('an as-needed (PN) order beside a regular order of the same ingredient is worded as an added dose or a tapering step, not as continuing; no delete either way', async () => {
    const regular: fhir4.MedicationRequest = { ...draft('old-1', atc('N02AA05', 'OxyContin 20 mg'), { dosageInstruction: [{ timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } } }] }), status: 'active' };
    const pn = draft('request-123', rx('1049621', 'oxycodone 5 mg'), { dosageInstruction: [{ asNeededBoolean: true }] });
    const card = (await call([pn], { active: [regular] })).cards[0]!;
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain('(OxyContin 20 mg): this as-needed order comes on top of it or is a step in tapering');
    expect(card.detail).not.toContain('continuing or tapering');
    const da = (await call([pn], { active: [regular], lang: 'da' })).cards[0]!;
    expect(da.detail).toContain('denne PN-ordination kommer oven i den eller er et trin i en nedtrapning');
    // A regular draft of the same ingredient is still continuing or tapering.
    const regularDraft = (await call([draft('request-123', rx('1049621', 'oxycodone 5 mg'))], { active: [regular] })).cards[0]!;
    expect(regularDraft.detail).toContain('continuing or tapering');
  });
  test('an as-needed (PN) order for another opioid does not suppress it', async () => {
    const active: fhir4.MedicationRequest = { ...draft('old-1', atc('N02AA01', 'morphine'), { dosageInstruction: [{ asNeededBoolean: true }] }), status: 'active' };
    expect((await call([draft('request-123', rx('1049621', 'oxycodone 5 mg'))], { active: [active] })).cards[0]!.suggestions).toHaveLength(1);
  });
});

describe('names and codes as Danish EHRs write them (a data probe)', () => {
  test.each(['Buprenorfinplastre 5 mikrog/time', 'Morfininjektionsvæske 10 mg/ml', 'Morfinsuppositorier 10 mg', 'Fentanylnæsespray 50 mikrog/dosis', 'Morfinopløsning 2 mg/ml', 'Oxycodonsmeltetabletter 5 mg'])(
    'a form word glued to the name ("%s") is read: an opioid card',
    async (text) => {
      expect(kinds(await call([draft('d1', { text })]))).toEqual(['opioid-without-dual-action']);
    },
  );
  test('an active opioid written with a glued form word withholds the delete of a draft opioid', async () => {
    const active: fhir4.MedicationRequest = { ...draft('old-1', { text: 'Buprenorfinplastre 5 mikrog/time' }), status: 'active' };
    const card = (await call([draft('d1', { text: 'Oxycodon "Actavis" depottabl. 10 mg' })], { active: [active] })).cards[0]!;
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain('opioid switch or added opioid');
  });
  test('tapentadol: "no recommendation", and the tramadol caution it carries over is labelled as this service\'s clinical aid, not guideline text (da, en)', async () => {
    const en = (await call([draft('d1', rx('825411', 'tapentadol 50 MG Oral Tablet'))])).cards[0]!;
    expect(en.detail).toContain('*Clinical aid from this service – not guideline text:* the same caution the guideline advises for tramadol:');
    const da = (await call([draft('d1', rx('825411', 'tapentadol 50 MG Oral Tablet'))], { lang: 'da' })).cards[0]!;
    expect(da.detail).toContain('*Klinisk støtte fra denne service – ikke tekst fra retningslinjen:* samme forsigtighed, som retningslinjen anbefaler ved tramadol:');
    const tramadol = (await call([draft('d1', rx('835603', 'tramadol 50 mg'))])).cards[0]!;
    expect(tramadol.detail).not.toContain('Clinical aid');
  });
  test('an ATC class code (N02A, N02AX, N02AJ) gives way to the drug the text names: tramadol and tapentadol get their own cards, no delete', async () => {
    for (const code of ['N02AX', 'N02A']) expect(kinds(await call([draft('d1', atc(code, 'Tramadol "Actavis" 50 mg kaps.'))]))).toEqual(['tramadol']);
    expect(kinds(await call([draft('d1', atc('N02AJ', 'Zaldiar'))]))).toEqual(['tramadol']);
    expect(kinds(await call([draft('d1', atc('N02AX', 'Palexia depot 50 mg'))]))).toEqual(['tapentadol']);
    // The class alone (no drug named) is still an opioid without dual action; a full code stands as it is.
    expect(kinds(await call([draft('d1', atc('N02AX', 'Smertestillende'))]))).toEqual(['opioid-without-dual-action']);
    expect(kinds(await call([draft('d1', atc('N02AA05', 'Oxycodon 10 mg'))]))).toEqual(['opioid-without-dual-action']);
  });
  test('an opioid coded only by an ATC group that holds tramadol or tapentadol (N02A, N02AX, N02AJ), no drug named: its card, but no delete, and the card says why (da, en); a group without them (N02AA) keeps the delete', async () => {
    for (const group of ['N02AX', 'N02A', 'N02AJ']) {
      const card = (await call([draft('d1', atc(group, 'Smertestillende'))])).cards[0]!;
      expect([group, card.source.topic.code, card.suggestions]).toEqual([group, 'opioid-without-dual-action', undefined]);
      expect(card.detail).toContain(`**Coded only by the ATC group ${group}**, which also holds the dual-action opioids tramadol and tapentadol: so no suggestion to remove the order`);
    }
    const da = (await call([draft('d1', atc('N02AX', 'Smertestillende'))], { lang: 'da' })).cards[0]!;
    expect(da.detail).toContain('**Kun kodet med ATC-gruppen N02AX**, som også omfatter de dobbeltvirkende opioider tramadol og tapentadol');
    const naturalAlkaloids = (await call([draft('d1', atc('N02AA', 'Smertestillende'))])).cards[0]!;
    expect(naturalAlkaloids.suggestions[0].actions[0].type).toBe('delete');
    expect(naturalAlkaloids.detail).not.toContain('Coded only by the ATC group');
  });
  test('"Panodil+Kodein": the codeine card names its paracetamol partner (Panodil, a paracetamol brand); Panodil alone gives no card', async () => {
    const card = (await call([draft('d1', { text: 'Panodil+Kodein 500 mg/9,6 mg' })])).cards[0]!;
    expect(card.source.topic.code).toBe('opioid-without-dual-action');
    expect(card.detail).toContain('Combination product: paracetamol + codeine.');
    expect((await call([draft('d1', { text: 'Panodil 500 mg' })])).cards).toEqual([]);
  });
  test('a code naming only a partner stands against the text (a naltrexone order whose text mentions morphine is no morphine order); paracetamol alone gives no card', async () => {
    expect((await call([draft('d1', rx('7243', 'Naltrexon 50 mg – efter Contalgin-nedtrapning'))])).cards).toEqual([]);
    expect((await call([draft('d1', rx('161', 'Paracetamol 500 mg'))])).cards).toEqual([]);
  });
  const withMedication = (code: fhir4.Coding, ingredients: string[]): fhir4.MedicationRequest => {
    const medication: fhir4.Medication = { resourceType: 'Medication', id: 'm', code: { coding: [code] }, ingredient: ingredients.map((text) => ({ itemCodeableConcept: { text } })) };
    return { ...draft('d1', undefined), contained: [medication], medicationReference: { reference: '#m' } };
  };
  test('a Medication coded only by a partner (RxNorm 161 paracetamol) whose ingredient list names codeine: the codeine card', async () => {
    expect(kinds(await call([withMedication({ system: RXNORM, code: '161' }, ['paracetamol', 'Kodeinphosphat'])]))).toEqual(['opioid-without-dual-action']);
    // …only into a combination the tables know: paracetamol's code with morphine in the list (no such product) is no morphine order.
    expect((await call([withMedication({ system: RXNORM, code: '161' }, ['paracetamol', 'morfin'])])).cards).toEqual([]);
  });
  test('buprenorphine and naloxone as two ingredients are substitution (Suboxone\'s composition), coded by naloxone or not coded: no card, never a delete', async () => {
    expect((await call([withMedication({ system: RXNORM, code: '7242' }, ['buprenorfin', 'naloxon'])])).cards).toEqual([]);
    const uncoded: fhir4.MedicationRequest = {
      ...draft('d1', undefined),
      contained: [{ resourceType: 'Medication', id: 'm', ingredient: [{ itemCodeableConcept: { text: 'buprenorfin' } }, { itemCodeableConcept: { text: 'naloxon' } }] } as fhir4.Medication],
      medicationReference: { reference: '#m' },
    };
    expect((await call([uncoded])).cards).toEqual([]);
  });
  test('a class code gives way only to a drug of its class: an opioid class beside gabapentin stays an opioid, an SSRI class beside Saroten an SSRI', async () => {
    expect(kinds(await call([draft('d1', atc('N02A', 'Gabapentin 300 mg'))]))).toEqual(['opioid-without-dual-action']);
    expect(kinds(await call([draft('d1', atc('N06AB', 'Saroten 25 mg'))]))).toEqual(['ssri']);
  });
  test('an active opioid known only by its ATC class may be the same ingredient: no delete, whatever its dosing', async () => {
    const prn: fhir4.MedicationRequest = { ...draft('old-1', atc('N02A', 'Opioider'), { dosageInstruction: [{ asNeededBoolean: true }] }), status: 'active' };
    const card = (await call([draft('d1', atc('N02A', 'Oxycodon 5 mg'))], { active: [prn] })).cards[0]!;
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain('(Opioider)');
  });
  test('a draft opioid known only by its ATC class may be the same ingredient as any active opioid: no delete beside an as-needed morphine', async () => {
    const drafted = draft('d1', atc('N02AA', 'Opioid 5 mg'));
    // The control: no active opioid, the delete is offered.
    const alone = (await call([drafted])).cards[0]!;
    expect(alone.suggestions?.[0]?.actions[0]).toMatchObject({ type: 'delete', resourceId: 'MedicationRequest/d1' });
    const prn: fhir4.MedicationRequest = { ...draft('old-1', rx('892494', 'morphine sulfate 10 MG Oral Tablet'), { dosageInstruction: [{ asNeededBoolean: true }] }), status: 'active' };
    const card = (await call([drafted], { active: [prn] })).cards[0]!;
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain('(morphine sulfate 10 MG Oral Tablet)');
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
  /** The card for one amitriptyline 10 mg draft with these dosage instructions. */
  const amitriptyline10 = async (dosageInstruction: fhir4.Dosage[], lang?: string) =>
    (await call([draft('r', rx('856834', 'amitriptyline 10 mg'), { dosageInstruction })], lang ? { lang } : {})).cards[0]!;
  const bid: fhir4.Dosage[] = [{ timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } } }];
  test('twice a day → warning; one suggestion: an update to one dose at bedtime (not recommended)', async () => {
    const card = (await call([draft('request-123', rx('856834', 'Amitriptyline Hydrochloride 25 MG Oral Tablet'), { dosageInstruction: bid })])).cards[0]!;
    expect(card.indicator).toBe('warning');
    expect(card.summary).toBe('Amitriptyline should not be given in the daytime because of sedation (good practice): Amitriptyline Hydrochloride 25 MG Oral Tablet');
    expect(card.suggestions.map((s: any) => s.label)).toEqual(['Move to one dose at bedtime – check the daily dose']);
    const evening = card.suggestions[0].actions[0];
    expect(evening.type).toBe('update');
    expect(evening.resource.id).toBe('request-123');
    expect(evening.resource.dosageInstruction).toHaveLength(1);
    expect(evening.resource.dosageInstruction[0].timing.repeat).toMatchObject({ frequency: 1, period: 1, when: ['HS'] });
    expect(card.suggestions[0].isRecommended).toBeUndefined();
  });
  test('BID as a timing code beside the EHR\'s own frequency coding (Epic first) → warning with the bedtime update; the local coding alone → info', async () => {
    const epic = { system: 'urn:oid:1.2.840.114350.1.13.0.1.7.4.698288.300', code: '200023', display: '2 times daily' };
    const gts = { system: 'http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation', code: 'BID' };
    const card = await amitriptyline10([{ timing: { code: { coding: [epic, gts] } } }]);
    expect(card.indicator).toBe('warning');
    expect(card.suggestions[0].actions[0].type).toBe('update');
    expect((await amitriptyline10([{ timing: { code: { coding: [epic] } } }])).indicator).toBe('info');
  });
  test('moving the dose to bedtime never changes how often it is taken: every other day stays every other day, weekly stays weekly (R4 and DSTU2); twice a day becomes once a day', async () => {
    const repeatOf = (card: Record<string, any>) => card.suggestions[0].actions[0].resource.dosageInstruction[0].timing.repeat;
    const saroten = (repeat: Record<string, unknown>) => draft('r', { text: 'Saroten 25 mg' }, { dosageInstruction: [{ timing: { repeat } }] as fhir4.Dosage[] });
    expect(repeatOf((await call([saroten({ frequency: 1, period: 2, periodUnit: 'd', when: ['MORN'] })])).cards[0]!)).toEqual({ frequency: 1, period: 2, periodUnit: 'd', when: ['HS'] });
    expect(repeatOf((await call([saroten({ frequency: 1, period: 1, periodUnit: 'wk', when: ['MORN'] })])).cards[0]!)).toEqual({ frequency: 1, period: 1, periodUnit: 'wk', when: ['HS'] });
    expect(repeatOf((await call([saroten({ frequency: 2, period: 1, periodUnit: 'd' })])).cards[0]!)).toEqual({ frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] });
    const dstu2 = { resourceType: 'MedicationOrder', id: 'o', status: 'draft', patient: { reference: 'Patient/p1' }, medicationCodeableConcept: { text: 'Saroten 25 mg' }, dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 2, periodUnits: 'd', when: 'MORN' } } }] } as unknown as fhir4.Resource;
    expect(repeatOf((await call([dstu2])).cards[0]!)).toEqual({ frequency: 1, period: 2, periodUnits: 'd', when: 'HS' });
  });
  test('free text that may name the old time of day: DSTU2 additionalInstructions is removed from the update; an order note is kept, and the card and the action ask to check it (da, en)', async () => {
    const morning = { frequency: 1, period: 1, periodUnit: 'd', when: ['MORN'] };
    const dstu2 = {
      resourceType: 'MedicationOrder', id: 'o', status: 'draft', patient: { reference: 'Patient/p1' }, medicationCodeableConcept: { text: 'Saroten 25 mg' },
      dosageInstruction: [{ additionalInstructions: { text: 'tages om morgenen' }, timing: { repeat: { frequency: 1, period: 1, periodUnits: 'd', when: 'MORN' } } }],
    } as unknown as fhir4.Resource;
    const updated = (await call([dstu2])).cards[0]!.suggestions[0].actions[0].resource;
    expect(updated.dosageInstruction).toEqual([{ timing: { repeat: { frequency: 1, period: 1, periodUnits: 'd', when: 'HS' } } }]);
    const withNote = draft('r', { text: 'Saroten 25 mg' }, { note: [{ text: 'tages om morgenen' }], dosageInstruction: [{ timing: { repeat: morning } }] as fhir4.Dosage[] });
    const en = (await call([withNote])).cards[0]!;
    expect(en.detail).toContain('**The order has a note** that the suggestion does not change: check that it does not name the old time of day.');
    expect(en.suggestions[0].actions[0].description).toContain("check the daily dose and the order's note, which is not changed");
    expect(en.suggestions[0].actions[0].resource.note).toEqual([{ text: 'tages om morgenen' }]);
    const da = (await call([withNote], { lang: 'da' })).cards[0]!;
    expect(da.detail).toContain('**Ordinationen har en note**, som forslaget ikke ændrer');
    expect(da.suggestions[0].actions[0].description).toContain('kontrollér døgndosis og ordinationens note, som ikke ændres');
    const noNote = (await call([draft('r', { text: 'Saroten 25 mg' }, { dosageInstruction: [{ timing: { repeat: morning } }] as fhir4.Dosage[] })])).cards[0]!;
    expect(noNote.detail).not.toContain('note');
    expect(noNote.suggestions[0].actions[0].description).not.toContain('note');
    // The removed dosage text and instructions are named on the card: they may hold a warning that still applies.
    expect((await call([dstu2])).cards[0]!.detail).toContain("**The suggestion removes the dosage's text and additional instructions**, as they may name the old time of day: add back what still applies, such as a warning.");
    const warned = draft('r', { text: 'Saroten 25 mg' }, { dosageInstruction: [{ additionalInstruction: [{ coding: [{ system: 'http://snomed.info/sct', code: '418639000' }], text: 'May cause drowsiness' }], patientInstruction: 'Swallow whole', timing: { repeat: morning } }] as fhir4.Dosage[] });
    expect((await call([warned], { lang: 'da' })).cards[0]!.detail).toContain('**Forslaget fjerner doseringens tekst og supplerende instruktioner**');
    expect(noNote.detail).not.toContain('removes the dosage');
  });
  test('DSTU2 bounds given as boundsQuantity (a course of 30 days) are kept by the update; two DSTU2 instructions whose boundsQuantity differ are steps: no update', async () => {
    const dstu2 = (dosageInstruction: unknown[]) =>
      ({ resourceType: 'MedicationOrder', id: 'o', status: 'draft', patient: { reference: 'Patient/p1' }, medicationCodeableConcept: { text: 'Saroten 25 mg' }, dosageInstruction }) as unknown as fhir4.Resource;
    const course = { value: 30, unit: 'd', system: 'http://unitsofmeasure.org', code: 'd' };
    const bid = await call([dstu2([{ timing: { repeat: { frequency: 2, period: 1, periodUnits: 'd', boundsQuantity: course } }, doseQuantity: { value: 25, unit: 'mg' } }])]);
    expect(bid.cards[0]!.suggestions[0].actions[0].resource.dosageInstruction).toEqual([{ timing: { repeat: { boundsQuantity: course, frequency: 1, period: 1, periodUnits: 'd', when: 'HS' } }, doseQuantity: { value: 25, unit: 'mg' } }]);
    const taper = await call([
      dstu2([
        { timing: { repeat: { frequency: 2, period: 1, periodUnits: 'd', boundsQuantity: { value: 14, unit: 'd' } } }, doseQuantity: { value: 10, unit: 'mg' } },
        { timing: { repeat: { frequency: 1, period: 1, periodUnits: 'd', when: 'MORN', boundsQuantity: { value: 28, unit: 'd' } } }, doseQuantity: { value: 10, unit: 'mg' } },
      ]),
    ]);
    expect(taper.cards[0]!.suggestions).toBeUndefined();
    expect(taper.cards[0]!.detail).toContain('The dosage has several steps');
  });
  test('the bedtime update drops timing.event (the doses\' own times would contradict the bedtime) and keeps the repeat\'s id and extensions', async () => {
    const ext = [{ url: 'https://ehr.example/fhir/StructureDefinition/dosing-note', valueString: 'x' }];
    const card = (await call([draft('r', { text: 'Saroten 25 mg' }, {
      dosageInstruction: [{ timing: { event: ['2026-11-26T08:00:00+01:00'], repeat: { id: 'rep1', extension: ext, frequency: 1, period: 1, periodUnit: 'd', when: ['MORN'] } } }],
    })])).cards[0]!;
    expect(card.suggestions[0].actions[0].resource.dosageInstruction).toEqual([{ timing: { repeat: { id: 'rep1', extension: ext, frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] } } }]);
  });
  test('a draft sent without a status (R4 requires one) is written back by the bedtime update as a draft, not as "unknown"; a status sent is kept', async () => {
    const bidDraft = (extra: object) => ({ ...draft('r', { text: 'Saroten 25 mg' }, { dosageInstruction: bid }), ...extra }) as fhir4.MedicationRequest;
    const { status: _, ...noStatus } = bidDraft({});
    const without = (await call([noStatus as fhir4.MedicationRequest])).cards[0]!;
    expect(without.suggestions[0].actions[0].resource.status).toBe('draft');
    const sent = (await call([bidDraft({ status: 'Active' })])).cards[0]!;
    expect(sent.suggestions[0].actions[0].resource.status).toBe('active');
  });
  test('an as-needed instruction beside a regular one of the same dose: no one-dose update (it would make the regular dose as needed, or the other way round); the card says why', async () => {
    const card = (await call([draft('r', { text: 'Saroten 10 mg' }, {
      dosageInstruction: [
        { asNeededBoolean: true, timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] } }, doseAndRate: [{ doseQuantity: { value: 10, unit: 'mg' } }] },
        { timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['MORN'] } }, doseAndRate: [{ doseQuantity: { value: 10, unit: 'mg' } }] },
      ],
    })])).cards[0]!;
    expect(card.indicator).toBe('warning');
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain('**The dosage has different doses at different times of day:**');
  });
  test('an STU3 MedicationRequest (dose on the instruction, category one object) gets its update in STU3: the dose stays where it was, no R4 doseAndRate; an R4 draft keeps doseAndRate', async () => {
    const stu3 = draft('r', { text: 'Saroten 25 mg' }, {
      category: { coding: [{ code: 'community' }] },
      dosageInstruction: [{ doseQuantity: { value: 25, unit: 'mg' }, timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['MORN'] } } }],
    } as unknown as Partial<fhir4.MedicationRequest>);
    const updated = (await call([stu3])).cards[0]!.suggestions[0].actions[0].resource;
    expect(updated.dosageInstruction).toEqual([{ doseQuantity: { value: 25, unit: 'mg' }, timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] } } }]);
    expect(updated.category).toEqual({ coding: [{ code: 'community' }] });
    const r4 = draft('r', { text: 'Saroten 25 mg' }, { dosageInstruction: [{ doseAndRate: [{ doseQuantity: { value: 25, unit: 'mg' } }], timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['MORN'] } } }] });
    expect((await call([r4])).cards[0]!.suggestions[0].actions[0].resource.dosageInstruction).toEqual([
      { doseAndRate: [{ doseQuantity: { value: 25, unit: 'mg' } }], timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] } } },
    ]);
  });
  test('doses a day as a number: Danish decimal comma (every 16 hours = 1,5), English decimal point', async () => {
    const q16h: fhir4.Dosage[] = [{ timing: { repeat: { frequency: 1, period: 16, periodUnit: 'h' } } }];
    const da = (await call([draft('r', atc('N06AA09', 'Saroten 10 mg'), { dosageInstruction: q16h })], { lang: 'da' })).cards[0]!;
    expect(da.detail).toContain('(1,5 doser i døgnet)');
    const en = (await call([draft('r', atc('N06AA09', 'Saroten 10 mg'), { dosageInstruction: q16h })])).cards[0]!;
    expect(en.detail).toContain('(1.5 doses a day)');
  });
  test('nortriptyline and imipramine are named in the detail only: no one-click switch (rev 2)', async () => {
    const card = (await call([draft('r', atc('N06AA09', 'Saroten 10 mg'), { dosageInstruction: [{ timing: { repeat: { when: ['MORN'] } } }] })], { lang: 'da' })).cards[0]!;
    expect(card.suggestions).toHaveLength(1);
    expect(JSON.stringify(card.suggestions)).not.toMatch(/nortriptyl|imipramin|N06AA10|N06AA02/i);
    expect(card.detail).toContain('nortriptylin eller imipramin virker mindre sløvende');
    expect(card.suggestions[0].label).toBe('Flyt til én dosis ved sengetid – kontrollér døgndosis');
    // "Not in the daytime" is said once in the detail.
    expect(card.detail.match(/dagtimerne på grund af sedation/g)).toHaveLength(1);
  });
  test('a dosage in steps (a week at bedtime, then morning and bedtime) → warning without the update, which would keep one step and its week; the card says why (da, en); one step of two instructions keeps it', async () => {
    const titration: fhir4.Dosage[] = [
      { sequence: 1, timing: { repeat: { boundsDuration: { value: 7, unit: 'd', system: 'http://unitsofmeasure.org', code: 'd' }, frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] } } },
      { sequence: 2, timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['MORN'] } } },
      { sequence: 2, timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] } } },
    ];
    const en = await amitriptyline10(titration);
    expect(en.indicator).toBe('warning');
    expect(en.suggestions).toBeUndefined();
    expect(en.detail).toContain('**The dosage has several steps** (titration or tapering): so no suggestion to move it to bedtime');
    const da = await amitriptyline10(titration, 'da');
    expect(da.detail).toContain('**Doseringen har flere trin** (op- eller nedtrapning)');
    // Steps written without sequence, told by their bounds: no update either.
    const bySeven: fhir4.Dosage[] = [
      { timing: { repeat: { boundsDuration: { value: 7, unit: 'd' }, frequency: 1, period: 1, periodUnit: 'd', when: ['MORN'] } } },
      { timing: { repeat: { boundsPeriod: { start: '2026-12-08' }, frequency: 1, period: 1, periodUnit: 'd', when: ['MORN'] } } },
    ];
    expect((await amitriptyline10(bySeven)).suggestions).toBeUndefined();
    // Morning and bedtime together (one step): the update is offered, and nothing is said about steps.
    const oneStep = await amitriptyline10(titration.slice(1));
    expect(oneStep.suggestions).toHaveLength(1);
    expect(oneStep.detail).not.toContain('several steps');
  });
  test('morning and bedtime at different doses (10 mg + 25 mg) → warning without the update, which would keep one dose and drop the other; the card says why (da, en); the same dose keeps it', async () => {
    const dose = (when: string, mg: number): fhir4.Dosage => ({ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: [when] as fhir4.TimingRepeat['when'] } }, doseAndRate: [{ doseQuantity: { value: mg, unit: 'mg' } }] });
    const split = [dose('MORN', 10), dose('HS', 25)];
    const en = await amitriptyline10(split);
    expect(en.indicator).toBe('warning');
    expect(en.suggestions).toBeUndefined();
    expect(en.detail).toContain('**The dosage has different doses at different times of day:** so no suggestion to make it one dose at bedtime');
    const da = await amitriptyline10(split, 'da');
    expect(da.detail).toContain('**Doseringen har forskellige doser på forskellige tidspunkter af døgnet:**');
    const same = await amitriptyline10([dose('MORN', 10), dose('HS', 10)]);
    expect(same.suggestions).toHaveLength(1);
  });
  test('steps whose step has different doses say only that the dosage has steps (the steps explain it)', async () => {
    const step = (sequence: number, when: string, mg: number): fhir4.Dosage => ({
      sequence,
      timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: [when] as fhir4.TimingRepeat['when'] } },
      doseAndRate: [{ doseQuantity: { value: mg, unit: 'mg' } }],
    });
    const card = await amitriptyline10([step(1, 'HS', 10), step(2, 'MORN', 10), step(2, 'HS', 25)]);
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain('**The dosage has several steps**');
    expect(card.detail).not.toContain('different doses at different times of day');
  });
  test('different dose ranges (10–20 mg morning, 25–50 mg evening), or a dose at one time and none at the other, are different doses too: no update', async () => {
    const timing = (when: string): fhir4.Timing => ({ repeat: { frequency: 1, period: 1, periodUnit: 'd', when: [when] as fhir4.TimingRepeat['when'] } });
    const range = (when: string, low: number, high: number): fhir4.Dosage => ({ timing: timing(when), doseAndRate: [{ doseRange: { low: { value: low, unit: 'mg' }, high: { value: high, unit: 'mg' } } }] });
    const ranges = await amitriptyline10([range('MORN', 10, 20), range('EVE', 25, 50)]);
    expect(ranges.suggestions).toBeUndefined();
    expect(ranges.detail).toContain('**The dosage has different doses at different times of day:**');
    expect((await amitriptyline10([range('MORN', 10, 20), { timing: timing('HS') }])).suggestions).toBeUndefined();
    // The same range at both times keeps the update.
    expect((await amitriptyline10([range('MORN', 10, 20), range('HS', 10, 20)])).suggestions).toHaveLength(1);
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
  test('a selection that names no entry of draftOrders → 400 naming it by its place, never quoting it (not an empty answer that reads as "no advice")', async () => {
    const logs = captureLogs();
    const res = await request(buildTestApp({ logger: logs.logger }).app).post(SELECT).send(body(drafts, { selections: ['MedicationRequest/a', 'MedicationRequest/Mette-Hansen'] }));
    expect(res.status).toBe(400);
    const oo = res.body as fhir4.OperationOutcome;
    expect(oo.resourceType).toBe('OperationOutcome');
    expect(oo.issue[0]).toMatchObject({ expression: ['context.selections[1]'], diagnostics: 'context.selections[1]: names no entry of draftOrders (by Type/id or fullUrl)' });
    await new Promise((r) => setImmediate(r));
    expect(logs.text()).toContain('context.selections[1]');
    expect(`${res.text}${logs.text()}`).not.toContain('Mette');
    // A selection of another kind of draft (a ServiceRequest in the same draftOrders) names an entry: no card, no error.
    const lab = { resourceType: 'ServiceRequest', id: 'lab1', status: 'draft', intent: 'order', subject: { reference: 'Patient/p1' }, code: { text: 'TSH' } } as fhir4.Resource;
    expect((await call([...drafts, lab], { selections: ['ServiceRequest/lab1'] })).cards).toEqual([]);
  });
  test('a draft for another patient than context.patientId → 400 naming it by its place, on order-select and order-sign; the patient\'s own drafts, in any reference form, are read', async () => {
    const other = draft('x', rx('835603', 'tramadol 50 mg'), { subject: { reference: 'https://ehr.example/fhir/Patient/p2' } });
    for (const hook of ['order-select', 'order-sign'] as const) {
      const b = body([drafts[0]!, other], { hook, ...(hook === 'order-select' ? { selections: ['MedicationRequest/a'] } : {}) });
      const res = await request(buildTestApp().app).post(hook === 'order-sign' ? SIGN : SELECT).send(b);
      expect([hook, res.status]).toEqual([hook, 400]);
      expect((res.body as fhir4.OperationOutcome).issue[0]).toMatchObject({ expression: ['context.draftOrders.entry[1]'], diagnostics: 'context.draftOrders.entry[1]: an order for another patient than context.patientId' });
    }
    const own = [draft('y', rx('835603', 'tramadol 50 mg'), { subject: { reference: 'Patient/p1/_history/3' } }), draft('z', rx('312941', 'sertraline 50 mg'), { subject: { display: 'Mette' } as fhir4.Reference })];
    expect(kinds(await call(own, { hook: 'order-sign' }))).toEqual(['tramadol', 'ssri']);
  });
  test('the same draft listed twice is one order with one card (order-sign and order-select); its keys in another order are the same draft', async () => {
    const twice = [drafts[0]!, structuredClone(drafts[0]!)];
    const sign = await call(twice, { hook: 'order-sign', lang: 'en' });
    expect(kinds(sign)).toEqual(['tramadol']);
    expect(sign.cards[0]!.detail).toContain('**Order (draft):** tramadol 50 mg\n');
    const reordered = Object.fromEntries(Object.entries(drafts[0]!).reverse()) as fhir4.MedicationRequest;
    expect(kinds(await call([drafts[0]!, reordered], { selections: ['MedicationRequest/a'] }))).toEqual(['tramadol']);
  });
  test('a repeat still names its order: a selection of the repeat\'s own fullUrl selects the order, and a reference to a Medication by its repeat\'s fullUrl resolves', async () => {
    const select = body([], { selections: ['urn:uuid:2'] });
    (select.context as Record<string, any>).draftOrders.entry = [
      { fullUrl: 'urn:uuid:1', resource: drafts[0] },
      { fullUrl: 'urn:uuid:2', resource: structuredClone(drafts[0]) },
    ];
    const selected = await request(buildTestApp().app).post(SELECT).send(select);
    expect(selected.status).toBe(200);
    expect(kinds(expectValidResponse(selected.body))).toEqual(['tramadol']);
    const oxycodone = { resourceType: 'Medication', id: 'm1', code: rx('1049621', 'oxycodone 5 mg') };
    const sign = body([], { hook: 'order-sign' });
    (sign.context as Record<string, any>).draftOrders.entry = [
      { fullUrl: 'urn:uuid:A', resource: oxycodone },
      { fullUrl: 'urn:uuid:B', resource: structuredClone(oxycodone) },
      { resource: draft('o', undefined, { medicationReference: { reference: 'urn:uuid:B' } }) },
    ];
    const signed = await request(buildTestApp().app).post(SIGN).send(sign);
    expect(signed.status).toBe(200);
    expect(kinds(expectValidResponse(signed.body))).toEqual(['opioid-without-dual-action']);
  });
  test('two different medication orders by one name → 400 naming the later by its place (a selection or a delete suggestion would name both): one id, whichever order type; one fullUrl; a fullUrl ending in the other\'s id', async () => {
    const sertralineAsA = draft('a', rx('312941', 'sertraline 50 mg'));
    for (const hook of ['order-select', 'order-sign'] as const) {
      const res = await request(buildTestApp().app)
        .post(hook === 'order-sign' ? SIGN : SELECT)
        .send(body([drafts[0]!, drafts[1]!, sertralineAsA], { hook, ...(hook === 'order-select' ? { selections: ['MedicationRequest/b'] } : {}) }));
      expect([hook, res.status]).toEqual([hook, 400]);
      expect((res.body as fhir4.OperationOutcome).issue[0]).toMatchObject({
        expression: ['context.draftOrders.entry[2]'],
        diagnostics: 'context.draftOrders.entry[2]: another medication order by the same id or fullUrl as an earlier entry',
      });
    }
    const signWith = async (entry: unknown[]) => {
      const b = body([], { hook: 'order-sign' });
      (b.context as Record<string, any>).draftOrders.entry = entry;
      return request(buildTestApp().app).post(SIGN).send(b);
    };
    const url = 'urn:uuid:7f1b2c3d-0000-4000-8000-0000000000aa';
    const dstu2 = { resourceType: 'MedicationOrder', id: 'a', status: 'draft', patient: { reference: 'Patient/p1' }, medicationCodeableConcept: rx('312941', 'sertraline 50 mg') };
    for (const entry of [
      [{ fullUrl: url, resource: { ...drafts[0]!, id: undefined } }, { fullUrl: url, resource: { ...drafts[1]!, id: undefined } }],
      [{ resource: drafts[0] }, { resource: dstu2 }],
      [{ resource: drafts[0] }, { fullUrl: 'https://ehr.example/fhir/MedicationRequest/a', resource: { ...drafts[1]!, id: undefined } }],
    ]) {
      const res = await signWith(entry);
      expect(res.status).toBe(400);
      expect((res.body as fhir4.OperationOutcome).issue[0]).toMatchObject({ expression: ['context.draftOrders.entry[1]'] });
    }
    // Not orders: the same id under another type, or two Medications of one id, are no such error.
    const lab = { resourceType: 'ServiceRequest', id: 'a', status: 'draft', intent: 'order', subject: { reference: 'Patient/p1' }, code: { text: 'TSH' } } as fhir4.Resource;
    expect(kinds(await call([drafts[0]!, lab], { hook: 'order-sign' }))).toEqual(['tramadol']);
    const twoMedications = await signWith([{ resource: { resourceType: 'Medication', id: 'm1', code: { text: 'x' } } }, { resource: { resourceType: 'Medication', id: 'm1', code: { text: 'y' } } }, { resource: drafts[0] }]);
    expect(twoMedications.status).toBe(200);
  });
  test('a selection "MedicationRequest/x" does not name a ServiceRequest x: 400, as it names no entry of draftOrders', async () => {
    const lab = { resourceType: 'ServiceRequest', id: 'lab1', status: 'draft', intent: 'order', subject: { reference: 'Patient/p1' }, code: { text: 'TSH' } } as fhir4.Resource;
    const res = await request(buildTestApp().app).post(SELECT).send(body([...drafts, lab], { selections: ['MedicationRequest/lab1'] }));
    expect(res.status).toBe(400);
    expect((res.body as fhir4.OperationOutcome).issue[0]).toMatchObject({ expression: ['context.selections[0]'] });
  });
  test('a DSTU2 MedicationOrder draft selected as "MedicationRequest/…" is the selected order, not a 400', async () => {
    const b = body([], { selections: ['MedicationRequest/order-9'] });
    const order = { resourceType: 'MedicationOrder', id: 'order-9', status: 'draft', patient: { reference: 'Patient/p1' }, medicationCodeableConcept: rx('835603', 'tramadol 50 mg') };
    (b.context as Record<string, any>).draftOrders.entry = [{ resource: order }];
    const res = await request(buildTestApp().app).post(SELECT).set('Accept-Language', 'en').send(b);
    expect(res.status).toBe(200);
    expect(kinds(expectValidResponse(res.body))).toEqual(['tramadol']);
  });
  test('a draft without an id is selected by its fullUrl', async () => {
    const b = body([], { selections: ['urn:uuid:7f1b2c3d-0000-4000-8000-000000000001'] });
    const unsaved = { ...draft('x', rx('835603', 'tramadol 50 mg')) } as Record<string, unknown>;
    delete unsaved.id;
    (b.context as Record<string, any>).draftOrders.entry = [{ fullUrl: 'urn:uuid:7f1b2c3d-0000-4000-8000-000000000001', resource: unsaved }];
    const res = await request(buildTestApp().app).post(SELECT).set('Accept-Language', 'en').send(b);
    expect(res.status).toBe(200);
    expect(kinds(expectValidResponse(res.body))).toEqual(['tramadol']);
  });
  test('a draft without an id, with an absolute fullUrl (".../MedicationRequest/request-123"), is selected by "MedicationRequest/request-123"; another type\'s fullUrl of that id is not', async () => {
    const withFullUrl = (fullUrl: string) => {
      const b = body([], { selections: ['MedicationRequest/request-123'] });
      const unsaved = { ...draft('x', rx('835603', 'tramadol 50 mg')) } as Record<string, unknown>;
      delete unsaved.id;
      (b.context as Record<string, any>).draftOrders.entry = [{ fullUrl, resource: unsaved }];
      return request(buildTestApp().app).post(SELECT).set('Accept-Language', 'en').send(b);
    };
    const res = await withFullUrl('http://ehr.example/fhir/MedicationRequest/request-123');
    expect(res.status).toBe(200);
    expect(kinds(expectValidResponse(res.body))).toEqual(['tramadol']);
    expect((await withFullUrl('http://ehr.example/fhir/ServiceRequest/request-123')).status).toBe(400);
  });
  test('a draft\'s Medication sent without its id, named only by its absolute fullUrl (".../Medication/m9"), is found by "Medication/m9"; another type under that path is not', async () => {
    const b = body([], { selections: ['MedicationRequest/d1'] });
    const order = { ...draft('d1', undefined), medicationReference: { reference: 'Medication/m9' } };
    const medication = { resourceType: 'Medication', code: rx('835603', 'tramadol 50 mg') };
    (b.context as Record<string, any>).draftOrders.entry = [{ resource: order }, { fullUrl: 'https://ehr.example/fhir/Medication/m9', resource: medication }];
    const res = await request(buildTestApp().app).post(SELECT).set('Accept-Language', 'en').send(b);
    expect(kinds(expectValidResponse(res.body))).toEqual(['tramadol']);
    (b.context as Record<string, any>).draftOrders.entry[1].fullUrl = 'https://ehr.example/fhir/Substance/m9';
    const other = await request(buildTestApp().app).post(SELECT).set('Accept-Language', 'en').send(b);
    expect(kinds(expectValidResponse(other.body))).toEqual([]);
  });
  test('a combination product is classified by each ingredient (Ultracet: tramadol + paracetamol)', async () => {
    const b = await call([draft('u', rx('836397', 'Acetaminophen 325 MG / tramadol hydrochloride 37.5 MG Oral Tablet [Ultracet]'))]);
    expect(kinds(b)).toEqual(['tramadol']);
    expect(b.cards[0]!.detail).toMatch(/Combination product: .*tramadol/);
    // The control: tramadol alone is no combination.
    expect((await call([draft('t', rx('835603', 'tramadol hydrochloride 50 MG Oral Tablet'))])).cards[0]!.detail).not.toContain('Combination product');
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
  test('a medicationReference to another server is never read on the fhirServer (its Medication of that id may be another drug): classified by its display; one below the fhirServer\'s base is read', async () => {
    const seen: string[] = [];
    nock('http://127.0.0.1:8081')
      .persist()
      .get(/\/fhir\/Medication\/.*/)
      .reply((uri) => {
        seen.push(uri);
        return [200, { resourceType: 'Medication', id: 'med-1', code: { coding: [{ system: RXNORM, code: '825411' }], text: 'Palexia 50 mg' } }];
      });
    const foreign = draft('a', undefined, { medicationReference: { reference: 'http://other.example/fhir/Medication/med-1', display: 'oxycodone 5 mg' } });
    expect(kinds(await call([foreign], { fhirServer: 'http://127.0.0.1:8081/fhir' }))).toEqual(['opioid-without-dual-action']);
    // Read as a client reads a URL — spaces around it, a tab in it, no scheme ("//other.example/…"), backslashes — it is still another server's.
    for (const reference of [' http://other.example/fhir/Medication/med-1', '\thttp://other.example/fhir/Medication/med-1', '//other.example/fhir/Medication/med-1', '\\\\other.example/fhir/Medication/med-1', '/\\other.example/fhir/Medication/med-1', 'ht\ttp://other.example/fhir/Medication/med-1', '\u0001http://other.example/fhir/Medication/med-1']) {
      const written = draft('a', undefined, { medicationReference: { reference, display: 'oxycodone 5 mg' } });
      expect([reference, kinds(await call([written], { fhirServer: 'http://127.0.0.1:8081/fhir' }))]).toEqual([reference, ['opioid-without-dual-action']]);
    }
    expect(seen).toEqual([]);
    // The EHR's own Bundle is another matter: a Medication it sends beside the order is the one it means (an EHR
    // behind a proxy writes its internal host's URLs), found as any reference is.
    const bundled = { resourceType: 'Medication', id: 'med-1', code: { coding: [{ system: RXNORM, code: '825411' }], text: 'Palexia 50 mg' } } as fhir4.Resource;
    expect(kinds(await call([foreign, bundled], { fhirServer: 'http://127.0.0.1:8081/fhir' }))).toEqual(['tapentadol']);
    const own = draft('a', undefined, { medicationReference: { reference: 'HTTP://127.0.0.1:8081/fhir/Medication/med-1', display: 'oxycodone 5 mg' } });
    expect(kinds(await call([own], { fhirServer: 'http://127.0.0.1:8081/fhir/' }))).toEqual(['tapentadol']);
    expect(seen).toEqual(['/fhir/Medication/med-1']);
    nock.cleanAll();
  });
  test.each(['Medication/..', 'Medication/.', 'http://127.0.0.1:8081/fhir/Medication/..'])('a medicationReference %j names no Medication: never read (not the server\'s base, nor a search of all Medications)', async (reference) => {
    const seen: string[] = [];
    nock('http://127.0.0.1:8081')
      .persist()
      .get(/.*/)
      .reply((uri) => {
        seen.push(uri);
        return [404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] }];
      });
    const d = draft('a', undefined, { medicationReference: { reference } });
    await call([d], { fhirServer: 'http://127.0.0.1:8081/fhir' });
    expect(seen.filter((uri) => !uri.startsWith('/fhir/Patient/p1'))).toEqual([]);
  });
});

/** Resources of the order hooks' patient p1 as the patient-view fixture patient's own (another patient's are skipped, §7). */
const ofEstablished = <R extends fhir4.Resource>(resources: readonly R[]): R[] =>
  resources.map((r) => ('subject' in r ? { ...r, subject: { reference: 'Patient/gsb-established-complete' } } : r));

describe('patient-view: current-medication', () => {
  function withMeds(meds: fhir4.MedicationRequest[]) {
    const req = patientViewRequest('gsb-established-complete');
    (req.prefetch as Record<string, unknown>).medications = searchset(ofEstablished(meds));
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
    expect(card.detail).toContain('**oxycodone 5 mg** – opioids without dual action are not good practice; if used anyway: as short as possible or as needed only (good practice – against)');
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

// ---- rev 2 (docs/clinical-rules.md §3.3, §4): each test fails on the behaviour before revision 2 ----

const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const SNOMED = 'http://snomed.info/sct';
const condition = (id: string, system: string, code: string, status = 'active'): fhir4.Condition => ({
  ...fibromyalgia,
  id,
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: status }] },
  code: { coding: [{ system, code }] },
});
const activeRx = (id: string, m: fhir4.CodeableConcept, extra: Partial<fhir4.MedicationRequest> = {}): fhir4.MedicationRequest => ({
  ...draft(id, m, extra),
  status: 'active',
});
const regular: fhir4.Dosage[] = [{ timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } } }];

describe('rev 2: prescribed for depression or anxiety – the order\'s reason decides', () => {
  const depression = condition('dep', ICD10, 'F32.1');
  test.each([
    ['SSRI', rx('312941', 'Sertralin 50 mg')],
    ['duloxetine', rx('596930', 'Cymbalta 30 mg')],
    ['venlafaxine', atc('N06AX16', 'Efexor 75 mg')],
    ['other TCA', atc('N06AA10', 'Noritren 25 mg')],
    ['amitriptyline dosed in the daytime', atc('N06AA09', 'Saroten 25 mg')],
  ])('%s with the reason text "mod depression" (Danish) or "generalized anxiety" → no card', async (_name, m) => {
    for (const text of ['mod depression', 'Generalized anxiety', 'angst og panikanfald']) {
      const b = await call([draft('a', m, { reasonCode: [{ text }], dosageInstruction: regular })]);
      expect(b.cards).toEqual([]);
    }
  });
  test('a code written in the reason text: the group\'s own exempts ("Depression (DF32.1)"); another beside it ("Depression og M79.7") means the drug is also for pain → the card', async () => {
    const sertralin = (text: string) => call([draft('a', rx('312941', 'Sertralin "Accord" 50 mg'), { reasonCode: [{ text }] })]);
    for (const text of ['Depression (DF32.1)', 'F32.1']) expect([text, (await sertralin(text)).cards]).toEqual([text, []]);
    for (const text of ['Depression og M79.7', 'Angst DM797', 'Depression F45.4']) expect([text, kinds(await sertralin(text))]).toEqual([text, ['ssri']]);
  });
  test('an order for pain and depression gets its card, without "not to treat depression" (the drug is for that too); one for pain alone says it', async () => {
    const both = (await call([draft('a', rx('312941', 'Sertralin 50 mg'), { reasonCode: [{ coding: [{ system: 'urn:oid:1.2.208.176.2.4', code: 'DM797' }] }, { coding: [{ system: 'urn:oid:1.2.208.176.2.4', code: 'DF321' }] }] })])).cards[0]!;
    expect(both.source.topic.code).toBe('ssri');
    expect(both.detail).not.toContain('not to treat depression');
    const pain = (await call([draft('a', rx('312941', 'Sertralin 50 mg'), { reasonCode: [{ text: 'Fibromyalgi' }] })])).cards[0]!;
    expect(pain.detail).toContain('not to treat depression');
  });
  test('one reason text that mentions depression or anxiety among other things ("depression og smerter", FMK\'s way): the card, without "not to treat depression" (da, en)', async () => {
    for (const text of ['depression og smerter', 'angst, smerter', 'Smerter og depression']) {
      for (const [lang, line] of [['en', 'not to treat depression'], ['da', 'ikke at behandle depression']] as const) {
        const card = (await call([draft('a', rx('312941', 'Sertralin 50 mg'), { reasonCode: [{ text }] })], { lang })).cards[0]!;
        expect([text, lang, card.source.topic.code]).toEqual([text, lang, 'ssri']);
        expect([text, lang, card.detail.includes(line)]).toEqual([text, lang, false]);
      }
    }
    const bedtime: fhir4.Dosage[] = [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] } } }];
    const amitriptyline = (await call([draft('a', { text: 'Saroten 25 mg' }, { reasonCode: [{ text: 'depression og smerter' }], dosageInstruction: bedtime })], { lang: 'da' })).cards[0]!;
    expect(amitriptyline.source.topic.code).toBe('amitriptyline');
    expect(amitriptyline.detail).not.toContain('ikke behandling af depression');
    const painOnly = (await call([draft('a', rx('312941', 'Sertralin 50 mg'), { reasonCode: [{ text: 'smerter og søvnbesvær' }] })], { lang: 'da' })).cards[0]!;
    expect(painOnly.detail).toContain('ikke at behandle depression');
  });
  test('amitriptyline and another TCA for depression and fibromyalgia (texts, or F32.1 + M79.7): the card without its own "not treating depression" and "lower doses than for depression" lines (da, en); for pain alone it has them', async () => {
    const bedtime: fhir4.Dosage[] = [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] } } }];
    const both = [[{ text: 'depression' }, { text: 'fibromyalgi' }], [{ coding: [{ system: ICD10, code: 'F32.1' }] }, { coding: [{ system: ICD10, code: 'M79.7' }] }]];
    const depressionLines = { en: /not treating depression|Lower doses than for depression|lower doses for pain than for depression/, da: /ikke behandling af depression|Lavere doser end ved behandling af depression|lavere doser til behandling af smerter end til behandling af depression/ };
    for (const [name, medication] of [['amitriptyline', { text: 'Saroten 25 mg' }], ['other-tca', { text: 'Noritren 25 mg' }]] as const) {
      for (const reasonCode of both) {
        for (const lang of ['da', 'en'] as const) {
          const card = (await call([draft('a', medication, { reasonCode, dosageInstruction: bedtime })], { lang })).cards[0]!;
          expect([name, lang, card.source.topic.code]).toEqual([name, lang, name]);
          expect([name, lang, card.detail]).not.toEqual([name, lang, expect.stringMatching(depressionLines[lang])]);
        }
      }
      const pain = (await call([draft('a', medication, { reasonCode: [{ text: 'fibromyalgi' }], dosageInstruction: bedtime })], { lang: 'da' })).cards[0]!;
      expect(pain.detail).toMatch(depressionLines.da);
    }
    const amitriptyline = (await call([draft('a', { text: 'Saroten 25 mg' }, { dosageInstruction: bedtime })])).cards[0]!;
    expect(amitriptyline.detail).toContain('- The aim is pain relief and sleep regulation, not treating depression.\n- Lower doses than for depression.\n- Not in the daytime because of sedation (good practice).');
    const forBoth = (await call([draft('a', { text: 'Saroten 25 mg' }, { reasonCode: both[1], dosageInstruction: bedtime })])).cards[0]!;
    expect(forBoth.detail).toContain('- Not in the daytime because of sedation (good practice).\n- Off-label: amitriptyline is indicated for neuropathic pain');
  });
  test('a coded reason (ICD-10 F41.1, SKS DF321, SNOMED 35489007) → no card', async () => {
    for (const coding of [{ system: ICD10, code: 'F41.1' }, { system: 'urn:oid:1.2.208.176.2.4', code: 'DF321' }, { system: SNOMED, code: '35489007' }]) {
      expect((await call([draft('a', rx('312941', 'Sertralin'), { reasonCode: [{ coding: [coding] }] })])).cards).toEqual([]);
    }
  });
  test('another reason ("mod smerter") → the card, even with an active depression Condition', async () => {
    const b = await call([draft('a', rx('312941', 'Sertralin 50 mg'), { reasonCode: [{ text: 'mod smerter' }] })], { conditions: [fibromyalgia, depression], lang: 'da' });
    expect(kinds(b)).toEqual(['ssri']);
  });
  test('a reason text that negates depression or anxiety, or has the word only inside another, does not exempt: the card is shown (even with an active depression Condition)', async () => {
    for (const text of ['mod smerter, ikke depression', 'not for depression, for pain', 'fibromyalgi - ingen depression', 'langstrakte smerter', 'Smerter. Depression udelukket', 'r/o depression', 'posttraumatiske nakkesmerter efter trafikuheld', 'angst for bivirkninger', 'no signs of depression or anxiety', 'depression er blevet udelukket', '÷ depression', 'respirationsdepression']) {
      const b = await call([draft('a', rx('312941', 'Sertralin 50 mg'), { reasonCode: [{ text }] })], { conditions: [fibromyalgia, depression] });
      expect([text, kinds(b)]).toEqual([text, ['ssri']]);
    }
    // A text that says only depression or anxiety still names it.
    for (const text of ['vinterdepression', 'panikangst', 'Moderat depression', 'til behandling af generaliseret angst']) {
      expect([text, (await call([draft('a', rx('312941', 'Sertralin 50 mg'), { reasonCode: [{ text }] })])).cards]).toEqual([text, []]);
    }
    // Prevention and maintenance of depression are depression: no pain card; negated, or for something else, the card.
    for (const text of ['forebyggende mod depression', 'til forebyggelse af tilbagefald af depression', 'vedligeholdelsesbehandling af depression']) {
      expect([text, (await call([draft('a', rx('312941', 'Sertralin 50 mg'), { reasonCode: [{ text }] })])).cards]).toEqual([text, []]);
    }
    for (const text of ['depression udelukket', 'forebyggende, depression udelukket', 'forebyggende mod migræne', 'vedligeholdelsesbehandling']) {
      expect([text, kinds(await call([draft('a', rx('312941', 'Sertralin 50 mg'), { reasonCode: [{ text }] })]))]).toEqual([text, ['ssri']]);
    }
    // A coded reason not on the list is read by its display: a descendant of major depression is depression…
    const display = (code: string, text: string) => ({ reasonCode: [{ coding: [{ system: SNOMED, code, display: text }] }] });
    expect((await call([draft('a', rx('312941', 'Sertralin 50 mg'), display('76441001', 'Severe major depression, single episode, without psychotic features'))])).cards).toEqual([]);
    // …but "screening for depression" is not.
    expect(kinds(await call([draft('a', rx('312941', 'Sertralin 50 mg'), { reasonCode: [{ coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'Z13.31', display: 'Encounter for screening for depression' }] }] })]))).toEqual(['ssri']);
  });
  test('a reasonReference to a contained depression Condition exempts; a refuted or entered-in-error one does not, not even by the reference\'s display', async () => {
    const withReason = (verification: string) => ({
      ...draft('a', rx('312941', 'Sertralin 50 mg')),
      contained: [{ resourceType: 'Condition', id: 'dep', verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: verification }] }, code: { coding: [{ system: ICD10, code: 'F32.1' }] } }],
      reasonReference: [{ reference: '#dep', display: 'Depression' }],
    }) as unknown as fhir4.Resource;
    expect((await call([withReason('confirmed')])).cards).toEqual([]);
    for (const v of ['refuted', 'entered-in-error']) expect([v, kinds(await call([withReason(v)], { conditions: [fibromyalgia, depression] }))]).toEqual([v, ['ssri']]);
  });
  test('a reasonReference with a display to one of the patient\'s Conditions: exempts when that one is confirmed; not when it is refuted or entered in error', async () => {
    const order = { ...draft('a', rx('312941', 'Sertralin 50 mg')), reasonReference: [{ reference: 'Condition/depr', display: 'Depression' }] } as unknown as fhir4.Resource;
    const depr = (verification: string) => ({ ...condition('depr', ICD10, 'F32.1'), verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: verification }] } }) as fhir4.Condition;
    expect((await call([order], { conditions: [fibromyalgia, depr('confirmed')] })).cards).toEqual([]);
    for (const v of ['refuted', 'entered-in-error']) expect([v, kinds(await call([order], { conditions: [fibromyalgia, depr(v)] }))]).toEqual([v, ['ssri']]);
    // Not among the patient's Conditions: the display is read as the reason.
    expect((await call([order], { conditions: [fibromyalgia] })).cards).toEqual([]);
  });
  test('a reasonReference written with another base (an EHR behind a proxy writes its internal host) names the patient\'s Condition of that id, as a relative one does', async () => {
    const depr = condition('c1', ICD10, 'F32.1');
    const internal = { ...draft('a', rx('312941', 'Sertralin 50 mg')), reasonReference: [{ reference: 'http://ehr-internal:8080/fhir/Condition/c1' }] } as unknown as fhir4.Resource;
    expect((await call([internal], { fhirServer: 'http://127.0.0.1:8081/fhir', conditions: [fibromyalgia, depr] })).cards).toEqual([]);
    expect(kinds(await call([internal], { fhirServer: 'http://127.0.0.1:8081/fhir', conditions: [fibromyalgia] }))).toEqual(['ssri']);
  });
  test('a depression code beside another reason (fibromyalgia M79.7) → the card, as for a text that says more; the depression code alone, or two depression reasons, → none', async () => {
    const fm = { coding: [{ system: ICD10, code: 'M79.7' }] };
    const dep = { coding: [{ system: ICD10, code: 'F32.1' }] };
    const anx = { coding: [{ system: ICD10, code: 'F41.1' }] };
    expect(kinds(await call([draft('a', rx('312941', 'Sertralin 50 mg'), { reasonCode: [fm, dep] })]))).toEqual(['ssri']);
    expect(kinds(await call([draft('a', rx('312941', 'Sertralin 50 mg'), { reasonCode: [dep, { text: 'mod smerter' }] })]))).toEqual(['ssri']);
    expect((await call([draft('a', rx('312941', 'Sertralin 50 mg'), { reasonCode: [dep] })])).cards).toEqual([]);
    expect((await call([draft('a', rx('312941', 'Sertralin 50 mg'), { reasonCode: [dep, anx] })])).cards).toEqual([]);
    // A reference to the patient's depression Condition with a display that names nothing is still that one reason,
    // wherever the Condition is: among the patient's Conditions or contained in the order.
    const byReference = { ...draft('a', rx('312941', 'Sertralin 50 mg')), reasonReference: [{ reference: 'Condition/dep', display: 'Depression, set af egen læge' }] } as unknown as fhir4.Resource;
    expect((await call([byReference], { conditions: [fibromyalgia, depression] })).cards).toEqual([]);
    const contained = {
      ...draft('a', rx('312941', 'Sertralin 50 mg')),
      contained: [{ resourceType: 'Condition', id: 'c1', code: { coding: [{ system: ICD10, code: 'F32.1' }] } }],
      reasonReference: [{ reference: '#c1', display: 'Depression, set af egen læge' }],
    } as unknown as fhir4.Resource;
    expect((await call([contained], { conditions: [fibromyalgia] })).cards).toEqual([]);
  });
  test('no reason at all: an active depression Condition exempts; a resolved one does not', async () => {
    expect((await call([draft('a', rx('312941', 'Sertralin'))], { conditions: [fibromyalgia, depression] })).cards).toEqual([]);
    expect(kinds(await call([draft('a', rx('312941', 'Sertralin'))], { conditions: [fibromyalgia, condition('dep', ICD10, 'F32.1', 'resolved')] }))).toEqual(['ssri']);
  });
  test('opioids and gabapentinoids are not exempted by a depression reason', async () => {
    expect(kinds(await call([draft('a', rx('483440', 'Lyrica 75 mg'), { reasonCode: [{ text: 'angst' }] })]))).toEqual(['gabapentinoid']);
  });
});

describe('rev 2: no delete while another opioid is taken regularly', () => {
  const oxy = () => draft('request-123', { text: 'OxyContin 10 mg depottablet' });
  test('Contalgin taken regularly, OxyContin ordered → no delete; the switch text names Contalgin (da, en)', async () => {
    const active = [activeRx('old-1', { text: 'Contalgin 30 mg' }, { dosageInstruction: regular })];
    const da = (await call([oxy()], { active, lang: 'da' })).cards[0]!;
    expect(da.suggestions).toBeUndefined();
    expect(da.detail).toContain('(Contalgin 30 mg): opioidskift eller tillæg af opioid – undgå brat ophør');
    const en = (await call([oxy()], { active })).cards[0]!;
    expect(en.suggestions).toBeUndefined();
    expect(en.detail).toContain('(Contalgin 30 mg): opioid switch or added opioid – avoid abrupt stopping; agree a treatment and, if relevant, tapering plan');
  });
  test(`the opioids already taken are named once each, at most ${MAX_LISTED_NAMES}, then counted: the card stays bounded`, async () => {
    const active = [
      ...Array.from({ length: 3 }, (_, i) => activeRx(`t${i}`, rx('835603', 'Nobligan 50 mg'), { dosageInstruction: regular })),
      // Named after Nobligan in the alphabet: the card lists the drugs by name, so Nobligan comes first.
      ...Array.from({ length: 500 }, (_, i) => activeRx(`c${i}`, { text: `Palexia ${i + 1} mg` }, { dosageInstruction: regular })),
    ];
    const card = (await call([oxy()], { active })).cards[0]!;
    expect(card.detail.match(/Nobligan 50 mg/g)).toHaveLength(1);
    expect(card.detail).toContain(`and ${501 - MAX_LISTED_NAMES} more`);
    expect(card.detail.length).toBeLessThan(3_000);
  });
  test('unknown dosing counts like regular; tramadol is an opioid too', async () => {
    expect((await call([oxy()], { active: [activeRx('old-1', { text: 'Contalgin 30 mg' })] })).cards[0]!.suggestions).toBeUndefined();
    expect((await call([oxy()], { active: [activeRx('old-1', rx('835603', 'Nobligan 50 mg'), { dosageInstruction: regular })] })).cards[0]!.suggestions).toBeUndefined();
  });
  test('an active MedicationStatement (shared medication record, prefetch medicationStatements) counts', async () => {
    const { app } = buildTestApp();
    const b = body([oxy()]);
    (b.prefetch as Record<string, unknown>).medicationStatements = searchset([
      { resourceType: 'MedicationStatement', id: 'fmk-1', status: 'active', subject: { reference: 'Patient/p1' }, medicationCodeableConcept: { text: 'Malfin 10 mg' }, dosage: regular } as fhir4.MedicationStatement,
    ]);
    const card = expectValidResponse((await request(app).post(SELECT).send(b)).body).cards[0]!;
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain('(Malfin 10 mg): opioid switch');
  });
  test('an opioid whose FMK statement or order ended in the last OPIOID_RECENTLY_ENDED_DAYS (14) withholds the delete: a renewal or a switch; ended longer ago it does not', async () => {
    const statement = (end: string): fhir4.MedicationStatement => ({
      resourceType: 'MedicationStatement',
      id: 'fmk-1',
      status: 'active',
      subject: { reference: 'Patient/p1' },
      medicationCodeableConcept: { text: 'OxyContin 20 mg depottabl.' },
      dosage: regular,
      effectivePeriod: { start: '2026-06-01', end },
    });
    const answer = async (end: string, env: Record<string, string> = {}) => {
      const { app } = buildTestApp({ env });
      const b = body([oxy()]);
      (b.prefetch as Record<string, unknown>).medicationStatements = searchset([statement(end)]);
      return expectValidResponse((await request(app).post(SELECT).send(b)).body).cards[0]!;
    };
    // FIXED_NOW is 25 November 2026: ended yesterday.
    const yesterday = await answer('2026-11-24');
    expect(yesterday.suggestions).toBeUndefined();
    expect(yesterday.detail).toContain("The patient's opioid order (OxyContin 20 mg depottabl.) ended within the last 14 days: probably a renewal or a switch");
    // Ended a month ago: a new start, the delete is offered; OPIOID_RECENTLY_ENDED_DAYS=0 turns the window off.
    expect((await answer('2026-10-20')).suggestions).toHaveLength(1);
    expect((await answer('2026-11-24', { OPIOID_RECENTLY_ENDED_DAYS: '0' })).suggestions).toHaveLength(1);
    // An order of another opioid whose course (boundsPeriod) ended yesterday: a switch, no delete either.
    const ended = activeRx('old-1', { text: 'Contalgin 30 mg' }, { dosageInstruction: [{ timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd', boundsPeriod: { start: '2026-10-01', end: '2026-11-24' } } } }] });
    expect((await call([oxy()], { active: [ended] })).cards[0]!.suggestions).toBeUndefined();
    // An as-needed other opioid that ended does not withhold it (as when active); an as-needed one of the same ingredient does.
    const asNeeded = { dosageInstruction: [{ asNeededBoolean: true, timing: { repeat: { boundsPeriod: { start: '2026-10-01', end: '2026-11-24' } } } }] };
    expect((await call([oxy()], { active: [activeRx('old-1', { text: 'Contalgin 30 mg' }, asNeeded)] })).cards[0]!.suggestions).toHaveLength(1);
    expect((await call([oxy()], { active: [activeRx('old-1', { text: 'OxyNorm 5 mg' }, asNeeded)] })).cards[0]!.suggestions).toBeUndefined();
    // The draft is the order that ran out yesterday, renewed in place (the same id): no delete, the renewal named.
    const renewed = (await call([oxy()], { active: [activeRx(oxy().id!, { text: 'OxyContin 10 mg' }, { dosageInstruction: regular.map((d) => ({ ...d, timing: { repeat: { ...d.timing!.repeat, boundsPeriod: { end: '2026-11-24' } } } })) })] })).cards[0]!;
    expect(renewed.suggestions).toBeUndefined();
    expect(renewed.detail).toContain('ended within the last 14 days');
  });
  test('the other opioid being stopped in the same draftOrders → delete offered again', async () => {
    const stopping = { ...draft('old-1', { text: 'Contalgin 30 mg' }), status: 'stopped' as const };
    const b = await call([oxy(), stopping], { hook: 'order-sign', active: [activeRx('old-1', { text: 'Contalgin 30 mg' }, { dosageInstruction: regular })] });
    expect(b.cards.map((c) => [c.source.topic.code, c.suggestions?.length])).toEqual([['opioid-without-dual-action', 1]]);
  });
  test('…unless the draft replaces it (priorPrescription): a switch signed in one go, where removing the new opioid would stop the old one abruptly → no delete, the switch text', async () => {
    const stopping = { ...draft('old-1', { text: 'Contalgin 30 mg' }), status: 'stopped' as const };
    for (const reference of ['MedicationRequest/old-1', 'https://ehr.example.dk/fhir/MedicationRequest/old-1/_history/2']) {
      const replacing = { ...oxy(), priorPrescription: { reference } } as fhir4.Resource;
      const b = await call([replacing, stopping], { hook: 'order-sign', active: [activeRx('old-1', { text: 'Contalgin 30 mg' }, { dosageInstruction: regular })] });
      const card = b.cards[0]!;
      expect(card.suggestions).toBeUndefined();
      expect(card.detail).toContain('(Contalgin 30 mg): opioid switch');
    }
  });
  test('a "do not perform" request is no order: as a draft it gets no card (no delete of a prohibition), as an active order it is no opioid taken', async () => {
    const prohibition = { ...oxy(), doNotPerform: true } as fhir4.Resource;
    expect((await call([prohibition])).cards).toEqual([]);
    const notGiven = activeRx('old-1', { text: 'Contalgin 30 mg' }, { dosageInstruction: regular, doNotPerform: true });
    expect((await call([oxy()], { active: [notGiven] })).cards[0]!.suggestions?.[0]?.actions?.[0]?.type).toBe('delete');
  });
  test('an order whose Medication resolves but has only a local code is named by its reference\'s display: the opioid is recognised', async () => {
    const med = { resourceType: 'Medication', id: 'm1', code: { coding: [{ system: 'urn:oid:1.2.840.114350.1.13.0.1.7.2.698288', code: '12345' }] } };
    const byRef = { ...draft('request-123', { text: 'x' }), medicationCodeableConcept: undefined, contained: [{ ...med, id: 'm1' }], medicationReference: { reference: '#m1', display: 'oxyCODONE (ROXICODONE) 5 mg tablet' } } as unknown as fhir4.Resource;
    expect(kinds(await call([byRef]))).toEqual(['opioid-without-dual-action']);
  });
});

describe('rev 2: opioid dependence', () => {
  const f11 = condition('f11', ICD10, 'F11.2');
  test('methadone for a patient with opioid dependence (F11, or SNOMED 75544000) → no card; without dependence → a card', async () => {
    const metadon = draft('m', atc('N07BC02', 'Metadon 10 mg'));
    expect((await call([metadon], { conditions: [fibromyalgia, f11] })).cards).toEqual([]);
    expect((await call([metadon], { conditions: [fibromyalgia, condition('oud', SNOMED, '75544000')] })).cards).toEqual([]);
    expect((await call([draft('m', atc('N07BC02', 'Metadon 10 mg'), { reasonCode: [{ coding: [{ system: SNOMED, code: '75544000' }] }] })])).cards).toEqual([]);
    expect(kinds(await call([metadon]))).toEqual(['opioid-without-dual-action']);
  });
  test('buprenorphine by its generic name is substitution treatment for a patient with opioid dependence, as methadone: no card (no delete of a substitution order)', async () => {
    const bup = draft('b', { text: 'Buprenorphin "Sandoz" 8 mg resoribletter' });
    expect((await call([bup], { conditions: [fibromyalgia, f11] })).cards).toEqual([]);
    expect((await call([draft('b', rx('1819', 'buprenorphine'), { reasonCode: [{ text: 'Opioidafhængighed', coding: [{ system: 'urn:oid:1.2.208.176.2.4', code: 'DF112' }] }] })])).cards).toEqual([]);
    // Without dependence on record it is an opioid without dual action, with its card.
    expect(kinds(await call([bup]))).toEqual(['opioid-without-dual-action']);
  });
  test('a buprenorphine pain product (a brand marked use = pain, ATC N02AE01, an RxNorm patch) for a patient with opioid dependence is "any other opioid": its card, with the dependence line', async () => {
    const painProducts = [
      draft('n', { text: 'Norspan 10 mikrog/time depotplaster' }),
      draft('t', { text: 'Temgesic 0,2 mg resoribletter' }),
      draft('a', atc('N02AE01', 'Buprenorphin 5 mikrog/time depotplaster')),
      draft('r', rx('904870', 'buprenorphine 0.01 MG/HR Transdermal System')),
      draft('i', rx('1819', 'Norspan 10 mikrog/time')),
    ];
    for (const order of painProducts) {
      const cards = (await call([order], { conditions: [fibromyalgia, f11] })).cards;
      expect([order.id, cards.map((c) => c.source.topic.code)]).toEqual([order.id, ['opioid-without-dual-action']]);
      expect(cards[0]!.detail).toContain('Opioid dependence on record');
    }
    // The order's own reason wins over the code or brand: a pain-coded product prescribed for opioid dependence is substitution treatment.
    const forDependence = { reasonCode: [{ text: 'Substitutionsbehandling' }] };
    expect((await call([draft('a', atc('N02AE01', 'Buprenorphin 8 mg'), forDependence)], { conditions: [fibromyalgia, f11] })).cards).toEqual([]);
    expect((await call([draft('t', { text: 'Temgesic 0,2 mg' }, { reasonCode: [{ coding: [{ system: ICD10, code: 'F11.2' }] }] })])).cards).toEqual([]);
    // The pain mark is buprenorphine's only: methadone whose text names a pain brand stays substitution treatment.
    expect((await call([draft('m', atc('N07BC02', 'Metadon 10 mg tablet (skift fra Temgesic)'))], { conditions: [fibromyalgia, f11] })).cards).toEqual([]);
    // Substitution products stay out of scope whatever else is said: a substitution brand coded N02AE01, N07BC01 beside a pain brand's name.
    expect((await call([draft('s', atc('N02AE01', 'Subutex 8 mg'))], { conditions: [fibromyalgia, f11] })).cards).toEqual([]);
    expect((await call([draft('s', atc('N07BC01', 'Norspan'))], { conditions: [fibromyalgia, f11] })).cards).toEqual([]);
  });
  test('an order naming methadone and morphine is not substitution treatment as a whole: the opioid card stays, with the dependence line', async () => {
    const both = draft('mm', { text: 'Metadon 10 mg + Morfin 10 mg' });
    const card = (await call([both], { conditions: [fibromyalgia, f11] })).cards[0]!;
    expect(card.source.topic.code).toBe('opioid-without-dual-action');
    expect(card.detail).toContain('Opioid dependence on record');
    // The control: methadone alone is substitution treatment, no card.
    expect((await call([draft('m', { text: 'Metadon 10 mg' })], { conditions: [fibromyalgia, f11] })).cards).toEqual([]);
  });
  test('dependence as the order\'s reason in words, or a Condition in remission, exempts methadone too; a resolved one does not', async () => {
    const metadon = (reason?: string) => draft('m', { text: 'Metadon "DAK" 5 mg' }, reason ? { reasonCode: [{ text: reason }] } : {});
    for (const reason of ['Substitutionsbehandling', 'mod opioidafhængighed', 'Opioid dependence', 'Opioid substitution treatment']) {
      expect([reason, (await call([metadon(reason)])).cards]).toEqual([reason, []]);
    }
    expect(kinds(await call([metadon('mod smerter')]))).toEqual(['opioid-without-dual-action']);
    // Natural Danish wording of the same, without an F11 Condition: no card (no delete of substitution treatment).
    const metadon10 = (text: string) => draft('m', { text: 'Metadon 10 mg' }, { reasonCode: [{ text }] });
    for (const reason of ['afhængighed af opioider', 'opioid misbrug', 'opioidmisbrug', 'metadonbehandling']) {
      expect([reason, (await call([metadon10(reason)])).cards]).toEqual([reason, []]);
    }
    // Another dependence, opioid treatment for pain, or a negation: the opioid card with its delete.
    for (const reason of ['afhængighed af alkohol', 'opioidbehandling', 'ingen opioidmisbrug', 'metadon mod smerter']) {
      const b = await call([metadon10(reason)]);
      expect([reason, kinds(b), b.cards[0]!.suggestions?.[0]?.actions?.[0]?.type]).toEqual([reason, ['opioid-without-dual-action'], 'delete']);
    }
    expect((await call([metadon()], { conditions: [fibromyalgia, condition('f11', ICD10, 'F11.2', 'remission')] })).cards).toEqual([]);
    expect(kinds(await call([metadon()], { conditions: [fibromyalgia, condition('f11', ICD10, 'F11.2', 'resolved')] }))).toEqual(['opioid-without-dual-action']);
  });
  test('a substitution product the patient takes (Suboxone in FMK) is dependence on record: another opioid\'s card carries the coordination line', async () => {
    const suboxone = { resourceType: 'MedicationStatement', id: 'fmk-s', status: 'active', subject: { reference: 'Patient/p1' }, medicationCodeableConcept: { text: 'Suboxone 8 mg/2 mg' }, dosage: regular } as fhir4.MedicationStatement;
    const b = body([draft('o', { text: 'Oxycodon "Orion" 5 mg' })]);
    (b.prefetch as Record<string, unknown>).medicationStatements = searchset([suboxone]);
    const res = await request(buildTestApp().app).post(SELECT).set('Accept-Language', 'en').send(b);
    const card = expectValidResponse(res.body).cards[0]!;
    expect(card.detail).toContain('Opioid dependence on record – coordinate with the treating addiction service');
    expect(card.suggestions).toBeUndefined();
    expect((await call([draft('o', { text: 'Oxycodon "Orion" 5 mg' })])).cards[0]!.detail).not.toContain('addiction service');
  });
  test('any other opioid keeps its card, with the coordination line (da, en)', async () => {
    const da = await call([draft('o', { text: 'OxyNorm 5 mg' })], { conditions: [fibromyalgia, f11], lang: 'da' });
    expect(kinds(da)).toEqual(['opioid-without-dual-action']);
    expect(da.cards[0]!.detail).toContain('Registreret opioidafhængighed – koordinér med det behandlende rusmiddelcenter');
    const en = await call([draft('t', { text: 'Tradolan 50 mg' })], { conditions: [fibromyalgia, f11] });
    expect(kinds(en)).toEqual(['tramadol']);
    expect(en.cards[0]!.detail).toContain('Opioid dependence on record – coordinate with the treating addiction service');
  });
  test('substitution products (Espranor, Buvidal, N07BC01) → no card; no coordination line without dependence', async () => {
    for (const m of [{ text: 'Espranor 8 mg' }, { text: 'Buvidal 64 mg depotinjektion' }, atc('N07BC01', 'buprenorfin')]) {
      expect((await call([draft('s', m)])).cards).toEqual([]);
    }
    expect((await call([draft('o', { text: 'OxyNorm 5 mg' })])).cards[0]!.detail).not.toContain('addiction service');
  });
  test('ICPC-2 P19 counts only with ICPC2_L18 not off', async () => {
    const p19 = condition('p19', 'http://hl7.org/fhir/sid/icpc-2', 'P19');
    const metadon = draft('m', atc('N07BC02', 'Metadon 10 mg'));
    expect(kinds(await call([metadon], { conditions: [fibromyalgia, p19] }))).toEqual(['opioid-without-dual-action']);
    expect((await call([metadon], { conditions: [fibromyalgia, p19], env: { ICPC2_L18: 'text' } })).cards).toEqual([]);
  });
});

describe('rev 2: words', () => {
  test('tapentadol is a warning with "Ingen anbefaling: NKR fandt ingen studier af tapentadol" (da) / "No recommendation:" (en)', async () => {
    const da = (await call([draft('t', { text: 'Palexia depot 50 mg' })], { lang: 'da' })).cards[0]!;
    expect(da.indicator).toBe('warning');
    expect(da.detail).toContain('**Ingen anbefaling:** Retningslinjens litteratursøgning fandt kun studier af tramadol, så arbejdsgruppen kan ikke udtale sig om tapentadol. Advarslen skyldes, at tapentadol er et afhængighedsskabende opioid');
    expect(da.detail).not.toContain('**Ingen anbefaling:** »');
    const en = (await call([draft('t', { text: 'Palexia depot 50 mg' })])).cards[0]!;
    expect(en.detail).toContain('**No recommendation:** The guideline\'s literature search found studies of tramadol only, so the working group cannot comment on tapentadol');
    // The guidance on dependence-producing drugs is named once (in the recommendation line).
    expect(da.detail.match(/vejledning om ordination af afhængighedsskabende lægemidler/g)).toHaveLength(1);
  });
  test('opioids without dual action and tramadol add that the guidance on prescribing dependence-producing drugs applies (da, en); an SSRI, amitriptyline or a gabapentinoid does not (docs/clinical-rules.md §4)', async () => {
    const dependent = [draft('o', rx('1049621', 'oxycodone hydrochloride 5 MG Oral Tablet')), draft('t', rx('835603', 'tramadol 50 mg'))];
    const other = [draft('s', rx('312941', 'Zoloft 50 mg')), draft('a', rx('856834', 'amitriptyline 25 mg')), draft('g', rx('483440', 'pregabalin 50 MG Oral Capsule'))];
    const da = await call([...dependent, ...other], { hook: 'order-sign', lang: 'da' });
    const en = await call([...dependent, ...other], { hook: 'order-sign' });
    for (const kind of ['opioid-without-dual-action', 'tramadol']) {
      expect(cardOfKind(da, kind)!.detail).toContain('Sundhedsstyrelsens vejledning om ordination af afhængighedsskabende lægemidler gælder.');
      expect(cardOfKind(en, kind)!.detail).toContain("The Danish Health Authority's guidance on prescribing dependence-producing drugs applies.");
    }
    for (const kind of ['ssri', 'amitriptyline', 'gabapentinoid']) {
      expect(cardOfKind(da, kind)!.detail).not.toContain('afhængighedsskabende');
      expect(cardOfKind(en, kind)!.detail).not.toContain('dependence-producing');
    }
  });
  test('summaries lead with the message and end with the drug; a drug name too long gives way to its ingredients, never the message (<140 code points)', async () => {
    const long = 'Acetaminophen 325 MG / Oxycodone Hydrochloride 7.5 MG Extended Release Oral Tablet [Xartemis XR] with a very long packaging description';
    for (const lang of ['da', 'en']) {
      const card = (await call([draft('x', { text: long, coding: [{ system: ATC, code: 'N02AJ17' }] })], { lang })).cards[0]!;
      expect(Array.from(card.summary).length).toBeLessThan(140);
      expect(card.summary).toBe(lang === 'da' ? 'Opioider uden dual action er ikke god praksis ved generaliserede smerter: oxycodon + paracetamol' : 'Opioids without dual action are not good practice in generalized pain: oxycodone + paracetamol');
      expect(card.detail).toContain('Xartemis XR');
    }
    // A name that fits is kept as typed.
    expect((await call([draft('x', { text: 'OxyContin 10 mg', coding: [{ system: ATC, code: 'N02AA05' }] })])).cards[0]!.summary).toBe('Opioids without dual action are not good practice in generalized pain: OxyContin 10 mg');
  });
  test('summaries are plain text: "[Oxycontin]" is not escaped', async () => {
    const card = (await call([draft('x', rx('1049621', 'oxycodone 10 MG [Oxycontin]'))])).cards[0]!;
    expect(card.summary).toBe('Opioids without dual action are not good practice in generalized pain: oxycodone 10 MG [Oxycontin]');
  });
  test('Danish wording: "SSRI til smertelindring kun efter nøje overvejelse", buprenorfin, følsomme over for, PN-behandling, what the card does not check', async () => {
    const b = await call([draft('s', rx('312941', 'Zoloft 50 mg')), draft('o', { text: 'Norspan 10 mikrog/time' }), draft('t', { text: 'Nobligan 50 mg' })], { hook: 'order-sign', lang: 'da' });
    const [ssri, opioid, tramadol] = b.cards;
    expect(ssri!.summary).toBe('SSRI til smertelindring kun efter nøje overvejelse – begrænset effekt (svag anbefaling MOD): Zoloft 50 mg');
    expect(opioid!.detail).toContain('buprenorfin');
    expect(opioid!.detail).not.toContain('buprenorphin');
    expect(tramadol!.detail).toContain('meget følsomme over for farmakologisk behandling');
    expect(opioid!.overrideReasons.map((r: any) => r.display)).toContain('Kortvarig behandling eller PN-behandling');
    for (const c of b.cards) {
      expect(c.detail).toContain('*Ikke et tjek af interaktioner, kontraindikationer, graviditet/amning, nyrefunktion eller dosis.*');
      expect(c.detail).toMatch(/^\*\*Ordination \(kladde\):\*\* /);
      expect(c.detail).not.toMatch(/MedicationRequest\//);
    }
  });
});

describe('off-label lines', () => {
  test('venlafaxine names itself as not indicated for pain, not every SNRI (duloxetine is approved for neuropathic pain)', async () => {
    const da = cardOfKind(await call([draft('v', atc('N06AX16', 'Efexor 75 mg'))], { lang: 'da' }), 'venlafaxine')!;
    expect(da.detail).toContain('Venlafaxin (et SNRI) har ikke indikation til behandling af smerter');
    const en = cardOfKind(await call([draft('v', atc('N06AX16', 'Efexor 75 mg'))]), 'venlafaxine')!;
    expect(en.detail).toContain('Venlafaxine (an SNRI) is not indicated for pain');
  });
  test('amitriptyline names its indication (neuropathic pain) once; an SSRI has the shared line (da, en)', async () => {
    const da = await call([draft('a', rx('856834', 'amitriptyline 25 mg')), draft('s', rx('312941', 'Zoloft 50 mg'))], { hook: 'order-sign', lang: 'da' });
    const [amiDa, ssriDa] = [cardOfKind(da, 'amitriptyline')!, cardOfKind(da, 'ssri')!];
    expect(amiDa.detail).toContain('Off-label: amitriptylin har indikation til neuropatiske smerter, ikke til generaliserede smerter.');
    expect(amiDa.detail.match(/off-label/gi)).toHaveLength(1);
    expect(ssriDa.detail).toContain('Off-label: præparatet har ikke indikation til behandling af smerter.');
    expect(ssriDa.detail).not.toContain('neuropatiske');
    const en = await call([draft('a', rx('856834', 'amitriptyline 25 mg'))]);
    expect(cardOfKind(en, 'amitriptyline')!.detail).toContain('Off-label: amitriptyline is indicated for neuropathic pain, not for generalized pain.');
  });
});

describe('rev 2: plain clinical English ("addresses", "insufficient evidence", "bothered by"), Danish alike', () => {
  test('venlafaxine: insufficient evidence / ikke tilstrækkelig evidens', async () => {
    const en = (await call([draft('v', atc('N06AX16', 'Efexor 75 mg'))])).cards[0]!;
    expect(en.summary).toBe('Insufficient evidence for a recommendation on venlafaxine in generalized pain: Efexor 75 mg');
    const da = (await call([draft('v', atc('N06AX16', 'Efexor 75 mg'))], { lang: 'da' })).cards[0]!;
    expect(da.summary).toBe('Ikke tilstrækkelig evidens til en anbefaling om venlafaxin ved generaliserede smerter: Efexor 75 mg');
    for (const c of [en, da]) expect(`${c.summary}\n${c.detail}`).not.toMatch(/too thin|for lidt evidens/i);
  });
  test('gabapentinoid: many are very bothered by side effects (the guideline: »mange er meget generet«; not "much troubled"/"much bothered")', async () => {
    const en = (await call([draft('g', rx('483440', 'pregabalin 50 MG Oral Capsule'))])).cards[0]!;
    expect(en.detail).toContain('many are very bothered by side effects');
    expect(en.detail).not.toMatch(/much (troubled|bothered)/);
  });
});

describe('a drug named only by a code is named by its ingredients, in the card\'s language', () => {
  const atcOnly = (code: string): fhir4.CodeableConcept => ({ coding: [{ system: ATC, code }] });
  test.each([
    ['en', 'oxycodone'],
    ['da', 'oxycodon'],
  ] as const)('order-select (%s): "%s", not "N02AA05"', async (lang, name) => {
    const card = (await call([draft('o', atcOnly('N02AA05'))], { lang })).cards[0]!;
    expect(card.summary).toMatch(new RegExp(`${name}$`));
    expect(`${card.summary}\n${card.detail}`).not.toContain('N02AA05');
  });
  test('a code with a display or a text keeps its own name', async () => {
    const card = (await call([draft('o', { coding: [{ system: ATC, code: 'N02AA05', display: 'OxyNorm 5 mg' }] })])).cards[0]!;
    expect(card.summary).toMatch(/OxyNorm 5 mg$/);
  });
  test.each([
    ['en', 'oxycodone', 'tramadol'],
    ['da', 'oxycodon', 'tramadol'],
  ] as const)('order-select (%s): the opioid already taken, known only by its code, is named by its ingredient in the tapering and switch lines', async (lang, same, other) => {
    const active = [activeRx('old-1', atcOnly('N02AA05'), { dosageInstruction: regular }), activeRx('old-2', { coding: [{ system: RXNORM, code: '835603' }] }, { dosageInstruction: regular })];
    const card = (await call([draft('o', { text: 'OxyContin 10 mg' })], { active, lang })).cards[0]!;
    expect(card.detail).toContain(`(${same})`);
    expect(card.detail).toContain(`(${other})`);
    expect(card.detail).not.toMatch(/N02AA05|835603/);
  });
  test('patient-view: a current drug known only by its code is listed by its ingredient', async () => {
    const req = readJson<Record<string, any>>(projectPath('fixtures', 'requests', 'patient-view-medication-statement-fmk.json'));
    req.prefetch.medicationStatements.entry[0].resource.medicationCodeableConcept = atcOnly('N02AA01');
    const { app } = buildTestApp();
    const res = await request(app).post('/cds-services/nkr-pain-patient-view').set('Accept-Language', 'da').send(req);
    const card = cardOfKind(expectValidResponse(res.body), 'current-medication')!;
    expect(card.detail).toContain('**morfin**');
    expect(`${card.summary}\n${card.detail}`).not.toContain('N02AA01');
  });
});

describe('an ingredient named only by its itemReference\'s display is read like a name (docs/clinical-rules.md §4)', () => {
  // A Medication without a code whose ingredient is a reference with only a display ("Tramadol hydrochlorid"), as
  // some EHRs send a product they know by its active substance only.
  const byIngredientReference = (id: string, ...names: string[]): fhir4.Medication =>
    ({ resourceType: 'Medication', id, ingredient: names.map((display) => ({ itemReference: { display }, isActive: true })) }) as fhir4.Medication;
  const orderOf = (medication: fhir4.Medication, extra: Partial<fhir4.MedicationRequest> = {}): fhir4.MedicationRequest => ({
    ...draft('d1', undefined, extra),
    contained: [medication],
    medicationReference: { reference: `#${medication.id}` },
  });

  test('order-select: a contained Medication whose ingredient is "Tramadol hydrochlorid" → the tramadol card, named so; paracetamol → none', async () => {
    const card = (await call([orderOf(byIngredientReference('m', 'Tramadol hydrochlorid'))])).cards;
    expect(card.map((c) => c.source.topic.code)).toEqual(['tramadol']);
    expect(card[0]!.summary).toMatch(/Tramadol hydrochlorid$/);
    expect((await call([orderOf(byIngredientReference('m', 'Paracetamol'))])).cards).toEqual([]);
  });
  test('order-sign: a Medication in the draft Bundle, a combination of two referenced ingredients (codeine + paracetamol) → the opioid card naming its partner', async () => {
    const medication = byIngredientReference('med-1', 'Kodeinphosphat', 'Paracetamol');
    const order = { ...draft('d1', undefined), medicationReference: { reference: 'Medication/med-1' } };
    const cards = (await call([order, medication], { hook: 'order-sign' })).cards;
    expect(cards.map((c) => c.source.topic.code)).toEqual(['opioid-without-dual-action']);
    expect(cards[0]!.detail).toContain('Combination product: codeine + paracetamol.');
  });
  test('a DSTU2 Medication (product.ingredient[].item, a Reference with a display) read from the fhirServer → the tramadol card', async () => {
    const server = nock('http://127.0.0.1:8081')
      .get('/fhir/Medication/med-2')
      .reply(200, { resourceType: 'Medication', id: 'med-2', product: { ingredient: [{ item: { display: 'tramadol' } }] } });
    const d = { resourceType: 'MedicationOrder', id: 'd1', status: 'draft', patient: { reference: 'Patient/p1' }, medicationReference: { reference: 'Medication/med-2' } } as unknown as fhir4.Resource;
    expect(kinds(await call([d], { fhirServer: 'http://127.0.0.1:8081/fhir', selections: ['MedicationOrder/d1'] }))).toEqual(['tramadol']);
    expect(server.isDone()).toBe(true);
  });
  test('the order\'s medicationReference display still classifies when the ingredient displays name no card\'s drug (one a partner, the other a reference without a display): the tramadol card, named by that display; from the fhirServer too', async () => {
    // Before ingredient displays were read, such a Medication had no ingredients and the reference's display named it.
    const partial = { resourceType: 'Medication', id: 'm', ingredient: [{ itemReference: { display: 'Paracetamol' } }, { itemReference: { reference: '#sub-1' } }] } as fhir4.Medication;
    const order = { ...orderOf(partial), medicationReference: { reference: '#m', display: 'Tramadol/Paracetamol 37,5/325 mg' } };
    const cards = (await call([order])).cards;
    expect(cards.map((c) => c.source.topic.code)).toEqual(['tramadol']);
    expect(cards[0]!.summary).toMatch(/Tramadol\/Paracetamol 37,5\/325 mg$/);
    const server = nock('http://127.0.0.1:8081').get('/fhir/Medication/med-6').reply(200, { ...partial, id: 'med-6' });
    const viaServer = { ...draft('d1', undefined), medicationReference: { reference: 'Medication/med-6', display: 'Tramadol/Paracetamol 37,5/325 mg' } };
    expect(kinds(await call([viaServer], { fhirServer: 'http://127.0.0.1:8081/fhir' }))).toEqual(['tramadol']);
    expect(server.isDone()).toBe(true);
    // The other way round: a display naming no drug leaves the ingredient displays to decide (tramadol named there).
    const named = { resourceType: 'Medication', id: 'm', ingredient: [{ itemReference: { display: 'Tramadol hydrochlorid' } }] } as fhir4.Medication;
    const unnamed: fhir4.MedicationRequest = { ...orderOf(named), medicationReference: { reference: '#m', display: 'Smertestillende' } };
    expect(kinds(await call([unnamed]))).toEqual(['tramadol']);
  });
  test('an itemCodeableConcept still wins over a display beside it; an ingredient reference with neither display nor anything to read gives nothing', async () => {
    const coded = { resourceType: 'Medication', id: 'm', ingredient: [{ itemCodeableConcept: { text: 'pregabalin' }, itemReference: { display: 'Tramadol' } }] } as unknown as fhir4.Medication;
    expect(kinds(await call([orderOf(coded)]))).toEqual(['gabapentinoid']);
    const bare = { resourceType: 'Medication', id: 'm', ingredient: [{ itemReference: { reference: 'Substance/s1' } }] } as fhir4.Medication;
    expect((await call([orderOf(bare)])).cards).toEqual([]);
  });
  test('patient-view: an active order whose Medication (in the search result, `_include`) names its ingredient only so is listed; a paracetamol one is not (da)', async () => {
    const pv = async (name: string) => {
      const req = patientViewRequest('gsb-established-complete');
      const order = { ...activeRx('r1', { text: 'x' }), medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/med-3' } } as unknown as fhir4.Resource;
      (req.prefetch as Record<string, unknown>).medications = searchset([...ofEstablished([order]), byIngredientReference('med-3', name)]);
      const { app } = buildTestApp();
      const res = await request(app).post('/cds-services/nkr-pain-patient-view').set('Accept-Language', 'da').send(req);
      expect(res.status).toBe(200);
      return cardOfKind(expectValidResponse(res.body), 'current-medication');
    };
    expect((await pv('Tramadol hydrochlorid'))!.detail).toContain('**Tramadol hydrochlorid**');
    expect(await pv('Paracetamol')).toBeUndefined();
  });
  test('the negative: an active paracetamol order so named is read, not unreadable — the opioid draft keeps its delete, and the current-medication card does not say its list may be incomplete', async () => {
    const activeBy = (name: string) => [
      { ...activeRx('old-1', { text: 'x' }, { dosageInstruction: regular }), medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/med-5' } } as unknown as fhir4.Resource,
      byIngredientReference('med-5', name),
    ];
    const oxy = draft('request-123', { text: 'OxyContin 10 mg depottablet' });
    expect((await call([oxy], { active: activeBy('Paracetamol') })).cards[0]!.suggestions?.[0]?.actions?.[0]?.type).toBe('delete');
    // The positive beside it: another opioid taken regularly, so named, withholds the delete (a switch).
    expect((await call([oxy], { active: activeBy('Tramadol hydrochlorid') })).cards[0]!.suggestions).toBeUndefined();
    const req = patientViewRequest('gsb-established-complete');
    (req.prefetch as Record<string, unknown>).medications = searchset([...ofEstablished([activeRx('m1', { text: 'OxyNorm 5 mg' }) as fhir4.Resource, ...activeBy('Paracetamol')])]);
    const { app } = buildTestApp();
    const res = await request(app).post('/cds-services/nkr-pain-patient-view').send(req);
    expect(res.status).toBe(200);
    expect(cardOfKind(expectValidResponse(res.body), 'current-medication')!.detail).not.toContain('may be incomplete');
  });
  test('patient-view: an active statement whose Medication is read from the fhirServer, its ingredient named only by a display, is listed', async () => {
    const server = nock('http://127.0.0.1:8081').get('/fhir/Medication/med-4').reply(200, byIngredientReference('med-4', 'Oxycodonhydrochlorid'));
    const req = readJson<Record<string, any>>(projectPath('fixtures', 'requests', 'patient-view-medication-statement-fmk.json'));
    const statement = req.prefetch.medicationStatements.entry[0].resource;
    delete statement.medicationCodeableConcept;
    statement.medicationReference = { reference: 'Medication/med-4' };
    req.fhirServer = 'http://127.0.0.1:8081/fhir';
    const { app } = buildTestApp();
    const res = await request(app).post('/cds-services/nkr-pain-patient-view').send(req);
    expect(res.status).toBe(200);
    const card = cardOfKind(expectValidResponse(res.body), 'current-medication')!;
    expect(card.indicator).toBe('warning');
    expect(card.detail).toContain('**Oxycodonhydrochlorid**');
    expect(server.isDone()).toBe(true);
  });
});

describe('worded no stronger than the guideline', () => {
  // The weak recommendation is amitriptyline's; under "No recommendation" it must not read as one for the drug ordered.
  test.each([
    ['en', '**No recommendation:**', '(for amitriptyline: weak recommendation)'],
    ['da', '**Ingen anbefaling:**', '(for amitriptylin: svag anbefaling)'],
  ] as const)('other TCA (%s): the weak recommendation is named as amitriptyline\'s', async (lang, line, named) => {
    const card = (await call([draft('n', atc('N06AA10', 'Noritren 25 mg'))], { lang })).cards[0]!;
    expect(card.detail).toContain(line);
    expect(card.detail).toContain(named);
    expect(card.detail).not.toMatch(/only \(weak recommendation\)|amitriptylin \(svag anbefaling\)/);
  });
  test('SSRI (en): a TCA first is suggested, as the Danish »foreslås det«, not an instruction', async () => {
    const card = (await call([draft('s', atc('N06AB06', 'Zoloft 50 mg'))])).cards[0]!;
    expect(card.detail).toContain('it is suggested to try a tricyclic antidepressant (TCA) first, then duloxetine');
  });
});

describe('rev 2: Danish brand names (terminology/drugs/brands.csv)', () => {
  test.each([
    ['Mandolgin 50 mg', 'tramadol'],
    ['Reltebon 10 mg', 'opioid-without-dual-action'],
    ['Transtec 35 mikrog/t', 'opioid-without-dual-action'],
    ['Instanyl 50 mikrog/dosis', 'opioid-without-dual-action'],
    ['Abstral 100 mikrog', 'opioid-without-dual-action'],
    ['Matrifen 25 mikrog/t', 'opioid-without-dual-action'],
    ['Effentora 100 mikrog', 'opioid-without-dual-action'],
    ['PecFent 100 mikrog', 'opioid-without-dual-action'],
    ['Fevarin 50 mg', 'ssri'],
    ['Yentreve 40 mg', 'duloxetine'],
    ['Pinex Forte 500 mg/30 mg', 'opioid-without-dual-action'],
    ['Dolol 50 mg', 'tramadol'],
    ['Tradolan 50 mg', 'tramadol'],
    ['Dolcontin 10 mg', 'opioid-without-dual-action'],
    ['Malfin 10 mg', 'opioid-without-dual-action'],
    ['Depolan 10 mg depottabletter', 'opioid-without-dual-action'],
    ['Durogesic 12 mikrog/t', 'opioid-without-dual-action'],
    ['Temgesic 0,2 mg', 'opioid-without-dual-action'],
    ['Palladon 1,3 mg', 'opioid-without-dual-action'],
    ['Metadon 5 mg', 'opioid-without-dual-action'],
    ['Kodimagnyl', 'opioid-without-dual-action'],
    ['Cipralex 10 mg', 'ssri'],
    ['Cipramil 20 mg', 'ssri'],
    ['Zoloft 50 mg', 'ssri'],
    ['Seroxat 20 mg', 'ssri'],
    ['Fontex 20 mg', 'ssri'],
    ['Efexor 75 mg', 'venlafaxine'],
  ])('"%s" → %s card', async (text, kind) => {
    expect(kinds(await call([draft('b', { text })]))).toEqual([kind]);
  });
  test.each(['Espranor 8 mg', 'Buvidal 64 mg', 'Subutex 8 mg', 'Suboxone 8 mg/2 mg', 'Zubsolv 5,7 mg/1,4 mg', 'Buprenorphin/naloxon 8 mg/2 mg'])('"%s" is substitution treatment → no card', async (text) => {
    expect((await call([draft('b', { text })])).cards).toEqual([]);
  });
  test('a substitution brand coded only as buprenorphine (RxNorm 1819, ATC N02AE01) is substitution treatment → no card, so no delete; a buprenorphine patch so coded gets its card', async () => {
    expect((await call([draft('b', rx('1819', 'Subutex 8 mg resoribletter'))])).cards).toEqual([]);
    expect((await call([draft('b', { coding: [{ system: ATC, code: 'N02AE01' }], text: 'Espranor 8 mg' })])).cards).toEqual([]);
    expect(kinds(await call([draft('b', rx('1819', 'Norspan 10 mikrogram/time'))]))).toEqual(['opioid-without-dual-action']);
  });
  test('Kodimagnyl and the aspirin/ibuprofen opioid combinations name their partner: codeine + acetylsalicylic acid (da: kodein + acetylsalicylsyre)', async () => {
    expect((await call([draft('k', { text: 'Kodimagnyl 500 mg/9,6 mg' })])).cards[0]!.detail).toContain('Combination product: codeine + acetylsalicylic acid');
    expect((await call([draft('k', { text: 'Kodimagnyl' })], { lang: 'da' })).cards[0]!.detail).toContain('Kombinationspræparat: kodein + acetylsalicylsyre');
    expect((await call([draft('i', { coding: [{ system: ATC, code: 'N02AJ19' }] })])).cards[0]!.detail).toContain('Combination product: oxycodone + ibuprofen');
    expect((await call([draft('r', rx('996991', 'Aspirin 325 MG / Codeine Phosphate 30 MG Oral Tablet'))])).cards[0]!.detail).toContain('Combination product: codeine + acetylsalicylic acid');
    // A partner alone is no drug the guideline addresses.
    expect((await call([draft('a', { text: 'Ibuprofen 400 mg' })])).cards).toEqual([]);
  });
  test('Pinex alone (paracetamol) gives no card; Pinex Forte is paracetamol + codeine', async () => {
    expect((await call([draft('b', { text: 'Pinex 500 mg' })])).cards).toEqual([]);
    expect((await call([draft('b', { text: 'Pinex Forte' })])).cards[0]!.detail).toContain('Combination product: paracetamol + codeine');
  });
  test('the Yentreve and rapid-onset fentanyl notes (da, en)', async () => {
    const yentreve = (await call([draft('y', { text: 'Yentreve 40 mg' })], { lang: 'da' })).cards[0]!;
    expect(yentreve.detail).toContain('Yentreve er kun godkendt til stressinkontinens (ikke til smerter) – kontrollér indikationen.');
    for (const text of ['Instanyl 50 mikrog/dosis', 'Abstral 100 mikrog', 'Effentora 100 mikrog', 'PecFent 100 mikrog']) {
      const card = (await call([draft('f', { text, coding: [{ system: ATC, code: 'N02AB03' }] })])).cards[0]!;
      expect(card.detail).toContain('Licensed only for breakthrough pain in cancer patients already on opioid treatment.');
    }
    expect((await call([draft('f', { text: 'Matrifen 25 mikrog/t' })])).cards[0]!.detail).not.toContain('breakthrough');
  });
});

describe('rev 2: current medication on patient-view', () => {
  const pv = async (meds: fhir4.Resource[], options: { statements?: fhir4.Resource[]; conditions?: fhir4.Condition[]; lang?: string; omitStatements?: boolean } = {}) => {
    const req = patientViewRequest('gsb-established-complete');
    const prefetch = req.prefetch as Record<string, unknown>;
    prefetch.medications = searchset(ofEstablished(meds));
    if (options.omitStatements) delete prefetch.medicationStatements;
    else prefetch.medicationStatements = searchset(ofEstablished(options.statements ?? []));
    if (options.conditions) prefetch.conditions = searchset([...((prefetch.conditions as fhir4.Bundle).entry ?? []).map((e) => e.resource as fhir4.Resource), ...ofEstablished(options.conditions)]);
    const { app } = buildTestApp();
    const res = await request(app).post('/cds-services/nkr-pain-patient-view').set('Accept-Language', options.lang ?? 'en').send(req);
    expect(res.status).toBe(200);
    return cardOfKind(expectValidResponse(res.body), 'current-medication');
  };
  test('an active proposal or plan (intent) is no drug prescribed: not listed; an order is', async () => {
    const proposed = activeRx('m1', { text: 'OxyNorm 5 mg' }, { intent: 'proposal' });
    expect(await pv([proposed])).toBeUndefined();
    expect(await pv([{ ...proposed, intent: 'plan' } as fhir4.MedicationRequest])).toBeUndefined();
    expect((await pv([{ ...proposed, intent: 'order' } as fhir4.MedicationRequest]))!.detail).toContain('OxyNorm 5 mg');
  });
  test('the summary names the drugs; too long, by their ingredients once each; the detail names each product', async () => {
    const current = Array.from({ length: 10 }, (_, i) => activeRx(`m${i}`, { text: `OxyContin depottablet ${i + 10} mg with a long description of its package` }));
    const card = (await pv(current))!;
    expect(card.summary).toBe('The patient takes an opioid without dual action – per the guideline not good practice in generalized pain: oxycodone');
    expect(card.detail).toContain('OxyContin depottablet 10 mg with a long description of its package');
  });
  test('the card says when the list may be incomplete: an order whose Medication was not sent counted; the medication record not to be had; neither when all is read (da, en)', async () => {
    const byReference = { ...activeRx('r1', { text: 'x' }), medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/not-sent' } } as unknown as fhir4.Resource;
    const oxy = activeRx('m1', { text: 'OxyNorm 5 mg' });
    const en = (await pv([oxy, byReference]))!;
    expect(en.detail).toContain('**The list may be incomplete:** 1 active order or statement could not be read and is not assessed here (e.g.');
    expect((await pv([oxy, byReference], { lang: 'da' }))!.detail).toContain('**Listen kan være ufuldstændig:** 1 aktiv ordination eller registrering kunne ikke læses og er ikke vurderet her (f.eks.');
    const byReference2 = { ...activeRx('r2', { text: 'y' }), medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/not-sent-2' } } as unknown as fhir4.Resource;
    expect((await pv([oxy, byReference, byReference2]))!.detail).toContain('**The list may be incomplete:** 2 active orders or statements could not be read and are not assessed here (e.g.');
    expect((await pv([oxy], { omitStatements: true }))!.detail).toContain('**The list may be incomplete:** the shared medication record (statements) could not be fetched.');
    expect((await pv([oxy], { omitStatements: true }))!.detail).not.toContain("the patient's orders could not be fetched");
    expect((await pv([oxy]))!.detail).not.toContain('may be incomplete');
  });
  test(`a long list names each drug once and at most ${MAX_LISTED_NAMES}, then counts the rest (da, en)`, async () => {
    const meds = [
      ...Array.from({ length: 3 }, (_, i) => activeRx(`same-${i}`, { text: 'Contalgin 10 mg' })),
      ...Array.from({ length: 14 }, (_, i) => activeRx(`m${i}`, { text: `Contalgin ${i + 20} mg` })),
    ];
    const en = (await pv(meds))!;
    expect(en.detail.match(/Contalgin 10 mg/g)).toHaveLength(1);
    expect(en.detail).toContain(`Contalgin 28 mg and ${15 - MAX_LISTED_NAMES} more`);
    expect(en.detail).not.toContain('Contalgin 29 mg');
    const da = (await pv(meds, { lang: 'da' }))!;
    expect(da.detail).toContain(`og ${15 - MAX_LISTED_NAMES} flere`);
    const eleven = Array.from({ length: MAX_LISTED_NAMES + 1 }, (_, i) => activeRx(`e${i}`, { text: `Contalgin ${i + 20} mg` }));
    expect((await pv(eleven, { lang: 'da' }))!.detail).toContain('og 1 mere');
    expect((await pv(eleven, { lang: 'da' }))!.detail).not.toContain('og 1 flere');
    expect((await pv(eleven))!.detail).toContain('and 1 more');
  });
  test('a summary too long for every drug drops whole names and counts the rest, never a name cut mid-word (da, en)', async () => {
    const meds = ['Saroten 25 mg', 'Noritren 25 mg', 'Cymbalta 30 mg', 'Efexor 75 mg', 'Lyrica 75 mg', 'Neurontin 300 mg', 'Fontex 20 mg'].map((text, i) => activeRx(`m${i}`, { text }));
    for (const [lang, more] of [['da', / og \d+ (flere|mere)$/], ['en', / and \d+ more$/]] as const) {
      const card = (await pv(meds, { lang }))!;
      expect([lang, card.summary]).toEqual([lang, expect.stringMatching(more)]);
      expect(card.summary).not.toContain('…');
      expect(Array.from(card.summary).length).toBeLessThan(140);
    }
  });
  test('an active order whose dosage ended (boundsPeriod.end passed) is not current: not listed, and it does not block the delete at order-select', async () => {
    const ended = { dosageInstruction: [{ timing: { repeat: { boundsPeriod: { start: '2023-01-01', end: '2023-02-01' } } } }] };
    const open = { dosageInstruction: [{ timing: { repeat: { boundsPeriod: { start: '2026-01-01', end: '2027-02-01' } } } }] };
    expect(await pv([activeRx('m1', { text: 'Contalgin 10 mg' }, ended)])).toBeUndefined();
    expect((await pv([activeRx('m1', { text: 'Contalgin 10 mg' }, open)]))!.detail).toContain('Contalgin 10 mg');
    const order = async (extra: Partial<fhir4.MedicationRequest>) => (await call([draft('request-123', { text: 'OxyContin 10 mg depottablet' })], { active: [activeRx('old-1', { text: 'Contalgin 30 mg' }, extra)] })).cards[0]!;
    expect((await order(ended)).suggestions?.[0]?.actions?.[0]?.type).toBe('delete');
    expect((await order(open)).suggestions).toBeUndefined();
  });
  test('a course of a length (boundsDuration, 10 days) ended long ago is not current and does not block the delete; one still running is listed and blocks it; one that ended within the window withholds it as recently ended', async () => {
    const course = (authoredOn: string): Partial<fhir4.MedicationRequest> => ({ authoredOn, dosageInstruction: [{ timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd', boundsDuration: { value: 10, unit: 'd' } } } }] });
    // FIXED_NOW is 25 November 2026.
    expect(await pv([activeRx('m1', { text: 'Contalgin 10 mg' }, course('2026-01-01'))])).toBeUndefined();
    expect((await pv([activeRx('m1', { text: 'Contalgin 10 mg' }, course('2026-11-20'))]))!.detail).toContain('Contalgin 10 mg');
    const order = async (extra: Partial<fhir4.MedicationRequest>) => (await call([draft('request-123', { text: 'OxyContin 10 mg depottablet' })], { active: [activeRx('old-1', { text: 'Contalgin 30 mg' }, extra)] })).cards[0]!;
    expect((await order(course('2026-01-01'))).suggestions?.[0]?.actions?.[0]?.type).toBe('delete');
    expect((await order(course('2026-11-20'))).suggestions).toBeUndefined();
    const endedLastWeek = await order(course('2026-11-08'));
    expect(endedLastWeek.suggestions).toBeUndefined();
    expect(endedLastWeek.detail).toContain('ended within the last');
  });
  test('the strength label carries its direction: "God praksis – imod"; the summary names the drug', async () => {
    const card = (await pv([activeRx('m1', { text: 'Contalgin 10 mg' })], { lang: 'da' }))!;
    expect(card.detail).toContain('**Contalgin 10 mg** – opioider uden dual action er ikke god praksis; anvendes de alligevel: kortest mulig varighed eller kun efter behov (God praksis – imod)');
    expect(card.summary).toBe('Patienten får opioid uden dual action – ifølge retningslinjen ikke god praksis ved generaliserede smerter: Contalgin 10 mg');
    expect(card.detail).toContain('revurder effekt, bivirkninger og eventuel seponering');
  });
  test('the guideline "addresses" the drugs (en), "omtaler" (da); venlafaxine: insufficient evidence', async () => {
    const en = (await pv([activeRx('m1', rx('483440', 'Lyrica 75 mg')), activeRx('m2', atc('N06AX16', 'Efexor 75 mg'))]))!;
    expect(en.summary).toBe('Current drugs the generalized pain guideline addresses: Efexor 75 mg, Lyrica 75 mg');
    expect(en.detail).toContain('Active orders and medication-record entries the guideline addresses.');
    expect(en.detail).toContain('**Efexor 75 mg** – too little evidence on venlafaxine; the recommendation covers duloxetine only');
    expect(`${en.summary}\n${en.detail}`).not.toContain('speaks about');
    const da = (await pv([activeRx('m2', atc('N06AX16', 'Efexor 75 mg'))], { lang: 'da' }))!;
    expect(da.summary).toBe('Aktuel medicin, som retningslinjen for generaliserede smerter omtaler: Efexor 75 mg');
    expect(da.detail).toContain('**Efexor 75 mg** – for lidt evidens om venlafaxin; anbefalingen omhandler kun duloxetin');
  });
  test('the opioid summary names the opioid; the other drugs are listed in the detail', async () => {
    const card = (await pv([activeRx('m1', { text: 'Contalgin 10 mg' }), activeRx('m2', rx('483440', 'Lyrica 75 mg'))]))!;
    expect(card.summary).toBe('The patient takes an opioid without dual action – per the guideline not good practice in generalized pain: Contalgin 10 mg');
    expect(card.detail).toContain('**Lyrica 75 mg** – gabapentin or pregabalin; reassess regularly (weak recommendation)');
  });
  test('an active MedicationStatement is listed (optional prefetch key medicationStatements)', async () => {
    const statement = { resourceType: 'MedicationStatement', id: 'fmk-1', status: 'active', subject: { reference: 'Patient/p1' }, medicationCodeableConcept: { text: 'Lyrica 75 mg' } } as fhir4.MedicationStatement;
    const card = (await pv([], { statements: [statement] }))!;
    expect(card.detail).toContain('**Lyrica 75 mg**');
  });
  test('without the medicationStatements key the card still works from the MedicationRequests', async () => {
    const card = (await pv([activeRx('m1', rx('483440', 'Lyrica 75 mg'))], { omitStatements: true }))!;
    expect(card.detail).toContain('**Lyrica 75 mg**');
  });
  test('a drug prescribed for depression is not listed', async () => {
    expect(await pv([activeRx('s1', rx('312941', 'Sertralin 50 mg'), { reasonCode: [{ text: 'Depression' }] })])).toBeUndefined();
    expect(await pv([activeRx('s1', rx('312941', 'Sertralin 50 mg'))], { conditions: [condition('dep', ICD10, 'F33.1')] })).toBeUndefined();
    expect(await pv([activeRx('s1', rx('312941', 'Sertralin 50 mg'), { reasonCode: [{ text: 'mod smerter' }] })], { conditions: [condition('dep', ICD10, 'F33.1')] })).toBeDefined();
  });
});

// ---- real EHR data (docs/clinical-rules.md §7), with the realistic shapes in fixtures/requests/ ----

describe('real EHR data: medication', () => {
  const fixtureRequest = (name: string) => readJson<Record<string, any>>(projectPath('fixtures', 'requests', `${name}.json`));
  const send = async (b: Record<string, unknown>, path = SELECT, lang = 'en') => {
    const { app } = buildTestApp();
    const res = await request(app).post(path).set('Accept-Language', lang).send(b);
    expect(res.status).toBe(200);
    return expectValidResponse(res.body);
  };

  test('an unresolvable medicationReference is classified by its display (the FHIR server answers 404)', async () => {
    const server = nock('http://127.0.0.1:8081').get('/fhir/Medication/not-on-server').reply(404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
    const b = await send(fixtureRequest('order-select-unresolvable-medication-reference-display'));
    expect(kinds(b)).toEqual(['opioid-without-dual-action']);
    expect(b.cards[0]!.summary).toContain('Oxycodone Hydrochloride 5 MG Oral Tablet');
    expect(server.isDone()).toBe(true);
  });

  test('…and without a fhirServer to ask', async () => {
    const req = fixtureRequest('order-select-unresolvable-medication-reference-display');
    delete req.fhirServer;
    expect(kinds(await send(req))).toEqual(['opioid-without-dual-action']);
  });

  test('drafts that are entered-in-error or cancelled are not orders being made: no card, no data read', async () => {
    const req = fixtureRequest('order-sign-entered-in-error-draft');
    delete req.prefetch;
    expect((await send(req, SIGN)).cards).toEqual([]);
  });

  test('opioid dependence coded in SNOMED CT (75544000) exempts methadone', async () => {
    expect((await send(fixtureRequest('order-select-methadone-snomed-opioid-dependence'))).cards).toEqual([]);
  });

  test("…but never another patient's opioid dependence: Conditions holding it are unusable (§7: without fhirServer, 412 naming them), not read as this patient's", async () => {
    const req = fixtureRequest('order-select-methadone-snomed-opioid-dependence');
    delete req.fhirServer;
    const dependence = req.prefetch.conditions.entry.find((e: { resource: { id: string } }) => e.resource.id === 'oud').resource;
    dependence.subject = { reference: 'https://ehr.example.dk/fhir/Patient/p2/_history/1' };
    const { app } = buildTestApp();
    const res = await request(app).post(SELECT).send(req);
    expect(res.status).toBe(412);
    expect(JSON.stringify(res.body)).toContain("holding another patient's resources");
    dependence.subject = { reference: 'urn:uuid:3c1d9a0e-3f7a-4d5e-9a55-1f2e3d4c5b6a' }; // names no other patient: kept
    expect((await send(req)).cards).toEqual([]);
  });

  test('an opioid taken regularly per the shared medication record (MedicationStatement) makes OxyContin a switch: no delete', async () => {
    const b = await send(fixtureRequest('order-select-opioid-switch-fmk-statement'), SELECT, 'da');
    expect(b.cards[0]!.suggestions).toBeUndefined();
    expect(b.cards[0]!.detail).toContain('(Contalgin 30 mg depottablet): opioidskift eller tillæg af opioid');
  });

  test('patient-view lists a drug from an active MedicationStatement', async () => {
    const { app } = buildTestApp();
    const res = await request(app).post('/cds-services/nkr-pain-patient-view').send(fixtureRequest('patient-view-medication-statement-fmk'));
    const card = cardOfKind(expectValidResponse(res.body), 'current-medication');
    expect(card?.detail).toContain('**Contalgin 30 mg depottablet**');
  });

  describe('a statement or order that has ended, or says the drug is not taken, is not current (docs/clinical-rules.md §3.3, §7)', () => {
    const PV = '/cds-services/nkr-pain-patient-view';
    const withStatement = (name: string, edit: (s: Record<string, any>) => void) => {
      const req = fixtureRequest(name);
      edit(req.prefetch.medicationStatements.entry[0].resource);
      return req;
    };
    test.each([
      ['an effectivePeriod.end that has passed (FMK keeps status active)', false, (s: Record<string, any>) => (s.effectivePeriod = { start: '2024-01-01', end: '2025-03-01' })],
      ['an effectivePeriod.end still to come', true, (s: Record<string, any>) => (s.effectivePeriod = { start: '2024-01-01', end: '2027-03-01' })],
      ['an end that is no date', true, (s: Record<string, any>) => (s.effectivePeriod = { end: 'snart' })],
      // An end date covers its whole day or month (docs §7.1): a course that ends today is still taken today.
      ['an effectivePeriod.end of today, a date', true, (s: Record<string, any>) => (s.effectivePeriod = { end: new Date(FIXED_NOW).toISOString().slice(0, 10) })],
      ['an effectivePeriod.end of this month, a partial date', true, (s: Record<string, any>) => (s.effectivePeriod = { end: new Date(FIXED_NOW).toISOString().slice(0, 7) })],
      ['an effectivePeriod.end of yesterday', false, (s: Record<string, any>) => (s.effectivePeriod = { end: new Date(FIXED_NOW - 86_400_000).toISOString().slice(0, 10) })],
      ['STU3 taken "n"', false, (s: Record<string, any>) => (s.taken = 'n')],
      ['STU3 taken "y"', true, (s: Record<string, any>) => (s.taken = 'y')],
      ['DSTU2 wasNotTaken', false, (s: Record<string, any>) => (s.wasNotTaken = true)],
    ])('patient-view, an FMK statement with %s → listed: %s', async (_name, listed, edit) => {
      const b = await send(withStatement('patient-view-medication-statement-fmk', edit), PV);
      expect(cardOfKind(b, 'current-medication') !== undefined).toBe(listed);
    });
    test('order-select: an FMK opioid that has ended is no switch, so the delete suggestion is offered again', async () => {
      const b = await send(withStatement('order-select-opioid-switch-fmk-statement', (s) => (s.effectivePeriod = { end: '2025-03-01' })), SELECT, 'da');
      expect(b.cards[0]!.detail).not.toContain('opioidskift');
      expect(b.cards[0]!.suggestions?.[0]?.actions?.[0]?.type).toBe('delete');
    });
    test('a DSTU2 MedicationOrder with a dateEnded that has passed is not current; one without is', async () => {
      const req = fixtureRequest('patient-view-medication-statement-fmk');
      const statement = req.prefetch.medicationStatements.entry[0].resource;
      const order = { resourceType: 'MedicationOrder', id: 'mo-1', status: 'active', patient: statement.subject, medicationCodeableConcept: statement.medicationCodeableConcept, dosageInstruction: statement.dosage };
      req.prefetch.medicationStatements = { resourceType: 'Bundle', type: 'searchset', entry: [] };
      req.prefetch.medications = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: order }] };
      expect(cardOfKind(await send(req, PV), 'current-medication')).toBeDefined();
      req.prefetch.medications.entry[0].resource = { ...order, dateEnded: '2025-01-01' };
      expect(cardOfKind(await send(req, PV), 'current-medication')).toBeUndefined();
    });
  });

  test('the services announce medicationStatements as a prefetch key', async () => {
    const { app } = buildTestApp();
    const res = await request(app).get('/cds-services');
    for (const s of res.body.services) {
      expect(s.prefetch.medicationStatements).toBe('MedicationStatement?patient={{context.patientId}}&status=active');
    }
  });

  describe('no field shape gives a 5xx (drafts, active orders and statements)', () => {
    const shapes: unknown[] = ['x', 42, null, {}, [], [1, 'a'], [{ coding: 'x' }], { coding: { code: 7 } }, true];
    const paths: Array<[string, (r: Record<string, any>, v: unknown) => void]> = [
      ['medicationCodeableConcept', (r, v) => (r.medicationCodeableConcept = v)],
      ['medicationCodeableConcept.coding', (r, v) => (r.medicationCodeableConcept = { text: 'OxyContin', coding: v })],
      ['medicationReference', (r, v) => (r.medicationReference = v)],
      ['dosageInstruction', (r, v) => (r.dosageInstruction = v)],
      ['dosageInstruction[0].timing', (r, v) => (r.dosageInstruction = [{ timing: v }])],
      ['dosageInstruction[0].timing.repeat', (r, v) => (r.dosageInstruction = [{ timing: { repeat: v } }])],
      ['timing.repeat.when', (r, v) => (r.dosageInstruction = [{ timing: { repeat: { when: v, frequency: v, period: v, periodUnit: v } } }])],
      ['reasonCode', (r, v) => (r.reasonCode = v)],
      ['reasonReference', (r, v) => (r.reasonReference = v)],
      ['status', (r, v) => (r.status = v)],
      ['id', (r, v) => (r.id = v)],
      ['contained', (r, v) => (r.contained = v)],
    ];
    const { app } = buildTestApp({ env: { ALL_PATIENTS_IN_SCOPE: 'true' } });
    test.each(paths)('%s', async (_name, set) => {
      for (const v of shapes) {
        const d: Record<string, any> = { ...draft('request-123', { text: 'Saroten 25 mg', coding: [{ system: ATC, code: 'N06AA09' }] }) };
        set(d, v);
        const a: Record<string, any> = { ...activeRx('a1', { text: 'Contalgin 10 mg' }) };
        set(a, v);
        const s: Record<string, any> = { resourceType: 'MedicationStatement', id: 's1', status: 'active', medicationCodeableConcept: { text: 'OxyNorm' } };
        set(s, v);
        const b = body([d as fhir4.Resource], { hook: 'order-sign', active: [a as fhir4.Resource] });
        (b.prefetch as Record<string, unknown>).medicationStatements = searchset([s as fhir4.Resource]);
        const res = await request(app).post(SIGN).send(b);
        expect({ shape: v, status: res.status < 500 }).toEqual({ shape: v, status: true });
        const pvReq = patientViewRequest('gsb-established-complete');
        (pvReq.prefetch as Record<string, unknown>).medications = searchset([a as fhir4.Resource]);
        (pvReq.prefetch as Record<string, unknown>).medicationStatements = searchset([s as fhir4.Resource]);
        const pvRes = await request(app).post('/cds-services/nkr-pain-patient-view').send(pvReq);
        expect({ shape: v, status: pvRes.status < 500 }).toEqual({ shape: v, status: true });
      }
    });
  });
});

describe('a DSTU2 FHIR server (the sandbox\'s default): no MedicationRequest, the active orders are MedicationOrders (docs/clinical-rules.md §7.1)', () => {
  const PATIENT = 'smart-1288992';
  const fixture = readJson<{ selections: string[]; draftOrders: fhir4.Bundle }>(projectPath('fixtures', 'orders', 'sandbox-dstu2-amitriptyline-bid.json'));
  /** DSTU2 shapes: `patient`, string statuses, `dateRecorded`, `periodUnits`, dose on the instruction. */
  const dstu2Condition = {
    resourceType: 'Condition',
    id: 'fm-dstu2',
    patient: { reference: `Patient/${PATIENT}` },
    clinicalStatus: 'active',
    verificationStatus: 'confirmed',
    dateRecorded: '2026-01-10',
    code: { coding: [{ system: SNOMED, code: '203082005', display: 'Fibromyalgia (disorder)' }] },
  };
  const activeContalgin = {
    resourceType: 'MedicationOrder',
    id: 'mo-contalgin',
    status: 'active',
    patient: { reference: `Patient/${PATIENT}` },
    dateWritten: '2026-09-01',
    medicationCodeableConcept: { text: 'Contalgin 30 mg' },
    dosageInstruction: [{ doseQuantity: { value: 1 }, timing: { repeat: { frequency: 2, period: 1, periodUnits: 'd' } } }],
  };
  const oxyContinDraft = {
    resourceType: 'MedicationOrder',
    id: 'order-oxy',
    status: 'draft',
    patient: { reference: `Patient/${PATIENT}` },
    medicationCodeableConcept: { text: 'OxyContin 10 mg depottablet' },
  };
  /** HAPI's answer (the sandbox's default server is HAPI) for a type it does not have. */
  const unknownType = (type: string): Fault => ({
    kind: 'status',
    status: 404,
    body: JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: `Unknown resource type '${type}' - Server knows how to handle: [Condition, MedicationOrder, Patient]` }] }),
  });
  let dstu2: FaultyFhirServer;
  beforeAll(async () => {
    dstu2 = await startFaultyFhirServer({ resources: [dstu2Condition, activeContalgin] as unknown as fhir4.Resource[] });
  });
  afterAll(async () => dstu2?.close());
  beforeEach(() => {
    dstu2.reset();
    dstu2.setFault('MedicationRequest', unknownType('MedicationRequest'));
  });

  /** The sandbox on its DSTU2 server: its prefetch of MedicationRequest failed, so `medications` is not sent. */
  async function dstu2Call(drafts: { selections: string[]; draftOrders: unknown }) {
    const { app } = buildTestApp({ env: GENEROUS_FHIR_TIMEOUTS });
    return request(app)
      .post(SELECT)
      .send({
        hook: 'order-select',
        hookInstance: randomUUID(),
        fhirServer: dstu2.baseUrl,
        context: { patientId: PATIENT, userId: 'Practitioner/COREPRACTITIONER1', ...drafts },
        prefetch: { conditions: searchset([dstu2Condition as unknown as fhir4.Resource]), medicationStatements: null },
      });
  }
  const asked = () => dstu2.requests.filter((r) => r.resourceType.startsWith('Medication')).map((r) => r.url);

  test('the amitriptyline draft without a `medications` prefetch: MedicationRequest answers 404, MedicationOrder is read → its card (200)', async () => {
    const res = await dstu2Call(fixture);
    expect({ status: res.status, body: res.status === 200 ? null : res.body }).toEqual({ status: 200, body: null });
    expect(cardOfKind(expectValidResponse(res.body), 'amitriptyline')?.indicator).toBe('warning');
    expect(asked()).toEqual([`/fhir/MedicationRequest?patient=${PATIENT}&status=active`, `/fhir/MedicationOrder?patient=${PATIENT}&status=active`]);
  });

  test.each([
    ['HTTP 404', unknownType('MedicationRequest')],
    [
      'HTTP 400 with an OperationOutcome saying the type is not supported',
      { kind: 'status', status: 400, body: JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported', diagnostics: 'Resource type "MedicationRequest" is not supported' }] }) } as Fault,
    ],
  ])('MedicationRequest answered %s: an active DSTU2 opioid MedicationOrder on the server is seen by the opioid rules (switch line, no delete)', async (_name, fault) => {
    dstu2.setFault('MedicationRequest', fault);
    const res = await dstu2Call({ selections: ['MedicationOrder/order-oxy'], draftOrders: { resourceType: 'Bundle', entry: [{ resource: oxyContinDraft }] } });
    expect(res.status).toBe(200);
    const card = cardOfKind(expectValidResponse(res.body), 'opioid-without-dual-action')!;
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain('(Contalgin 30 mg): opioid switch or added opioid – avoid abrupt stopping');
  });

  test('a server that knows neither (404 to both): the active orders are unknown — the amitriptyline card comes; the opioid card withholds its delete and says why', async () => {
    dstu2.setFault('MedicationOrder', unknownType('MedicationOrder'));
    const ami = await dstu2Call(fixture);
    expect(ami.status).toBe(200);
    expect(cardOfKind(expectValidResponse(ami.body), 'amitriptyline')?.indicator).toBe('warning');
    expect(asked()).toEqual([`/fhir/MedicationRequest?patient=${PATIENT}&status=active`, `/fhir/MedicationOrder?patient=${PATIENT}&status=active`]);
    const oxy = await dstu2Call({ selections: ['MedicationOrder/order-oxy'], draftOrders: { resourceType: 'Bundle', entry: [{ resource: oxyContinDraft }] } });
    expect(oxy.status).toBe(200);
    const card = cardOfKind(expectValidResponse(oxy.body), 'opioid-without-dual-action')!;
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain("**Not all of the patient's active orders could be read:** so no suggestion to remove the order");
  });
});

describe('order hooks over HTTP: an active order or Condition a reader cannot read is named in the one warning line, an irrelevant one is not (§7)', () => {
  async function warnings(o: CallOptions): Promise<Array<Record<string, any>>> {
    const logs = captureLogs('info');
    const { app } = buildTestApp({ logger: logs.logger });
    const res = await request(app).post(SELECT).send(body([draft('request-123', rx('1049621', 'oxycodone hydrochloride 5 MG Oral Tablet'))], o));
    expect(res.status).toBe(200);
    expect(kinds(expectValidResponse(res.body))).toEqual(['opioid-without-dual-action']);
    await new Promise((r) => setImmediate(r));
    return logs.lines<Record<string, any>>().filter((l) => Array.isArray(l.skipped));
  }
  const unreadable = { resourceType: 'Condition', id: 'c-string', subject: { reference: 'Patient/p1' }, code: 'F33.1' } as unknown as fhir4.Condition;

  test('an active order whose medication is a string, one without a status, and a Condition whose code is a string', async () => {
    const bad = { ...draft('a-string', undefined), status: 'active', medicationCodeableConcept: 'Contalgin' } as unknown as fhir4.Resource;
    const statusless = { ...activeRx('a-no-status', { text: 'OxyNorm' }), status: undefined } as unknown as fhir4.Resource;
    const lines = await warnings({ active: [bad, statusless], conditions: [fibromyalgia, unreadable] });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.skipped).toEqual([
      { resourceType: 'Condition', id: 'c-string', reader: 'condition', reason: 'no readable code' },
      { resourceType: 'MedicationRequest', id: 'a-no-status', reader: 'active-medication', reason: 'no status' },
      { resourceType: 'MedicationRequest', id: 'a-string', reader: 'active-medication', reason: 'no readable medication' },
    ]);
  });

  test('the negative: a stopped order, a drug the guideline does not address and a Condition coded only in text are not named', async () => {
    const stopped = { ...draft('a-stopped', undefined), status: 'stopped', medicationCodeableConcept: 'Contalgin' } as unknown as fhir4.Resource;
    const paracetamol = activeRx('a-paracetamol', atc('N02BE01', 'Pinex'));
    const textOnly: fhir4.Condition = { resourceType: 'Condition', id: 'c-text', subject: { reference: 'Patient/p1' }, code: { text: 'Depression' } };
    expect(await warnings({ active: [stopped, paracetamol], conditions: [fibromyalgia, textOnly] })).toEqual([]);
  });
});
