import { assessScope, isGsbCondition } from '../../src/guideline/scope.js';
import { loadGsbValueSet } from '../../src/terminology/gsbValueSet.js';
import { FIXED_NOW } from '../support/testApp.js';

const gsb = loadGsbValueSet([]);
const settings = { recentDays: 180, allPatientsInScope: false };

function condition(coding: fhir4.Coding, extra: Partial<fhir4.Condition> = {}): fhir4.Condition {
  return { resourceType: 'Condition', subject: { reference: 'Patient/p' }, code: { coding: [coding] }, ...extra };
}
const status = (system: string, code: string): fhir4.CodeableConcept => ({ coding: [{ system, code }] });
const clinical = (c: string) => status('http://terminology.hl7.org/CodeSystem/condition-clinical', c);
const verification = (c: string) => status('http://terminology.hl7.org/CodeSystem/condition-ver-status', c);

describe('GSB value set', () => {
  test.each([
    ['http://snomed.info/sct', '203082005'],
    ['http://hl7.org/fhir/sid/icd-10', 'M79.7'],
    ['http://hl7.dk/fhir/core/CodeSystem/icd10-da', 'M79.7'],
    ['urn:oid:1.2.208.176.2.4.12', 'DM797'],
    ['urn:oid:1.2.208.176.2.4', 'DM797A'],
    ['http://id.who.int/icd/release/11/mms', 'MG30.01'],
  ])('%s %s is in the value set', (system, code) => {
    expect(isGsbCondition(condition({ system, code }), gsb)).toBe(true);
  });
  test.each([
    ['http://snomed.info/sct', '82423001'], // chronic pain: not in the deliberately narrow set
    ['http://hl7.org/fhir/sid/icd-10', 'M79.1'],
    ['urn:oid:1.2.208.176.2.4.12', 'DM791'],
    ['http://loinc.org', '203082005'], // right code, wrong system
  ])('%s %s is not', (system, code) => {
    expect(isGsbCondition(condition({ system, code }), gsb)).toBe(false);
  });
  test('extra codes from configuration: bare SKS with sub-codes, system|code exact', () => {
    const extended = loadGsbValueSet(['DR522', 'http://snomed.info/sct|82423001']);
    expect(isGsbCondition(condition({ system: 'urn:oid:1.2.208.176.2.4.12', code: 'DR522A' }), extended)).toBe(true);
    expect(isGsbCondition(condition({ system: 'http://snomed.info/sct', code: '82423001' }), extended)).toBe(true);
    expect(isGsbCondition(condition({ system: 'http://snomed.info/sct', code: '8242300' }), extended)).toBe(false);
  });
  test.each(['entered-in-error', 'refuted'])('verification %s → out', (v) => {
    expect(isGsbCondition(condition({ system: 'http://snomed.info/sct', code: '203082005' }, { verificationStatus: verification(v) }), gsb)).toBe(false);
  });
  test.each(['inactive', 'remission', 'resolved'])('clinical status %s → out', (c) => {
    expect(isGsbCondition(condition({ system: 'http://snomed.info/sct', code: '203082005' }, { clinicalStatus: clinical(c) }), gsb)).toBe(false);
  });
  test.each(['active', 'recurrence', 'relapse'])('clinical status %s → in', (c) => {
    expect(isGsbCondition(condition({ system: 'http://snomed.info/sct', code: '203082005' }, { clinicalStatus: clinical(c) }), gsb)).toBe(true);
  });
  test.each(['provisional', 'differential', 'unconfirmed'])('verification %s counts (the work-up is when screening matters)', (v) => {
    expect(isGsbCondition(condition({ system: 'http://snomed.info/sct', code: '203082005' }, { verificationStatus: verification(v) }), gsb)).toBe(true);
  });
});

describe('phase and anchor', () => {
  const fm = { system: 'http://snomed.info/sct', code: '203082005' };
  test('confirmed, onset 2 years ago → established, anchored at the onset', () => {
    const s = assessScope([condition(fm, { onsetDateTime: '2024-11-01' })], gsb, settings, FIXED_NOW);
    expect(s).toMatchObject({ inScope: true, phase: 'established', anchor: Date.UTC(2024, 10, 1) });
  });
  test('confirmed, onset 100 days ago → work-up', () => {
    expect(assessScope([condition(fm, { onsetDateTime: '2026-08-17' })], gsb, settings, FIXED_NOW).phase).toBe('work-up');
  });
  test('provisional, onset long ago → work-up', () => {
    expect(assessScope([condition(fm, { onsetDateTime: '2020-01-01', verificationStatus: verification('provisional') })], gsb, settings, FIXED_NOW).phase).toBe('work-up');
  });
  test('the earliest of onset and recordedDate anchors; no date → today', () => {
    expect(assessScope([condition(fm, { onsetDateTime: '2025-06-01', recordedDate: '2025-03-01' })], gsb, settings, FIXED_NOW).anchor).toBe(Date.UTC(2025, 2, 1));
    expect(assessScope([condition(fm)], gsb, settings, FIXED_NOW)).toMatchObject({ anchor: FIXED_NOW, phase: 'work-up' });
  });
  test('several GSB conditions: the earliest anchored leads', () => {
    const s = assessScope(
      [condition(fm, { id: 'late', onsetDateTime: '2026-10-01' }), condition({ system: 'http://hl7.org/fhir/sid/icd-10', code: 'M79.7' }, { id: 'early', onsetDateTime: '2023-01-01' })],
      gsb,
      settings,
      FIXED_NOW,
    );
    expect(s.condition?.id).toBe('early');
    expect(s.phase).toBe('established');
  });
  test('SCREENING_RECENT_DAYS moves the boundary', () => {
    const c = [condition(fm, { onsetDateTime: '2026-08-17' })];
    expect(assessScope(c, gsb, { ...settings, recentDays: 30 }, FIXED_NOW).phase).toBe('established');
  });
  test('out of scope without GSB, in scope with the demo switch', () => {
    expect(assessScope([], gsb, settings, FIXED_NOW).inScope).toBe(false);
    expect(assessScope([], gsb, { ...settings, allPatientsInScope: true }, FIXED_NOW).inScope).toBe(true);
  });
});
