/**
 * The same record in an older FHIR version gets the same cards (docs/clinical-rules.md §7: R4 is the model;
 * STU3 and DSTU2 shapes are read where the meaning is clear; README "Limits"). Every sample body
 * (test/support/sampleBodies.ts), and three of this test's own that use the fields below the sample bodies leave
 * out (OLDER_FIELDS), is sent as it is, with its resources rewritten into their STU3 shape, and into their DSTU2
 * shape (http://hl7.org/fhir/STU3, http://hl7.org/fhir/DSTU2), for the fields the service reads:
 *
 * - Condition — STU3: `clinicalStatus`/`verificationStatus` as plain codes, `assertedDate` for `recordedDate`.
 *   DSTU2: the same plain codes (`verificationStatus` is required there: `unknown` when R4 gives none),
 *   `dateRecorded` (a date) for `recordedDate`, `patient` for `subject`, `onsetQuantity`/`abatementQuantity`
 *   for `onsetAge`/`abatementAge`.
 * - Observation — both: `interpretation` as one CodeableConcept (R4 has a list), its codes under v2-0078's
 *   old URI `http://hl7.org/fhir/v2/0078`; a component's interpretation likewise (DSTU2 has none on a component:
 *   it is kept, in STU3's shape, rather than dropped, which would change the record). `valueQuantity` (with `system`/`code`),
 *   `effectiveDateTime`, `referenceRange` `low`/`high` and `status` are the same in all three.
 * - MedicationRequest — STU3: dose[x] on the dosage instruction (R4 `doseAndRate`). DSTU2: a MedicationOrder
 *   with `patient`, `dateWritten` for `authoredOn`, no `intent`, `reasonCodeableConcept` for one `reasonCode`
 *   (reason[x] holds one: a draft with two reasons keeps R4's list, which DSTU2 cannot write), dose[x] on the
 *   instruction, `timing.repeat.periodUnits` and `when` as one code, status `cancelled` (not in DSTU2) as
 *   `stopped`; selections name `MedicationOrder/…`. A contained Medication's ingredient concepts become DSTU2's
 *   `product.ingredient[].item` references with the concept's text as their display.
 * - MedicationStatement — STU3: `taken` (required there: `"n"` for R4's `not-taken`, else `"y"`). DSTU2:
 *   `patient`, `wasNotTaken`, `timing.repeat.periodUnits`, `reasonForUseCodeableConcept`/`reasonForUseReference`
 *   for one `reasonCode`/`reasonReference`. (A statement's dose, DSTU2 `quantity[x]`, is not read: the bodies'
 *   statements give none.)
 * - Patient (`birthDate`), DiagnosticReport and Bundles: the same in all three.
 *
 * - ServiceRequest — STU3: a ProcedureRequest, `on-hold` as `suspended`, `revoked` as `cancelled`. DSTU2: a
 *   DiagnosticOrder, its code as one `item`, `authoredOn` as the `requested` event, an active request that
 *   orders nothing (intent proposal, plan) as `proposed`/`planned`, `active` as `requested`, `on-hold` as
 *   `suspended`, `revoked` and `entered-in-error` as `cancelled`; occurrence[x] (DSTU2 has none) kept as it is.
 *
 * Compared: the cards without their uuids and without their actions' `resource` (an update echoes the draft in
 * the EHR's own version, a suggested order is written in the version the record shows: both differ in shape by
 * design); a delete's `resourceId` names `MedicationOrder/…` in DSTU2 and is compared as `MedicationRequest/…`.
 * The actions' resources are checked apart: an update keeps the draft's type; a create is of the version's
 * types (STU3 ProcedureRequest; DSTU2 DiagnosticOrder, ProcedureRequest) when the record shows the version
 * (open orders, or DSTU2 drug orders), else an R4 ServiceRequest.
 */
import request from 'supertest';
import type { CdsSuggestion } from '../../src/model/cdsResponse.js';
import { isObject as isJson } from '../../src/model/json.js';
import { HOOK_ROUTES, SAMPLE_BODIES } from '../support/sampleBodies.js';
import { buildTestApp, expectValidResponse, searchset } from '../support/testApp.js';

