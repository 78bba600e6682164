/**
 * Hook request bodies that exercise many rules at once, for the tests that hold every answer to a property
 * (test/hardening/: orderIndependence, timeShift, equivalentRecords, orderHooksAgree, fhirVersions,
 * pagedRecords, olderHistory, prefetchOrServer): every request fixture, every fixture patient, the bench's
 * bodies, a patient on several drugs of each kind (some listed twice), results that tie and several open
 * orders of one test, results withdrawn by their report.
 */
import { readdirSync } from 'node:fs';
import { orderSelectBody, orderSignBody, patientViewBody } from '../../bench/bodies.js';
import { projectPath } from '../../src/projectRoot.js';
import request from 'supertest';
import { expectValidResponse, FIXED_NOW, patientViewRequest, readJson, searchset, type TestApp } from './testApp.js';

export const HOOK_ROUTES: Record<string, string> = {
  'patient-view': '/cds-services/nkr-pain-patient-view',
  'order-select': '/cds-services/nkr-pain-order-select',
  'order-sign': '/cds-services/nkr-pain-order-sign',
};

/** Keys in a fixed order: an update action sends the draft back as the EHR wrote it, keys in its order. */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).filter(([k]) => k !== 'uuid');
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, canonical(v)]));
}

/** An answer as the property tests compare it: its cards, schema-checked, without uuids, keys and cards in a fixed order; else its status. */
export function cardsOf(status: number, body: unknown): string[] {
  if (status !== 200) return [`status ${status}`];
  return expectValidResponse(body)
    .cards.map((c) => JSON.stringify(canonical(c)))
    .sort();
}

/** A sample body sent to its hook's route, its answer as `cardsOf` gives it. */
export async function answerOf(app: TestApp['app'], body: Record<string, unknown>): Promise<string[]> {
  const res = await request(app).post(HOOK_ROUTES[String(body.hook)]!).send(body);
  return cardsOf(res.status, res.body);
}

