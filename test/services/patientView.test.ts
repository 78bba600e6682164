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
    // Registered recently, so the patient is in the work-up and the screening card shows.
    const req = patientViewRequest('no-gsb');
    const condition = ((req.prefetch as any).conditions as fhir4.Bundle).entry![0]!.resource as fhir4.Condition;
    condition.recordedDate = '2026-11-01';
    delete condition.onsetDateTime;
    const { app } = buildTestApp({ env: { GSB_EXTRA_CONDITION_CODES: 'http://snomed.info/sct|38341003' } });
    const body = expectValidResponse((await request(app).post(URL).send(req)).body);
    expect(cardOfKind(body, 'screening-incomplete')).toBeDefined();
  });
});

describe('patient-view: screening-incomplete', () => {
  test('work-up phase with nothing done → one warning card ordering all 16 groups in LOINC, TSH, CK and vitamin D first', async () => {
    const body = await call('gsb-workup-missing');
    expect(body.cards).toHaveLength(1);
    const card = cardOfKind(body, 'screening-incomplete')!;
    expect(card.indicator).toBe('warning');
    expect(card.summary).toMatch(/^Screening tests not taken: TSH, CK, vitamin D, haemoglobin/);
    expect(Array.from(card.summary as string).length).toBeLessThan(140);
    expect(card.suggestions).toHaveLength(1);
    const actions = card.suggestions[0].actions as Array<{ type: string; resource: fhir4.ServiceRequest }>;
    expect(actions).toHaveLength(16);
    // The differential count is ordered as a differential panel, not as the neutrophil count.
    expect(actions.map((a) => a.resource.code!.coding![0]!.code)).toContain('69738-3');
    expect(actions.map((a) => a.resource.code!.coding![0]!.code)).not.toContain('751-8');
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

  test('established phase: no screening-incomplete card, even with groups missing (rev 2)', async () => {
    // Established: confirmed and registered long ago; drop two results so something is missing.
    const req = patientViewRequest('gsb-established-complete');
    const labs = (req.prefetch as any).labs as fhir4.Bundle;
    labs.entry = labs.entry!.slice(2);
    const { app } = buildTestApp();
    const res = await request(app).post(URL).send(req);
    expect(res.status).toBe(200);
    expect(cardOfKind(expectValidResponse(res.body), 'screening-incomplete')).toBeUndefined();
  });

  test('complete screening → no screening-incomplete card', async () => {
    expect(cardOfKind(await call('gsb-established-complete'), 'screening-incomplete')).toBeUndefined();
  });

  test('Danish card: Danish summary and Danish analyte names', async () => {
    const body = await call('gsb-workup-missing', {}, 'da-DK,da;q=0.9,en;q=0.8');
    const card = cardOfKind(body, 'screening-incomplete')!;
    expect(card.summary).toMatch(/^Screeningsprøver ikke taget: TSH, CK, D-vitamin, hæmoglobin/);
    expect(card.summary).not.toMatch(/mangler/);
    expect(card.detail).toContain('- trombocytter');
    expect(card.suggestions[0].label).toBe('Bestil prøver, der ikke er taget (16)');
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
    expect(card.detail).toMatch(/Cannot be assessed automatically[^\n]*\n\n- CK \(creatine kinase\) 150 U\/L \(2026-08-05\): cannot be assessed automatically — see the lab's report/);
    expect(card.detail).toContain('can coexist');
    expect(card.detail).toContain('vitamin D deficiency; osteomalacia when severe');
    expect(card.detail).toContain('Clinical aid from this service');
    expect(card.suggestions).toBeUndefined();
  });
  test('all results normal → no screening-abnormal card', async () => {
    expect(cardOfKind(await call('gsb-established-complete'), 'screening-abnormal')).toBeUndefined();
  });
});

describe('patient-view: non-pharmacological-treatment', () => {
  test('complete screening, condition older than 6 months → card with multidisciplinary referral', async () => {
    const card = cardOfKind(await call('gsb-established-complete'), 'non-pharmacological-treatment')!;
    expect(card.indicator).toBe('info');
    expect(card.selectionBehavior).toBe('any');
    const codes = (card.suggestions as Array<any>).map((s) => s.actions[0].resource.code.coding[0].code);
    expect(codes).toEqual(['311401005', '228557008', '390864007', '308453003', '306265007']);
    expect(card.suggestions.every((s: any) => s.isRecommended === undefined)).toBe(true);
    expect(card.detail).toContain('pain of more than 6 months with complex problems');
  });
  test('condition younger than 6 months → no multidisciplinary; flagged results pointed to', async () => {
    const card = cardOfKind(await call('gsb-complete-flagged'), 'non-pharmacological-treatment')!;
    const codes = (card.suggestions as Array<any>).map((s) => s.actions[0].resource.code.coding[0].code);
    expect(codes).not.toContain('306265007');
    expect(card.detail).not.toContain('Multidisciplinary');
    expect(card.detail).toContain('see the card on flagged results');
  });
  test('missing or pending groups → no non-pharmacological card', async () => {
    expect(cardOfKind(await call('gsb-workup-missing'), 'non-pharmacological-treatment')).toBeUndefined();
    expect(cardOfKind(await call('gsb-workup-partial-npu'), 'non-pharmacological-treatment')).toBeUndefined();
  });
});