type Version = 'STU3' | 'DSTU2';
type Json = Record<string, unknown>;


/** R4's Condition status codes as STU3 and DSTU2 write them (the codes the sample bodies use). */
const CLINICAL: Record<Version, Record<string, string>> = {
  STU3: { active: 'active', recurrence: 'recurrence', inactive: 'inactive', remission: 'remission', resolved: 'resolved' },
  DSTU2: { active: 'active', recurrence: 'relapse', relapse: 'relapse', remission: 'remission', resolved: 'resolved' },
};
const VERIFICATION: Record<string, string> = { provisional: 'provisional', differential: 'differential', confirmed: 'confirmed', refuted: 'refuted', 'entered-in-error': 'entered-in-error', unconfirmed: 'provisional' };

/** A status CodeableConcept as the plain code of the older version; left as it is when it has no code that version has. */
function plainCode(concept: unknown, codes: Record<string, string>): unknown {
  if (!isJson(concept) || !Array.isArray(concept.coding)) return concept;
  for (const c of concept.coding) if (isJson(c) && typeof c.code === 'string' && codes[c.code] !== undefined) return codes[c.code];
  return concept;
}

const V2_0078_OLD = 'http://hl7.org/fhir/v2/0078';
const V3_INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

/** R4's interpretation list as STU3/DSTU2's one CodeableConcept; a list of several is left as it is (neither can write it). */
function oneInterpretation(v: unknown): unknown {
  const list = Array.isArray(v) ? v : [v];
  if (list.length !== 1 || !isJson(list[0])) return v;
  const concept = list[0];
  const coding = Array.isArray(concept.coding) ? concept.coding.map((c) => (isJson(c) && c.system === V3_INTERPRETATION ? { ...c, system: V2_0078_OLD } : c)) : concept.coding;
  return coding === undefined ? concept : { ...concept, coding };
}

/** R4's doseAndRate moved back onto the instruction (STU3 and DSTU2 dose[x]/rate[x]), and DSTU2's timing names. */
function olderDosage(d: unknown, version: Version): unknown {
  if (!isJson(d)) return d;
  const { doseAndRate, ...rest } = d;
  const out: Json = { ...rest };
  const rates = Array.isArray(doseAndRate) ? doseAndRate : doseAndRate === undefined ? [] : [doseAndRate];
  if (rates.length > 1) out.doseAndRate = doseAndRate; // one dose[x] only: several cannot be written
  else if (isJson(rates[0])) Object.assign(out, rates[0]);
  if (version === 'DSTU2' && isJson(d.timing) && isJson(d.timing.repeat)) {
    const { periodUnit, durationUnit, when, ...repeat } = d.timing.repeat;
    const r: Json = { ...repeat };
    if (periodUnit !== undefined) r.periodUnits = periodUnit;
    if (durationUnit !== undefined) r.durationUnits = durationUnit;
    if (when !== undefined) r.when = Array.isArray(when) && when.length === 1 ? when[0] : when;
    out.timing = { ...d.timing, repeat: r };
  }
  return out;
}

const mapList = (v: unknown, f: (x: unknown) => unknown): unknown => (Array.isArray(v) ? v.map(f) : v === undefined ? undefined : f(v));

/** `subject` as DSTU2's `patient`. */
function patientNotSubject(r: Json): Json {
  const { subject, ...rest } = r;
  return subject === undefined ? r : { ...rest, patient: subject };
}

/** Keys whose value is undefined left out (as JSON would). */
function defined(r: Json): Json {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
}