/** A patient on several drugs of each kind the guideline names, some listed twice (an order and the record). */
const ATC = 'http://www.whocc.no/atc';
const subject = { reference: 'Patient/p-many' };
const drug = (id: string, code: string, text: string, extra: Partial<fhir4.MedicationRequest> = {}): fhir4.MedicationRequest => ({
  resourceType: 'MedicationRequest',
  id,
  status: 'active',
  intent: 'order',
  subject,
  authoredOn: '2026-05-01',
  medicationCodeableConcept: { text, coding: [{ system: ATC, code }] },
  ...extra,
});
const morning: Partial<fhir4.MedicationRequest> = { dosageInstruction: [{ timing: { repeat: { when: ['MORN'] } } }] };
const bedtime: Partial<fhir4.MedicationRequest> = { dosageInstruction: [{ timing: { repeat: { when: ['HS'] } } }] };
const manyActive = [
  drug('morphine', 'N02AA01', 'Contalgin 30 mg depottablet'),
  drug('oxycodone', 'N02AA05', 'Oxycodon 10 mg depottablet'),
  drug('fentanyl', 'N02AB03', 'Fentanyl 12 mikrogram/time depotplaster'),
  drug('ami-1', 'N06AA09', 'Amitriptylin 10 mg tablet', morning),
  drug('ami-2', 'N06AA09', 'Amitriptylin 10 mg tablet', bedtime),
  drug('sertraline', 'N06AB06', 'Sertralin 50 mg tablet'),
  drug('citalopram', 'N06AB04', 'Citalopram 20 mg tablet'),
  drug('pregabalin', 'N02BF02', 'Pregabalin 75 mg kapsel'),
  drug('gabapentin', 'N02BF01', 'Gabapentin 300 mg kapsel'),
  // Cannot be read or identified: the card counts them ("1 active order could not be read").
  drug('no-drug-known', '', '', { medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/not-sent' } }),
  drug('no-status', 'N02AX02', 'Tramadol 50 mg kapsel', { status: undefined as unknown as fhir4.MedicationRequest['status'] }),
];
const manyRecord: fhir4.MedicationStatement[] = [
  { resourceType: 'MedicationStatement', id: 'fmk-oxy', status: 'active', subject, medicationCodeableConcept: { text: 'Oxycodon 10 mg depottablet', coding: [{ system: ATC, code: 'N02AA05' }] } },
  { resourceType: 'MedicationStatement', id: 'fmk-duloxetine', status: 'active', subject, medicationCodeableConcept: { text: 'Duloxetin 30 mg kapsel', coding: [{ system: ATC, code: 'N06AX21' }] } },
];
const manyConditions: fhir4.Condition[] = [
  { resourceType: 'Condition', id: 'fm', subject, recordedDate: '2025-01-10', clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] }, code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] } },
];
const palexia: fhir4.Medication = { resourceType: 'Medication', id: 'palexia', code: { text: 'Palexia depot 50 mg', coding: [{ system: ATC, code: 'N02AX06' }] } };
const ordersWithReference = [...manyActive, drug('by-reference', '', '', { medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/palexia' } })];
const manyPrefetch = {
  patient: { resourceType: 'Patient', id: 'p-many', birthDate: '1970-01-01' },
  conditions: searchset(manyConditions),
  labs: searchset([]),
  // One order names its drug by a reference to a Medication that came with the search (`_include`).
  medications: { ...searchset(ordersWithReference), entry: [...ordersWithReference.map((resource) => ({ resource })), { resource: palexia, search: { mode: 'include' as const } }] },
  medicationStatements: searchset(manyRecord),
  serviceRequests: searchset([]),
};
const targin: fhir4.Medication = { resourceType: 'Medication', id: 'med1', ingredient: [{ itemCodeableConcept: { text: 'naloxon' } }, { itemCodeableConcept: { text: 'oxycodon' } }] };
const manyDrafts = {
  resourceType: 'Bundle',
  type: 'collection',
  entry: [
    drug('d-tramadol', 'N02AX02', 'Tramadol 50 mg kapsel', { status: 'draft' }),
    drug('d-morphine', 'N02AA01', 'Morfin 10 mg tablet', { status: 'draft' }),
    drug('d-ami', 'N06AA09', 'Amitriptylin 25 mg tablet', { status: 'draft', ...morning }),
    drug('d-sertraline', 'N06AB06', 'Sertralin 100 mg tablet', { status: 'draft' }),
    drug('d-pregabalin', 'N02BF02', 'Pregabalin 150 mg kapsel', { status: 'draft' }),
    drug('d-duloxetine', 'N06AX21', 'Duloxetin 60 mg kapsel', { status: 'draft' }),
    drug('d-ami-two-doses', 'N06AA09', 'Amitriptylin 10 mg tablet', {
      status: 'draft',
      dosageInstruction: [
        { timing: { repeat: { when: ['MORN'] } }, doseAndRate: [{ doseQuantity: { value: 10, unit: 'mg' } }] },
        { timing: { repeat: { when: ['HS'] } }, doseAndRate: [{ doseQuantity: { value: 25, unit: 'mg' } }] },
      ],
    }),
    drug('d-citalopram-reasons', 'N06AB04', 'Citalopram 10 mg tablet', {
      status: 'draft',
      reasonCode: [{ coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'F32.1' }] }, { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'M79.7' }] }],
    }),
    drug('d-targin', '', '', { status: 'draft', medicationCodeableConcept: undefined, medicationReference: { reference: '#med1' }, contained: [targin] }),
  ].map((resource) => ({ resource })),
};
const many = (hook: string, context: Record<string, unknown>): Record<string, unknown> => ({
  hook,
  hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2eb',
  context: { userId: 'Practitioner/x', patientId: 'p-many', ...context },
  prefetch: manyPrefetch,
});

