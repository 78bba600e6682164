import request from 'supertest';
import { FhirFetchError, type FhirFetcher } from '../../src/data/fhirFetcher.js';
import { PATIENT_VIEW_SERVICE_ID } from '../../src/services/patientViewService.js';
import { createServices } from '../../src/services/serviceRegistry.js';
import { assessPatientView, type ScreeningAbnormalFinding, type ScreeningIncompleteFinding } from '../../src/guideline/patientViewFindings.js';
import { projectPath } from '../../src/projectRoot.js';
import { loadCardTexts } from '../../src/render/cardTexts.js';
import { renderScreeningIncomplete } from '../../src/render/screeningIncompleteCard.js';
import { screeningAbnormalFacts, screeningIncompleteFacts } from '../../src/services/patientViewService.js';
import { loadCodeSystems } from '../../src/terminology/codeSystems.js';
import { loadGsbValueSet } from '../../src/terminology/gsbValueSet.js';
import { loadNonPharmacologicalCodes } from '../../src/terminology/nonPharmacologicalCodes.js';
import { loadScreeningPanelCodes } from '../../src/terminology/screeningPanelCodes.js';
import { startFaultyFhirServer, type FaultyFhirServer } from '../../test-support/hardening/faultyFhirServer.js';
import { captureLogs } from '../support/captureLogs.js';
import { GENEROUS_FHIR_TIMEOUTS } from '../support/fhirAccess.js';
import { buildTestApp, cardOfKind, expectValidResponse, FIXED_NOW, patientResources, patientViewRequest, readJson, searchset, testConfig, serviceCall } from '../support/testApp.js';

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

  test('the look-back counts Danish days: a TSH taken at 00:30 Danish time on its first day counts, one taken the evening before does not (docs §3.1)', async () => {
    // Registered 2026-10-01: results count from the Danish day 2025-10-01, which began at 22:00 UTC on 30 September.
    const summaryWithTsh = async (effectiveDateTime: string): Promise<string> => {
      const req = patientViewRequest('gsb-workup-missing') as { prefetch: { labs: fhir4.Bundle } };
      const tsh: fhir4.Observation = {
        resourceType: 'Observation',
        id: 'tsh-at-the-edge',
        status: 'final',
        subject: { reference: 'Patient/gsb-workup-missing' },
        code: { coding: [{ system: 'http://loinc.org', code: '3016-3' }] },
        effectiveDateTime,
        valueQuantity: { value: 2, unit: 'mIU/L' },
      };
      req.prefetch.labs = searchset([tsh]);
      const { app } = buildTestApp();
      const res = await request(app).post(URL).send(req);
      expect(res.status).toBe(200);
      return cardOfKind(expectValidResponse(res.body), 'screening-incomplete')!.summary as string;
    };
    expect(await summaryWithTsh('2025-10-01T00:30:00+02:00')).toMatch(/^Screening tests not taken: CK, vitamin D,/);
    expect(await summaryWithTsh('2025-09-30T23:30:00+02:00')).toMatch(/^Screening tests not taken: TSH, CK, vitamin D,/);
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
    labs.total = labs.entry.length; // a Bundle whose total exceeds its entries is incomplete (docs/clinical-rules.md §7)
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
    expect(card.detail).toContain('- vitamin D (25-OH-D2+D3): 21 nmol/L (low, outside the lab\'s reference range, 2026-08-05)');
    expect(card.detail).toMatch(/Cannot be assessed automatically[^\n]*\n\n- CK \(creatine kinase\) 150 U\/L \(2026-08-05\): cannot be assessed automatically – see the lab's report/);
    expect(card.detail).toContain('can coexist');
    expect(card.detail).toContain('vitamin D deficiency; osteomalacia when severe');
    expect(card.detail).toContain('Clinical aid from this service');
    expect(card.suggestions).toBeUndefined();
  });
  test('Danish: decimal comma, dd.mm.åååå, not-assessable worded "kan ikke vurderes automatisk – se laboratoriets svar"', async () => {
    const card = cardOfKind(await call('gsb-complete-flagged', {}, 'da-DK,da;q=0.9'), 'screening-abnormal')!;
    expect(card.detail).toContain('- TSH: 7,9 mIU/L (højt, 05.08.2026)');
    expect(card.detail).toContain('- CK (kreatinkinase) 150 U/L (05.08.2026): kan ikke vurderes automatisk – se laboratoriets svar');
    expect(card.detail).not.toMatch(/komplet|normal/i);
  });
  test('all results normal → no screening-abnormal card', async () => {
    expect(cardOfKind(await call('gsb-established-complete'), 'screening-abnormal')).toBeUndefined();
  });
});

describe('patient-view: groups with several measurements (calcium, vitamin D) assess each on its own', () => {
  const NPU = 'urn:oid:1.2.208.176.2.1';
  const obs = (id: string, code: string, value: number, unit: string, low: number, high: number, date = '2026-11-20T08:00:00+01:00') => ({
    resourceType: 'Observation',
    id,
    status: 'final',
    effectiveDateTime: date,
    code: { coding: [{ system: NPU, code }] },
    valueQuantity: { value, unit },
    referenceRange: [{ low: { value: low, unit }, high: { value: high, unit } }],
  });
  async function flaggedDetail(observations: object[], lang = 'en'): Promise<string | undefined> {
    const req = patientViewRequest('gsb-workup-missing') as any;
    // The fixture patient's own results (another patient's would make the key unusable, §7).
    for (const o of observations as any[]) o.subject = { reference: `Patient/${req.context.patientId}` };
    req.prefetch.labs = searchset(observations as fhir4.Resource[]);
    const { app } = buildTestApp();
    const res = await request(app).post(URL).set('Accept-Language', lang).send(req);
    expect(res.status).toBe(200);
    return cardOfKind(expectValidResponse(res.body), 'screening-abnormal')?.detail as string | undefined;
  }
  const total = (id: string, value = 2.45, date?: string) => obs(id, 'NPU01443', value, 'mmol/L', 2.15, 2.51, date);
  const ionised = (id: string, value = 1.45, date?: string) => obs(id, 'NPU04144', value, 'mmol/L', 1.18, 1.32, date);

  test('a high ionised calcium is flagged beside a normal total calcium of the same sample, whatever the ids; named as ionised, without the albumin hint', async () => {
    for (const [t, i] of [['lab-a-ca', 'lab-a-caion'], ['lab-b-ca2', 'lab-b-ca1']]) {
      const detail = await flaggedDetail([total(t!), ionised(i!)]);
      expect(detail).toContain('- calcium (ionised, free): 1.45 mmol/L (high, outside the lab\'s reference range,');
      expect(detail).toContain('- calcium: hyperparathyroidism, malignancy');
      expect(detail).not.toContain('read with albumin');
    }
    const da = await flaggedDetail([total('a'), ionised('b')], DA);
    expect(da).toContain('- kalcium (ioniseret, frit): 1,45 mmol/L (højt');
  });
  test('a high total and a high ionised calcium: both listed, one calcium hint line (the total\'s, with albumin)', async () => {
    const detail = (await flaggedDetail([total('t', 2.85), ionised('i', 1.45)]))!;
    expect(detail).toContain('- calcium (total): 2.85 mmol/L (high');
    expect(detail).toContain('- calcium (ionised, free): 1.45 mmol/L (high');
    expect(detail.match(/^- calcium: /gm)).toEqual(['- calcium: ']);
    expect(detail).toContain('- calcium: hyperparathyroidism, malignancy; read with albumin');
  });
  test('the total\'s own hint (with albumin) wins over the group\'s whichever of the pair the record lists first', async () => {
    for (const observations of [[ionised('i', 1.45), total('t', 2.85)], [total('t', 2.85), ionised('i', 1.45)]]) {
      const detail = (await flaggedDetail(observations))!;
      expect(detail.match(/^- calcium: .*$/gm)).toEqual(['- calcium: hyperparathyroidism, malignancy; read with albumin']);
    }
  });
  test('a high total calcium stays flagged after a later normal ionised one, with the albumin hint; a normal pair raises nothing', async () => {
    const detail = await flaggedDetail([total('t', 2.85, '2026-11-10T08:00:00+01:00'), ionised('i', 1.25)]);
    expect(detail).toContain('- calcium (total): 2.85 mmol/L (high');
    expect(detail).toContain('- calcium: hyperparathyroidism, malignancy; read with albumin');
    expect(await flaggedDetail([total('t'), ionised('i', 1.25)])).toBeUndefined();
  });
  test('haemoglobin hints follow the direction: low → haematological or malignant disease, inflammation; high → polycythaemia, dehydration or smoking', async () => {
    const low = await flaggedDetail([obs('hb', 'NPU02319', 6.1, 'mmol/L', 7.3, 9.5)]);
    expect(low).toContain('- haemoglobin: haematological or malignant disease, inflammation');
    expect(low).not.toContain('polycythaemia');
    const high = await flaggedDetail([obs('hb', 'NPU02319', 11.2, 'mmol/L', 7.3, 9.5)]);
    expect(high).toContain('- haemoglobin: polycythaemia, dehydration or smoking');
    expect(high).not.toContain('malignant');
  });
  test('one Observation coded twice for one measurement (NPU10267 beside a mislabelled LOINC 1989-3) is one result, flagged once', async () => {
    const both = obs('vd', 'NPU10267', 21, 'nmol/L', 50, 160) as any;
    both.code.coding.push({ system: 'http://loinc.org', code: '1989-3' });
    const detail = await flaggedDetail([both]);
    expect(detail).toContain('- vitamin D (25-OH-D2+D3): 21 nmol/L (low');
    expect(detail).not.toContain('25-OH-D3)');
  });
  test('an undetectable vitamin D2 ("<5", no range) is no low vitamin D; an undetectable total still is', async () => {
    const below = (id: string, code: string) => ({ ...obs(id, code, 5, 'nmol/L', 0, 0), valueQuantity: { value: 5, comparator: '<', unit: 'nmol/L' }, referenceRange: undefined });
    expect(await flaggedDetail([obs('t', 'NPU10267', 80, 'nmol/L', 50, 160), below('d2', 'NPU26810')])).toBeUndefined();
    expect(await flaggedDetail([below('t', 'NPU10267')])).toContain('- vitamin D (25-OH-D2+D3): \\<5 nmol/L (low, outside the measuring range');
  });
  test('a low 25-OH-D3 is flagged beside a normal 25-OH-D2+D3 of the same sample, whatever the ids', async () => {
    for (const [t, d3] of [['vd-a', 'vd-b'], ['vd-b', 'vd-a']]) {
      const detail = await flaggedDetail([obs(t!, 'NPU10267', 80, 'nmol/L', 50, 160), obs(d3!, 'NPU01435', 20, 'nmol/L', 50, 160)]);
      expect(detail).toContain('- vitamin D (25-OH-D3): 20 nmol/L (low');
    }
  });
});