function condition(r: Json, version: Version): Json {
  const { recordedDate, clinicalStatus, verificationStatus, ...rest } = r;
  const out: Json = { ...rest, clinicalStatus: plainCode(clinicalStatus, CLINICAL[version]), verificationStatus: plainCode(verificationStatus, VERIFICATION) };
  if (version === 'STU3') return defined({ ...out, assertedDate: recordedDate });
  if (out.verificationStatus === undefined) out.verificationStatus = 'unknown';
  // DSTU2's onset[x] and abatement[x] have Quantity where R4 has Age.
  const { onsetAge, abatementAge, ...dstu2 } = out;
  return defined(patientNotSubject({ ...dstu2, onsetQuantity: onsetAge, abatementQuantity: abatementAge, dateRecorded: typeof recordedDate === 'string' ? recordedDate.slice(0, 10) : recordedDate }));
}

function observation(r: Json): Json {
  const out: Json = { ...r };
  if (r.interpretation !== undefined) out.interpretation = oneInterpretation(r.interpretation);
  if (Array.isArray(r.component)) out.component = r.component.map((c) => (isJson(c) && c.interpretation !== undefined ? { ...c, interpretation: oneInterpretation(c.interpretation) } : c));
  return out;
}

/** A Medication's ingredients as DSTU2 names them: references under `product`, a concept's text as the display. */
function dstu2Medication(r: Json): Json {
  const { ingredient, ...rest } = r;
  if (!Array.isArray(ingredient)) return r;
  const items = ingredient.map((i) => {
    if (!isJson(i) || !isJson(i.itemCodeableConcept)) return i;
    const { itemCodeableConcept, ...other } = i;
    return { ...other, item: { display: itemCodeableConcept.text } };
  });
  return { ...rest, product: { ingredient: items } };
}

/** R4 MedicationRequest statuses DSTU2 MedicationOrder lacks: `cancelled` (no card either way, §4) is written `stopped`. */
const DSTU2_ORDER_STATUS: Record<string, string> = { cancelled: 'stopped' };

function medicationRequest(r: Json, version: Version): Json {
  const out: Json = { ...r, dosageInstruction: mapList(r.dosageInstruction, (d) => olderDosage(d, version)) };
  if (version === 'STU3') return defined(out);
  const { authoredOn, intent: _intent, reasonCode, status, ...rest } = out;
  const reasons = Array.isArray(reasonCode) ? reasonCode : reasonCode === undefined ? [] : [reasonCode];
  const order: Json = { ...patientNotSubject(rest), resourceType: 'MedicationOrder', dateWritten: authoredOn, status: typeof status === 'string' ? (DSTU2_ORDER_STATUS[status] ?? status) : status };
  if (reasons.length === 1) order.reasonCodeableConcept = reasons[0];
  else if (reasons.length > 1) order.reasonCode = reasonCode;
  // reason[x] is one Reference in DSTU2.
  if (Array.isArray(order.reasonReference) && order.reasonReference.length === 1) order.reasonReference = order.reasonReference[0];
  return defined(order);
}

/**
 * R4's `not-taken` is STU3's `taken: "n"` and DSTU2's `wasNotTaken: true` on a statement of another status
 * (`active`: neither has `not-taken`). DSTU2 names the reasons `reasonForUse[x]`, one of them.
 */
function medicationStatement(r: Json, version: Version): Json {
  const notTaken = r.status === 'not-taken';
  const out: Json = { ...r, dosage: mapList(r.dosage, (d) => olderDosage(d, version)), status: notTaken ? 'active' : r.status };
  if (version === 'STU3') return defined({ ...out, taken: notTaken ? 'n' : 'y' });
  const { reasonCode, reasonReference, ...rest } = out;
  const codes = Array.isArray(reasonCode) ? reasonCode : reasonCode === undefined ? [] : [reasonCode];
  const references = Array.isArray(reasonReference) ? reasonReference : reasonReference === undefined ? [] : [reasonReference];
  const statement: Json = { ...patientNotSubject(rest), wasNotTaken: notTaken };
  if (codes.length + references.length > 1) Object.assign(statement, { reasonCode, reasonReference }); // one reason only: several cannot be written
  else if (codes.length === 1) statement.reasonForUseCodeableConcept = codes[0];
  else if (references.length === 1) statement.reasonForUseReference = references[0];
  return defined(statement);
}

