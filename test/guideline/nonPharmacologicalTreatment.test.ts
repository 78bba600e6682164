import request from 'supertest';
import { assessNonPharmacologicalTreatment } from '../../src/guideline/nonPharmacologicalTreatment.js';
import type { Scope } from '../../src/guideline/scope.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createServices } from '../../src/services/serviceRegistry.js';
import { loadNonPharmacologicalCodes } from '../../src/terminology/nonPharmacologicalCodes.js';
import { buildTestApp, cardOfKind, expectValidResponse, FIXED_NOW, patientViewRequest, searchset, serviceCall, testConfig } from '../support/testApp.js';

const URL = '/cds-services/nkr-pain-patient-view';
const KIND = 'non-pharmacological-treatment';
const MULTIDISCIPLINARY = '306265007';

type Req = { prefetch: Record<string, any>; context: Record<string, unknown> };

/** The established, complete, normal fixture, reshaped: condition dates, results' dates, edits per result. */
function variant(o: { recorded?: string; onset?: string; verification?: string; resultDate?: string; drop?: string[]; edit?: Record<string, (obs: any) => void> } = {}): Req {
  const req = patientViewRequest('gsb-established-complete') as Req;
  const c = req.prefetch.conditions.entry[0].resource;
  if (o.recorded) c.recordedDate = o.recorded;
  if (o.onset) c.onsetDateTime = o.onset;
  if (o.verification) c.verificationStatus = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: o.verification }] };
  const labs = req.prefetch.labs;
  labs.entry = labs.entry.filter((e: any) => !(o.drop ?? []).includes(e.resource.code.coding[0].code));
  labs.total = labs.entry.length;
  for (const e of labs.entry) {
    if (o.resultDate) e.resource.effectiveDateTime = o.resultDate;
    o.edit?.[e.resource.code.coding[0].code]?.(e.resource);
  }
  return req;
}
const TSH = '3016-3';
const VITAMIN_D = '62292-8';
const ESR = '30341-2';
const flagHigh = (obs: any) => {
  obs.interpretation = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }];
  obs.valueQuantity.value = 9.9;
};
const unassessable = (obs: any) => {
  delete obs.interpretation;
  delete obs.referenceRange;
};

async function card(req: Req, lang = 'en', env: Record<string, string> = {}) {
  const { app } = buildTestApp({ env });
  const res = await request(app).post(URL).set('Accept-Language', lang).send(req);
  expect(res.status).toBe(200);
  const body = expectValidResponse(res.body);
  return { body, card: cardOfKind(body, KIND) };
}
const codesOf = (c: any): string[] => (c.suggestions as any[]).map((s) => s.actions[0].resource.code.coding[0].code);

/** Work-up phase: registered 2026-10-01, results 2026-10-05. */
const WORK_UP = { recorded: '2026-10-01', onset: '2026-09-01', resultDate: '2026-10-05' };

