/**
 * Request bodies for the benchmark, generated (deterministically) rather than stored: patient-view with
 * a full screening panel and its history, order-select with the CDS Hooks sandbox's tramadol request,
 * order-sign with five drafts, and patient-view without prefetch for the FHIR-server fallback.
 * test/bench/bodies.test.ts checks that every body is a valid request (schemas/request.schema.json).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(join(root, ...parts), 'utf8')) as T;
}

const LOINC = 'http://loinc.org';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const SNOMED = 'http://snomed.info/sct';
/** The day the bodies describe; the service's clock is real, so results are dated relative to it. */
const DAY_MS = 86_400_000;

interface PanelGroup {
  id: string;
  primary: { loinc: string };
}

/** One plausible value, unit and range per panel group (the numbers only need to look like lab results). */
const VALUES: Record<string, { value: number; unit: string; low: number; high: number }> = {
  tsh: { value: 2.1, unit: 'mIU/L', low: 0.3, high: 4.0 },
  ck: { value: 120, unit: 'U/L', low: 40, high: 280 },
  'vitamin-d': { value: 62, unit: 'nmol/L', low: 50, high: 160 },
  haemoglobin: { value: 8.4, unit: 'mmol/L', low: 7.3, high: 9.5 },
  leukocytes: { value: 6.2, unit: '10*9/L', low: 3.5, high: 8.8 },
  'differential-count': { value: 3.6, unit: '10*9/L', low: 1.6, high: 5.9 },
  platelets: { value: 260, unit: '10*9/L', low: 145, high: 390 },
  crp: { value: 3, unit: 'mg/L', low: 0, high: 8 },
  esr: { value: 12, unit: 'mm/h', low: 0, high: 20 },
  creatinine: { value: 72, unit: 'umol/L', low: 45, high: 90 },
  'urine-albumin-creatinine-ratio': { value: 1.2, unit: 'mg/mmol', low: 0, high: 3 },
  albumin: { value: 40, unit: 'g/L', low: 36, high: 48 },
  sodium: { value: 140, unit: 'mmol/L', low: 137, high: 145 },
  potassium: { value: 4.0, unit: 'mmol/L', low: 3.5, high: 4.4 },
  alat: { value: 25, unit: 'U/L', low: 10, high: 45 },
  calcium: { value: 2.4, unit: 'mmol/L', low: 2.15, high: 2.51 },
};

export const PATIENT_ID = 'bench-patient-1';

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function searchset(resources: readonly fhir4.Resource[]): fhir4.Bundle {
  return { resourceType: 'Bundle', type: 'searchset', total: resources.length, entry: resources.map((resource) => ({ resource })) };
}

function panelGroups(): PanelGroup[] {
  return readJson<{ groups: PanelGroup[] }>('terminology', 'screening-panel.json').groups;
}

/**
 * `count` laboratory Observations: the whole panel, newest first, then the same panel again at
 * earlier dates (history), one result every few days. Every 7th result is flagged high.
 */
export function observations(count: number, now: number = Date.now()): fhir4.Observation[] {
  const groups = panelGroups();
  const out: fhir4.Observation[] = [];
  for (let i = 0; i < count; i++) {
    const group = groups[i % groups.length] as PanelGroup;
    const round = Math.floor(i / groups.length);
    const v = VALUES[group.id] ?? { value: 1, unit: '1', low: 0, high: 2 };
    const flagged = i % 7 === 3;
    const value = flagged ? v.high * 1.3 : v.value + (round % 5) * 0.01 * v.value;
    const obs: fhir4.Observation = {
      resourceType: 'Observation',
      id: `bench-obs-${i}`,
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
      code: { coding: [{ system: LOINC, code: group.primary.loinc }], text: group.id },
      subject: { reference: `Patient/${PATIENT_ID}` },
      effectiveDateTime: isoDay(now - (20 + round * 3) * DAY_MS),
      valueQuantity: { value: Math.round(value * 100) / 100, unit: v.unit, system: 'http://unitsofmeasure.org', code: v.unit },
      referenceRange: [{ low: { value: v.low, unit: v.unit }, high: { value: v.high, unit: v.unit } }],
    };
    if (flagged) {
      obs.interpretation = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }];
    }
    out.push(obs);
  }
  return out;
}

/** Fibromyalgia (in scope) and four other active problems. */
export function conditions(count = 5, now: number = Date.now()): fhir4.Condition[] {
  const codes: Array<[string, string]> = [
    ['203082005', 'Fibromyalgia'],
    ['38341003', 'Hypertensive disorder'],
    ['35489007', 'Depressive disorder'],
    ['44054006', 'Diabetes mellitus type 2'],
    ['195967001', 'Asthma'],
  ];
  return Array.from({ length: count }, (_, i) => {
    const [code, display] = codes[i % codes.length] as [string, string];
    return {
      resourceType: 'Condition',
      id: `bench-cond-${i}`,
      subject: { reference: `Patient/${PATIENT_ID}` },
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      code: { coding: [{ system: SNOMED, code, display }], text: display },
      onsetDateTime: isoDay(now - (400 + i * 30) * DAY_MS),
      recordedDate: isoDay(now - (400 + i * 30) * DAY_MS),
    };
  });
}