describe('a value without a unit against a range with one (docs/clinical-rules.md §3.2 step 4): pinned as the rules have it', () => {
  const PATIENT = 'Patient/gsb-workup-missing';
  const vitaminD = (valueQuantity: object, unit: string | undefined) => ({
    resourceType: 'Observation',
    id: 'vd',
    status: 'final',
    subject: { reference: PATIENT },
    effectiveDateTime: '2026-11-20T08:00:00+01:00',
    code: { coding: [{ system: 'urn:oid:1.2.208.176.2.1', code: 'NPU10267' }] },
    valueQuantity,
    referenceRange: [{ low: { value: 50, ...(unit ? { unit } : {}) }, high: { value: 160, ...(unit ? { unit } : {}) } }],
  });
  async function details(observation: object) {
    const req = patientViewRequest('gsb-workup-missing') as any;
    req.prefetch.labs = searchset([observation as fhir4.Resource]);
    const { app } = buildTestApp();
    const res = await request(app).post(URL).send(req);
    expect(res.status).toBe(200);
    const body = expectValidResponse(res.body);
    return { abnormal: cardOfKind(body, 'screening-abnormal')?.detail as string | undefined, all: body.cards.map((c) => String(c.detail)).join('\n') };
  }
  const UCUM = 'http://unitsofmeasure.org';

  test('a value with no unit takes the range\'s: judged against it, and shown as the lab gave it, without a unit (never with the range\'s)', async () => {
    const low = await details(vitaminD({ value: 21 }, 'nmol/L'));
    expect(low.abnormal).toContain('- vitamin D (25-OH-D2+D3): 21 (low, outside the lab\'s reference range, 2026-11-20)');
    expect(low.all).not.toContain('21 nmol/L');
    // Within the range it is normal: not listed anywhere (the rules' choice; README Limits).
    const normal = await details(vitaminD({ value: 80 }, 'nmol/L'));
    expect(normal.abnormal).toBeUndefined();
    expect(normal.all).not.toContain('cannot be assessed');
  });
  test('a unit given only as the UCUM `code` is the value\'s unit: the same unit is judged, another is not assessable and listed with it', async () => {
    expect((await details(vitaminD({ value: 21, system: UCUM, code: 'nmol/L' }, 'nmol/L'))).abnormal).toContain('- vitamin D (25-OH-D2+D3): 21 nmol/L (low, outside the lab\'s reference range, 2026-11-20)');
    const other = await details(vitaminD({ value: 21, system: UCUM, code: 'ng/mL' }, 'nmol/L'));
    expect(other.abnormal).toBeUndefined();
    expect(other.all).toContain('- vitamin D (25-OH-D2+D3) 21 ng/mL (2026-11-20): cannot be assessed automatically – see the lab\'s report');
  });
  test('no unit on either side: the lab\'s own numbers are compared', async () => {
    expect((await details(vitaminD({ value: 21 }, undefined))).abnormal).toContain('- vitamin D (25-OH-D2+D3): 21 (low, outside the lab\'s reference range, 2026-11-20)');
  });
});

describe('one result or open order whose codings name different panel groups (docs/clinical-rules.md §3.1, §3.2, §7.2)', () => {
  const PATIENT = 'Patient/gsb-workup-missing';
  const LOINC = 'http://loinc.org';
  const NPU = 'urn:oid:1.2.208.176.2.1';
  const coded = (...codings: Array<[string, string]>) => ({ coding: codings.map(([system, code]) => ({ system, code })) });
  const observation = (id: string, code: object, value: number, unit: string, low?: number, high?: number) => ({
    resourceType: 'Observation',
    id,
    status: 'final',
    subject: { reference: PATIENT },
    effectiveDateTime: '2026-11-20T08:00:00+01:00',
    code,
    valueQuantity: { value, unit },
    ...(low !== undefined ? { referenceRange: [{ low: { value: low, unit }, high: { value: high, unit } }] } : {}),
  });
  const order = (id: string, code: object) => ({ resourceType: 'ServiceRequest', id, status: 'active', intent: 'order', subject: { reference: PATIENT }, authoredOn: '2026-11-20', code });
  async function cards(labs: object[], serviceRequests: object[] = [], lang = 'en') {
    const req = patientViewRequest('gsb-workup-missing') as any;
    req.prefetch.labs = searchset(labs as fhir4.Resource[]);
    req.prefetch.serviceRequests = searchset(serviceRequests as fhir4.Resource[]);
    const { app } = buildTestApp();
    const res = await request(app).post(URL).set('Accept-Language', lang).send(req);
    expect(res.status).toBe(200);
    return expectValidResponse(res.body);
  }
  const TSH_AND_CK = coded([LOINC, '3016-3'], [NPU, 'NPU19656']);

  test('a result coded as TSH (LOINC) and CK (NPU) counts for neither: both are not taken and ordered, and the result is listed as not assessable, coded as both (en, da)', async () => {
    const en = cardOfKind(await cards([observation('o-mixed', TSH_AND_CK, 2.1, 'mIU/L')]), 'screening-incomplete')!;
    expect(en.summary).toMatch(/^Screening tests not taken: TSH, CK, vitamin D,/);
    expect((en.suggestions[0].actions as Array<{ resource: fhir4.ServiceRequest }>).map((a) => a.resource.code!.coding![0]!.code)).toEqual(expect.arrayContaining(['3016-3', '2157-6']));
    expect(en.detail).toContain('**Taken, but cannot be assessed automatically:**');
    expect(en.detail).toContain('- 2.1 mIU/L (2026-11-20), coded as different tests (TSH / CK): counted as none of them; cannot be assessed automatically – see the lab\'s report');
    const da = cardOfKind(await cards([observation('o-mixed', TSH_AND_CK, 2.1, 'mIU/L')], [], DA), 'screening-incomplete')!;
    expect(da.detail).toContain('- 2,1 mIU/L (20.11.2026), kodet som forskellige prøver (TSH / CK): talt som ingen af dem; kan ikke vurderes automatisk – se laboratoriets svar');
  });
  test('…and a value outside its range is flagged for neither group: no flagged-results card, not TSH\'s hints nor CK\'s', async () => {
    const body = await cards([observation('o-mixed', TSH_AND_CK, 9, 'mIU/L', 0.3, 4)]);
    expect(cardOfKind(body, 'screening-abnormal')).toBeUndefined();
    expect(cardOfKind(body, 'screening-incomplete')!.detail).toContain('- 9 mIU/L (2026-11-20), coded as different tests (TSH / CK)');
  });
  test('beside a flagged result, the flagged-results card lists it (one card only); the non-drug card is not raised while the flag is unanswered', async () => {
    const req = patientViewRequest('gsb-complete-flagged') as any;
    const mixed = { ...observation('o-mixed', TSH_AND_CK, 2.1, 'mIU/L'), subject: { reference: 'Patient/gsb-complete-flagged' } };
    req.prefetch.labs.entry.push({ resource: mixed });
    req.prefetch.labs.total = req.prefetch.labs.entry.length;
    const { app } = buildTestApp();
    const body = expectValidResponse((await request(app).post(URL).send(req)).body);
    const lines = body.cards.flatMap((c) => String(c.detail).split('\n')).filter((l) => l.includes('coded as different tests'));
    expect(lines).toEqual(['- 2.1 mIU/L (2026-11-20), coded as different tests (TSH / CK): counted as none of them; cannot be assessed automatically – see the lab\'s report']);
    expect(cardOfKind(body, 'screening-abnormal')!.detail).toContain(lines[0]);
    // The fixture's own TSH and CK still count: nothing is missing.
    expect(cardOfKind(body, 'screening-incomplete')).toBeUndefined();
    expect(cardOfKind(body, 'non-pharmacological-treatment')).toBeUndefined();
  });
  test('newer results of every test it names supersede it: no longer listed; a newer result of only one of them does not', async () => {
    const newer = (id: string, code: object, value: number, unit: string) => ({ ...observation(id, code, value, unit), effectiveDateTime: '2026-11-24T08:00:00+01:00' });
    const mixed = observation('o-mixed', TSH_AND_CK, 2.1, 'mIU/L');
    const both = await cards([mixed, newer('o-tsh', coded([LOINC, '3016-3']), 2.0, 'mIU/L'), newer('o-ck', coded([NPU, 'NPU19656']), 120, 'U/L')]);
    expect(both.cards.map((c) => String(c.detail)).join('\n')).not.toContain('coded as different tests');
    expect(cardOfKind(both, 'screening-incomplete')!.summary).not.toMatch(/TSH|CK/);
    const one = await cards([mixed, newer('o-tsh', coded([LOINC, '3016-3']), 2.0, 'mIU/L')]);
    expect(cardOfKind(one, 'screening-incomplete')!.detail).toContain('- 2.1 mIU/L (2026-11-20), coded as different tests (TSH / CK)');
  });
  test('codings that agree keep working: LOINC and NPU for TSH, with a local code beside them, count as TSH, listed nowhere as not assessable', async () => {
    const agree = coded([LOINC, '3016-3'], [NPU, 'NPU03577'], ['urn:lab:local', 'TSH1']);
    const card = cardOfKind(await cards([observation('o-tsh', agree, 2.1, 'mIU/L', 0.3, 4)]), 'screening-incomplete')!;
    expect(card.summary).toMatch(/^Screening tests not taken: CK, vitamin D,/);
    expect(card.detail).not.toContain('cannot be assessed');
  });
  test('an open order coded as TSH and CK is pending for neither: the open orders cannot be checked, so nothing is ordered; one coded twice for TSH is pending as before', async () => {
    const mixed = cardOfKind(await cards([], [order('sr-mixed', TSH_AND_CK)]), 'screening-incomplete')!;
    expect(mixed.detail).not.toContain('Ordered, awaiting results');
    expect(mixed.summary).toMatch(/^Screening tests not taken: TSH, CK,/);
    expect(mixed.suggestions).toBeUndefined();
    expect(mixed.detail).toContain('Open lab orders could not be checked, so no order is suggested.');
    // A blood count panel beside a TSH code disagrees too; beside a haemoglobin code (a group it covers) it agrees.
    expect(cardOfKind(await cards([], [order('sr-cbc-tsh', coded([LOINC, '58410-2'], [LOINC, '3016-3']))]), 'screening-incomplete')!.suggestions).toBeUndefined();
    const cbc = cardOfKind(await cards([], [order('sr-cbc-hb', coded([LOINC, '58410-2'], [NPU, 'NPU02319']))]), 'screening-incomplete')!;
    expect(cbc.detail).toMatch(/Ordered, awaiting results – not ordered again \(3\):\*\*\n\n- haemoglobin\n- leukocytes\n- platelets/);
    const agree = cardOfKind(await cards([], [order('sr-tsh', coded([LOINC, '3016-3'], [NPU, 'NPU03577']))]), 'screening-incomplete')!;
    expect(agree.detail).toMatch(/Ordered, awaiting results – not ordered again \(1\):\*\*\n\n- TSH/);
    expect(agree.suggestions).toHaveLength(1);
  });
});

// The non-drug treatment card: test/guideline/nonPharmacologicalTreatment.test.ts.

/** A request fixture shaped as a real EHR sends it (fixtures/requests/NAME.json). */
async function callFixture(name: string, lang = 'en', env: Record<string, string> = {}, edit?: (req: any) => void) {
  const req = readJson<any>(projectPath('fixtures', 'requests', `${name}.json`));
  edit?.(req);
  const { app } = buildTestApp({ env });
  const res = await request(app).post(URL).set('Accept-Language', lang).send(req);
  expect(res.status).toBe(200);
  return expectValidResponse(res.body);
}
const DA = 'da-DK,da;q=0.9';