/** R4 ServiceRequest statuses as STU3's request-status writes them (the others are the same). */
const STU3_ORDER_STATUS: Record<string, string> = { 'on-hold': 'suspended', revoked: 'cancelled' };
/** R4 intents that order nothing, as DSTU2 writes them in the status of an open order. */
const DSTU2_TENTATIVE: Record<string, string> = { proposal: 'proposed', plan: 'planned', directive: 'proposed', option: 'proposed' };

/**
 * A ServiceRequest as STU3's ProcedureRequest (statuses renamed) or DSTU2's DiagnosticOrder: its code as one
 * `item`, `authoredOn` as the `requested` event, an intent that orders nothing in the status (proposed,
 * planned), `on-hold` as `suspended`, `revoked` and `entered-in-error` (neither in DSTU2) as `cancelled`. What
 * DSTU2 cannot write (occurrence[x], doNotPerform) is kept as it is rather than dropped.
 */
function serviceRequest(r: Json, version: Version): Json {
  const status = typeof r.status === 'string' ? r.status : undefined;
  if (version === 'STU3') return { ...r, resourceType: 'ProcedureRequest', status: status === undefined ? r.status : (STU3_ORDER_STATUS[status] ?? status) };
  const { code, authoredOn, intent, ...rest } = r;
  const tentative = typeof intent === 'string' ? DSTU2_TENTATIVE[intent] : undefined;
  const dstu2Status: Record<string, string> = { draft: 'draft', active: tentative ?? 'requested', 'on-hold': 'suspended', revoked: 'cancelled', completed: 'completed', 'entered-in-error': 'cancelled' };
  return defined({
    ...rest,
    resourceType: 'DiagnosticOrder',
    status: status === undefined ? r.status : (dstu2Status[status] ?? status),
    item: code === undefined ? undefined : [{ code }],
    event: typeof authoredOn === 'string' ? [{ status: 'requested', dateTime: authoredOn }] : undefined,
  });
}

/** One resource (and what it contains, and a Bundle's entries) in the older version's shape. */
function inVersion(v: unknown, version: Version): unknown {
  if (!isJson(v)) return v;
  let r: Json = v;
  if (Array.isArray(r.contained)) r = { ...r, contained: r.contained.map((c) => inVersion(c, version)) };
  switch (r.resourceType) {
    case 'Bundle':
      return Array.isArray(r.entry) ? { ...r, entry: r.entry.map((e) => (isJson(e) ? { ...e, resource: inVersion(e.resource, version) } : e)) } : r;
    case 'Condition':
      return condition(r, version);
    case 'Observation':
      return observation(r);
    case 'MedicationRequest':
      return medicationRequest(r, version);
    case 'MedicationStatement':
      return medicationStatement(r, version);
    case 'Medication':
      return version === 'DSTU2' ? dstu2Medication(r) : r;
    case 'ServiceRequest':
      return serviceRequest(r, version);
    default:
      return r;
  }
}