describe('non-drug card: when (docs/clinical-rules.md §3.4)', () => {
  test('work-up, every group done and normal → the card', async () => {
    const { card: c } = await card(variant(WORK_UP));
    expect(c).toBeDefined();
    expect(c!.indicator).toBe('info');
    expect(c!.selectionBehavior).toBe('any');
    expect(c!.suggestions.every((s: any) => s.isRecommended === undefined)).toBe(true);
    expect(c!.detail).toContain('All screening tests have results; no flagged result awaits review.');
  });
  test('work-up with an unanswered flagged result → no card (it waits for the result to be clarified)', async () => {
    const { body } = await card(variant({ ...WORK_UP, edit: { [TSH]: flagHigh } }));
    expect(cardOfKind(body, 'screening-abnormal')).toBeDefined();
    expect(cardOfKind(body, KIND)).toBeUndefined();
  });
  test('work-up with a missing group → no card', async () => {
    expect((await card(variant({ ...WORK_UP, drop: [VITAMIN_D] }))).card).toBeUndefined();
  });
  test('established with missing groups → the card anyway, naming what the screening did not include (da, en)', async () => {
    const req = variant({ drop: [VITAMIN_D, ESR] });
    const en = (await card(req)).card!;
    expect(en.detail).toContain('According to the record, the screening did not include: vitamin D (25-hydroxy), ESR');
    expect(en.detail).toContain('Tests beyond the screening only on a clear clinical indication;');
    expect(en.detail).toContain('The diagnosis was registered more than 180 days (about 6 months) ago.');
    const da = (await card(req, 'da')).card!;
    expect(da.detail).toContain('Ifølge journalen omfattede screeningen ikke: D-vitamin (25-hydroxy), SR (sænkningsreaktion)');
    expect(da.detail).toContain('Undersøgelser ud over screeningen kun på klar lægelig indikation;');
    expect(da.detail).toContain('Diagnosen er registreret for mere end 180 dage (ca. 6 måneder) siden.');
    expect(da.detail).not.toContain('diagnosticeret');
  });
  test('the period is said in months only from 60 days on, and only when it is whole months: 30 days, 60 days (about 2 months), 100 days', async () => {
    const said = async (days: string) => (await card(variant(), 'en', { SCREENING_RECENT_DAYS: days })).card!.detail as string;
    expect(await said('30')).toContain('registered more than 30 days ago.');
    expect(await said('60')).toContain('registered more than 60 days (about 2 months) ago.');
    expect(await said('100')).toContain('registered more than 100 days ago.');
  });
  test('established with one group not included → "the test" (da: "prøven"); a result without a date is counted in a line of its own, as on the screening card', async () => {
    const one = (await card(variant({ drop: [VITAMIN_D] }))).card!;
    expect(one.detail).toContain('the screening did not include: vitamin D (25-hydroxy). Consider whether the test should be taken now.');
    expect(one.detail).not.toContain('without a date');
    expect((await card(variant({ drop: [VITAMIN_D] }), 'da')).card!.detail).toContain('Overvej, om prøven bør tages nu.');
    const undated = (await card(variant({ edit: { [TSH]: (obs: any) => delete obs.effectiveDateTime } }))).card!;
    expect(undated.detail).toContain('the screening did not include: TSH. Consider whether the test should be taken now.');
    expect(undated.detail).toContain('1 result without a date was not counted.');
    expect((await card(variant({ edit: { [TSH]: (obs: any) => delete obs.effectiveDateTime } }), 'da')).card!.detail).toContain('1 prøvesvar uden dato er ikke talt med.');
  });
  test('an undated result beside a complete screening is not mentioned: the line belongs to "did not include"', async () => {
    const req = variant();
    const labs = req.prefetch.labs;
    const tsh = labs.entry.find((e: any) => e.resource.code.coding[0].code === TSH).resource;
    const extra = { ...structuredClone(tsh), id: `${tsh.id}-undated` };
    delete extra.effectiveDateTime;
    labs.entry.push({ resource: extra });
    labs.total = labs.entry.length;
    const c = (await card(req)).card!;
    expect(c.detail).not.toContain('did not include');
    expect(c.detail).not.toContain('without a date');
    // The control: the same undated result, with a group missing, is counted.
    req.prefetch.labs.entry = labs.entry.filter((e: any) => e.resource.code.coding[0].code !== VITAMIN_D);
    req.prefetch.labs.total = req.prefetch.labs.entry.length;
    expect((await card(req)).card!.detail).toContain('1 result without a date was not counted.');
  });
  test('established with an unanswered flag → the card, pointing to the abnormal results, without the "communicate" paragraph', async () => {
    const req = variant({ edit: { [TSH]: flagHigh } });
    const { body, card: en } = await card(req);
    expect(cardOfKind(body, 'screening-abnormal')).toBeDefined();
    // One flagged result (TSH): the singular; two: the plural.
    expect(en!.detail).toContain('There is a flagged result (see the separate card); generalized musculoskeletal pain can coexist with other disease.');
    expect((await card(variant({ edit: { [TSH]: flagHigh, [VITAMIN_D]: flagHigh } }))).card!.detail).toContain('There are flagged results (see the separate card);');
    expect(en!.detail).not.toContain('Communicating the diagnosis');
    expect(en!.detail).toContain('should be physically active');
    const da = (await card(req, 'da')).card!;
    expect(da.detail).toContain('Der er et afvigende svar (se det separate kort); generaliserede smerter kan sameksistere med anden sygdom.');
    expect(da.detail).not.toContain('Når den praktiserende læge vurderer');
  });
  test('work-up: a stale open order (ESR ordered 03.02.2026, no result) withholds the card; the screening card says "renew or cancel" (da, en)', async () => {
    const staleEsr = (req: Req): Req => {
      const order: fhir4.ServiceRequest = { resourceType: 'ServiceRequest', id: 'sr-esr', status: 'active', intent: 'order', subject: { reference: 'Patient/gsb-established-complete' }, code: { coding: [{ system: 'http://loinc.org', code: ESR }] }, authoredOn: '2026-02-03' };
      req.prefetch.serviceRequests = searchset([order]);
      return req;
    };
    const { body } = await card(staleEsr(variant({ ...WORK_UP, drop: [ESR] })));
    expect(cardOfKind(body, KIND)).toBeUndefined();
    expect(cardOfKind(body, 'screening-incomplete')!.detail).toContain('- ESR: ordered 2026-02-03, no result – renew or cancel');
    const da = (await card(staleEsr(variant({ ...WORK_UP, drop: [ESR] })), 'da')).body;
    expect(cardOfKind(da, KIND)).toBeUndefined();
    expect(cardOfKind(da, 'screening-incomplete')!.detail).toContain('- SR (sænkningsreaktion): bestilt 03.02.2026, intet svar – forny eller annullér');
    // Established: no screening card; the non-drug card names the group as not included (§3.1).
    const est = await card(staleEsr(variant({ drop: [ESR] })), 'da');
    expect(cardOfKind(est.body, 'screening-incomplete')).toBeUndefined();
    expect(est.card!.detail).toContain('Ifølge journalen omfattede screeningen ikke: SR (sænkningsreaktion).');
    // A stale CK order beside a missing vitamin D: named in panel order (TSH, CK, vitamin D first), as on the screening card.
    const staleCkMissingD = (req: Req): Req => {
      const order: fhir4.ServiceRequest = { resourceType: 'ServiceRequest', id: 'sr-ck', status: 'active', intent: 'order', subject: { reference: 'Patient/gsb-established-complete' }, code: { coding: [{ system: 'http://loinc.org', code: '2157-6' }] }, authoredOn: '2026-02-03' };
      req.prefetch.serviceRequests = searchset([order]);
      return req;
    };
    const ordered = await card(staleCkMissingD(variant({ drop: [VITAMIN_D, '2157-6'] })), 'en');
    expect(ordered.card!.detail).toContain('According to the record, the screening did not include: CK');
    expect(ordered.card!.detail).toMatch(/the screening did not include: CK[^\n]*, vitamin D/);
  });
  test('established, provisional or differential entry older than SCREENING_PROVISIONAL_MAX_DAYS → "still not recorded as confirmed", never called provisional when it is a differential', async () => {
    const req = variant({ verification: 'provisional' });
    expect((await card(req)).card!.detail).toContain('The diagnosis is still not recorded as confirmed (provisional, differential or unconfirmed).');
    expect((await card(req, 'da')).card!.detail).toContain('Diagnosen er fortsat ikke registreret som bekræftet');
    expect((await card(variant({ verification: 'differential' }))).card!.detail).toContain('still not recorded as confirmed');
    expect((await card(variant())).card!.detail).not.toContain('not recorded as confirmed');
  });
  test('a result that cannot be assessed is listed on this card when there is no screening-abnormal card, and the work-up text does not call the screening clear', async () => {
    const { body, card: c } = await card(variant({ ...WORK_UP, edit: { [TSH]: unassessable } }));
    expect(cardOfKind(body, 'screening-abnormal')).toBeUndefined();
    // Listed as the screening-abnormal card lists them: analyte, value, date (docs/clinical-rules.md §3.2).
    expect(c!.detail).toContain("**Cannot be assessed automatically:**\n\n- TSH 2.1 mIU/L (2026-10-05): cannot be assessed automatically – see the lab's report");
    expect(c!.detail).not.toContain('no flagged result awaits review');
    expect(c!.detail).not.toMatch(/complete|normal/i);
    const daWorkUp = (await card(variant({ ...WORK_UP, edit: { [TSH]: unassessable } }), 'da')).card!;
    expect(daWorkUp.detail).toContain('**Kan ikke vurderes automatisk:**\n\n- TSH 2,1 mIU/L (05.10.2026): kan ikke vurderes automatisk – se laboratoriets svar');
    expect(daWorkUp.detail).not.toMatch(/komplet|normal|Alle screeningsprøver foreligger/i);
    // Established phase: only results after the anchor count (§3.2); a later one is listed with its value and date.
    const established = variant({ edit: { [TSH]: (obs) => { unassessable(obs); obs.effectiveDateTime = '2026-11-02'; obs.valueQuantity.value = 3.75; } } });
    const da = (await card(established, 'da')).card!;
    expect(da.detail).toContain('- TSH 3,75 mIU/L (02.11.2026): kan ikke vurderes automatisk – se laboratoriets svar');
    expect((await card(established)).card!.detail).toContain("- TSH 3.75 mIU/L (2026-11-02): cannot be assessed automatically – see the lab's report");
  });
  test('work-up with a group not taken: no non-drug card yet, so the screening card lists the not-assessable result with value and date (da, en)', async () => {
    const req = variant({ ...WORK_UP, drop: [VITAMIN_D], edit: { [TSH]: unassessable } });
    const en = (await card(req)).body;
    expect(cardOfKind(en, KIND)).toBeUndefined();
    expect(cardOfKind(en, 'screening-abnormal')).toBeUndefined();
    expect(cardOfKind(en, 'screening-incomplete')!.detail).toContain(
      "**Taken, but cannot be assessed automatically:**\n\n- TSH 2.1 mIU/L (2026-10-05): cannot be assessed automatically – see the lab's report",
    );
    const da = (await card(req, 'da')).body;
    expect(cardOfKind(da, 'screening-incomplete')!.detail).toContain('- TSH 2,1 mIU/L (05.10.2026): kan ikke vurderes automatisk – se laboratoriets svar');
    // With a flagged result the screening-abnormal card lists it, and only that card.
    const flagged = (await card(variant({ ...WORK_UP, drop: [VITAMIN_D], edit: { [TSH]: unassessable, [ESR]: flagHigh } }))).body;
    expect(cardOfKind(flagged, 'screening-abnormal')!.detail).toContain('- TSH 2.1 mIU/L (2026-10-05): cannot be assessed automatically');
    expect(cardOfKind(flagged, 'screening-incomplete')!.detail).not.toContain('cannot be assessed automatically');
  });
  test('with a screening-abnormal card the not-assessable results are listed there, not here — unless that kind is disabled', async () => {
    const req = variant({ edit: { [TSH]: flagHigh, [ESR]: unassessable } });
    expect((await card(req)).card!.detail).not.toContain('Cannot be assessed automatically');
    const { body, card: c } = await card(req, 'en', { CARD_KINDS_DISABLED: 'screening-abnormal' });
    expect(cardOfKind(body, 'screening-abnormal')).toBeUndefined();
    // No "see the separate card" when there is none (da, en).
    expect(c!.detail).not.toContain('see the separate card');
    expect(c!.detail).toContain('The lab has flagged a result (see the lab results); generalized musculoskeletal pain can coexist with other disease.');
    const da = (await card(req, 'da', { CARD_KINDS_DISABLED: 'screening-abnormal' })).card!;
    expect(da.detail).not.toContain('se det separate kort');
    expect(da.detail).toContain('Laboratoriet har markeret et afvigende svar (se laboratoriesvarene)');
    expect(c!.detail).toContain("**Cannot be assessed automatically:**\n\n- ESR 8 mm (2024-01-15): cannot be assessed automatically – see the lab's report");
  });
});