describe('patient-view: real EHR lab shapes (docs/clinical-rules.md §7)', () => {
  test('a result in words ("neg", "Ikke påvist.") is a taken test, listed as not assessable; a lab comment ("Hæmolyseret prøve") is still no value: the test is not taken', async () => {
    const { app } = buildTestApp();
    const send = async (valueString: string) => {
      const req = patientViewRequest('gsb-complete-flagged') as Record<string, any>;
      const uacr = req.prefetch.labs.entry.find((e: any) => e.resource.id === 'gsb-complete-flagged-o10').resource;
      delete uacr.valueQuantity;
      delete uacr.referenceRange;
      uacr.valueString = valueString;
      return expectValidResponse((await request(app).post(URL).set('Accept-Language', 'en').send(req)).body);
    };
    for (const word of ['neg', 'Ikke påvist.', 'NEGATIV']) {
      const body = await send(word);
      expect([word, cardOfKind(body, 'screening-incomplete')]).toEqual([word, undefined]);
      expect(cardOfKind(body, 'screening-abnormal')!.detail).toContain(`${word} (2026-08-05): cannot be assessed automatically`);
    }
    expect(cardOfKind(await send('Hæmolyseret prøve'), 'screening-incomplete')!.summary).toContain('urine albumin');
  });
  test('STU3/DSTU2: an interpretation as one object is read, not a 500', async () => {
    const card = cardOfKind(await callFixture('stu3-interpretation-object'), 'screening-abnormal')!;
    expect(card.detail).toContain('- TSH: 7.9 mIU/L (high, 2026-10-05)');
    // One flagged result: the singular (two: the plural, below).
    expect(card.detail).toContain('Consider whether the flagged result better explains the symptoms.');
    expect(cardOfKind(await callFixture('patient-view-complete-flagged'), 'screening-abnormal')!.detail).toContain('Consider whether the flagged results better explain the symptoms.');
    expect(cardOfKind(await callFixture('stu3-interpretation-object', 'da'), 'screening-abnormal')!.detail).toContain('Overvej, om det afvigende svar bedre forklarer symptomerne.');
  });
  test('a DSTU2 record: open lab orders as DiagnosticOrders read item by item (CK awaited, vitamin D completed, ESR cancelled); the missing tests ordered as DSTU2 DiagnosticOrders', async () => {
    const card = cardOfKind(await callFixture('dstu2-open-lab-orders'), 'screening-incomplete')!;
    expect(card.detail).toMatch(/not ordered again[^]*CK/i);
    const ordered = (card.suggestions[0].actions as Array<{ resource: { resourceType: string; status: string; item: Array<{ code: fhir4.CodeableConcept }> } }>).map((a) => a.resource);
    expect(new Set(ordered.map((r) => `${r.resourceType} ${r.status}`))).toEqual(new Set(['DiagnosticOrder proposed']));
    const codes = ordered.map((r) => r.item[0]!.code.coding![0]!.code);
    // Vitamin D (its item completed) and ESR (its order cancelled) are ordered again, under the panel's order codes.
    expect(codes).toEqual(expect.arrayContaining(['62292-8', '30341-2']));
    expect(codes).not.toContain('2157-6');
    expect(codes).not.toContain('3016-3');
  });
  test('NPU and LOINC under the bare names an HL7 v2 converter writes ("NPU", "LN"): read; a missing group is then ordered under the NPU URI, never under the bare name', async () => {
    const body = await callFixture('npu-oid-system', 'en', {}, (req: any) => {
      const labs = req.prefetch.labs.entry.map((e: any) => e.resource);
      for (const o of labs) for (const c of o.code.coding ?? []) c.system = String(c.code).startsWith('NPU') ? 'NPU' : 'LN';
      // CK (a LOINC result) left out: NPU results are then the majority, so the order is in NPU.
      req.prefetch.labs.entry = req.prefetch.labs.entry.filter((e: any) => !e.resource.id.endsWith('-ck'));
      delete req.prefetch.labs.total;
    });
    const card = cardOfKind(body, 'screening-incomplete')!;
    expect(card.summary).toBe('Screening tests not taken: CK');
    const codings = (card.suggestions[0].actions as Array<{ resource: fhir4.ServiceRequest }>).map((a) => a.resource.code!.coding![0]!);
    expect(codings).toEqual([expect.objectContaining({ system: 'urn:oid:1.2.208.176.2.1', code: 'NPU19656' })]);
  });
  test('LOINC and NPU under OID system URIs: every group is done, nothing is ordered again', async () => {
    const body = await callFixture('npu-oid-system');
    expect(cardOfKind(body, 'screening-incomplete')).toBeUndefined();
    expect(cardOfKind(body, 'screening-abnormal')).toBeUndefined();
  });
  test('the differential count in the components of a blood count panel counts, and a flagged neutrophil count shows', async () => {
    const body = await callFixture('differential-in-components');
    expect(cardOfKind(body, 'screening-incomplete')).toBeUndefined();
    const card = cardOfKind(body, 'screening-abnormal')!;
    expect(card.detail).toContain('- differential count (neutrophils): 8.9 x 10^9/L (high, 2026-10-05)');
    expect(card.detail).toContain('- leukocytes: 11.2 10^9/L (high, outside the lab\'s reference range, 2026-10-05)');
    expect(card.summary).toBe('Flagged screening results (2): leukocytes, differential count – consider differential diagnoses');
  });
  test('text values and text flags (English)', async () => {
    const body = await callFixture('text-values-and-flags');
    const card = cardOfKind(body, 'screening-abnormal')!;
    const detail = card.detail as string;
    expect(detail).toContain('- haemoglobin: 5.9 (low, outside the lab\'s reference range, 2026-10-05)');
    expect(detail).toContain('- CRP: 2 mg/L (high, 2026-10-05)');
    expect(detail).toContain('- ALT (ALAT): \\>100 (high, outside the lab\'s reference range, 2026-10-05)');
    expect(detail).toContain('- vitamin D (25-OH-D2+D3): 21 nmol/l (low, outside the lab\'s reference range, 2026-10-05)');
    expect(detail).toContain('- TSH: \\<0.01 (low, outside the measuring range, 2026-10-05)');
    // The older flagged neutrophil count is assessed although a newer lymphocyte count follows it.
    expect(detail).toContain('- differential count (neutrophils): 8.9 10^9/L (high, outside the lab\'s reference range, 2026-10-03)');
    expect(detail).not.toContain('ESR');
    // Direction-specific hints: vitamin D low gets its hint; a low haemoglobin gets the haematology hint.
    expect(detail).toContain('- vitamin D: vitamin D deficiency; osteomalacia when severe');
    // A lab comment is no value: potassium is not done.
    const incomplete = cardOfKind(body, 'screening-incomplete')!;
    expect(incomplete.summary).toBe('Screening tests not taken: potassium');
  });
  test('the off-scale code ">" is compared with the range (not normal); of several ranges the one that fits the patient (female) wins (da, en)', async () => {
    const edit = (req: any) => {
      const byId = (suffix: string) => req.prefetch.labs.entry.map((e: any) => e.resource).find((o: any) => o.id.endsWith(suffix));
      const ck = byId('-ck');
      ck.valueQuantity = { value: 300, unit: 'U/L' };
      ck.interpretation = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: '>' }] }];
      const creatinine = byId('-creatinine');
      creatinine.valueQuantity = { value: 100, unit: 'umol/L' };
      const sex = (code: string) => [{ coding: [{ system: 'http://snomed.info/sct', code }] }];
      creatinine.referenceRange = [
        { low: { value: 60, unit: 'umol/L' }, high: { value: 105, unit: 'umol/L' }, appliesTo: sex('248153007') },
        { low: { value: 45, unit: 'umol/L' }, high: { value: 90, unit: 'umol/L' }, appliesTo: sex('248152002') },
      ];
    };
    const en = cardOfKind(await callFixture('text-values-and-flags', 'en', {}, edit), 'screening-abnormal')!.detail as string;
    expect(en).toMatch(/- CK \(creatine kinase\): 300 U\/L \(high, [^)]*2026-10-05\)/);
    expect(en).toContain('- creatinine: 100 umol/L (high, outside the lab\'s reference range, 2026-10-05)');
    const da = cardOfKind(await callFixture('text-values-and-flags', DA, {}, edit), 'screening-abnormal')!.detail as string;
    expect(da).toContain('- kreatinin: 100 umol/L (højt, uden for laboratoriets referenceinterval, 05.10.2026)');
    // The control: a male patient's range (60–105) makes the same value normal.
    const male = cardOfKind(await callFixture('text-values-and-flags', 'en', {}, (req) => { edit(req); req.prefetch.patient.gender = 'male'; }), 'screening-abnormal')!.detail as string;
    expect(male).not.toContain('- creatinine:');
  });
  test('a result\'s date is its day in Danish time: a sample taken at 00:30 Danish summer time (22:30 UTC the day before) is dated that day (da, en)', async () => {
    const edit = (req: any) => {
      const tsh = req.prefetch.labs.entry.map((e: any) => e.resource).find((o: any) => o.id.endsWith('-tsh'));
      tsh.valueQuantity = { value: 7.9, unit: 'mIU/L' };
      tsh.interpretation = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }];
      tsh.effectiveDateTime = '2026-10-04T22:30:00Z';
    };
    const da = cardOfKind(await callFixture('text-values-and-flags', DA, {}, edit), 'screening-abnormal')!.detail as string;
    expect(da).toContain('- TSH: 7,9 mIU/L (højt, 05.10.2026)');
    const en = cardOfKind(await callFixture('text-values-and-flags', 'en', {}, edit), 'screening-abnormal')!.detail as string;
    expect(en).toContain('- TSH: 7.9 mIU/L (high, 2026-10-05)');
  });
  test('a time without a zone (a Danish lab system\'s clock) is Danish time: 23:30 stays that day (da)', async () => {
    for (const written of ['2026-10-05T23:30:00', '2026-10-05 23:30']) {
      const edit = (req: any) => {
        const tsh = req.prefetch.labs.entry.map((e: any) => e.resource).find((o: any) => o.id.endsWith('-tsh'));
        delete tsh.valueString;
        tsh.valueQuantity = { value: 7.9, unit: 'mIU/L' };
        tsh.interpretation = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }];
        tsh.effectiveDateTime = written;
      };
      const da = cardOfKind(await callFixture('text-values-and-flags', DA, {}, edit), 'screening-abnormal')!.detail as string;
      expect([written, da.includes('- TSH: 7,9 mIU/L (højt, 05.10.2026)')]).toEqual([written, true]);
    }
  });
  test('high potassium: the hints name the common causes first, adrenal insufficiency only with low sodium (da, en)', async () => {
    const edit = (req: any) => {
      const k = req.prefetch.labs.entry.map((e: any) => e.resource).find((o: any) => o.id.endsWith('-potassium'));
      delete k.valueString;
      k.valueQuantity = { value: 5.9, unit: 'mmol/L' };
      k.interpretation = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }];
    };
    const en = cardOfKind(await callFixture('text-values-and-flags', 'en', {}, edit), 'screening-abnormal')!.detail as string;
    expect(en).toContain('a haemolysed sample, reduced kidney function or drugs; high potassium with low sodium: adrenal insufficiency');
    const da = cardOfKind(await callFixture('text-values-and-flags', DA, {}, edit), 'screening-abnormal')!.detail as string;
    expect(da).toContain('hæmolyse i prøven, nedsat nyrefunktion eller lægemidler; højt kalium med lavt natrium: binyrebarkinsufficiens');
  });
  test('text values and text flags (Danish: decimal comma, dd.mm.åååå)', async () => {
    const body = await callFixture('text-values-and-flags', DA);
    const detail = cardOfKind(body, 'screening-abnormal')!.detail as string;
    expect(detail).toContain('- hæmoglobin: 5,9 (lavt, uden for laboratoriets referenceinterval, 05.10.2026)');
    expect(detail).toContain('- TSH: \\<0,01 (lavt, uden for måleområdet, 05.10.2026)');
    expect(detail).toContain('reumatoid artritis');
    expect(detail).toContain('»');
    expect(cardOfKind(body, 'screening-incomplete')!.summary).toBe('Screeningsprøver ikke taget: kalium');
  });
});

