import { ConditionStatuses } from '../../src/model/conditionStatus.js';
import { assessScope, isGsbCondition } from '../../src/guideline/scope.js';
import { loadCodeSystems } from '../../src/terminology/codeSystems.js';
import { loadGsbValueSet } from '../../src/terminology/gsbValueSet.js';
import request from 'supertest';
import { buildTestApp, cardOfKind, expectValidResponse, FIXED_NOW, patientViewRequest, searchset } from '../support/testApp.js';

const systems = loadCodeSystems();
const gsb = loadGsbValueSet([], systems);
const settings = { recentDays: 180, allPatientsInScope: false, provisionalMaxDays: 365, minPatientAge: 18 };

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
    ['http://id.who.int/icd/release/11/mms', 'MG3001'], // ICD-11 without its dot, as the medication reasons read it too
    ['http://snomed.info/sct/', '203082005'], // a trailing slash, https and case do not change the system
    ['https://snomed.info/sct', '203082005'],
    // Danish systems label SKS codes ICD-10 and the other way round; the code tells which it is.
    ['http://hl7.org/fhir/sid/icd-10', 'DM797'],
    ['http://hl7.org/fhir/sid/icd-10', 'DM797A'],
    ['urn:oid:1.2.208.176.2.4', 'M797'],
    ['urn:oid:1.2.208.176.2.4', 'M79.7'],
  ])('%s %s is in the value set', (system, code) => {
    expect(isGsbCondition(condition({ system, code }), gsb)).toBe(true);
  });
  test.each([
    ['http://snomed.info/sct', '82423001'], // chronic pain: not in the deliberately narrow set
    ['http://hl7.org/fhir/sid/icd-10', 'M79.1'],
    ['urn:oid:1.2.208.176.2.4.12', 'DM791'],
    ['http://loinc.org', '203082005'], // right code, wrong system
    ['http://hl7.org/fhir/sid/icd-10', 'DM791'],
    ['http://hl7.org/fhir/sid/icd-10', 'D79.7'], // an ICD-10 D-chapter code, not SKS
    ['urn:oid:1.2.208.176.2.4', 'M791'],
  ])('%s %s is not', (system, code) => {
    expect(isGsbCondition(condition({ system, code }), gsb)).toBe(false);
  });
  test('extra codes from configuration: bare SKS with sub-codes, system|code exact', () => {
    const extended = loadGsbValueSet(['DR522', 'http://snomed.info/sct|82423001'], systems);
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

describe('GSB value set: real-data shapes (docs/clinical-rules.md §2, §7)', () => {
  test.each([
    ['http://hl7.org/fhir/sid/icd-10', 'M797'], // ICD-10 without the dot
    ['http://hl7.dk/fhir/core/CodeSystem/icd10-da', 'm79.7'],
    ['urn:oid:2.16.840.1.113883.6.3', 'M79.7'], // ICD-10 by its OID
    ['urn:oid:2.16.840.1.113883.6.96', '203082005'], // SNOMED CT by its OID
    ['urn:oid:1.2.208.176.2.4', 'DM797B'],
  ])('%s %s is in the value set', (system, code) => {
    expect(isGsbCondition(condition({ system, code }), gsb)).toBe(true);
  });
  test('a coding that is not an array, or junk, is read leniently, never thrown on', () => {
    expect(gsb.has({ coding: { system: 'http://snomed.info/sct', code: '203082005' } })).toBe(true);
    for (const junk of [{ coding: 'M79.7' }, { coding: 42 }, { coding: [null, 7, 'x'] }, 'M79.7', null, [], { coding: [{ system: 5, code: {} }] }]) {
      expect(gsb.has(junk)).toBe(false);
    }
  });
  test('ICPC-2 L18: off by default; text needs GSB words; all takes every L18', () => {
    const l18 = (text?: string) => ({ coding: [{ system: 'http://hl7.org/fhir/sid/icpc-2', code: 'L18', display: 'Muskelsmerter' }], ...(text ? { text } : {}) });
    const oid = { coding: [{ system: 'urn:oid:2.16.840.1.113883.6.139', code: 'L18', display: 'Fibromyalgi' }] };
    expect(gsb.has(l18('Fibromyalgi'))).toBe(false);
    const text = loadGsbValueSet([], systems, 'text');
    expect(text.has(l18('Fibromyalgi'))).toBe(true);
    expect(text.has(l18('Kroniske udbredte smerter'))).toBe(true);
    expect(text.has(l18('Generaliserede smerter i bevægeapparatet'))).toBe(true);
    expect(text.has(l18('chronic widespread pain'))).toBe(true);
    expect(text.has(oid)).toBe(true);
    expect(text.has(l18())).toBe(false);
    expect(text.has(l18('Myalgi efter træning'))).toBe(false);
    const all = loadGsbValueSet([], systems, 'all');
    expect(all.has(l18())).toBe(true);
    expect(all.has({ coding: [{ system: 'http://hl7.org/fhir/sid/icpc-2', code: 'L19' }] })).toBe(false);
  });
  test.each([
    ['resolved', undefined],
    [undefined, 'refuted'],
    [undefined, 'entered-in-error'],
    ['inactive', 'confirmed'],
  ])('STU3/DSTU2 plain-string status clinical=%s verification=%s → out', (c, v) => {
    const cond = { resourceType: 'Condition', code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] }, clinicalStatus: c, verificationStatus: v };
    expect(isGsbCondition(cond, gsb)).toBe(false);
  });
  // Status in words only (text, or a coding with a display and no code): read when it is a status code in words.
  test.each([
    [{ text: 'Resolved' }, undefined],
    [{ coding: [{ display: 'Inactive' }] }, undefined],
    [undefined, { text: 'Entered in Error' }],
    [undefined, { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', display: 'Refuted' }] }],
  ])('status in words only clinical=%j verification=%j → out', (c, v) => {
    const cond = { resourceType: 'Condition', code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] }, clinicalStatus: c, verificationStatus: v };
    expect(isGsbCondition(cond, gsb)).toBe(false);
  });
  // Danish words (terminology/condition-status-words.json), whole text, case and spacing aside.
  test.each([
    [{ text: 'Afsluttet' }, undefined],
    [{ coding: [{ display: 'ikke  aktiv' }] }, undefined],
    [{ text: 'I remission' }, undefined],
    [undefined, { text: 'Afkræftet' }],
    [undefined, { coding: [{ display: 'Fejlregistreret' }] }],
    [undefined, { text: 'registreret ved en fejl' }],
  ])('Danish status words clinical=%j verification=%j → out', (c, v) => {
    const cond = { resourceType: 'Condition', code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] }, clinicalStatus: c, verificationStatus: v };
    expect(isGsbCondition(cond, gsb)).toBe(false);
  });
  test('a plain-string status (STU3/DSTU2) is read through the same words: "Afkræftet", "Entered in Error" → out', () => {
    const cond = (v: unknown) => ({ resourceType: 'Condition', code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] }, verificationStatus: v });
    expect(isGsbCondition(cond('Afkræftet'), gsb)).toBe(false);
    expect(isGsbCondition(cond('Entered in Error'), gsb)).toBe(false);
    expect(isGsbCondition(cond('Bekræftet'), gsb)).toBe(true);
  });
  test('a word listed for two statuses is refused when the words are loaded (the file\'s order would decide)', () => {
    const none = { active: [], recurrence: [], relapse: [], inactive: [], remission: [], resolved: [] };
    const verification = { unconfirmed: [], provisional: [], differential: [], confirmed: [], refuted: [], 'entered-in-error': [] };
    expect(() => new ConditionStatuses({ clinical: { ...none, active: ['aktiv'], inactive: ['aktiv'] }, verification })).toThrow('"aktiv" is listed for both active and inactive');
    expect(() => new ConditionStatuses({ clinical: { ...none, active: ['aktiv'] }, verification })).not.toThrow();
  });
  test('Danish words that say active, confirmed or provisional → in; provisional in words is a work-up entry; a word inside a longer text is no status', () => {
    const cond = (c: unknown, v?: unknown) => ({ resourceType: 'Condition', code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] }, clinicalStatus: c, verificationStatus: v });
    expect(isGsbCondition(cond({ text: 'Aktiv' }, { text: 'Bekræftet' }), gsb)).toBe(true);
    expect(isGsbCondition(cond({ text: 'Tilbagefald' }), gsb)).toBe(true);
    expect(isGsbCondition(cond(undefined, { text: 'Ikke afkræftet endnu' }), gsb)).toBe(true);
    expect(gsb.statuses.isUnconfirmed(cond(undefined, { text: 'Foreløbig' }))).toBe(true);
    expect(gsb.statuses.isUnconfirmed(cond(undefined, { text: 'Bekræftet' }))).toBe(false);
  });
  test('status in words that say active, or words that are no status → in; a code wins over its display', () => {
    const cond = (c: unknown) => ({ resourceType: 'Condition', code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] }, clinicalStatus: c });
    expect(isGsbCondition(cond({ text: 'Active' }), gsb)).toBe(true);
    expect(isGsbCondition(cond({ text: 'Aktuel, følges' }), gsb)).toBe(true);
    expect(isGsbCondition(cond({ text: 'Confirmed' }), gsb)).toBe(true); // a verification word in the clinical status is no clinical status
    expect(isGsbCondition(cond({ coding: [{ code: 'active', display: 'Resolved' }] }), gsb)).toBe(true);
  });
  // FHIR con-4: an abated condition is inactive, resolved or in remission.
  test.each([
    [{ abatementDateTime: '2026-10-01' }, false],
    [{ abatementString: 'ophørt' }, false],
    [{ abatementBoolean: true }, false],
    [{ abatementBoolean: false }, true],
    [{ abatementQuantity: { value: 54, unit: 'a' } }, false], // DSTU2's name for abatementAge
    [{ abatementDateTime: '2026-10-01', clinicalStatus: 'active' }, true], // an explicit status wins (relapse after abatement)
  ])('abatement without a clinical status %j → in scope: %s', (extra, inScope) => {
    const cond = { resourceType: 'Condition', code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] }, ...extra };
    expect(isGsbCondition(cond, gsb)).toBe(inScope);
  });
  test('plain-string active/confirmed → in', () => {
    const cond = { resourceType: 'Condition', code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] }, clinicalStatus: 'active', verificationStatus: 'confirmed' };
    expect(isGsbCondition(cond, gsb)).toBe(true);
  });
});