/** The hook request with its prefetch and draft orders in the older version (DSTU2: selections name MedicationOrders). */
function bodyIn(body: Json, version: Version): Json {
  const context = isJson(body.context) ? body.context : {};
  const newContext: Json = { ...context };
  if (context.draftOrders !== undefined) newContext.draftOrders = inVersion(context.draftOrders, version);
  if (version === 'DSTU2' && Array.isArray(context.selections)) {
    newContext.selections = context.selections.map((s) => (typeof s === 'string' ? s.replace(/^MedicationRequest\//, 'MedicationOrder/') : s));
  }
  const prefetch = isJson(body.prefetch) ? Object.fromEntries(Object.entries(body.prefetch).map(([k, v]) => [k, inVersion(v, version)])) : body.prefetch;
  return defined({ ...body, context: newContext, prefetch });
}

/** A card without its uuids and its actions' resources, a DSTU2 `resourceId` as R4 names it, keys in a fixed order. */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (!isJson(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== 'uuid' && k !== 'resource')
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => [k, k === 'resourceId' && typeof v === 'string' ? v.replace(/^MedicationOrder\//, 'MedicationRequest/') : comparable(v)]),
  );
}

interface Answer {
  cards: string[];
  /** The resource type of every `update` action's resource. */
  updates: string[];
  /** The resource type of every `create` action's resource. */
  creates: string[];
}

async function answer(app: ReturnType<typeof buildTestApp>['app'], body: Json): Promise<Answer> {
  const res = await request(app).post(HOOK_ROUTES[String(body.hook)]!).send(body);
  if (res.status !== 200) return { cards: [`status ${res.status}`], updates: [], creates: [] };
  const cards = expectValidResponse(res.body).cards;
  const ofActions = (type: 'update' | 'create'): string[] =>
    cards.flatMap((c) => (c.suggestions as CdsSuggestion[] | undefined)?.flatMap((s) => (s.actions ?? []).flatMap((a) => (a.type === type ? [String(a.resource.resourceType)] : []))) ?? []).sort();
  return { cards: cards.map((c) => JSON.stringify(comparable(c))).sort(), updates: ofActions('update'), creates: ofActions('create') };
}

/**
 * Fields the service reads in older shapes that the sample bodies leave out: a GSB Condition whose onset is an
 * age, one with no clinical status that has abated at an age (inactive by FHIR's con-4), FMK statements with a
 * reason of their own (depression: not listed; anxiety, by a contained Condition), one not taken, an order
 * whose course ended, and a draft whose reason is a reference.
 */
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const ATC = 'http://www.whocc.no/atc';
const subject = { reference: 'Patient/p-old' };
const age = (years: number): fhir4.Age => ({ value: years, unit: 'år', system: 'http://unitsofmeasure.org', code: 'a' });
const fibromyalgia: fhir4.Condition = {
  resourceType: 'Condition',
  id: 'fm',
  subject,
  recordedDate: '2025-01-10',
  onsetAge: age(50),
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
  code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] },
};
const abated: fhir4.Condition = { resourceType: 'Condition', id: 'fm-abated', subject, abatementAge: age(54), code: { coding: [{ system: ICD10, code: 'M79.7' }] } };
const depression: fhir4.Condition = {
  resourceType: 'Condition',
  id: 'dep',
  subject,
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' }] },
  code: { coding: [{ system: ICD10, code: 'F32.1' }] },
};
const statement = (id: string, code: string, text: string, extra: Partial<fhir4.MedicationStatement> = {}): fhir4.MedicationStatement => ({
  resourceType: 'MedicationStatement',
  id,
  status: 'active',
  subject,
  medicationCodeableConcept: { text, coding: [{ system: ATC, code }] },
  ...extra,
});
const statements = [
  statement('fmk-sertraline', 'N06AB06', 'Sertralin 50 mg', { reasonCode: [{ coding: [{ system: ICD10, code: 'F32.1' }] }] }),
  statement('fmk-citalopram', 'N06AB04', 'Citalopram 20 mg', {
    reasonReference: [{ reference: '#anxiety' }],
    contained: [{ resourceType: 'Condition', id: 'anxiety', subject, code: { coding: [{ system: ICD10, code: 'F41.1' }] } } as fhir4.Condition],
  }),
  statement('fmk-tramadol', 'N02AX02', 'Tramadol 50 mg', { status: 'not-taken' }),
  statement('fmk-amitriptyline', 'N06AA09', 'Amitriptylin 10 mg', { dosage: [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['MORN'] } } }] }),
];
const endedOrder: fhir4.MedicationRequest = {
  resourceType: 'MedicationRequest',
  id: 'gabapentin-ended',
  status: 'active',
  intent: 'order',
  subject,
  authoredOn: '2026-06-01',
  medicationCodeableConcept: { text: 'Gabapentin 300 mg', coding: [{ system: ATC, code: 'N02BF01' }] },
  dosageInstruction: [{ timing: { repeat: { boundsPeriod: { start: '2026-06-01', end: '2026-10-01' }, frequency: 3, period: 1, periodUnit: 'd' } } }],
};
const oldPrefetch = (conditions: fhir4.Condition[]): Record<string, unknown> => ({
  patient: { resourceType: 'Patient', id: 'p-old', birthDate: '1970-01-01' },
  conditions: searchset(conditions),
  labs: searchset([]),
  medications: searchset([endedOrder]),
  medicationStatements: searchset(statements),
  serviceRequests: searchset([]),
});
const oldBody = (hook: string, conditions: fhir4.Condition[], context: Record<string, unknown> = {}): Record<string, unknown> => ({
  hook,
  hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2eb',
  context: { userId: 'Practitioner/x', patientId: 'p-old', ...context },
  prefetch: oldPrefetch(conditions),
});
const draftForDepression: fhir4.MedicationRequest = {
  resourceType: 'MedicationRequest',
  id: 'd-sertraline',
  status: 'draft',
  intent: 'order',
  subject,
  medicationCodeableConcept: { text: 'Sertralin 100 mg', coding: [{ system: ATC, code: 'N06AB06' }] },
  reasonReference: [{ reference: 'Condition/dep' }],
};
const OLDER_FIELDS: Array<[string, Record<string, unknown>]> = [
  ['onset as an age, FMK reasons, not taken, a course ended: patient-view', oldBody('patient-view', [fibromyalgia, depression])],
  ['the only GSB Condition abated at an age: patient-view', oldBody('patient-view', [abated])],
  [
    'a draft whose reason is a reference: order-sign',
    oldBody('order-sign', [fibromyalgia, depression], { draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: draftForDepression }] } }),
  ],
];