describe('patient-view: open orders (docs/clinical-rules.md §3.1 rev 2)', () => {
  test('stale orders listed "renew or cancel", not ordered again; recent and panel orders pending; an old draft ignored (English)', async () => {
    const card = cardOfKind(await callFixture('stale-open-orders'), 'screening-incomplete')!;
    expect(card.summary).toBe('Screening tests not taken: CK, vitamin D, differential count, ESR');
    expect(card.detail).toContain('- ESR: ordered 2026-02-03, no result – renew or cancel');
    // The summary's "not taken" are the two not ordered and the two ordered long ago: the detail's headings split them so.
    expect(card.detail).toMatch(/\*\*Not taken, not ordered \(2\):\*\*\n\n- vitamin D \(25-hydroxy\)\n- differential count/);
    expect(card.detail).toContain('**Ordered, no result in the work-up (2):**');
    expect(card.detail).toContain('- CK (creatine kinase): ordered, date unknown, no result – renew or cancel');
    expect(card.detail).toMatch(/Ordered, awaiting results – not ordered again \(4\):\*\*\n\n- TSH\n- haemoglobin\n- leukocytes\n- platelets/);
    const codes = (card.suggestions[0].actions as Array<{ resource: fhir4.ServiceRequest }>).map((a) => a.resource.code!.coding![0]!.code);
    expect(codes).toEqual(['62292-8', '69738-3']);
  });
  test('a stale order alone raises the card: every other group taken, ESR only ordered long ago → the card names it; the same order recent is awaited, no card (docs/clinical-rules.md §3.1)', async () => {
    const send = async (authoredOn: string) => {
      const req = patientViewRequest('gsb-complete-flagged') as any;
      req.prefetch.labs = searchset(req.prefetch.labs.entry.map((e: any) => e.resource).filter((o: any) => o.code.coding[0].code !== '30341-2'));
      const esr = { resourceType: 'ServiceRequest', id: 'sr-esr', status: 'active', intent: 'order', subject: { reference: 'Patient/gsb-complete-flagged' }, authoredOn, code: { coding: [{ system: 'http://loinc.org', code: '30341-2' }] } };
      req.prefetch.serviceRequests = searchset([esr as unknown as fhir4.Resource]);
      const { app } = buildTestApp();
      return cardOfKind(expectValidResponse((await request(app).post(URL).send(req)).body), 'screening-incomplete');
    };
    const stale = (await send('2026-08-10'))!;
    expect(stale.summary).toBe('Screening tests not taken: ESR');
    expect(stale.detail).toContain('- ESR: ordered 2026-08-10, no result – renew or cancel');
    expect(stale.suggestions).toBeUndefined();
    expect(await send('2026-11-20')).toBeUndefined();
  });
  test('stale orders in Danish: dd.mm.åååå and "forny eller annullér"', async () => {
    const card = cardOfKind(await callFixture('stale-open-orders', DA), 'screening-incomplete')!;
    expect(card.summary).toBe('Screeningsprøver ikke taget: CK, D-vitamin, differentialtælling, SR');
    expect(card.detail).toContain('- SR (sænkningsreaktion): bestilt 03.02.2026, intet svar – forny eller annullér');
    expect(card.detail).toContain('- CK (kreatinkinase): bestilt, dato ukendt, intet svar – forny eller annullér');
  });
  test('a date given only to the month or the year is shown so, never as the 1st: a flagged result "2026-08", a stale order "2026-06" (da, en; docs §5)', async () => {
    const edit = (req: any) => {
      const resources = (key: string) => req.prefetch[key].entry.map((e: any) => e.resource);
      const crp = resources('labs').find((o: any) => o.id.endsWith('-crp'));
      crp.effectiveDateTime = '2026-08';
      crp.valueQuantity = { value: 12, unit: 'mg/L' };
      crp.interpretation = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }];
      // The control: a full date, flagged too, keeps its day.
      const creatinine = resources('labs').find((o: any) => o.id.endsWith('-creatinine'));
      creatinine.valueQuantity = { value: 130, unit: 'umol/L' };
      creatinine.interpretation = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }];
      resources('serviceRequests').find((o: any) => o.id.endsWith('-sr1')).authoredOn = '2026-06';
      // A result that cannot be assessed (no flag, no range) is listed with its date, at its precision too.
      const albumin = resources('labs').find((o: any) => o.id.endsWith('-albumin'));
      albumin.effectiveDateTime = '2026-09';
      delete albumin.referenceRange;
    };
    const da = await callFixture('stale-open-orders', DA, {}, edit);
    const daFlagged = cardOfKind(da, 'screening-abnormal')!.detail as string;
    expect(daFlagged).toContain('- CRP: 12 mg/L (højt, 08.2026)');
    expect(daFlagged).toContain('- kreatinin: 130 umol/L (højt, 05.10.2026)');
    expect(daFlagged).toMatch(/- albumin 40 g\/L \(09\.2026\): kan ikke vurderes automatisk/);
    expect(daFlagged).not.toMatch(/01\.0[89]\.2026/);
    const daIncomplete = cardOfKind(da, 'screening-incomplete')!.detail as string;
    expect(daIncomplete).toContain('- SR (sænkningsreaktion): bestilt 06.2026, intet svar – forny eller annullér');
    expect(daIncomplete).not.toContain('01.06.2026');
    const en = await callFixture('stale-open-orders', 'en', {}, edit);
    expect(cardOfKind(en, 'screening-abnormal')!.detail).toContain('- CRP: 12 mg/L (high, 2026-08)');
    expect(cardOfKind(en, 'screening-abnormal')!.detail).toContain('- creatinine: 130 umol/L (high, 2026-10-05)');
    expect(cardOfKind(en, 'screening-incomplete')!.detail).toContain('- ESR: ordered 2026-06, no result – renew or cancel');
    // A year alone is the year.
    const year = await callFixture('stale-open-orders', DA, {}, (req) => {
      edit(req);
      req.prefetch.serviceRequests.entry.find((e: any) => e.resource.id.endsWith('-sr1')).resource.authoredOn = '2025';
    });
    expect(cardOfKind(year, 'screening-incomplete')!.detail).toContain('- SR (sænkningsreaktion): bestilt 2025, intet svar – forny eller annullér');
  });
  test('a recent active request whose intent orders nothing (proposal, plan) is pending like a draft, but never stale; an old one is ignored, so the group is ordered', async () => {
    const edit = (intent: string, authoredOn: string) => (req: any) => {
      const sr = req.prefetch.serviceRequests.entry.find((e: any) => e.resource.id.endsWith('-sr1')).resource;
      sr.intent = intent;
      sr.authoredOn = authoredOn;
    };
    for (const intent of ['plan', 'proposal']) {
      const old = cardOfKind(await callFixture('stale-open-orders', 'en', {}, edit(intent, '2026-02-03')), 'screening-incomplete')!;
      expect(old.detail).not.toContain('- ESR: ordered on');
      const codes = (old.suggestions[0].actions as Array<{ resource: fhir4.ServiceRequest }>).map((a) => a.resource.code!.coding![0]!.code);
      expect(codes).toContain('30341-2');
      const recent = cardOfKind(await callFixture('stale-open-orders', 'en', {}, edit(intent, '2026-11-20')), 'screening-incomplete')!;
      expect(recent.summary).not.toContain('ESR');
    }
    // The control: an order (intent "order") of that date is stale.
    expect(cardOfKind(await callFixture('stale-open-orders', 'en', {}, edit('order', '2026-02-03')), 'screening-incomplete')!.detail).toContain('- ESR: ordered 2026-02-03, no result – renew or cancel');
  });
  test('an order for a sampling date beyond the pending window gives no result in the work-up: listed "ordered for <date>", not awaited', async () => {
    const edit = (occurrence: string) => (req: any) => {
      const sr = req.prefetch.serviceRequests.entry.find((e: any) => e.resource.id.endsWith('-sr1')).resource;
      sr.occurrenceDateTime = occurrence;
    };
    const later = cardOfKind(await callFixture('stale-open-orders', 'en', {}, edit('2027-03-01')), 'screening-incomplete')!;
    expect(later.detail).toContain('- ESR: ordered for 2027-03-01, after the work-up – consider taking the sample now');
    expect(later.summary).toContain('ESR');
    const da = cardOfKind(await callFixture('stale-open-orders', DA, {}, edit('2027-03-01')), 'screening-incomplete')!;
    expect(da.detail).toContain('- SR (sænkningsreaktion): bestilt til 01.03.2027, efter udredningen – overvej at tage prøven nu');
    // Within the window (a pre-order for next week) it is awaited.
    const soon = cardOfKind(await callFixture('stale-open-orders', 'en', {}, edit('2026-12-01')), 'screening-incomplete')!;
    expect(soon.summary).not.toContain('ESR');
    // A sampling window that opens now is awaited however late it closes: an occurrencePeriod, or timing events now and later.
    for (const occurrence of [{ occurrencePeriod: { start: '2026-11-25', end: '2027-02-25' } }, { occurrenceTiming: { event: ['2027-02-25', '2026-11-25'] } }]) {
      const open = cardOfKind(
        await callFixture('stale-open-orders', 'en', {}, (req: any) => {
          const sr = req.prefetch.serviceRequests.entry.find((e: any) => e.resource.id.endsWith('-sr1')).resource;
          sr.authoredOn = '2026-11-25';
          Object.assign(sr, occurrence);
        }),
        'screening-incomplete',
      )!;
      expect(open.summary).not.toContain('ESR');
      expect(open.detail).not.toContain('ordered for');
    }
  });
  test('the pending window ends SCREENING_PENDING_DAYS (30) after now: a sample for 25 December is awaited, one for 26 December is "ordered for"', async () => {
    // Now is 2026-11-25 13:00 Danish time; 30 days on is 2026-12-25 13:00. The 26th starts after it, the 25th before.
    const edit = (occurrence: string) => (req: any) => {
      const sr = req.prefetch.serviceRequests.entry.find((e: any) => e.resource.id.endsWith('-sr1')).resource;
      sr.occurrenceDateTime = occurrence;
    };
    const last = cardOfKind(await callFixture('stale-open-orders', 'en', {}, edit('2026-12-25')), 'screening-incomplete')!;
    expect(last.summary).not.toContain('ESR');
    expect(last.detail).not.toContain('ESR: ordered for');
    const after = cardOfKind(await callFixture('stale-open-orders', 'en', {}, edit('2026-12-26')), 'screening-incomplete')!;
    expect(after.detail).toContain('- ESR: ordered for 2026-12-26, after the work-up – consider taking the sample now');
    expect(after.summary).toContain('ESR');
  });
  test('Danish summary names tests not taken, never "mangler"', async () => {
    const card = cardOfKind(await call('gsb-workup-partial-npu', {}, DA), 'screening-incomplete')!;
    expect(card.summary).toBe('Screeningsprøver ikke taget: D-vitamin, SR');
  });
  test('LAB_ORDER_CODE_SYSTEM=npu: orders in NPU; the differential count (no verified NPU code) is listed, not ordered', async () => {
    const card = cardOfKind(await call('gsb-workup-missing', { LAB_ORDER_CODE_SYSTEM: 'npu' }), 'screening-incomplete')!;
    const codings = (card.suggestions[0].actions as Array<{ resource: fhir4.ServiceRequest }>).map((a) => a.resource.code!.coding![0]!);
    expect(codings).toHaveLength(15);
    expect(codings.every((c) => c.system === 'urn:oid:1.2.208.176.2.1' && c.code!.startsWith('NPU'))).toBe(true);
    expect(card.detail).toContain('differential count: order with the lab\'s own requisition');
  });
  test('LAB_ORDER_CODE_SYSTEM=npu with the open orders unknown: no "order with the lab\'s own requisition" line, only that nothing is suggested (docs/clinical-rules.md §3.1)', async () => {
    const { app } = buildTestApp({ env: { LAB_ORDER_CODE_SYSTEM: 'npu' } });
    const req = patientViewRequest('gsb-workup-missing');
    (req.prefetch as any).serviceRequests = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] };
    for (const [lang, checked, requisition] of [
      ['en', 'Open lab orders could not be checked, so no order is suggested.', 'own requisition'],
      ['da', 'Åbne laboratoriebestillinger kunne ikke tjekkes; derfor intet bestillingsforslag.', 'egen rekvisition'],
    ] as const) {
      const card = cardOfKind(expectValidResponse((await request(app).post(URL).set('Accept-Language', lang).send(req)).body), 'screening-incomplete')!;
      expect(card.suggestions).toBeUndefined();
      expect(card.detail).toContain(checked);
      expect(card.detail).not.toContain(requisition);
    }
  });
});

