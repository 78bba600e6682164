/**
 * Records that say the same thing get the same cards (docs/clinical-rules.md §7): every sample body with its
 * code systems written as the other URIs EHRs send for them (an OID for LOINC, SNOMED CT, ATC …:
 * terminology/code-systems.json), and with resources the guideline does not speak about added to each list
 * (a blood-pressure drug, a cholesterol result flagged high, hypertension, a chest X-ray order, a stomach drug
 * in the shared medication record), and with an entered-in-error copy of every resource beside it (a result
 * flagged critically high yesterday, a Condition registered last week, withdrawn orders and statements), with
 * each search wrapped in a batch-response, and with every reference written absolute (each entry its fullUrl).
 * Only an action's resource is left out of the comparison: a suggested lab order is coded in the patient's own
 * code system.
 */
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { projectPath } from '../../src/projectRoot.js';
import { HOOK_ROUTES, SAMPLE_BODIES } from '../support/sampleBodies.js';
import { buildTestApp, expectValidResponse } from '../support/testApp.js';

const SYSTEMS = (JSON.parse(readFileSync(projectPath('terminology', 'code-systems.json'), 'utf8')) as { systems: Record<string, string[]> }).systems;
/** Each system's canonical URI → another URI listed for it (an OID where there is one). */
const OTHER_URI = new Map(
  Object.values(SYSTEMS).flatMap((uris) => {
    const other = uris.find((u, i) => i > 0 && u.startsWith('urn:oid:')) ?? uris[1];
    return other === undefined ? [] : [[uris[0]!, other] as const];
  }),
);

function otherUris(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => otherUris(v, key));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, otherUris(v, k)]));
  return key === 'system' && typeof value === 'string' ? (OTHER_URI.get(value) ?? value) : value;
}

const ATC = 'http://www.whocc.no/atc';
const active = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] };

/** The body with a resource the guideline does not speak about added to each of its lists. */
function withUnrelated(body: Record<string, unknown>): Record<string, unknown> {
  const context = body.context as { patientId: string };
  const subject = { reference: `Patient/${context.patientId}` };
  const unrelated: Record<string, unknown> = {
    medications: { resourceType: 'MedicationRequest', id: 'other-amlodipine', status: 'active', intent: 'order', subject, medicationCodeableConcept: { text: 'Amlodipin 5 mg tablet', coding: [{ system: ATC, code: 'C08CA01' }] } },
    labs: { resourceType: 'Observation', id: 'other-cholesterol', status: 'final', subject, code: { coding: [{ system: 'http://loinc.org', code: '2093-3' }] }, effectiveDateTime: '2026-10-01', valueQuantity: { value: 9.9, unit: 'mmol/L' }, interpretation: [{ coding: [{ code: 'H' }] }] },
    conditions: { resourceType: 'Condition', id: 'other-hypertension', subject, clinicalStatus: active, code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003' }] } },
    serviceRequests: { resourceType: 'ServiceRequest', id: 'other-xray', status: 'active', intent: 'order', subject, code: { coding: [{ system: 'http://loinc.org', code: '36643-5' }], text: 'Røntgen af thorax' } },
    medicationStatements: { resourceType: 'MedicationStatement', id: 'other-omeprazole', status: 'active', subject, medicationCodeableConcept: { text: 'Omeprazol 20 mg', coding: [{ system: ATC, code: 'A02BC01' }] } },
  };
  const prefetch = (body.prefetch ?? {}) as Record<string, unknown>;
  const added = Object.fromEntries(
    Object.entries(prefetch).map(([key, value]) => {
      const bundle = value as { resourceType?: unknown; entry?: unknown } | null;
      const extra = unrelated[key];
      return bundle?.resourceType === 'Bundle' && extra !== undefined ? [key, { ...bundle, entry: [...(Array.isArray(bundle.entry) ? bundle.entry : []), { resource: extra }] }] : [key, value];
    }),
  );
  return { ...body, prefetch: added };
}

type Json = Record<string, unknown>;

/**
 * An entered-in-error copy of a resource (another id), saying what would raise a card if it counted: a result
 * flagged critically high, taken yesterday; a Condition registered last week; an order or statement withdrawn.
 */
function withdrawnCopy(resource: Json): Json | null {
  const copy: Json = { ...structuredClone(resource), id: `withdrawn-${String(resource.id ?? 'x')}` };
  switch (resource.resourceType) {
    case 'Observation': {
      const quantity = resource.valueQuantity as Json | undefined;
      delete copy.effectivePeriod;
      return {
        ...copy,
        status: 'entered-in-error',
        effectiveDateTime: '2026-11-24T10:00:00Z',
        interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'HH' }] }],
        ...(quantity ? { valueQuantity: { ...quantity, value: 99_999 } } : {}),
      };
    }
    case 'Condition':
      return { ...copy, recordedDate: '2026-11-20', verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'entered-in-error' }] } };
    case 'MedicationRequest':
    case 'MedicationStatement':
    case 'ServiceRequest':
      return { ...copy, status: 'entered-in-error' };
    default:
      return null;
  }
}