describe('non-drug card: what it says (docs/clinical-rules.md §3.4)', () => {
  test('summary at the recommendations\' true strength (da, en)', async () => {
    expect((await card(variant())).card!.summary).toBe('Offer patient education (strong) and CBT for complex problems (strong); consider supervised exercise (weak)');
    expect((await card(variant(), 'da')).card!.summary).toBe('Tilbyd patientuddannelse (stærk) og KAT ved komplekse problemer (stærk); overvej superviseret træning (svag)');
  });
  test('communicating the diagnosis: the guideline\'s own words as a marked quote; physical activity; the mulighedserklæring', async () => {
    const da = (await card(variant(), 'da')).card!;
    expect(da.detail).toContain(
      '> »Når den praktiserende læge vurderer, at patientens generaliserede smerter i bevægeapparatet ikke kan forklares bedre af andre somatiske sygdomme, skal lægen tydeligt kommunikere dette til patienten.',
    );
    expect(da.detail).toContain('> »Alle mennesker, også patienter med generaliserede smerter i bevægeapparatet, bør være fysisk aktive.«');
    expect(da.detail).toContain('mulighedserklæring');
    expect(da.detail).toContain('**Funktionsevne i forhold til arbejde**');
    expect(da.detail).not.toMatch(/arbejdsevne\*\*/i);
    const en = (await card(variant())).card!;
    expect(en.detail).toContain('**Communicating the diagnosis** (good practice). The guideline (our translation):\n\n> “When the GP judges');
    expect(en.detail).toContain('mulighedserklæring');
  });
  // The guideline: »inkluderer altid en fagperson« — includes, not "led by" (rev 2's wording said more than the guideline).
  test('patient education: always includes a health professional', async () => {
    const detail = (await card(variant())).card!.detail;
    expect(detail).toContain('It "always includes a health professional"; "peer-to-peer teaching without a health professional" is not patient education');
    expect(detail).not.toContain('led by');
    expect((await card(variant(), 'da')).card!.detail).toContain('»inkluderer altid en fagperson«');
  });
  test('referral labels as a Danish GP refers', async () => {
    const labels = (await card(variant(), 'da')).card!.suggestions.map((s: any) => s.label);
    expect(labels).toEqual([
      'Patientuddannelse – hos egen læge eller henvisning til forløb',
      'Henvis til psykolog (KAT/ACT) – tilskud kun ved en af de gældende henvisningsårsager',
      'Overvej henvisning til fysioterapeut (superviseret træning)',
      'Kommunalt sundheds-/rehabiliteringstilbud (f.eks. ergoterapi)',
      'Overvej henvisning til tværfagligt smertecenter (komplekse problemstillinger)',
    ]);
  });
  test('multidisciplinary: always named with its qualifier; its referral only when the pain (earliest onset) has lasted > 6 months', async () => {
    // Registered recently, pain since 2020: work-up phase, and the referral is offered.
    const longPain = (await card(variant({ ...WORK_UP, onset: '2020-01-01' }))).card!;
    expect(codesOf(longPain)).toEqual(['311401005', '228557008', '390864007', '308453003', MULTIDISCIPLINARY]);
    // Onset two months ago: named, not suggested.
    const shortPain = (await card(variant(WORK_UP))).card!;
    expect(codesOf(shortPain)).not.toContain(MULTIDISCIPLINARY);
    expect(shortPain.detail).toContain('mainly for pain of more than 6 months with complex problems');
    expect(shortPain.detail).toContain('This service suggests the referral only once the pain has lasted more than 6 months;');
    const da = (await card(variant({ ...WORK_UP }), 'da')).card!;
    expect(da.detail).toContain('overvejende ved smerter af mere end 6 måneders varighed med komplekse problemstillinger');
  });
});