describe('patient-view: established phase (docs/clinical-rules.md §3.1, §3.2 rev 2)', () => {
  test('screening-abnormal is info and counts only results after the anchor; no screening-incomplete card', async () => {
    const body = await callFixture('established-flagged');
    expect(cardOfKind(body, 'screening-incomplete')).toBeUndefined();
    const card = cardOfKind(body, 'screening-abnormal')!;
    expect(card.indicator).toBe('info');
    expect(card.detail).toContain('- CK (creatine kinase): 950 U/L (high, outside the lab\'s reference range, 2025-05-01)');
    expect(card.detail).not.toContain('TSH');
    expect(card.detail).toContain('- CK: myopathy or myositis');
  });
  /**
   * The established-flagged record with its CK at `ckValue` and its CRP result recoded as another test (`other`),
   * both flagged with `flag`: the screening-abnormal card's detail.
   */
  const withFlaggedCkAnd = async (flag: unknown, ckValue: number, other: { loinc: string; value: number; unit: string; low: number; high: number }): Promise<string> => {
    const body = await callFixture('established-flagged', 'en', {}, (req) => {
      const [, ck, crp] = req.prefetch.labs.entry.map((e: any) => e.resource);
      ck.valueQuantity.value = ckValue;
      ck.interpretation = flag;
      crp.code = { coding: [{ system: 'http://loinc.org', code: other.loinc }] };
      crp.valueQuantity = { value: other.value, unit: other.unit };
      crp.referenceRange = [{ low: { value: other.low, unit: other.unit }, high: { value: other.high, unit: other.unit } }];
      crp.interpretation = flag;
    });
    return cardOfKind(body, 'screening-abnormal')!.detail as string;
  };
  test('a flag without direction (A) inside the range gets its group\'s hints for both directions, each naming its direction: CK its high hint, calcium both', async () => {
    const A = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'A' }] }];
    // CK inside its range (the A flag alone makes it abnormal); the CRP result becomes a calcium result flagged A.
    const detail = await withFlaggedCkAnd(A, 100, { loinc: '2000-8', value: 2.4, unit: 'mmol/L', low: 2.15, high: 2.55 });
    expect(detail).toContain('- CK (creatine kinase): 100 U/L (abnormal');
    // CK's one hint is for a high value: said so, as the flag does not say which way.
    expect(detail).toContain('- CK (high): myopathy or myositis; drug-induced (e.g. statins); recent exertion');
    // Both of calcium's hints, each saying its direction (not two lines both called "calcium"); CK has only its high one.
    expect(detail).toContain('- calcium (high): hyperparathyroidism, malignancy; read with albumin');
    expect(detail).toContain('- calcium (low): vitamin D deficiency, hypoparathyroidism; read with albumin');
  });
  test('a flag without direction ("*", A) on a value outside the lab\'s range takes the range\'s direction: a high vitamin D gets no deficiency hint, a low CK no myopathy hint, a high CK its own', async () => {
    const star = { text: '*' };
    // CK below its range; the CRP result becomes a vitamin D result above its range, both flagged "*".
    const detail = await withFlaggedCkAnd(star, 20, { loinc: '62292-8', value: 250, unit: 'nmol/L', low: 50, high: 160 });
    expect(detail).toContain("- CK (creatine kinase): 20 U/L (low, outside the lab's reference range");
    expect(detail).toMatch(/- [^\n]*vitamin D[^\n]*: 250 nmol\/L \(high, outside the lab's reference range/);
    expect(detail).not.toContain('myopathy');
    expect(detail).not.toContain('deficiency');
    // The same CK high and flagged "*": its hint, without a direction to name (the range gave it).
    const high = await callFixture('established-flagged', 'en', {}, (req) => {
      req.prefetch.labs.entry.map((e: any) => e.resource)[1].interpretation = star;
    });
    expect(cardOfKind(high, 'screening-abnormal')!.detail).toContain('- CK: myopathy or myositis');
  });
  test('a registration given only as "2025": results within 2025 may be after it, so they count (the look-back and the cut-off use its first day)', async () => {
    const body = await callFixture('established-flagged', 'en', {}, (req) => {
      req.prefetch.conditions.entry[0].resource.recordedDate = '2025';
    });
    const card = cardOfKind(body, 'screening-abnormal')!;
    expect(card.detail).toContain('- CK (creatine kinase): 950 U/L (high');
    expect(cardOfKind(body, 'non-pharmacological-treatment')!.detail).not.toContain('CK – check');
  });
  test('a result taken on the registration day (both dates only) is from the work-up, not after the anchor: not on the abnormal card; a day later it is', async () => {
    const tshOn = (date: string) => (req: any) => {
      req.prefetch.labs.entry.find((e: any) => e.resource.id === 'established-flagged-tsh').resource.effectiveDateTime = date;
    };
    const sameDay = await callFixture('established-flagged', 'en', {}, tshOn('2024-01-10'));
    expect(cardOfKind(sameDay, 'screening-abnormal')!.detail).not.toContain('TSH');
    expect(cardOfKind(sameDay, 'non-pharmacological-treatment')!.detail).toContain('The latest result from before the diagnosis was registered is flagged by the lab: TSH');
    const dayAfter = await callFixture('established-flagged', 'en', {}, tshOn('2024-01-11'));
    expect(cardOfKind(dayAfter, 'screening-abnormal')!.detail).toContain('- TSH');
  });
  test('phase set by the onset (no registration date): the cards say "after the symptoms began", never "registered"', async () => {
    const body = await callFixture('established-flagged', 'en', {}, (req) => {
      const c = req.prefetch.conditions.entry[0].resource;
      delete c.recordedDate;
      c.onsetDateTime = '2024-01-10';
    });
    expect(cardOfKind(body, 'screening-abnormal')!.detail).toContain('(the diagnosis has no registration date; the onset is used): only results taken after the symptoms began are counted.');
    expect(cardOfKind(body, 'non-pharmacological-treatment')!.detail).toContain('The latest result from before the symptoms began is flagged by the lab: TSH');
    expect(JSON.stringify(body)).not.toContain('registered');
  });
  test('a flagged latest result from before the registration is not counted, but the non-drug card names it until it is answered', async () => {
    const body = await callFixture('established-flagged');
    expect(cardOfKind(body, 'non-pharmacological-treatment')!.detail).toContain('The latest result from before the diagnosis was registered is flagged by the lab: TSH – check that it has been addressed.');
    const da = await callFixture('established-flagged', DA);
    expect(cardOfKind(da, 'non-pharmacological-treatment')!.detail).toContain('Det seneste svar fra før diagnosen blev registreret, er markeret som afvigende af laboratoriet: TSH');
    // Two groups flagged before the registration: the plural.
    const two = await callFixture('established-flagged', 'en', {}, (req) => {
      const crp = req.prefetch.labs.entry[2].resource;
      crp.effectiveDateTime = '2023-12-01';
      crp.interpretation = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }];
    });
    expect(cardOfKind(two, 'non-pharmacological-treatment')!.detail).toContain('The latest results from before the diagnosis was registered are flagged by the lab: TSH, CRP – check that they have been addressed.');
    // Not flagged: nothing said.
    const normal = await callFixture('established-flagged', 'en', {}, (req) => {
      delete req.prefetch.labs.entry[0].resource.interpretation;
      req.prefetch.labs.entry[0].resource.valueQuantity.value = 2.1;
    });
    expect(cardOfKind(normal, 'non-pharmacological-treatment')!.detail).not.toContain('from before the diagnosis');
    // Answered (its work-up card overridden as already addressed): nothing said either.
    const panel = loadScreeningPanelCodes();
    const gsb = loadGsbValueSet([], loadCodeSystems());
    const req = readJson<any>(projectPath('fixtures', 'requests', 'established-flagged.json'));
    const entries = (k: string) => (req.prefetch[k]?.entry ?? []).map((e: any) => e.resource);
    const record = { conditions: entries('conditions'), observations: entries('labs'), serviceRequests: entries('serviceRequests'), patient: req.prefetch.patient };
    const settings = { lookbackDays: 3650, recentDays: 180, pendingDays: 30, allPatientsInScope: false, provisionalMaxDays: 365, minPatientAge: 18 };
    // Answered by its own key (observation id and value, as its work-up card's answer stored it); another key answers nothing.
    const treatment = (...answeredKeys: string[]) =>
      assessPatientView({ ...record, isFlagAnswered: (key) => answeredKeys.includes(key) }, { panel, gsb, nonPharmacological: loadNonPharmacologicalCodes() }, settings, FIXED_NOW).findings.find(
        (f) => f.kind === 'non-pharmacological-treatment',
      ) as { earlierFlagged: string[]; communicateDiagnosis: boolean } | undefined;
    // The CK after the registration answered, the earlier TSH not: named, and no "explain the negative findings" beside it.
    expect(treatment('established-flagged-ck:950')).toMatchObject({ earlierFlagged: ['tsh'], communicateDiagnosis: false });
    expect(treatment('established-flagged-ck:950', 'established-flagged-tsh:7.9')).toMatchObject({ earlierFlagged: [], communicateDiagnosis: true });
  });
  test('hints only in the direction that means something: a low CK gets no myopathy hint', async () => {
    const body = await callFixture('established-flagged', 'en', {}, (req) => {
      const ck = req.prefetch.labs.entry[1].resource;
      ck.valueQuantity.value = 20;
    });
    const card = cardOfKind(body, 'screening-abnormal')!;
    expect(card.detail).toContain('- CK (creatine kinase): 20 U/L (low');
    expect(card.detail).not.toContain('myopathy');
  });
});