describe('phase and anchor (docs/clinical-rules.md §2)', () => {
  const fm = { system: 'http://snomed.info/sct', code: '203082005' };
  const scope = (conds: unknown[], extra: Partial<typeof settings> = {}, patient?: unknown) =>
    assessScope(conds, gsb, { ...settings, ...extra }, FIXED_NOW, patient);

  test('the anchor is the registration (recordedDate), not the onset: registered today with onset in 2020 → work-up', () => {
    const s = scope([condition(fm, { onsetDateTime: '2020-01-01', recordedDate: '2026-11-20' })]);
    expect(s).toMatchObject({ phase: 'work-up', anchor: Date.UTC(2026, 10, 20), painSince: Date.UTC(2020, 0, 1) });
  });
  test('STU3 assertedDate anchors: an old diagnosis sent in STU3 shape stays established', () => {
    const s = scope([{ ...condition(fm), assertedDate: '2024-01-10' }]);
    expect(s).toMatchObject({ anchor: Date.UTC(2024, 0, 10), phase: 'established' });
  });
  test('DSTU2 dateRecorded anchors too', () => {
    const s = scope([{ ...condition(fm, { onsetDateTime: '2020-01-01' }), dateRecorded: '2026-11-01' }]);
    expect(s.anchor).toBe(Date.UTC(2026, 10, 1));
  });
  test('no recordedDate → the earliest onset anchors; neither → today', () => {
    expect(scope([condition(fm, { onsetDateTime: '2024-11-01' })])).toMatchObject({ phase: 'established', anchor: Date.UTC(2024, 10, 1) });
    expect(scope([condition(fm, { onsetPeriod: { start: '2026-09-01' } })])).toMatchObject({ phase: 'work-up', anchor: Date.UTC(2026, 8, 1) });
    expect(scope([condition(fm)])).toMatchObject({ anchor: FIXED_NOW, phase: 'work-up' });
    expect(scope([condition(fm)]).painSince).toBeUndefined();
  });
  test('pain duration: onsetAge and onsetRange via the birth date; onsetString ignored; else recordedDate', () => {
    const patient = { resourceType: 'Patient', birthDate: '1980-03-15' };
    expect(scope([condition(fm, { onsetAge: { value: 40, unit: 'years', system: 'http://unitsofmeasure.org', code: 'a' }, recordedDate: '2026-11-01' })], {}, patient).painSince).toBe(Date.UTC(2020, 2, 15));
    expect(scope([condition(fm, { onsetRange: { low: { value: 44, code: 'a' }, high: { value: 45, code: 'a' } }, recordedDate: '2026-11-01' })], {}, patient).painSince).toBe(Date.UTC(2024, 2, 15));
    expect(scope([condition(fm, { onsetString: 'for years', recordedDate: '2026-11-01' })], {}, patient).painSince).toBe(Date.UTC(2026, 10, 1));
    // Units as EHRs write them, read by the one table of time units: "yrs", Danish "år", a code in upper case.
    for (const unit of [{ unit: 'yrs' }, { unit: 'år' }, { code: 'A' }]) {
      expect([unit, scope([condition(fm, { onsetAge: { value: 40, ...unit }, recordedDate: '2026-11-01' })], {}, patient).painSince]).toEqual([unit, Date.UTC(2020, 2, 15)]);
    }
    // Danish "dag" (read before only for a course's length): 14,610 days after 15 March 1980 is 15 March 2020.
    expect(scope([condition(fm, { onsetAge: { value: 14610, unit: 'dag' }, recordedDate: '2026-11-01' })], {}, patient).painSince).toBe(Date.UTC(2020, 2, 15));
    // Without a birth date an onsetAge cannot be placed: recordedDate is the pain's start.
    expect(scope([condition(fm, { onsetAge: { value: 40, code: 'a' }, recordedDate: '2026-11-01' })]).painSince).toBe(Date.UTC(2026, 10, 1));
  });
  test('pain duration: an onsetAge in years with a fraction counts the fraction too (docs/clinical-rules.md §2): 40.5 years is half a year after the 40th birthday', () => {
    const patient = { resourceType: 'Patient', birthDate: '1980-03-15' };
    const halfAYear = 0.5 * 365.25 * 24 * 60 * 60 * 1000;
    expect(scope([condition(fm, { onsetAge: { value: 40.5, code: 'a' }, recordedDate: '2026-11-01' })], {}, patient).painSince).toBe(Date.UTC(2020, 2, 15) + halfAYear);
    // The control: a whole number of years is the birthday itself.
    expect(scope([condition(fm, { onsetAge: { value: 40, code: 'a' }, recordedDate: '2026-11-01' })], {}, patient).painSince).toBe(Date.UTC(2020, 2, 15));
  });
  test('pain duration: the earliest onset over every GSB condition, whichever comes first in the list; a non-GSB condition does not count', () => {
    const old = condition(fm, { id: 'old', onsetDateTime: '2020-01-01', recordedDate: '2026-11-01' });
    const recent = condition({ system: 'http://hl7.org/fhir/sid/icd-10', code: 'M79.7' }, { id: 'recent', onsetDateTime: '2026-10-01', recordedDate: '2026-11-10' });
    expect(scope([old, recent]).painSince).toBe(Date.UTC(2020, 0, 1));
    expect(scope([recent, old]).painSince).toBe(Date.UTC(2020, 0, 1));
    const otherPain = condition({ system: 'http://snomed.info/sct', code: '82423001' }, { onsetDateTime: '2015-01-01' });
    expect(scope([recent, otherPain]).painSince).toBe(Date.UTC(2026, 9, 1));
  });
  test('a registration or onset given only to its month or year counts from its last day, never after today: "more than 6 months" only when every day it allows makes it so', () => {
    // FIXED_NOW is 25 November 2026. "2026" may be November: work-up, anchored today, not established from 1 January.
    expect(scope([condition(fm, { recordedDate: '2026' })])).toMatchObject({ phase: 'work-up', anchor: FIXED_NOW });
    // "2026-05" ends 31 May (Danish day, summer time): fewer than 180 days ago → work-up; "2026-04" ends 30 April → established.
    expect(scope([condition(fm, { recordedDate: '2026-05' })])).toMatchObject({ phase: 'work-up', anchor: Date.UTC(2026, 4, 30, 22) });
    expect(scope([condition(fm, { recordedDate: '2026-04' })]).phase).toBe('established');
    expect(scope([condition(fm, { recordedDate: '2025' })])).toMatchObject({ phase: 'established', anchor: Date.UTC(2025, 11, 30, 23) });
    // STU3 and DSTU2 names, and onset as the anchor, the same way.
    expect(scope([{ ...condition(fm), assertedDate: '2026' }]).phase).toBe('work-up');
    expect(scope([{ ...condition(fm), dateRecorded: '2026-06' }]).phase).toBe('work-up');
    expect(scope([condition(fm, { onsetDateTime: '2026' })]).phase).toBe('work-up');
    // Pain since "2026-05" is not yet more than six months old on 25 November; since "2025" it is.
    expect(scope([condition(fm, { onsetDateTime: '2026-05', recordedDate: '2026-11-01' })]).painSince).toBe(Date.UTC(2026, 4, 30, 22));
    expect(scope([condition(fm, { onsetPeriod: { start: '2025' }, recordedDate: '2026-11-01' })]).painSince).toBe(Date.UTC(2025, 11, 30, 23));
    // A full date is read as written, as before; one after now (a clock ahead of ours) is now.
    expect(scope([condition(fm, { recordedDate: '2026-01-10' })])).toMatchObject({ phase: 'established', anchor: Date.UTC(2026, 0, 10), anchorEarliest: Date.UTC(2026, 0, 10) });
    expect(scope([condition(fm, { recordedDate: '2026-11-30' })])).toMatchObject({ anchor: FIXED_NOW, anchorEarliest: FIXED_NOW });
  });
  test('a registration given only to its year or month: the phase from its last day, the look-back and "before the registration" from its first', () => {
    expect(scope([condition(fm, { recordedDate: '2025' })])).toMatchObject({ anchor: Date.UTC(2025, 11, 30, 23), anchorEarliest: Date.UTC(2025, 0, 1) });
    expect(scope([condition(fm, { recordedDate: '2026' })])).toMatchObject({ anchor: FIXED_NOW, anchorEarliest: Date.UTC(2026, 0, 1) });
    expect(scope([condition(fm, { onsetDateTime: '2020-05-01' })])).toMatchObject({ anchor: Date.UTC(2020, 4, 1), anchorEarliest: Date.UTC(2020, 4, 1), anchoredBy: 'onset' });
  });
  test('registered SCREENING_RECENT_DAYS Danish days ago counts as settled: established, even beside a recent provisional entry', () => {
    // FIXED_NOW is 2026-11-25T12:00Z; 29 May is 180 days before 25 November. Counted in Danish days
    // (summer time, UTC+2): 29 May 23:59:59 Danish time is settled, though less than 180 × 24 hours ago;
    // 30 May 00:00 Danish time (29 May 22:00 UTC) is in the work-up.
    const provisional = condition(fm, { id: 'prov', recordedDate: '2026-11-01', verificationStatus: verification('provisional') });
    for (const atBoundary of ['2026-05-29', '2026-05-29T12:00:00Z', '2026-05-29T21:59:59Z']) {
      expect(scope([provisional, condition(fm, { id: 'confirmed', recordedDate: atBoundary })])).toMatchObject({ phase: 'established', condition: { id: 'confirmed' } });
    }
    for (const justInside of ['2026-05-29T22:00:00Z', '2026-05-30']) {
      expect(scope([provisional, condition(fm, { id: 'confirmed', recordedDate: justInside })]).phase).toBe('work-up');
    }
  });
  test('a provisional entry keeps the work-up for SCREENING_PROVISIONAL_MAX_DAYS Danish days', () => {
    // 25 November 2025 is 365 days before FIXED_NOW (winter time, UTC+1): its Danish day begins 24 November 23:00 UTC.
    const prov = (date: string) => [condition(fm, { recordedDate: date, verificationStatus: verification('provisional') })];
    expect(scope(prov('2025-11-25T22:59:59Z')).phase).toBe('established');
    expect(scope(prov('2025-11-25T23:00:00Z')).phase).toBe('work-up');
    expect(scope(prov('2025-11-26')).phase).toBe('work-up');
  });
  test('confirmed, registered 100 days ago → work-up; SCREENING_RECENT_DAYS moves the boundary', () => {
    const c = [condition(fm, { recordedDate: '2026-08-17' })];
    expect(scope(c).phase).toBe('work-up');
    expect(scope(c, { recentDays: 30 }).phase).toBe('established');
  });
  test('provisional keeps the work-up only for SCREENING_PROVISIONAL_MAX_DAYS (default 365), then established and still provisional', () => {
    const prov = (date: string) => [condition(fm, { recordedDate: date, verificationStatus: verification('provisional') })];
    expect(scope(prov('2026-01-10'))).toMatchObject({ phase: 'work-up', stillProvisional: false });
    expect(scope(prov('2020-01-01'))).toMatchObject({ phase: 'established', stillProvisional: true });
    expect(scope(prov('2026-01-10'), { provisionalMaxDays: 200 })).toMatchObject({ phase: 'established', stillProvisional: true });
    expect(scope([{ ...prov('2026-01-10')[0], verificationStatus: 'differential' }]).phase).toBe('work-up');
  });
  test('a confirmed condition older than SCREENING_RECENT_DAYS makes the patient established whatever a provisional entry says', () => {
    const s = scope([
      condition(fm, { id: 'prov', recordedDate: '2026-10-01', verificationStatus: verification('provisional') }),
      condition({ system: 'http://hl7.org/fhir/sid/icd-10', code: 'M79.7' }, { id: 'confirmed', recordedDate: '2023-01-01' }),
    ]);
    expect(s).toMatchObject({ phase: 'established', stillProvisional: false });
    expect(s.condition?.id).toBe('confirmed');
    // Unverified status (none given) counts as confirmed.
    expect(scope([condition(fm, { recordedDate: '2023-01-01' }), condition(fm, { recordedDate: '2026-11-01', verificationStatus: verification('unconfirmed') })]).phase).toBe('established');
  });
  test('several recent conditions: the earliest-anchored leads', () => {
    const s = scope([condition(fm, { id: 'late', recordedDate: '2026-10-01' }), condition(fm, { id: 'early', recordedDate: '2026-07-01' })]);
    expect(s.condition?.id).toBe('early');
    expect(s.phase).toBe('work-up');
  });
  test('adults only: under MIN_PATIENT_AGE → out of scope; no birth date → in scope, flagged for the log', () => {
    const c = [condition(fm, { recordedDate: '2026-01-01' })];
    expect(scope(c, {}, { resourceType: 'Patient', birthDate: '2010-05-01' })).toMatchObject({ inScope: false, outOfScope: 'under-age' });
    expect(scope(c, {}, { resourceType: 'Patient', birthDate: '2008-11-25' }).inScope).toBe(true); // 18 today
    expect(scope(c, {}, { resourceType: 'Patient', birthDate: '2008-11-26' }).inScope).toBe(false); // 18 tomorrow
    // A birth date given to the month or year only: of age once the latest day it allows is 18 years ago.
    expect(scope(c, {}, { resourceType: 'Patient', birthDate: '2008-11' }).inScope).toBe(false); // may be born 30 November 2008
    expect(scope(c, {}, { resourceType: 'Patient', birthDate: '2008-10' }).inScope).toBe(true);
    expect(scope(c, {}, { resourceType: 'Patient', birthDate: '2008' }).inScope).toBe(false);
    expect(scope(c, {}, { resourceType: 'Patient', birthDate: '2007' }).inScope).toBe(true);
    // A birthday begins at Danish midnight: at 23:30 UTC on 25 November it is 26 November in Denmark.
    const lateEvening = Date.parse('2026-11-25T23:30:00Z');
    expect(assessScope(c, gsb, settings, lateEvening, { resourceType: 'Patient', birthDate: '2008-11-26' }).inScope).toBe(true);
    expect(assessScope(c, gsb, settings, Date.parse('2026-11-25T22:59:59Z'), { resourceType: 'Patient', birthDate: '2008-11-26' }).inScope).toBe(false);
    expect(scope(c, { minPatientAge: 16 }, { resourceType: 'Patient', birthDate: '2010-05-01' }).inScope).toBe(true);
    expect(scope(c)).toMatchObject({ inScope: true, ageUnknown: true });
    expect(scope(c, {}, { resourceType: 'Patient', birthDate: 'unknown' })).toMatchObject({ inScope: true, ageUnknown: true });
    expect(scope([], { allPatientsInScope: true }, { resourceType: 'Patient', birthDate: '2015-01-01' }).inScope).toBe(false);
  });
  test('the reason code handed to suggested orders is well-formed whatever the condition sent', () => {
    const s = scope([{ resourceType: 'Condition', code: { coding: { system: 'http://snomed.info/sct', code: '203082005', display: 7 }, text: 'Fibromyalgi' } }]);
    expect(s.reasonCode).toEqual({ coding: [{ system: 'http://snomed.info/sct', code: '203082005' }], text: 'Fibromyalgi' });
  });
  test('out of scope without GSB, in scope with the demo switch', () => {
    expect(scope([])).toMatchObject({ inScope: false, outOfScope: 'no-gsb-condition' });
    expect(scope([], { allPatientsInScope: true }).inScope).toBe(true);
  });
});