/** The body with an entered-in-error copy of each of its resources beside it. */
function withWithdrawnCopies(body: Record<string, unknown>): Record<string, unknown> {
  const prefetch = (body.prefetch ?? {}) as Record<string, unknown>;
  const copied = Object.fromEntries(
    Object.entries(prefetch).map(([key, value]) => {
      const bundle = value as { resourceType?: unknown; entry?: unknown; total?: unknown } | null;
      if (bundle?.resourceType !== 'Bundle' || !Array.isArray(bundle.entry)) return [key, value];
      const entries = bundle.entry as Array<{ resource?: Json }>;
      const extra = entries.flatMap((e) => {
        const copy = e.resource ? withdrawnCopy(e.resource) : null;
        return copy ? [{ resource: copy }] : [];
      });
      return [key, { ...bundle, entry: [...entries, ...extra], ...(typeof bundle.total === 'number' ? { total: bundle.total + extra.length } : {}) }];
    }),
  );
  return { ...body, prefetch: copied };
}

/** Each searchset wrapped, as a server that runs the prefetch queries as a batch answers them (a batch-response). */
function asBatchResponses(body: Record<string, unknown>): Record<string, unknown> {
  const prefetch = (body.prefetch ?? {}) as Record<string, unknown>;
  const wrapped = Object.fromEntries(
    Object.entries(prefetch).map(([key, value]) => {
      const bundle = value as { resourceType?: unknown } | null;
      return bundle?.resourceType === 'Bundle' ? [key, { resourceType: 'Bundle', type: 'batch-response', entry: [{ resource: bundle, response: { status: '200 OK' } }] }] : [key, value];
    }),
  );
  return { ...body, prefetch: wrapped };
}

const EHR_BASE = 'https://ehr.example.org/fhir';

/** Every relative reference written absolute (`https://…/fhir/Patient/p1`), and every entry given its fullUrl. */
function absoluteReferences(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => absoluteReferences(v, key));
  if (value === null || typeof value !== 'object') {
    return key === 'reference' && typeof value === 'string' && /^[A-Z][A-Za-z]+\/[^/]+$/.test(value) ? `${EHR_BASE}/${value}` : value;
  }
  const o = value as Json;
  const out = Object.fromEntries(Object.entries(o).map(([k, v]) => [k, absoluteReferences(v, k)]));
  const resource = o.resource as Json | undefined;
  if (resource && typeof resource.resourceType === 'string' && typeof resource.id === 'string' && o.fullUrl === undefined) out.fullUrl = `${EHR_BASE}/${resource.resourceType}/${resource.id}`;
  return out;
}

/** A card without its uuids and its actions' resources, keys in a fixed order. */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== 'uuid' && k !== 'resource')
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => [k, comparable(v)]),
  );
}

/** One app for every call: no answer is sent, so nothing it stores changes a card (an app per test would load the terminology each time). */
const { app } = buildTestApp();

describe('records that say the same thing get the same cards', () => {
  test.each(SAMPLE_BODIES)('%s', async (_name, body) => {
    const route = HOOK_ROUTES[String(body.hook)]!;
    const cards = async (b: unknown): Promise<string[]> => {
      const res = await request(app).post(route).send(b as object);
      return res.status === 200 ? expectValidResponse(res.body).cards.map((c) => JSON.stringify(comparable(c))).sort() : [`status ${res.status}`];
    };
    const asSent = await cards(body);
    expect(['other code system URIs', await cards(otherUris(body))]).toEqual(['other code system URIs', asSent]);
    expect(['unrelated resources added', await cards(withUnrelated(body))]).toEqual(['unrelated resources added', asSent]);
    expect(['entered-in-error copies added', await cards(withWithdrawnCopies(body))]).toEqual(['entered-in-error copies added', asSent]);
    expect(['each search as a batch-response', await cards(asBatchResponses(body))]).toEqual(['each search as a batch-response', asSent]);
    expect(['absolute references', await cards({ ...body, prefetch: absoluteReferences(body.prefetch) })]).toEqual(['absolute references', asSent]);
  });
});