describe('patient-view: open orders that could not be read (docs/clinical-rules.md §3.1, §7)', () => {
  const panel = loadScreeningPanelCodes();
  const gsb = loadGsbValueSet([], loadCodeSystems());
  const nonPharmacological = loadNonPharmacologicalCodes();
  const settings = { lookbackDays: 365, recentDays: 180, pendingDays: 30, allPatientsInScope: false, provisionalMaxDays: 365, minPatientAge: 18 };
  const texts = loadCardTexts();
  const record = (serviceRequests: unknown[] | undefined) => ({
    conditions: patientResources('gsb-workup-missing').filter((r): r is fhir4.Condition => r.resourceType === 'Condition'),
    observations: [],
    serviceRequests,
  });
  test.each([
    ['en', 'Open lab orders could not be checked, so no order is suggested.', '**Not taken (16):**', 'not ordered'],
    ['da', 'Åbne laboratoriebestillinger kunne ikke tjekkes; derfor intet bestillingsforslag.', '**Ikke taget (16):**', 'ikke bestilt'],
  ] as const)('the card keeps its list, offers no order and says so, and never calls the tests "not ordered" (%s)', (lang, words, heading, notOrdered) => {
    const a = assessPatientView(record(undefined), { panel, gsb, nonPharmacological }, settings, FIXED_NOW);
    const f = a.findings.find((x): x is ScreeningIncompleteFinding => x.kind === 'screening-incomplete')!;
    expect(f.openOrdersUnknown).toBe(true);
    const card = renderScreeningIncomplete(f, { lang, texts, guidelineUrl: 'https://example.org/g', patientId: 'p' });
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain(words);
    expect(card.detail).toContain(heading);
    expect(card.detail).not.toContain(notOrdered);
    expect(card.summary).toMatch(/TSH/);
    // Read (even empty): orders are suggested.
    const read = assessPatientView(record([]), { panel, gsb, nonPharmacological }, settings, FIXED_NOW).findings.find((x): x is ScreeningIncompleteFinding => x.kind === 'screening-incomplete')!;
    expect(renderScreeningIncomplete(read, { lang, texts, guidelineUrl: 'https://example.org/g', patientId: 'p' }).suggestions).toHaveLength(1);
  });
  test('through HTTP: one ServiceRequest that cannot be read (no status, or a code as a string) may be an open order: no order suggestion either', async () => {
    const { app } = buildTestApp();
    for (const sr of [
      { resourceType: 'ServiceRequest', id: 'sr-1', intent: 'order', subject: { reference: 'Patient/gsb-workup-missing' }, code: { coding: [{ system: 'http://loinc.org', code: '3016-3' }] } },
      { resourceType: 'ServiceRequest', id: 'sr-2', status: 'active', intent: 'order', subject: { reference: 'Patient/gsb-workup-missing' }, code: '3016-3' },
    ]) {
      const req = patientViewRequest('gsb-workup-missing');
      (req.prefetch as any).serviceRequests = searchset([sr as unknown as fhir4.Resource]);
      const card = cardOfKind(expectValidResponse((await request(app).post(URL).send(req)).body), 'screening-incomplete')!;
      expect([sr.id, card.suggestions]).toEqual([sr.id, undefined]);
      expect(card.detail).toContain('Open lab orders could not be checked');
    }
    // The negative: a readable open order of another group keeps the suggestion for the rest.
    const req = patientViewRequest('gsb-workup-missing');
    (req.prefetch as any).serviceRequests = searchset([{ resourceType: 'ServiceRequest', id: 'sr-3', status: 'active', intent: 'order', subject: { reference: 'Patient/gsb-workup-missing' }, authoredOn: '2026-11-20', code: { coding: [{ system: 'http://loinc.org', code: '3016-3' }] } } as unknown as fhir4.Resource]);
    expect(cardOfKind(expectValidResponse((await request(app).post(URL).send(req)).body), 'screening-incomplete')!.suggestions).toHaveLength(1);
  });
  test('through HTTP: an order\'s status in capitals is read ("ACTIVE": pending, not ordered again); "unknown" may be open: nothing is ordered', async () => {
    const { app } = buildTestApp();
    const tsh = (status: string) => ({ resourceType: 'ServiceRequest', id: 'sr-tsh', status, intent: 'order', subject: { reference: 'Patient/gsb-workup-missing' }, authoredOn: '2026-11-20', code: { coding: [{ system: 'http://loinc.org', code: '3016-3' }] } });
    const send = async (status: string) => {
      const req = patientViewRequest('gsb-workup-missing');
      (req.prefetch as any).serviceRequests = searchset([tsh(status) as unknown as fhir4.Resource]);
      return cardOfKind(expectValidResponse((await request(app).post(URL).send(req)).body), 'screening-incomplete')!;
    };
    for (const status of ['ACTIVE', 'Active', 'active']) {
      const card = await send(status);
      expect([status, card.summary.includes('TSH')]).toEqual([status, false]);
      expect(card.suggestions).toHaveLength(1);
    }
    const unknown = await send('unknown');
    expect(unknown.suggestions).toBeUndefined();
    expect(unknown.detail).toContain('Open lab orders could not be checked');
    // Closed in any case: the group is missing again and ordered.
    expect((await send('COMPLETED')).summary).toContain('TSH');
  });
  test('through HTTP: a closed order without a readable code (a completed referral) is no unknown open order: the missing groups are ordered; an open one without a code still stops the orders', async () => {
    const { app } = buildTestApp();
    const send = async (status: string) => {
      const req = patientViewRequest('gsb-workup-missing');
      const referral = { resourceType: 'ServiceRequest', id: 'sr-ref', status, intent: 'order', subject: { reference: 'Patient/gsb-workup-missing' }, category: [{ text: 'Henvisning' }], authoredOn: '2025-01-01' };
      (req.prefetch as any).serviceRequests = searchset([referral as unknown as fhir4.Resource]);
      return cardOfKind(expectValidResponse((await request(app).post(URL).send(req)).body), 'screening-incomplete')!;
    };
    for (const status of ['completed', 'revoked', 'entered-in-error']) {
      const card = await send(status);
      expect([status, card.suggestions?.length]).toEqual([status, 1]);
      expect(card.detail).not.toContain('Open lab orders could not be checked');
    }
    expect((await send('active')).detail).toContain('Open lab orders could not be checked');
  });
  test('through HTTP: serviceRequests as an error OperationOutcome, no fhirServer → no order suggestion', async () => {
    const req = patientViewRequest('gsb-workup-missing');
    (req.prefetch as any).serviceRequests = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] };
    const { app } = buildTestApp();
    const res = await request(app).post(URL).send(req);
    expect(res.status).toBe(200);
    const card = cardOfKind(expectValidResponse(res.body), 'screening-incomplete')!;
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain('Open lab orders could not be checked');
  });
});

describe('patient-view: what the non-drug card and quiet-by-design get (§3.4, §6)', () => {
  const panel = loadScreeningPanelCodes();
  const gsb = loadGsbValueSet([], loadCodeSystems());
  const nonPharmacological = loadNonPharmacologicalCodes();
  const settings = { lookbackDays: 365, recentDays: 180, pendingDays: 30, allPatientsInScope: false, provisionalMaxDays: 365, minPatientAge: 18 };
  const fixtureRecord = (name: string) => {
    const req = readJson<any>(projectPath('fixtures', 'requests', `${name}.json`));
    const entries = (k: string) => (req.prefetch[k].entry ?? []).map((e: any) => e.resource);
    return { conditions: entries('conditions'), observations: entries('labs'), serviceRequests: entries('serviceRequests'), patient: req.prefetch.patient };
  };
  test('not-assessable results with no screening-abnormal card are exposed for the non-drug card, never silent', () => {
    const rec = fixtureRecord('npu-oid-system');
    const ck = rec.observations.find((o: any) => o.id.endsWith('-ck'));
    ck.referenceRange = [{ text: 'Se laboratoriets vejledning' }];
    const a = assessPatientView(rec, { panel, gsb, nonPharmacological }, settings, FIXED_NOW);
    expect(a.findings.map((f) => f.kind)).not.toContain('screening-abnormal');
    expect(a.labs!.notAssessable.map((r) => `${r.groupId}:${r.reason}`)).toEqual(['ck:range-text-only']);
    expect(a.labs!.notAssessableOnAbnormalCard).toBe(false);
    expect(a.labs!.missing).toEqual([]);
  });
  test('lists of missing, pending and stale groups; flagged results with answered false', () => {
    const a = assessPatientView(fixtureRecord('stale-open-orders'), { panel, gsb, nonPharmacological }, settings, FIXED_NOW);
    expect(a.labs).toMatchObject({ missing: ['vitamin-d', 'differential-count'], pending: ['tsh', 'haemoglobin', 'leukocytes', 'platelets'], stale: ['ck', 'esr'] });
    const flagged = assessPatientView(fixtureRecord('text-values-and-flags'), { panel, gsb, nonPharmacological }, settings, FIXED_NOW).labs!.flagged;
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.every((f) => f.answered === false)).toBe(true);
  });
  test('facts: screening-incomplete = sorted missing and stale group ids; screening-abnormal = sorted "observationId:value"', () => {
    const inc = assessPatientView(fixtureRecord('stale-open-orders'), { panel, gsb, nonPharmacological }, settings, FIXED_NOW).findings.find(
      (f): f is ScreeningIncompleteFinding => f.kind === 'screening-incomplete',
    )!;
    expect(screeningIncompleteFacts(inc)).toEqual({ groups: ['ck', 'differential-count', 'esr', 'vitamin-d'] });
    const abn = assessPatientView(fixtureRecord('differential-in-components'), { panel, gsb, nonPharmacological }, settings, FIXED_NOW).findings.find(
      (f): f is ScreeningAbnormalFinding => f.kind === 'screening-abnormal',
    )!;
    expect(screeningAbnormalFacts(abn)).toEqual({ flagged: ['differential-in-components-cbc#6690-2:11.2', 'differential-in-components-cbc#751-8:8.9'] });
  });
});

describe('patient-view: Observations inside a DiagnosticReport (docs/clinical-rules.md §7)', () => {
  test('contained Observations are read, dated by the report when they have no date of their own', async () => {
    const body = await callFixture('diagnosticreport-contained-observations');
    expect(cardOfKind(body, 'screening-incomplete')).toBeUndefined();
    expect(cardOfKind(body, 'screening-abnormal')!.detail).toContain('- TSH: 7.9 mIU/L (high, outside the lab\'s reference range, 2026-10-07)');
  });
  // DiagnosticReport statuses the contained Observations take: appended is final with more added; partial is not final yet.
  const withReportStatus = (status: string) => (req: any) => {
    for (const e of req.prefetch.labs.entry) {
      if (e.resource.resourceType !== 'DiagnosticReport') continue;
      e.resource.status = status;
      for (const c of e.resource.contained) delete c.status;
    }
  };
  test('a report "appended" counts its results like "final"; "partial" leaves them pending, never ordered again', async () => {
    const appended = await callFixture('diagnosticreport-contained-observations', 'en', {}, withReportStatus('appended'));
    expect(cardOfKind(appended, 'screening-incomplete')).toBeUndefined();
    expect(cardOfKind(appended, 'screening-abnormal')!.detail).toContain('- TSH: 7.9 mIU/L (high');
    // Pending only while recent (SCREENING_PENDING_DAYS): the partial report is from five days ago.
    const partial = await callFixture('diagnosticreport-contained-observations', 'en', {}, (req: any) => {
      withReportStatus('partial')(req);
      for (const e of req.prefetch.labs.entry) {
        if (e.resource.resourceType !== 'DiagnosticReport') continue;
        e.resource.effectiveDateTime = '2026-11-20';
        for (const c of e.resource.contained) delete c.effectiveDateTime;
      }
    });
    expect(cardOfKind(partial, 'screening-abnormal')).toBeUndefined();
    const incomplete = cardOfKind(partial, 'screening-incomplete');
    expect(JSON.stringify(incomplete?.suggestions ?? [])).not.toMatch(/3016-3|NPU03577|TSH/);
  });
  test('a report cancelled or entered in error withdraws a contained result that says "final" itself: not flagged, not counted, ordered again', async () => {
    for (const status of ['cancelled', 'entered-in-error']) {
      const body = await callFixture('diagnosticreport-contained-observations', 'en', {}, (req: any) => {
        for (const e of req.prefetch.labs.entry) {
          if (e.resource.resourceType !== 'DiagnosticReport') continue;
          e.resource.status = status;
          for (const c of e.resource.contained) c.status = 'final';
        }
      });
      expect(JSON.stringify(cardOfKind(body, 'screening-abnormal') ?? {})).not.toContain('TSH: 7.9');
      expect(cardOfKind(body, 'screening-incomplete')!.detail).toContain('TSH');
    }
  });
  test('an Observation status in another case ("Final") counts', async () => {
    const body = await callFixture('diagnosticreport-contained-observations', 'en', {}, (req: any) => {
      for (const e of req.prefetch.labs.entry) if (e.resource.resourceType === 'DiagnosticReport') for (const c of e.resource.contained) c.status = 'Final';
    });
    expect(cardOfKind(body, 'screening-incomplete')).toBeUndefined();
    expect(cardOfKind(body, 'screening-abnormal')!.detail).toContain('- TSH: 7.9 mIU/L (high');
  });
});

describe('patient-view: an unreadable resource is skipped and named in one warning (docs/clinical-rules.md §7)', () => {
  // The warning line itself is written by the hook route (test/app/requestLog.test.ts checks it over HTTP).
  test('the call answers with cards; the skipped list names type and id, and the error\'s text (patient data) is logged nowhere', async () => {
    const logs = captureLogs();
    const req = patientViewRequest('gsb-workup-missing') as any;
    const hostile = { resourceType: 'Observation', id: 'odd-1', status: 'final', get code(): never { throw new Error('Hæmoglobin 5,9 secret'); } };
    req.prefetch.labs = { resourceType: 'Bundle', type: 'searchset', total: 1, entry: [{ resource: hostile }] };
    const service = createServices(testConfig(), logs.logger).find((s) => s.id === PATIENT_VIEW_SERVICE_ID)!;
    const call = { ...serviceCall(req), log: logs.logger };
    const answer = await service.call(call);
    expect(answer.cards.map((c) => c.kind)).toContain('screening-incomplete');
    expect(call.skipped.items).toEqual([{ resourceType: 'Observation', id: 'odd-1', reader: 'observation' }]);
    expect(logs.text()).not.toContain('secret');
  });
});