/** RxNorm drugs: some the guideline speaks about (cards), most it does not. */
const DRUGS: Array<[string, string]> = [
  ['856834', 'Amitriptyline Hydrochloride 25 MG Oral Tablet'],
  ['835603', 'tramadol hydrochloride 50 MG Oral Tablet'],
  ['1790099', 'pregabalin 75 MG Oral Capsule'],
  ['596926', 'duloxetine 30 MG Delayed Release Oral Capsule'],
  ['197361', 'amlodipine 5 MG Oral Tablet'],
  ['860975', 'metformin hydrochloride 500 MG Oral Tablet'],
  ['314076', 'lisinopril 10 MG Oral Tablet'],
  ['617314', 'atorvastatin 10 MG Oral Tablet'],
  ['198211', 'simvastatin 40 MG Oral Tablet'],
  ['313782', 'acetaminophen 325 MG Oral Tablet'],
];

function medicationRequest(i: number, status: 'active' | 'draft', now: number): fhir4.MedicationRequest {
  const [code, display] = DRUGS[i % DRUGS.length] as [string, string];
  return {
    resourceType: 'MedicationRequest',
    id: `bench-${status}-${i}`,
    status,
    intent: 'order',
    subject: { reference: `Patient/${PATIENT_ID}` },
    authoredOn: isoDay(now - (status === 'draft' ? 0 : 30 + i) * DAY_MS),
    medicationCodeableConcept: { text: display, coding: [{ system: RXNORM, code, display }] },
    dosageInstruction: [
      {
        text: '1 tablet daily',
        timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
        doseAndRate: [{ doseQuantity: { value: 1, system: 'http://unitsofmeasure.org', code: '{pill}' } }],
      },
    ],
  };
}

export function activeMedications(count = 20, now: number = Date.now()): fhir4.MedicationRequest[] {
  return Array.from({ length: count }, (_, i) => medicationRequest(i, 'active', now));
}

const patient: fhir4.Patient = {
  resourceType: 'Patient',
  id: PATIENT_ID,
  name: [{ given: ['Bente'], family: 'Bench' }],
  gender: 'female',
  birthDate: '1975-03-14',
};

export interface PatientViewShape {
  observations: number;
  medications?: number;
  conditions?: number;
}

/** patient-view with every prefetch key of the service's discovery entry filled. */
export function patientViewBody(shape: PatientViewShape, now: number = Date.now()): Record<string, unknown> {
  return {
    hook: 'patient-view',
    hookInstance: `bench-pv-${shape.observations}`,
    context: { userId: 'Practitioner/bench', patientId: PATIENT_ID },
    prefetch: {
      patient,
      conditions: searchset(conditions(shape.conditions ?? 5, now)),
      labs: searchset(observations(shape.observations, now)),
      medications: searchset(activeMedications(shape.medications ?? 20, now)),
      medicationStatements: searchset([]),
      serviceRequests: searchset([]),
    },
  };
}

/** patient-view without prefetch: the service fetches everything from `fhirServer`. */
export function patientViewFallbackBody(fhirServer: string, patientId: string): Record<string, unknown> {
  return {
    hook: 'patient-view',
    hookInstance: 'bench-pv-fallback',
    fhirServer,
    context: { userId: 'Practitioner/bench', patientId },
  };
}

/**
 * The CDS Hooks sandbox's order-select request for tramadol (context copied in
 * fixtures/orders/sandbox-r4-tramadol.json), with this service's prefetch keys filled: the sandbox
 * only prefetches its own `meds` key, and without `conditions` the service would have to query the
 * sandbox's FHIR server.
 */
export function orderSelectBody(now: number = Date.now()): Record<string, unknown> {
  return sandboxOrderSelect('sandbox-r4-tramadol.json', 'f4366f56-4556-425b-8947-4c37acf342fd', {
    meds: searchset([]),
    patient,
    conditions: searchset(conditions(5, now)),
    medications: searchset(activeMedications(20, now)),
    medicationStatements: searchset([]),
  });
}

/**
 * An order-select request as the sandbox sends it: its captured context (fixtures/orders/FILE), moved from
 * the capture's patient p1 to the bench patient whose resources the prefetch holds (the service skips
 * resources of another patient than the context's).
 */
function sandboxOrderSelect(file: string, hookInstance: string, prefetch: Record<string, unknown>): Record<string, unknown> {
  const captured = readJson<Record<string, unknown>>('fixtures', 'orders', file);
  delete captured._source;
  const context = JSON.parse(JSON.stringify(captured).replaceAll('"Patient/p1"', JSON.stringify(`Patient/${PATIENT_ID}`))) as Record<string, unknown>;
  return {
    hookInstance,
    hook: 'order-select',
    fhirServer: 'http://localhost:8081/fhir',
    context: { patientId: PATIENT_ID, userId: 'Practitioner/COREPRACTITIONER1', ...context },
    prefetch,
  };
}

/** order-sign with five drafts (guideline drugs and others). */
export function orderSignBody(now: number = Date.now()): Record<string, unknown> {
  const drafts = [1, 0, 2, 4, 5].map((i) => medicationRequest(i, 'draft', now));
  return {
    hookInstance: 'bench-order-sign-5',
    hook: 'order-sign',
    context: {
      patientId: PATIENT_ID,
      userId: 'Practitioner/bench',
      draftOrders: searchset(drafts),
    },
    prefetch: {
      patient,
      conditions: searchset(conditions(5, now)),
      medications: searchset(activeMedications(20, now)),
      medicationStatements: searchset([]),
    },
  };
}

/**
 * The sandbox's order-select on entering its Rx view: one draft without a medication
 * (fixtures/orders/sandbox-r4-nomed.json). The service answers no cards without touching any data,
 * so this body measures the fixed cost of a call: transport, validation, logging.
 */
export function orderSelectNoMedicationBody(): Record<string, unknown> {
  return sandboxOrderSelect('sandbox-r4-nomed.json', '074a0671-b677-42e3-b26f-fcd6eaec4978', { meds: searchset([]) });
}