describe('non-drug card: facts and the 6-month rule in guideline/', () => {
  test('the IssuedCard facts (its finding, docs/clinical-rules.md §6): only the phase and the multidisciplinary eligibility', async () => {
    const config = testConfig();
    const service = createServices(config, silentLogger()).find((s) => s.hook === 'patient-view')!;
    const answer = await service.call(serviceCall(variant({ edit: { [TSH]: flagHigh } })));
    const issued = answer.cards.find((c) => c.kind === KIND)!;
    // A new flagged result has its own card; it does not bring an answered non-drug card back.
    expect(issued.facts).toEqual({ phase: 'established', multidisciplinary: true });
  });
  test('the shipped rule is 6 calendar months by Danish dates: more than 6 months → the referral, 6 months or less → not', () => {
    const codes = loadNonPharmacologicalCodes();
    const eligible = (painSince: string): boolean | undefined => {
      const scope: Scope = { inScope: true, anchor: FIXED_NOW, anchorEarliest: FIXED_NOW, anchoredBy: 'registration', painSince: Date.parse(painSince), phase: 'established' };
      const input = { scope, screening: { missing: [], pending: [] }, flags: { flagged: [], notAssessable: [] }, screeningAbnormalCard: false, codes, recentDays: 180 };
      const assessed = assessNonPharmacologicalTreatment(input, FIXED_NOW);
      expect(assessed?.suggested.includes('multidisciplinary')).toBe(assessed?.multidisciplinaryEligible);
      return assessed?.multidisciplinaryEligible;
    };
    // FIXED_NOW is 2026-11-25T12:00Z, 25 November in Denmark. Pain since 25 May (any hour of that Danish
    // day) is exactly 6 months: more than 6 from 26 November. In May Denmark is at UTC+2.
    expect(eligible('2026-04-01')).toBe(true);
    expect(eligible('2026-05-24')).toBe(true);
    expect(eligible('2026-05-24T21:59:59Z')).toBe(true); // 24 May 23:59:59 Danish time
    expect(eligible('2026-05-24T22:00:00Z')).toBe(false); // 25 May 00:00 Danish time
    expect(eligible('2026-05-25T00:00:00Z')).toBe(false);
    expect(eligible('2026-05-26')).toBe(false);
    expect(eligible('2026-08-25')).toBe(false);
  });
  test('6 months from a month\'s last days: from the day after the later month\'s last day, and from Danish midnight', () => {
    const codes = loadNonPharmacologicalCodes();
    const eligibleAt = (painSince: string, now: string): boolean | undefined => {
      const scope: Scope = { inScope: true, anchor: Date.parse(now), anchorEarliest: Date.parse(now), anchoredBy: 'registration', painSince: Date.parse(painSince), phase: 'established' };
      const input = { scope, screening: { missing: [], pending: [] }, flags: { flagged: [], notAssessable: [] }, screeningAbnormalCard: false, codes, recentDays: 180 };
      return assessNonPharmacologicalTreatment(input, Date.parse(now))?.multidisciplinaryEligible;
    };
    // 31 August + 6 months is 28 February 2027 (no 29th): more than 6 months from 1 March, Danish midnight (UTC+1).
    expect(eligibleAt('2026-08-31', '2027-02-28T22:59:59Z')).toBe(false);
    expect(eligibleAt('2026-08-31', '2027-02-28T23:00:00Z')).toBe(true);
    // In a leap year the 29th is the last day.
    expect(eligibleAt('2027-08-31', '2028-02-29T12:00:00Z')).toBe(false);
    expect(eligibleAt('2027-08-31', '2028-03-01T12:00:00Z')).toBe(true);
  });
  test('over HTTP: pain for 7 months → the referral is suggested; for 5 months → named, not suggested', async () => {
    expect(codesOf((await card(variant({ ...WORK_UP, onset: '2026-04-20' }))).card!)).toContain(MULTIDISCIPLINARY);
    expect(codesOf((await card(variant({ ...WORK_UP, onset: '2026-06-20' }))).card!)).not.toContain(MULTIDISCIPLINARY);
  });
  test('onlyAfterMonths in terminology/non-pharmacological.json is what decides', () => {
    const codes = loadNonPharmacologicalCodes();
    const scope: Scope = { inScope: true, anchor: FIXED_NOW, anchorEarliest: FIXED_NOW, anchoredBy: 'registration', painSince: Date.UTC(2026, 1, 1), phase: 'established' };
    const input = { scope, screening: { missing: [], pending: [] }, flags: { flagged: [], notAssessable: [] }, screeningAbnormalCard: false, codes, recentDays: 180 };
    expect(assessNonPharmacologicalTreatment(input, FIXED_NOW)?.multidisciplinaryEligible).toBe(true);
    const twelve = { ...codes, interventions: codes.interventions.map((i) => (i.id === 'multidisciplinary' ? { ...i, onlyAfterMonths: 12 } : i)) };
    expect(assessNonPharmacologicalTreatment({ ...input, codes: twelve }, FIXED_NOW)?.suggested).not.toContain('multidisciplinary');
    const { painSince: _drop, ...noPain } = scope;
    expect(assessNonPharmacologicalTreatment({ ...input, scope: noPain }, FIXED_NOW)?.multidisciplinaryEligible).toBe(false);
  });
  test('work-up: a stale open order or a pending group withholds the card; an answered flag does not', () => {
    const codes = loadNonPharmacologicalCodes();
    const scope: Scope = { inScope: true, anchor: FIXED_NOW, anchorEarliest: FIXED_NOW, anchoredBy: 'registration', phase: 'work-up' };
    const base = { scope, screening: { missing: [], pending: [] }, flags: { flagged: [], notAssessable: [] }, screeningAbnormalCard: false, codes, recentDays: 180 };
    expect(assessNonPharmacologicalTreatment(base, FIXED_NOW)).not.toBeNull();
    expect(assessNonPharmacologicalTreatment({ ...base, screening: { missing: [], pending: [], stale: [{ id: 'tsh' }] } }, FIXED_NOW)).toBeNull();
    expect(assessNonPharmacologicalTreatment({ ...base, screening: { missing: [], pending: [{ id: 'tsh' }] } }, FIXED_NOW)).toBeNull();
    const answered = assessNonPharmacologicalTreatment({ ...base, flags: { flagged: [{ groupId: 'tsh', answered: true }], notAssessable: [] } }, FIXED_NOW);
    expect(answered).toMatchObject({ unansweredFlags: 0, communicateDiagnosis: true, flaggedCount: 1 });
    const established = { ...base, scope: { ...scope, phase: 'established' as const } };
    expect(assessNonPharmacologicalTreatment({ ...established, screening: { missing: [{ id: 'tsh' }], pending: [], stale: [{ id: 'crp' }] } }, FIXED_NOW)?.notIncluded).toEqual(['tsh', 'crp']);
  });
});