describe('scope through the HTTP API', () => {
  const PV = '/cds-services/nkr-pain-patient-view';
  const SIGN = '/cds-services/nkr-pain-order-sign';
  const fmCoding = { system: 'http://snomed.info/sct', code: '203082005' };

  function patientView(conditions: unknown[], patient: unknown = null) {
    const req = patientViewRequest('gsb-workup-missing') as { context: Record<string, unknown>; prefetch: Record<string, unknown> };
    // The Conditions and Patient here are p1's (another patient's would be skipped, docs/clinical-rules.md §7).
    req.context.patientId = 'p1';
    req.prefetch.conditions = searchset(conditions as fhir4.Resource[]);
    req.prefetch.patient = patient;
    return req;
  }
  function orderSign(conditions: unknown[], patient: unknown = null) {
    const tramadol = { resourceType: 'MedicationRequest', id: 'o1', status: 'draft', intent: 'order', subject: { reference: 'Patient/p1' }, medicationCodeableConcept: { text: 'Nobligan', coding: [{ system: 'http://www.whocc.no/atc', code: 'N02AX02' }] } };
    return {
      hook: 'order-sign',
      hookInstance: '1f0a9a7e-61f5-4b38-8a1a-222222222222',
      context: { patientId: 'p1', userId: 'Practitioner/x', draftOrders: { resourceType: 'Bundle', entry: [{ resource: tramadol }] } },
      prefetch: { conditions: searchset(conditions as fhir4.Resource[]), medications: searchset([]), patient },
    };
  }
  async function post(url: string, body: object, env: Record<string, string> = {}) {
    const { app } = buildTestApp({ env });
    const res = await request(app).post(url).send(body);
    expect(res.status).toBe(200);
    return expectValidResponse(res.body);
  }
  const cond = (extra: Record<string, unknown>) => ({ resourceType: 'Condition', id: 'c1', subject: { reference: 'Patient/p1' }, code: { coding: [fmCoding] }, ...extra });

  test('a Condition whose code.coding is not an array answers 200, on order-sign and on patient-view', async () => {
    for (const coding of ['M79.7', 7, null, [7, 'x']]) {
      const c = cond({ code: { coding } });
      expect((await post(SIGN, orderSign([c, cond({ id: 'c2', code: 'fibromyalgia' })]))).cards).toEqual([]);
      expect((await post(PV, patientView([c]))).cards).toEqual([]);
    }
    // A single coding object is one coding (unit test above); through HTTP it also reaches the medication
    // rules' own condition reading, which is theirs to make lenient.
  });
  test('plain-string clinicalStatus "resolved" and verificationStatus "refuted" put no one in scope', async () => {
    for (const c of [cond({ clinicalStatus: 'resolved' }), cond({ verificationStatus: 'refuted' })]) {
      expect((await post(PV, patientView([c]))).cards).toEqual([]);
      expect((await post(SIGN, orderSign([c]))).cards).toEqual([]);
    }
    expect((await post(PV, patientView([cond({ clinicalStatus: 'active' })]))).cards.length).toBeGreaterThan(0);
  });
  test('a Danish status in words only: "Afkræftet" or "Afsluttet" → no one in scope; "Foreløbig" → the work-up', async () => {
    expect((await post(PV, patientView([cond({ recordedDate: '2022-03-01', verificationStatus: { text: 'Afkræftet' } })]))).cards).toEqual([]);
    expect((await post(PV, patientView([cond({ recordedDate: '2022-03-01', clinicalStatus: { coding: [{ display: 'Afsluttet' }] } })]))).cards).toEqual([]);
    expect(cardOfKind(await post(SIGN, orderSign([cond({ verificationStatus: { text: 'Afkræftet' } })])), 'tramadol')).toBeUndefined();
    const provisional = await post(PV, patientView([cond({ recordedDate: '2026-01-10', verificationStatus: { text: 'Foreløbig' } })]));
    expect(cardOfKind(provisional, 'screening-incomplete')).toBeDefined();
  });
  test('a status in a local code system is read by its display or text: a local "3" displayed "Afkræftet" → no one in scope; a local "1" displayed "Aktiv" → in scope; an unknown code with no readable words is no active status', async () => {
    const LOCAL = 'urn:oid:1.2.208.176.2.99';
    expect((await post(PV, patientView([cond({ recordedDate: '2022-03-01', verificationStatus: { coding: [{ system: LOCAL, code: '3', display: 'Afkræftet' }], text: 'Afkræftet' } })]))).cards).toEqual([]);
    expect(cardOfKind(await post(SIGN, orderSign([cond({ verificationStatus: { coding: [{ system: LOCAL, code: '3' }], text: 'Afkræftet' } })])), 'tramadol')).toBeUndefined();
    expect((await post(PV, patientView([cond({ recordedDate: '2022-03-01', clinicalStatus: { coding: [{ system: LOCAL, code: '1', display: 'Aktiv' }] } })]))).cards.length).toBeGreaterThan(0);
    // A FHIR code beside the local one wins, whatever the order.
    expect((await post(PV, patientView([cond({ recordedDate: '2022-03-01', clinicalStatus: { coding: [{ system: LOCAL, code: '1', display: 'Aktiv' }, { system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' }] } })]))).cards).toEqual([]);
    expect((await post(PV, patientView([cond({ recordedDate: '2022-03-01', clinicalStatus: { coding: [{ system: LOCAL, code: '7' }] } })]))).cards).toEqual([]);
  });
  test('a status sent as a bare Coding (no CodeableConcept around it) is read: refuted, entered in error or resolved → no one in scope; provisional → the work-up', async () => {
    const VER = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
    const CLIN = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
    for (const c of [cond({ verificationStatus: { system: VER, code: 'refuted' } }), cond({ verificationStatus: { code: 'entered-in-error' } }), cond({ clinicalStatus: { system: CLIN, code: 'resolved' } })]) {
      expect((await post(PV, patientView([c]))).cards).toEqual([]);
      expect((await post(SIGN, orderSign([c]))).cards).toEqual([]);
    }
    // Provisional, registered 9 months ago: the work-up (SCREENING_PROVISIONAL_MAX_DAYS), not established as a confirmed one would be.
    const provisional = cond({ recordedDate: '2026-03-01', verificationStatus: { system: VER, code: 'provisional' } });
    expect(cardOfKind(await post(PV, patientView([provisional])), 'screening-incomplete')).toBeDefined();
  });
  test('ICD-10 without the dot puts the patient in scope', async () => {
    const c = cond({ code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'M797' }] } });
    expect(cardOfKind(await post(SIGN, orderSign([c])), 'tramadol')).toBeDefined();
  });
  test('adults only: a 15-year-old gets no cards on either hook; MIN_PATIENT_AGE changes the limit', async () => {
    const teen = { resourceType: 'Patient', id: 'p1', birthDate: '2011-06-01' };
    const c = cond({ recordedDate: '2026-11-01' });
    expect((await post(PV, patientView([c], teen))).cards).toEqual([]);
    expect((await post(SIGN, orderSign([c], teen))).cards).toEqual([]);
    // Not even a draft's GSB reason brings a child in scope.
    const withReason = orderSign([], teen) as any;
    withReason.context.draftOrders.entry[0].resource.reasonCode = [{ coding: [fmCoding] }];
    expect((await post(SIGN, withReason)).cards).toEqual([]);
    expect((await post(PV, patientView([c], teen), { MIN_PATIENT_AGE: '15' })).cards.length).toBeGreaterThan(0);
    const adult = { resourceType: 'Patient', id: 'p1', birthDate: '1980-06-01' };
    expect((await post(PV, patientView([c], adult))).cards.length).toBeGreaterThan(0);
    expect(cardOfKind(await post(SIGN, orderSign([c], adult)), 'tramadol')).toBeDefined();
  });
  test('a patient recorded as deceased gets no cards on either hook, not even by a draft\'s GSB reason; alive (deceasedBoolean false) does', async () => {
    const c = cond({ recordedDate: '2026-11-01' });
    for (const deceased of [{ deceasedBoolean: true }, { deceasedDateTime: '2026-11-30' }]) {
      const patient = { resourceType: 'Patient', id: 'p1', birthDate: '1970-06-01', ...deceased };
      expect((await post(PV, patientView([c], patient))).cards).toEqual([]);
      expect((await post(SIGN, orderSign([c], patient))).cards).toEqual([]);
      const withReason = orderSign([], patient) as any;
      withReason.context.draftOrders.entry[0].resource.reasonCode = [{ coding: [fmCoding] }];
      expect((await post(SIGN, withReason)).cards).toEqual([]);
    }
    const alive = { resourceType: 'Patient', id: 'p1', birthDate: '1970-06-01', deceasedBoolean: false };
    expect((await post(PV, patientView([c], alive))).cards.length).toBeGreaterThan(0);
    expect(cardOfKind(await post(SIGN, orderSign([c], alive)), 'tramadol')).toBeDefined();
  });
  test('an old provisional entry beside a confirmed diagnosis registered long ago: established (no screening card), not a work-up for ever', async () => {
    const provisional = (recordedDate: string) =>
      cond({ id: 'c2', recordedDate, verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'provisional' }] } });
    const confirmed = cond({ recordedDate: '2022-03-01' });
    const both = await post(PV, patientView([confirmed, provisional('2026-10-01')]));
    expect(cardOfKind(both, 'screening-incomplete')).toBeUndefined();
    expect(cardOfKind(both, 'non-pharmacological-treatment')!.detail).toContain('The diagnosis was registered more than 180 days (about 6 months) ago.');
    // The control: the recent provisional entry alone is a work-up.
    expect(cardOfKind(await post(PV, patientView([provisional('2026-10-01')])), 'screening-incomplete')).toBeDefined();
  });
  test('a diagnosis registered only as "2026" is not "registered more than 6 months ago": the work-up, as for one registered today; "2025" is established', async () => {
    const thisYear = await post(PV, patientView([cond({ recordedDate: '2026' })]));
    expect(cardOfKind(thisYear, 'screening-incomplete')).toBeDefined();
    expect(JSON.stringify(thisYear)).not.toContain('more than 180 days');
    const lastYear = await post(PV, patientView([cond({ recordedDate: '2025' })]));
    expect(cardOfKind(lastYear, 'screening-incomplete')).toBeUndefined();
    expect(cardOfKind(lastYear, 'non-pharmacological-treatment')!.detail).toContain('The diagnosis was registered more than 180 days (about 6 months) ago.');
  });
  test('no registration date, only an onset long ago: established by the onset, and the cards say the symptoms began, never "registered"', async () => {
    const body = await post(PV, patientView([cond({ onsetDateTime: '2020-05-01' })]));
    const nonDrug = cardOfKind(body, 'non-pharmacological-treatment')!;
    expect(nonDrug.detail).toContain('The symptoms began more than 180 days (about 6 months) ago; the diagnosis has no registration date.');
    expect(JSON.stringify(body)).not.toContain('registered more than');
    const registered = await post(PV, patientView([cond({ onsetDateTime: '2020-05-01', recordedDate: '2022-03-01' })]));
    expect(cardOfKind(registered, 'non-pharmacological-treatment')!.detail).toContain('The diagnosis was registered more than 180 days (about 6 months) ago.');
  });
  test('onsetAge is placed with the birth date: pain since age 40 (born 1970) makes the multidisciplinary referral due', async () => {
    const MULTIDISCIPLINARY = '306265007';
    const codes = (body: { cards: Array<Record<string, any>> }) =>
      (cardOfKind(body, 'non-pharmacological-treatment')!.suggestions as any[]).map((x) => x.actions[0].resource.code.coding[0].code);
    /** Registered five days ago (work-up), every result taken since and normal: the non-drug card shows. */
    const req = (onset: Record<string, unknown>, birthDate: string | null) => {
      const r = patientViewRequest('gsb-established-complete') as { prefetch: Record<string, any> };
      const c = r.prefetch.conditions.entry[0].resource;
      delete c.onsetDateTime;
      Object.assign(c, { recordedDate: '2026-11-20' }, onset);
      for (const e of r.prefetch.labs.entry) e.resource.effectiveDateTime = '2026-11-21';
      r.prefetch.patient = birthDate === null ? null : { resourceType: 'Patient', id: 'gsb-established-complete', birthDate, gender: 'female' };
      return r;
    };
    const age40 = { onsetAge: { value: 40, unit: 'a', system: 'http://unitsofmeasure.org', code: 'a' } };
    expect(codes(await post(PV, req(age40, '1970-01-20')))).toContain(MULTIDISCIPLINARY);
    // The controls: no onset (pain counted from the registration), or no birth date to place the age.
    expect(codes(await post(PV, req({}, '1970-01-20')))).not.toContain(MULTIDISCIPLINARY);
    expect(codes(await post(PV, req(age40, null)))).not.toContain(MULTIDISCIPLINARY);
  });
  test('ICPC2_L18: off → out; text → in only when the text names GSB; all → every L18', async () => {
    const l18 = (text: string) => cond({ code: { text, coding: [{ system: 'http://hl7.org/fhir/sid/icpc-2', code: 'L18' }] } });
    expect((await post(PV, patientView([l18('Fibromyalgi')]))).cards).toEqual([]);
    expect((await post(PV, patientView([l18('Fibromyalgi')]), { ICPC2_L18: 'text' })).cards.length).toBeGreaterThan(0);
    expect((await post(PV, patientView([l18('Myalgi')]), { ICPC2_L18: 'text' })).cards).toEqual([]);
    expect((await post(SIGN, orderSign([l18('Myalgi')]), { ICPC2_L18: 'all' })).cards.length).toBeGreaterThan(0);
  });
});