/** The types each version's suggested orders are written as (src/render/suggestedOrders.ts). */
const CREATED_IN: Record<Version, string[]> = { STU3: ['ProcedureRequest'], DSTU2: ['DiagnosticOrder', 'ProcedureRequest'] };

/**
 * Whether the body, rewritten into that version, shows the EHR's version (src/data/ehrFhirVersion.ts): it has
 * open orders (all rewritten into that version's type), or, for DSTU2, drug orders (rewritten as MedicationOrders).
 */
function showsVersion(body: Json, version: Version): boolean {
  const prefetch = isJson(body.prefetch) ? body.prefetch : {};
  const types = (key: string): unknown[] => {
    const v = prefetch[key];
    return isJson(v) && Array.isArray(v.entry) ? v.entry.map((e) => (isJson(e) && isJson(e.resource) ? e.resource.resourceType : undefined)) : [];
  };
  return types('serviceRequests').includes('ServiceRequest') || (version === 'DSTU2' && types('medications').includes('MedicationRequest'));
}

/** One app for every call: no answer is sent, so nothing it stores changes a card (an app per test would load the terminology each time). */
const { app } = buildTestApp();

describe('the same record in STU3 or DSTU2 shapes gets the same cards as in R4', () => {
  test.each([...SAMPLE_BODIES, ...OLDER_FIELDS])('%s', async (_name, body) => {
    const r4 = await answer(app, body);
    for (const version of ['STU3', 'DSTU2'] as const) {
      const older = await answer(app, bodyIn(body, version));
      expect([version, older.cards]).toEqual([version, r4.cards]);
      // An update is written in the draft's own version: a DSTU2 draft's stays a MedicationOrder.
      expect([version, older.updates]).toEqual([version, r4.updates.map((t) => (version === 'DSTU2' && t === 'MedicationRequest' ? 'MedicationOrder' : t))]);
      // A create is written in the EHR's version when the record shows it (open orders, or DSTU2 drug orders, of
      // that version's types), else as R4: never another version's.
      // (A body already of an older version — its creates are not R4's — is that version's, whatever it is rewritten to.)
      if (r4.creates.every((t) => t === 'ServiceRequest')) {
        expect([version, older.creates.filter((t) => !CREATED_IN[version].includes(t) && t !== 'ServiceRequest')]).toEqual([version, []]);
        if (showsVersion(body, version)) expect([version, older.creates.filter((t) => t === 'ServiceRequest')]).toEqual([version, []]);
      }
    }
  });
});