/** Results that tie: the same test at the same time, in the searchset and in a report, several open orders of one test. */
const LOINC = 'http://loinc.org';
const lab = (id: string, code: string, value: number | string, at: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  subject: { reference: 'Patient/p-many' },
  code: { coding: [{ system: LOINC, code }] },
  effectiveDateTime: at,
  ...(typeof value === 'number' ? { valueQuantity: { value, unit: 'mIU/L' } } : { valueString: value }),
  referenceRange: [{ low: { value: 0.3 }, high: { value: 4.0 } }],
  ...extra,
});
const tiedLabs = [
  lab('tsh-a', '3016-3', 2.1, '2026-10-01T08:00:00Z'),
  lab('tsh-b', '3016-3', 6.5, '2026-10-01T08:00:00Z', { interpretation: [{ coding: [{ code: 'H' }] }] }),
  lab('tsh-c', '3016-3', 'hæmolyseret', '2026-10-01T08:00:00Z'),
  lab('ck-a', '2157-6', 'se note', '2026-09-01'),
  lab('ck-b', '2157-6', '1.234', '2026-09-01'),
  lab('crp-a', '1988-5', 12, '2026-09-02T10:00:00+02:00', { referenceRange: [{ high: { value: 8 } }] }),
  lab('crp-b', '1988-5', 3, '2026-09-02T08:00:00Z', { referenceRange: [{ high: { value: 8 } }] }),
  { resourceType: 'DiagnosticReport', id: 'rep', status: 'final', subject: { reference: 'Patient/p-many' }, code: { text: 'Blodprøver' }, result: [{ reference: 'Observation/tsh-a' }, { reference: 'Observation/crp-b' }] },
];
const openOrder = (id: string, code: string, authoredOn: string): Record<string, unknown> => ({
  resourceType: 'ServiceRequest',
  id,
  status: 'active',
  intent: 'order',
  subject: { reference: 'Patient/p-many' },
  code: { coding: [{ system: LOINC, code }] },
  authoredOn,
});
const tiedPrefetch = {
  ...manyPrefetch,
  conditions: searchset(manyConditions.map((c) => ({ ...c, recordedDate: '2026-11-01' }))),
  labs: { resourceType: 'Bundle', type: 'searchset', entry: tiedLabs.map((resource) => ({ resource })) },
  serviceRequests: {
    resourceType: 'Bundle',
    type: 'searchset',
    entry: [openOrder('sr-1', '1989-3', '2026-11-20'), openOrder('sr-2', '1989-3', '2025-01-01'), openOrder('sr-3', '718-7', '2026-11-02')].map((resource) => ({ resource })),
  },
};

/**
 * A report entered in error withdraws the results it lists (a high TSH and CRP, listed before it), whatever their
 * own status; the results it does not list count.
 */
const withdrawnLabs = [
  lab('tsh-high', '3016-3', 9.5, '2026-11-02T08:00:00Z', { interpretation: [{ coding: [{ code: 'H' }] }] }),
  lab('crp-high', '1988-5', 40, '2026-11-02T08:00:00Z', { referenceRange: [{ high: { value: 8 } }] }),
  lab('tsh-earlier', '3016-3', 2.1, '2026-10-01T08:00:00Z'),
  lab('ck', '2157-6', 120, '2026-10-01T08:00:00Z', { referenceRange: [{ high: { value: 200 } }] }),
  { resourceType: 'DiagnosticReport', id: 'rep-withdrawn', status: 'entered-in-error', subject, code: { text: 'Blodprøver' }, result: [{ reference: 'Observation/tsh-high' }, { reference: 'Observation/crp-high' }] },
];
const withdrawnPrefetch = {
  ...manyPrefetch,
  conditions: searchset(manyConditions.map((c) => ({ ...c, recordedDate: '2026-11-01' }))),
  labs: { resourceType: 'Bundle', type: 'searchset', entry: withdrawnLabs.map((resource) => ({ resource })) },
};

/** The bodies, each with a name for its test. */
export const SAMPLE_BODIES: Array<[string, Record<string, unknown>]> = [
  ['results that tie, open orders of one test: patient-view', { ...many('patient-view', {}), prefetch: tiedPrefetch }],
  ['results withdrawn by their report: patient-view', { ...many('patient-view', {}), prefetch: withdrawnPrefetch }],
  ['several drugs of each kind: patient-view', many('patient-view', {})],
  ['several drugs of each kind: order-select', many('order-select', { draftOrders: manyDrafts, selections: ['MedicationRequest/d-tramadol', 'MedicationRequest/d-morphine', 'MedicationRequest/d-ami', 'MedicationRequest/d-sertraline', 'MedicationRequest/d-ami-two-doses', 'MedicationRequest/d-citalopram-reasons', 'MedicationRequest/d-targin'] })],
  ['several drugs of each kind: order-sign', many('order-sign', { draftOrders: manyDrafts })],
  ...readdirSync(projectPath('fixtures', 'requests')).map((f): [string, Record<string, unknown>] => [f, readJson(projectPath('fixtures', 'requests', f))]),
  ...readdirSync(projectPath('fixtures', 'patients')).map((f): [string, Record<string, unknown>] => [`patient ${f}`, patientViewRequest(f.replace(/\.json$/, ''))]),
  ['bench patient-view, 200 Observations', patientViewBody({ observations: 200 }, FIXED_NOW)],
  ['bench order-select, tramadol', orderSelectBody(FIXED_NOW)],
  ['bench order-sign, 5 drafts', orderSignBody(FIXED_NOW)],
];