describe('patient-view on a DSTU2 FHIR server: no MedicationRequest, the current drugs are MedicationOrders (docs/clinical-rules.md §3.3, §7.1)', () => {
  const PATIENT = 'gsb-established-complete';
  const activeContalgin = {
    resourceType: 'MedicationOrder',
    id: 'mo-contalgin',
    status: 'active',
    patient: { reference: `Patient/${PATIENT}` },
    medicationCodeableConcept: { text: 'Contalgin 30 mg' },
    dosageInstruction: [{ doseQuantity: { value: 1 }, timing: { repeat: { frequency: 2, period: 1, periodUnits: 'd' } } }],
  };
  let dstu2: FaultyFhirServer;
  beforeAll(async () => {
    dstu2 = await startFaultyFhirServer({ resources: [activeContalgin] as unknown as fhir4.Resource[] });
    dstu2.setFault('MedicationRequest', {
      kind: 'status',
      status: 404,
      body: JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: "Unknown resource type 'MedicationRequest'" }] }),
    });
  });
  afterAll(async () => dstu2?.close());

  test('`medications` not prefetched, MedicationRequest answers 404: the active MedicationOrders are read (asked with `_include` of their Medications) → the current-medication card lists the opioid', async () => {
    const { app } = buildTestApp({ env: GENEROUS_FHIR_TIMEOUTS });
    const res = await request(app).post(URL).send(patientViewRequest(PATIENT, { omit: ['medications'], fhirServer: dstu2.baseUrl }));
    const card = cardOfKind(expectValidResponse(res.body), 'current-medication');
    expect(card?.indicator).toBe('warning');
    expect(card?.detail).toContain('**Contalgin 30 mg**');
    expect(dstu2.requests.map((r) => r.url)).toEqual([
      `/fhir/MedicationRequest?patient=${PATIENT}&status=active&_include=MedicationRequest:medication`,
      `/fhir/MedicationOrder?patient=${PATIENT}&status=active&_include=MedicationOrder:medication`,
    ]);
    // A DSTU2 EHR: the non-drug card's suggestions create DSTU2 ProcedureRequests, which it can create.
    const created = cardOfKind(expectValidResponse(res.body), 'non-pharmacological-treatment')?.suggestions.flatMap((s: { actions: Array<{ resource: { resourceType: string; status: string } }> }) => s.actions.map((a) => a.resource));
    expect(created?.length).toBeGreaterThan(0);
    expect(new Set(created.map((r: { resourceType: string; status: string }) => `${r.resourceType} ${r.status}`))).toEqual(new Set(['ProcedureRequest proposed']));
    // Each referral carries the GSB diagnosis as its reason, as the lab orders do (DSTU2: reasonCodeableConcept).
    for (const r of created) expect(r).toMatchObject({ reasonCodeableConcept: { coding: [expect.objectContaining({ code: expect.any(String) })] } });
  });
});

describe('patient-view on an STU3 or DSTU2 FHIR server: no ServiceRequest, the open lab orders are ProcedureRequests or DiagnosticOrders (docs/clinical-rules.md §3.1, §7.2)', () => {
  const PATIENT = 'gsb-workup-missing';
  const subject = { reference: `Patient/${PATIENT}` };
  const ck = { coding: [{ system: 'http://loinc.org', code: '2157-6' }], text: 'CK' };
  const tsh = { coding: [{ system: 'http://loinc.org', code: '3016-3' }], text: 'TSH' };
  const stu3Order = { resourceType: 'ProcedureRequest', id: 'pr-ck', status: 'suspended', intent: 'order', subject, code: ck, authoredOn: '2026-11-20' };
  const dstu2Order = {
    resourceType: 'DiagnosticOrder',
    id: 'do-ck-tsh',
    status: 'requested',
    subject,
    event: [{ status: 'requested', dateTime: '2026-11-20T09:00:00+01:00' }],
    item: [{ code: ck }, { code: tsh, status: 'completed' }],
  };
  const unknownType = (type: string) => ({
    kind: 'status' as const,
    status: 404,
    body: JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: `Unknown resource type '${type}'` }] }),
  });
  let server: FaultyFhirServer;
  beforeAll(async () => {
    server = await startFaultyFhirServer({ resources: [stu3Order, dstu2Order] as unknown as fhir4.Resource[] });
  });
  afterAll(async () => server?.close());
  beforeEach(() => server.reset());

  /**
   * The tests the screening card orders (the LOINC codes of its suggestion's orders: `code`, a DiagnosticOrder's
   * `item[].code`), the resource types it creates, and the searches the server was asked.
   */
  async function screening(version: 'STU3' | 'DSTU2' | 'R4'): Promise<{ ordered: string[]; created: string[]; asked: string[]; detail: string }> {
    if (version !== 'R4') server.setFault('ServiceRequest', unknownType('ServiceRequest'));
    if (version === 'STU3') server.setFault('DiagnosticOrder', unknownType('DiagnosticOrder'));
    const { app } = buildTestApp({ env: GENEROUS_FHIR_TIMEOUTS });
    const res = await request(app).post(URL).send(patientViewRequest(PATIENT, { omit: ['serviceRequests'], fhirServer: server.baseUrl }));
    const card = cardOfKind(expectValidResponse(res.body), 'screening-incomplete');
    type Coded = { code?: { coding?: Array<{ code?: string }> } };
    const resources: Array<Coded & { resourceType: string; item?: Coded[] }> = (card?.suggestions?.[0]?.actions ?? []).map((a: { resource: unknown }) => a.resource);
    const ordered = resources.flatMap((r) => [r, ...(r.item ?? [])].flatMap((c) => c.code?.coding?.map((x) => x.code ?? '') ?? []));
    return { ordered, created: [...new Set(resources.map((r) => r.resourceType))], asked: server.requests.map((r) => r.url.replace(/\?.*$/, '')), detail: String(card?.detail) };
  }

  test('STU3: ServiceRequest and DiagnosticOrder unknown → the suspended ProcedureRequest for CK is open: CK is not ordered again, TSH is, as an STU3 ProcedureRequest', async () => {
    const r = await screening('STU3');
    expect(r.asked).toEqual(['/fhir/ServiceRequest', '/fhir/DiagnosticOrder', '/fhir/ProcedureRequest']);
    expect(r.ordered).not.toContain('2157-6');
    expect(r.ordered).toContain('3016-3');
    expect(r.created).toEqual(['ProcedureRequest']);
  });

  test('DSTU2: ServiceRequest unknown → the DiagnosticOrder is read item by item: CK open (not ordered again), TSH completed (ordered, as a DiagnosticOrder); ProcedureRequest never asked', async () => {
    const r = await screening('DSTU2');
    expect(r.asked).toEqual(['/fhir/ServiceRequest', '/fhir/DiagnosticOrder']);
    expect(r.ordered).not.toContain('2157-6');
    expect(r.ordered).toContain('3016-3');
    // Ordered as DSTU2 DiagnosticOrders, which that EHR can create.
    expect(r.created).toEqual(['DiagnosticOrder']);
  });

  test('STU3, its ProcedureRequest search hanging: the chain ends at the call\'s one deadline; the card orders nothing and says why', async () => {
    server.setFault('ServiceRequest', unknownType('ServiceRequest'));
    server.setFault('DiagnosticOrder', unknownType('DiagnosticOrder'));
    server.setFault('ProcedureRequest', { kind: 'hang' });
    const logs = captureLogs();
    const { app } = buildTestApp({ env: { FHIR_QUERY_TIMEOUT_MS: '5000', FHIR_REQUEST_DEADLINE_MS: '600' }, logger: logs.logger });
    const res = await request(app).post(URL).send(patientViewRequest(PATIENT, { omit: ['serviceRequests'], fhirServer: server.baseUrl }));
    const card = cardOfKind(expectValidResponse(res.body), 'screening-incomplete');
    expect(card?.suggestions ?? []).toEqual([]);
    expect(card?.detail).toContain('Open lab orders could not be checked');
    // Ended by the call's deadline, not by the 5 s query timeout.
    const warning = logs.lines<{ key?: string; reason?: string }>().find((l) => l.key === 'serviceRequests');
    expect(warning?.reason).toBe('the request deadline passed before the FHIR server answered');
  });

  test('R4 (the control): the server knows ServiceRequest and holds none, so CK is ordered too; nothing else is asked', async () => {
    const r = await screening('R4');
    expect(r.asked).toEqual(['/fhir/ServiceRequest']);
    expect(r.ordered).toEqual(expect.arrayContaining(['2157-6', '3016-3']));
    expect(r.created).toEqual(['ServiceRequest']);
  });
});

describe('patient-view over HTTP: every resource a reader cannot read is named in the one warning line, none that is merely irrelevant (§7)', () => {
  const PATIENT = 'Patient/gsb-workup-missing';
  const bundle = (...resources: unknown[]) => ({ resourceType: 'Bundle', type: 'searchset', total: resources.length, entry: resources.map((resource) => ({ resource })) });
  const obs = (id: string, fields: Record<string, unknown>) => ({ resourceType: 'Observation', id, subject: { reference: PATIENT }, status: 'final', effectiveDateTime: '2026-11-01', valueQuantity: { value: 2, unit: 'mIU/L' }, ...fields });
  const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });
  const order = (id: string, fields: Record<string, unknown>) => ({ resourceType: 'ServiceRequest', id, subject: { reference: PATIENT }, intent: 'order', authoredOn: '2026-11-20', ...fields });
  const med = (id: string, fields: Record<string, unknown>) => ({ resourceType: 'MedicationRequest', id, subject: { reference: PATIENT }, intent: 'order', ...fields });
  const condition = (id: string, code: unknown) => ({ resourceType: 'Condition', id, subject: { reference: PATIENT }, code });

  async function skippedLine(prefetch: Record<string, unknown>): Promise<{ body: { cards: Array<Record<string, any>> }; warnings: Array<Record<string, any>>; text: string }> {
    const logs = captureLogs('info');
    const { app } = buildTestApp({ logger: logs.logger });
    const req = patientViewRequest('gsb-workup-missing') as any;
    const conditions = req.prefetch.conditions.entry.map((e: { resource: unknown }) => e.resource);
    Object.assign(req.prefetch, prefetch);
    if (prefetch.conditions) req.prefetch.conditions = bundle(...conditions, ...(prefetch.conditions as any).entry.map((e: { resource: unknown }) => e.resource));
    const res = await request(app).post(URL).send(req);
    expect(res.status).toBe(200);
    await new Promise((r) => setImmediate(r));
    return { body: expectValidResponse(res.body), warnings: logs.lines<Record<string, any>>().filter((l) => Array.isArray(l.skipped)), text: logs.text() };
  }

  test('malformed Observations, ServiceRequests, Conditions and MedicationRequests are named by type, id, reader and reason; the rest is read', async () => {
    const { body, warnings, text } = await skippedLine({
      labs: bundle(obs('obs-string-code', { code: 'TSH Karen' }), obs('obs-coding-string', { code: { coding: 'NPU03577' } }), obs('obs-no-status', { code: loinc('1988-5'), status: undefined }), obs('obs-ok', { code: loinc('2947-0') })),
      serviceRequests: bundle(order('sr-bad-code', { status: 'active', code: { coding: 'x' } }), order('sr-no-status', { code: loinc('3016-3') })),
      conditions: bundle(condition('cond-string-code', 'M79.7 Karen')),
      medications: bundle(med('mr-string-med', { status: 'active', medicationCodeableConcept: 'oxycodone' }), med('mr-no-status', { medicationCodeableConcept: { text: 'Oxycodone' } })),
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.skipped).toEqual([
      { resourceType: 'Condition', id: 'cond-string-code', reader: 'condition', reason: 'no readable code' },
      { resourceType: 'Observation', id: 'obs-string-code', reader: 'observation', reason: 'no readable code' },
      { resourceType: 'Observation', id: 'obs-coding-string', reader: 'observation', reason: 'no readable code' },
      { resourceType: 'Observation', id: 'obs-no-status', reader: 'observation', reason: 'no status' },
      { resourceType: 'ServiceRequest', id: 'sr-bad-code', reader: 'service-request', reason: 'no readable code' },
      { resourceType: 'ServiceRequest', id: 'sr-no-status', reader: 'service-request', reason: 'no status' },
      { resourceType: 'MedicationRequest', id: 'mr-no-status', reader: 'active-medication', reason: 'no status' },
      { resourceType: 'MedicationRequest', id: 'mr-string-med', reader: 'active-medication', reason: 'no readable medication' },
    ]);
    // The readable sodium result counts; the unreadable ones are not taken for results.
    const summary = cardOfKind(body, 'screening-incomplete')!.summary as string;
    expect(summary).toContain('TSH');
    expect(summary).not.toContain('sodium');
    expect(text).not.toContain('Karen');
  });

  test('the negative: well-formed resources that are merely irrelevant (a code outside the panel or the value set, a closed order, a stopped or unaddressed drug) are not named', async () => {
    const { body, warnings } = await skippedLine({
      labs: bundle(obs('obs-heart-rate', { code: loinc('8867-4') }), obs('obs-text-only', { code: { text: 'Hæmolyseret' } }), obs('obs-ok', { code: loinc('2947-0') })),
      serviceRequests: bundle(order('sr-done', { status: 'completed', code: loinc('3016-3') }), order('sr-xray', { status: 'active', code: { coding: [{ system: 'http://snomed.info/sct', code: '399208008' }] } })),
      conditions: bundle(condition('cond-text-only', { text: 'Ondt i ryggen' }), condition('cond-no-code', undefined), condition('cond-other', { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'J45' }] })),
      medications: bundle(med('mr-stopped', { status: 'stopped', medicationCodeableConcept: 'oxycodone' }), med('mr-paracetamol', { status: 'active', medicationCodeableConcept: { coding: [{ system: 'http://www.whocc.no/atc', code: 'N02BE01' }] } })),
    });
    expect(warnings).toEqual([]);
    expect(cardOfKind(body, 'screening-incomplete')!.summary).not.toContain('sodium');
  });
});

