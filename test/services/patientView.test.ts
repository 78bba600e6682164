import request from 'supertest';
import { buildTestApp, cardOfKind, expectValidResponse, patientViewRequest } from '../support/testApp.js';

const URL = '/cds-services/nkr-pain-patient-view';

async function call(fixture: string, env: Record<string, string> = {}, lang = 'en') {
  const { app } = buildTestApp({ env });
  const res = await request(app).post(URL).set('Accept-Language', lang).send(patientViewRequest(fixture));
  expect(res.status).toBe(200);
  return expectValidResponse(res.body);
}

describe('patient-view: scope', () => {
  test('no GSB condition → no cards', async () => {
    expect((await call('no-gsb')).cards).toEqual([]);
  });
  test('a refuted fibromyalgia does not put the patient in scope', async () => {
    expect((await call('gsb-refuted')).cards).toEqual([]);
  });
  test('ALL_PATIENTS_IN_SCOPE puts a patient without GSB in scope', async () => {
    const body = await call('no-gsb', { ALL_PATIENTS_IN_SCOPE: 'true' });
    expect(cardOfKind(body, 'screening-incomplete')).toBeDefined();
  });
  test('an extra GSB code from configuration puts the patient in scope', async () => {
    const body = await call('no-gsb', { GSB_EXTRA_CONDITION_CODES: 'http://snomed.info/sct|38341003' });
    expect(cardOfKind(body, 'screening-incomplete')).toBeDefined();
  });
});

describe('patient-view: screening-incomplete', () => {
  test('work-up phase with nothing done → one warning card ordering all 16 groups in LOINC, TSH, CK and vitamin D first', async () => {
    const body = await call('gsb-workup-missing');
    expect(body.cards).toHaveLength(1);
    const card = cardOfKind(body, 'screening-incomplete')!;
    expect(card.indicator).toBe('warning');
    expect(card.summary).toMatch(/^Generalized pain: biochemical screening lacks TSH, CK \(creatine kinase\), vitamin D/);
    expect(Array.from(card.summary as string).length).toBeLessThan(140);
    expect(card.suggestions).toHaveLength(1);
    const actions = card.suggestions[0].actions as Array<{ type: string; resource: fhir4.ServiceRequest }>;
    expect(actions).toHaveLength(16);
    expect(card.suggestions[0].isRecommended).toBeUndefined();
    const first = actions[0]!.resource;
    expect(first).toMatchObject({
      resourceType: 'ServiceRequest',
      status: 'draft',
      intent: 'proposal',
      subject: { reference: 'Patient/gsb-workup-missing' },
      code: { coding: [{ system: 'http://loinc.org', code: '3016-3' }] },
      reasonCode: [{ coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] }],
    });
  });

  test('NPU labs: orders only the missing groups, in NPU under the patient\'s NPU URI; pending groups named, not ordered', async () => {
    const body = await call('gsb-workup-partial-npu');
    const card = cardOfKind(body, 'screening-incomplete')!;
    expect(card.indicator).toBe('warning');
    const codes = (card.suggestions[0].actions as Array<{ resource: fhir4.ServiceRequest }>).map((a) => a.resource.code!.coding![0]);
    expect(codes).toEqual([
      { system: 'urn:oid:1.2.208.176.2.1', code: 'NPU10267' },
      { system: 'urn:oid:1.2.208.176.2.1', code: 'NPU03404' },
    ]);
    expect(card.detail).toContain('TSH');
    expect(card.detail).toMatch(/Ordered, awaiting results – not ordered again \(2\)/);
    expect(card.detail).toContain('- CK (creatine kinase)');
  });

  test('established diagnosis → info indicator', async () => {
    // Established: confirmed and anchored long ago; drop two results so something is missing.
    const req = patientViewRequest('gsb-established-complete');
    const labs = (req.prefetch as any).labs as fhir4.Bundle;
    labs.entry = labs.entry!.slice(2);
    labs.total = labs.entry.length; // a Bundle whose total exceeds its entries is incomplete (docs/clinical-rules.md §7)
    const { app } = buildTestApp();
    const res = await request(app).post(URL).send(req);
    const card = cardOfKind(expectValidResponse(res.body), 'screening-incomplete')!;
    expect(card.indicator).toBe('info');
    expect(card.detail).toContain('further tests only on clear clinical indication');
  });

  test('complete screening → no screening-incomplete card', async () => {
    expect(cardOfKind(await call('gsb-established-complete'), 'screening-incomplete')).toBeUndefined();
  });

  test('Danish card: Danish summary and Danish analyte names', async () => {
    const body = await call('gsb-workup-missing', {}, 'da-DK,da;q=0.9,en;q=0.8');
    const card = cardOfKind(body, 'screening-incomplete')!;
    expect(card.summary).toMatch(/^Generaliserede smerter: biokemisk screening mangler TSH, CK \(kreatinkinase\), D-vitamin/);
    expect(card.detail).toContain('- trombocytter');
    expect(card.suggestions[0].label).toBe('Bestil manglende prøver (16)');
  });
});

describe('patient-view: screening-abnormal', () => {
  test('flags by interpretation and by the lab\'s range; not-assessable listed; coexistence worded', async () => {
    const body = await call('gsb-complete-flagged');
    const card = cardOfKind(body, 'screening-abnormal')!;
    expect(card.indicator).toBe('warning');
    expect(card.summary).toContain('TSH');
    expect(card.detail).toContain('- TSH: 7.9 mIU/L (high, 2026-08-05)');
    expect(card.detail).toContain('- vitamin D (25-hydroxy): 21 nmol/L (low, outside the lab\'s reference range, 2026-08-05)');
    expect(card.detail).toMatch(/Not assessable[^\n]*\n\n- CK \(creatine kinase\): 150 U\/L/);
    expect(card.detail).toContain('can coexist');
    expect(card.detail).toContain('vitamin D deficiency; osteomalacia when severe');
    expect(card.detail).toContain('Clinical aid from this service');
    expect(card.suggestions).toBeUndefined();
  });
  test('all results normal → no screening-abnormal card', async () => {
    expect(cardOfKind(await call('gsb-established-complete'), 'screening-abnormal')).toBeUndefined();
  });
});

// The non-drug treatment card: test/guideline/nonPharmacologicalTreatment.test.ts.
