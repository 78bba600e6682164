/**
 * Shapes the fuzzer (test/hardening/fuzz.test.ts, `npm run fuzz`) and reading the readers found, each
 * kept as a named case through the HTTP API: 200 with a schema-valid body, and the card still right
 * (docs/clinical-rules.md §7: read leniently, decide safely, never a 5xx for a data shape).
 */
import request from 'supertest';
import { projectPath } from '../../src/projectRoot.js';
import { buildTestApp, cardOfKind, expectValidResponse, readJson, searchset } from '../support/testApp.js';

const SIGN = '/cds-services/nkr-pain-order-sign';
const PATIENT_VIEW = '/cds-services/nkr-pain-patient-view';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

const fibromyalgia = {
  resourceType: 'Condition',
  id: 'fm',
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
  code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] },
};

function signBody(drafts: unknown[], conditions: unknown[] = [fibromyalgia]): Record<string, unknown> {
  return {
    hook: 'order-sign',
    hookInstance: '1f0a9a7e-61f5-4b38-8a1a-222222222222',
    context: { patientId: 'p1', userId: 'Practitioner/x', draftOrders: { resourceType: 'Bundle', entry: drafts.map((resource) => ({ resource })) } },
    prefetch: { conditions: searchset(conditions as fhir4.Resource[]), medications: searchset([]), medicationStatements: searchset([]) },
  };
}

const oxycodone = (id: unknown): Record<string, unknown> => ({
  resourceType: 'MedicationRequest',
  id,
  status: 'draft',
  intent: 'order',
  medicationCodeableConcept: { text: 'oxycodone 5 mg', coding: [{ system: RXNORM, code: '1049621' }] },
});

async function post(path: string, body: unknown) {
  const res = await request(buildTestApp().app).post(path).set('Accept-Language', 'en').send(body as object);
  expect(res.status).toBe(200);
  return expectValidResponse(res.body);
}

describe('draft orders', () => {
  test.each([
    ['a reference instead of an id', 'MedicationRequest/x'],
    ['a 50,000-character id', 'A'.repeat(50_000)],
    ['characters FHIR ids do not have', '5,9'],
  ])('an id that is not a FHIR id (%s): the card, without a delete or update of that id', async (_name, id) => {
    const card = cardOfKind(await post(SIGN, signBody([oxycodone(id)])), 'opioid-without-dual-action');
    expect(card).toBeDefined();
    expect(card?.suggestions).toBeUndefined();
  });
  test('a valid id still gets its delete suggestion (the fix above is not a blanket removal)', async () => {
    const card = cardOfKind(await post(SIGN, signBody([oxycodone('ok-1')])), 'opioid-without-dual-action');
    expect(card?.suggestions?.[0]?.actions?.[0]).toMatchObject({ type: 'delete', resourceId: 'MedicationRequest/ok-1' });
  });
  test('timing.code.coding as one object (STU3 shape): BID is still read as twice a day', async () => {
    const amitriptyline = {
      resourceType: 'MedicationRequest',
      id: 'ami',
      status: 'draft',
      intent: 'order',
      medicationCodeableConcept: { text: 'Amitriptyline 25 mg', coding: [{ system: RXNORM, code: '856834' }] },
      dosageInstruction: [{ timing: { code: { coding: { system: 'http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation', code: 'BID' } } } }],
    };
    const card = cardOfKind(await post(SIGN, signBody([amitriptyline])), 'amitriptyline');
    expect(card?.indicator).toBe('warning');
  });
  test.each(['constructor', 'toString', '__proto__'])('periodUnit "%s" is not a unit: the doses are counted from timeOfDay instead', async (unit) => {
    const amitriptyline = {
      resourceType: 'MedicationRequest',
      id: 'ami',
      status: 'draft',
      intent: 'order',
      medicationCodeableConcept: { text: 'Amitriptyline 25 mg', coding: [{ system: RXNORM, code: '856834' }] },
      dosageInstruction: [{ timing: { repeat: { period: 1, periodUnit: unit, timeOfDay: ['20:00:00', '22:00:00'] } } }],
    };
    const card = cardOfKind(await post(SIGN, signBody([amitriptyline])), 'amitriptyline');
    expect(card?.indicator).toBe('warning');
    expect(JSON.stringify(card)).not.toMatch(/NaN|native code/);
  });
  test('a Condition whose code.coding is one object: still read (the patient is in scope, the draft gets its card)', async () => {
    const single = { ...fibromyalgia, code: { coding: fibromyalgia.code.coding[0] } };
    expect(cardOfKind(await post(SIGN, signBody([oxycodone('ok-1')], [single])), 'opioid-without-dual-action')).toBeDefined();
  });
});

describe('laboratory results', () => {
  test.each(['constructor', 'toString', 'hasOwnProperty'])('valueQuantity.comparator "%s" is no comparator: the value is shown as a plain number', async (comparator) => {
    const body = readJson<Record<string, any>>(projectPath('fixtures', 'requests', 'established-flagged.json'));
    const ck = body.prefetch.labs.entry.find((e: any) => e.resource.valueQuantity?.value === 950).resource;
    ck.valueQuantity.comparator = comparator;
    const card = cardOfKind(await post(PATIENT_VIEW, body), 'screening-abnormal');
    expect(card?.detail).toContain('CK (creatine kinase): 950 U/L (high');
  });
});