describe('patient-view: results withheld by consent or access rules (an OperationOutcome issue "suppressed", docs/clinical-rules.md §7)', () => {
  const WITHHELD = { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'suppressed', diagnostics: 'Some records are blocked by the patient.' }] };
  /** The request of `fixture` with the withheld outcome in the searchsets of `keys`. */
  function withheldIn(fixture: string, keys: readonly string[]): Record<string, unknown> {
    const req = patientViewRequest(fixture);
    const prefetch = req.prefetch as Record<string, fhir4.Bundle>;
    for (const k of keys) prefetch[k] = { ...prefetch[k]!, entry: [...(prefetch[k]!.entry ?? []), { resource: WITHHELD as fhir4.OperationOutcome, search: { mode: 'outcome' } }] };
    return req;
  }
  async function send(req: Record<string, unknown>, lang = 'en') {
    const res = await request(buildTestApp().app).post(URL).set('Accept-Language', lang).send(req);
    expect(res.status).toBe(200);
    return expectValidResponse(res.body);
  }
  test.each([
    ['en', 'Screening test results not found: ', '**Not found among the results you can see (16):**', '**Some lab results may be withheld from you**', 'Screening tests not taken', '**Not taken, not ordered (16):**'],
    ['da', 'Svar på screeningsprøver ikke fundet: ', '**Ikke fundet blandt de svar, du kan se (16):**', '**Nogle prøvesvar kan være skjult for dig**', 'Screeningsprøver ikke taget', '**Ikke taget og ikke bestilt (16):**'],
  ] as const)('lab results withheld: the screening card says "not found among the results you can see" and why, never "not taken", and still offers the orders (%s)', async (lang, summary, heading, line, notTaken, plainHeading) => {
    const card = cardOfKind(await send(withheldIn('gsb-workup-missing', ['labs']), lang), 'screening-incomplete')!;
    expect(card.summary.startsWith(summary)).toBe(true);
    expect(card.detail).toContain(heading);
    expect(card.detail).toContain(line);
    expect(`${card.summary}${card.detail}`).not.toContain(notTaken);
    expect(card.suggestions).toHaveLength(1);
    // Nothing withheld: the card as before.
    const plain = cardOfKind(await send(patientViewRequest('gsb-workup-missing'), lang), 'screening-incomplete')!;
    expect(plain.summary.startsWith(notTaken)).toBe(true);
    expect(plain.detail).toContain(plainHeading);
    expect(plain.detail).not.toContain(line);
  });
  test('lab results withheld: stale orders are not called "no result", and the order suggestion is for the tests whose results were not found (en, da)', async () => {
    const withWithheldLabs = (req: any) => {
      req.prefetch.labs.entry.push({ resource: WITHHELD, search: { mode: 'outcome' } });
    };
    const en = cardOfKind(await callFixture('stale-open-orders', 'en', {}, withWithheldLabs), 'screening-incomplete')!;
    expect(en.detail).toContain('**Ordered in the work-up, no result among those you can see (2):**');
    expect(en.detail).toContain('- ESR: ordered 2026-02-03 – renew or cancel if the sample was not taken');
    expect(en.detail).toContain('- CK (creatine kinase): ordered, date unknown – renew or cancel if the sample was not taken');
    expect(en.detail).not.toContain('no result –');
    expect(en.suggestions[0].label).toBe('Order the tests whose results were not found (2)');
    const da = cardOfKind(await callFixture('stale-open-orders', 'da-DK', {}, withWithheldLabs), 'screening-incomplete')!;
    expect(da.detail).toContain('- SR (sænkningsreaktion): bestilt 03.02.2026 – forny eller annullér, hvis prøven ikke er taget');
    expect(da.suggestions[0].label).toBe('Bestil prøver, hvis svar ikke er fundet (2)');
    // Nothing withheld: as before.
    expect(cardOfKind(await callFixture('stale-open-orders'), 'screening-incomplete')!.suggestions[0].label).toBe('Order the tests not taken (2)');
  });
  test('lab results read again from the first date the rules count (more pages than FHIR_MAX_PAGES), withheld in that answer: the card says so too', async () => {
    const queries: string[] = [];
    const fetcher: FhirFetcher = {
      async fetch(_server, query) {
        queries.push(query.split('?')[0]!);
        if (!query.includes('date=ge')) throw new FhirFetchError('page-limit', 'the search has more pages than the page limit');
        return [WITHHELD as fhir4.OperationOutcome];
      },
    };
    const req = patientViewRequest('gsb-workup-missing', { omit: ['labs'], fhirServer: 'http://127.0.0.1:9/fhir' });
    const res = await request(buildTestApp({ fetcher }).app).post(URL).send(req);
    expect(res.status).toBe(200);
    expect(queries).toEqual(['Observation', 'Observation']);
    expect(cardOfKind(expectValidResponse(res.body), 'screening-incomplete')!.detail).toContain('**Not found among the results you can see (16):**');
  });
  test('open lab orders withheld: open orders are unknown, so nothing is ordered and the card says so', async () => {
    const card = cardOfKind(await send(withheldIn('gsb-workup-missing', ['serviceRequests'])), 'screening-incomplete')!;
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toContain('Some open lab orders may be withheld from you (the patient may have blocked them, or access rules), so no order is suggested. Ask the patient or the lab whether the tests are already ordered.');
    expect(card.detail).not.toContain('could not be checked');
    expect(card.detail).toContain('**Not taken (16):**');
  });
  test('established phase, lab results withheld: the non-drug card says so beside the groups the screening did not include; with all groups seen, no line', async () => {
    const req = withheldIn('gsb-established-complete', ['labs']);
    const labs = (req.prefetch as Record<string, fhir4.Bundle>).labs!;
    labs.entry = labs.entry!.filter((e) => e.resource?.resourceType === 'OperationOutcome');
    labs.total = 0;
    const card = cardOfKind(await send(req), 'non-pharmacological-treatment')!;
    expect(card.detail).toContain('**Some lab results may be withheld from you**');
    const complete = cardOfKind(await send(withheldIn('gsb-established-complete', ['labs'])), 'non-pharmacological-treatment')!;
    expect(complete.detail).not.toContain('withheld');
  });
  test('drug orders or the shared medication record withheld: the current-medication card says the list may be incomplete (da, en); nothing withheld, no such line', async () => {
    const contalgin = {
      resourceType: 'MedicationRequest',
      id: 'mr-contalgin',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/gsb-established-complete' },
      medicationCodeableConcept: { text: 'Contalgin 30 mg' },
    } as fhir4.MedicationRequest;
    for (const key of ['medications', 'medicationStatements']) {
      const req = withheldIn('gsb-established-complete', [key]);
      const meds = (req.prefetch as Record<string, fhir4.Bundle>).medications!;
      meds.entry = [{ resource: contalgin, search: { mode: 'match' } }, ...(meds.entry ?? [])];
      const en = cardOfKind(await send(req), 'current-medication')!;
      expect([key, en.detail.includes('**The list may be incomplete:** some orders or statements may be withheld from you')]).toEqual([key, true]);
      expect(cardOfKind(await send(req, 'da'), 'current-medication')!.detail).toContain('nogle ordinationer eller registreringer kan være skjult for dig');
    }
    const req = patientViewRequest('gsb-established-complete');
    (req.prefetch as Record<string, fhir4.Bundle>).medications = searchset([contalgin]);
    expect(cardOfKind(await send(req), 'current-medication')!.detail).not.toContain('withheld');
  });
  test('diagnoses withheld and an opioid listed: it may be substitution treatment for a dependence the user cannot see, the card says (da, en); no opioid, or nothing withheld, no such line', async () => {
    const methadone = (id: string, text: string, atc: string) =>
      ({ resourceType: 'MedicationRequest', id, status: 'active', intent: 'order', subject: { reference: 'Patient/gsb-established-complete' }, medicationCodeableConcept: { text, coding: [{ system: 'http://www.whocc.no/atc', code: atc }] } }) as fhir4.MedicationRequest;
    const withDrug = (drug: fhir4.MedicationRequest, keys: string[]) => {
      const req = withheldIn('gsb-established-complete', keys);
      (req.prefetch as Record<string, fhir4.Bundle>).medications = searchset([drug]);
      return req;
    };
    const en = cardOfKind(await send(withDrug(methadone('m', 'Metadon 10 mg', 'N07BC02'), ['conditions'])), 'current-medication')!;
    expect(en.detail).toContain("**Some of the patient's diagnoses may be withheld from you** (the patient may have blocked them, or access rules): an opioid may be substitution treatment for opioid dependence – ask the patient.");
    const da = cardOfKind(await send(withDrug(methadone('m', 'Metadon 10 mg', 'N07BC02'), ['conditions']), 'da'), 'current-medication')!;
    expect(da.detail).toContain('**Nogle af patientens diagnoser kan være skjult for dig**');
    const amitriptyline = cardOfKind(await send(withDrug(methadone('a', 'Amitriptylin 10 mg', 'N06AA09'), ['conditions'])), 'current-medication')!;
    expect(amitriptyline.detail).not.toContain('diagnoses may be withheld');
    const nothingWithheld = cardOfKind(await send(withDrug(methadone('m', 'Metadon 10 mg', 'N07BC02'), [])), 'current-medication')!;
    expect(nothingWithheld.detail).not.toContain('withheld');
  });
});
