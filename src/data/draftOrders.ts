import type { ConditionStatuses } from '../model/conditionStatus.js';
import { appended, asList, fhirId, isObject, lowerCode, nonBlank, objectList, sameJson, type JsonObject } from '../model/json.js';
import { readConcept, reasonOfReference } from '../model/codeableConcept.js';
import type { DraftOrder, MedicationOrderView, OrderResourceType, ResourceJson } from '../model/medicationOrder.js';
import { UnreadableResource, type SkippedResources } from '../model/skipped.js';
import { lastTypeAndId, withoutVersion } from '../model/urlPath.js';
import { anotherPatientTest, contextPatientId } from './patientReference.js';

/**
 * Lenient reading of medication orders (docs/clinical-rules.md §4, §7): R4 MedicationRequest, DSTU2
 * MedicationOrder (the CDS Hooks sandbox's default server is DSTU2) and R4 MedicationStatement, into one
 * R4-shaped view. The sandbox also sends objects where R4 has arrays (category, reasonCode, doseAndRate):
 * those are wrapped. medicationReference and reasonReference are resolved from contained resources and
 * the draft Bundle; Medications read later from the FHIR server are added with `withMedications`. A
 * resource that cannot be read is skipped and named (SkippedResources), never a 5xx.
 */

const ORDER_TYPES = new Set<string>(['MedicationRequest', 'MedicationOrder', 'MedicationStatement']);

/** Up to this many contained resources, a `#` reference is found by searching them (no map to make). */
const FEW_CONTAINED = 8;

function isOrderType(v: unknown): v is OrderResourceType {
  return typeof v === 'string' && ORDER_TYPES.has(v);
}

/**
 * Resolves references by `Type/id`, by fullUrl, and by the last `Type/id` of an absolute URL (also a resource
 * without an id by the `Type/id` its absolute fullUrl ends with). Built on the
 * first lookup: most orders name their medication by code and have no reasonReference, so most calls need none.
 */
class ResourceIndex {
  private byRef: Map<string, JsonObject> | null = null;
  /** The last container with many contained resources, and those by id (the first of an id). */
  private contained: { container: JsonObject; byId: Map<string, { at: number; resource: JsonObject }> } | null = null;

  constructor(private readonly entries: readonly { resource: JsonObject; fullUrl?: string }[]) {}

  private map(): Map<string, JsonObject> {
    if (this.byRef) return this.byRef;
    const byRef = new Map<string, JsonObject>();
    // The first resource of a key wins.
    for (const { resource, fullUrl } of this.entries) {
      const type = nonBlank(resource.resourceType);
      const id = nonBlank(resource.id);
      if (type && id && !byRef.has(`${type}/${id}`)) byRef.set(`${type}/${id}`, resource);
      if (fullUrl && !byRef.has(fullUrl)) byRef.set(fullUrl, resource);
      // A resource sent without its id but with an absolute fullUrl ".../Medication/m9": "Medication/m9" names it.
      const urlId = type && !id ? idOfFullUrl(resource, fullUrl) : undefined;
      if (urlId !== undefined && !byRef.has(`${type}/${urlId}`)) byRef.set(`${type}/${urlId}`, resource);
    }
    this.byRef = byRef;
    return byRef;
  }

  private containedOf(container: JsonObject, list: readonly JsonObject[]): Map<string, { at: number; resource: JsonObject }> {
    const byId = new Map<string, { at: number; resource: JsonObject }>();
    for (let at = 0; at < list.length; at++) {
      const resource = list[at] as JsonObject;
      if (typeof resource.id === 'string' && !byId.has(resource.id)) byId.set(resource.id, { at, resource });
    }
    this.contained = { container, byId };
    return byId;
  }

  resolve(reference: string, container: JsonObject): JsonObject | undefined {
    if (reference.startsWith('#')) {
      const id = reference.slice(1);
      // Some EHRs write the contained resource's id with its '#' too ("#med1"): the first that has either.
      // Many: by a map made once per container, not a search per reference (an order may list thousands of
      // contained reasons: quadratic). Its references are resolved one after another, so one map is kept.
      let byId = this.contained?.container === container ? this.contained.byId : undefined;
      if (byId === undefined) {
        const list = objectList(container.contained);
        if (list.length <= FEW_CONTAINED) return list.find((c) => c.id === id || c.id === reference);
        byId = this.containedOf(container, list);
      }
      const plain = byId.get(id);
      const hashed = byId.get(reference);
      return plain && hashed ? (plain.at < hashed.at ? plain : hashed).resource : (plain ?? hashed)?.resource;
    }
    const byRef = this.map();
    const direct = byRef.get(reference);
    if (direct) return direct;
    const tail = lastTypeAndId(reference);
    return tail === undefined ? undefined : byRef.get(`${tail.type}/${tail.id}`);
  }
}

/** The id an absolute fullUrl ".../Medication/m9" gives a resource of that type (sent without its own id). */
function idOfFullUrl(resource: JsonObject, fullUrl: string | undefined): string | undefined {
  const tail = fullUrl === undefined ? undefined : lastTypeAndId(fullUrl);
  return tail !== undefined && tail.type === resource.resourceType && tail.id !== '' ? tail.id : undefined;
}

function referenceOf(v: unknown): string | undefined {
  return isObject(v) ? nonBlank(v.reference) : undefined;
}

function normaliseTiming(v: unknown): JsonObject | undefined {
  if (!isObject(v)) return undefined;
  const timing: JsonObject = { ...v };
  if (isObject(v.repeat)) {
    const repeat: JsonObject = { ...v.repeat };
    // DSTU2's names; `delete` only when present (a `delete` costs 25–50 ns even for an absent key, ~0.2 µs for a present one).
    if (repeat.periodUnits !== undefined) {
      if (repeat.periodUnit === undefined) repeat.periodUnit = repeat.periodUnits;
      delete repeat.periodUnits;
    }
    if (repeat.durationUnits !== undefined) {
      if (repeat.durationUnit === undefined) repeat.durationUnit = repeat.durationUnits;
      delete repeat.durationUnits;
    }
    // DSTU2's course length (a Duration-shaped Quantity) is R4's boundsDuration.
    if (repeat.boundsQuantity !== undefined) {
      if (repeat.boundsDuration === undefined) repeat.boundsDuration = repeat.boundsQuantity;
      delete repeat.boundsQuantity;
    }
    if (repeat.when !== undefined) repeat.when = asList(repeat.when).filter((w) => typeof w === 'string');
    if (repeat.timeOfDay !== undefined) repeat.timeOfDay = asList(repeat.timeOfDay).filter((t) => typeof t === 'string');
    if (repeat.dayOfWeek !== undefined) repeat.dayOfWeek = asList(repeat.dayOfWeek);
    timing.repeat = repeat;
  } else if (timing.repeat !== undefined) delete timing.repeat;
  if (timing.code !== undefined && !isObject(timing.code)) delete timing.code;
  return timing;
}

const isStringList = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** True when normaliseTiming would change nothing: a timing object as R4 has it. */
function isR4Timing(t: unknown): boolean {
  if (!isObject(t)) return false;
  const r = t.repeat;
  if (r !== undefined) {
    if (!isObject(r) || r.periodUnits !== undefined || r.durationUnits !== undefined || r.boundsQuantity !== undefined) return false;
    if ((r.when !== undefined && !isStringList(r.when)) || (r.timeOfDay !== undefined && !isStringList(r.timeOfDay))) return false;
    if (r.dayOfWeek !== undefined && !Array.isArray(r.dayOfWeek)) return false;
  }
  return t.code === undefined || isObject(t.code);
}

/** DSTU2's and STU3's dose[x]/rate[x] on the dosage instruction itself (R4 moved them into doseAndRate). */
const INSTRUCTION_DOSE_KEYS = ['doseQuantity', 'doseRange', 'rateQuantity', 'rateRange', 'rateRatio'] as const;

const hasInstructionDose = (v: JsonObject): boolean => INSTRUCTION_DOSE_KEYS.some((k) => v[k] !== undefined);

/** True when normaliseDosage would change nothing (the usual R4 dosage): it is then read as sent, not copied. */
function isR4Dosage(v: JsonObject): boolean {
  if (v.timing !== undefined && !isR4Timing(v.timing)) return false;
  if (hasInstructionDose(v)) return false;
  const doseAndRate = v.doseAndRate;
  if (doseAndRate !== undefined && !(Array.isArray(doseAndRate) && doseAndRate.length > 0 && doseAndRate.every(isObject))) return false;
  if (v.asNeededCodeableConcept !== undefined && !isObject(v.asNeededCodeableConcept)) return false;
  if (v.asNeededBoolean !== undefined && typeof v.asNeededBoolean !== 'boolean') return false;
  return v.sequence === undefined || typeof v.sequence === 'number';
}

/**
 * The dosage in R4 shape. Read for every active order of every call: one already in R4 shape is returned
 * as sent (never changed by anyone: the update's copy is made in render), others are copied and mended.
 */
function normaliseDosage(v: JsonObject): fhir4.Dosage {
  if (isR4Dosage(v)) return v;
  const d: JsonObject = { ...v };
  const timing = normaliseTiming(v.timing);
  if (timing) d.timing = timing;
  else if (d.timing !== undefined) delete d.timing;
  const doseAndRate = objectList(v.doseAndRate);
  // DSTU2 puts dose[x]/rate[x] on the instruction itself.
  const dose: JsonObject = {};
  for (const k of INSTRUCTION_DOSE_KEYS) {
    if (v[k] !== undefined) {
      dose[k] = v[k];
      delete d[k];
    }
  }
  if (Object.keys(dose).length > 0) doseAndRate.push(dose);
  if (doseAndRate.length > 0) d.doseAndRate = doseAndRate;
  else if (d.doseAndRate !== undefined) delete d.doseAndRate;
  if (d.asNeededCodeableConcept !== undefined && !isObject(d.asNeededCodeableConcept)) delete d.asNeededCodeableConcept;
  if (d.asNeededBoolean !== undefined && typeof d.asNeededBoolean !== 'boolean') delete d.asNeededBoolean;
  if (d.sequence !== undefined && typeof d.sequence !== 'number') delete d.sequence;
  return d;
}

function textOf(x: fhir4.CodeableConcept): string | null {
  return nonBlank(x.text) ?? x.coding?.map((cd) => nonBlank(cd.display)).find((d) => d) ?? x.coding?.map((cd) => nonBlank(cd.code)).find((d) => d) ?? null;
}

function drugTextOf(c: fhir4.CodeableConcept | null, ingredients: fhir4.CodeableConcept[]): string | null {
  if (c) return textOf(c);
  const parts = ingredients.map(textOf).filter((p): p is string => p !== null);
  return parts.length > 0 ? parts.join(' / ') : null;
}

/**
 * An ingredient as a concept: its itemCodeableConcept, else the display of its itemReference (R4, STU3) or of
 * DSTU2's `item` (a Reference), read as the ingredient's name (§4): the same names in text that classify a
 * medicationCodeableConcept's text then classify it. A reference with no display names nothing here.
 */
function ingredientConcept(i: JsonObject): fhir4.CodeableConcept | null {
  const concept = readConcept(i.itemCodeableConcept);
  if (concept) return concept;
  const display = nonBlank(isObject(i.itemReference) ? i.itemReference.display : undefined) ?? nonBlank(isObject(i.item) ? i.item.display : undefined);
  return display ? { text: display.trim() } : null;
}

/**
 * A Medication's code and ingredients. `namedByDisplays`: its ingredients are named only by references' displays
 * (no itemCodeableConcept): then a display on the order's reference to it still names the drug first, as it did
 * before such ingredients were read (classifyOrder turns to the ingredients when that display names no kind).
 */
function medicationOf(med: JsonObject): { medication: fhir4.CodeableConcept | null; ingredients: fhir4.CodeableConcept[]; namedByDisplays: boolean } {
  // DSTU2 keeps the ingredients under `product`.
  const listed = med.ingredient !== undefined ? objectList(med.ingredient) : isObject(med.product) ? objectList(med.product.ingredient) : [];
  return {
    medication: readConcept(med.code),
    ingredients: listed.map(ingredientConcept).filter((c): c is fhir4.CodeableConcept => c !== null),
    namedByDisplays: !listed.some((i) => readConcept(i.itemCodeableConcept) !== null),
  };
}

/** A reference to an order as `{resourceType}/{id}` (absolute or relative, a version left out); null for anything else. */
function orderReference(reference: string | null | undefined): string | null {
  const m = reference ? /(?:^|\/)(MedicationRequest|MedicationOrder)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference.trim()) : null;
  return m ? `${m[1]}/${m[2]}` : null;
}

/** The view every rule reads: medication, reasons and dosage (no R4 copy of the resource; see `readDraft`). */
function readOrder(resource: JsonObject, resourceType: OrderResourceType, index: ResourceIndex, statuses: ConditionStatuses): MedicationOrderView {
  const id = nonBlank(resource.id) ?? null;
  // Only a valid FHIR id makes a reference the cards may act on (delete/update); others are matched by id only.
  const validId = fhirId(resource.id);

  let medication = readConcept(resource.medicationCodeableConcept);
  let medicationIngredients: fhir4.CodeableConcept[] = [];
  let ingredientsNamedByDisplays = true;
  let unresolvedMedicationReference: string | null = null;
  const medRef = referenceOf(resource.medicationReference);
  if (!medication && medRef) {
    const med = index.resolve(medRef, resource);
    if (med && med.resourceType === 'Medication') {
      ({ medication, ingredients: medicationIngredients, namedByDisplays: ingredientsNamedByDisplays } = medicationOf(med));
    } else unresolvedMedicationReference = medRef;
  }
  if (isObject(resource.medicationReference)) {
    // A reference that is not resolved (or has no reference at all) is classified by its display (§4); so is a
    // Medication it resolves to that carries no name of its own (only a local code, or ingredients named only by
    // their references' displays, which may name a partner alone: classifyOrder reads them when it names no kind).
    const display = nonBlank(resource.medicationReference.display);
    if (display && !medication && ingredientsNamedByDisplays) medication = { text: display };
    else if (display && medication && !nonBlank(medication.text) && !(medication.coding ?? []).some((c) => nonBlank(c.display))) medication = { ...medication, text: display };
  }

  // Read for every active order of every call: lists are made only when there is something to put in them.
  // DSTU2 names a MedicationOrder's reason reasonCodeableConcept, a MedicationStatement's reasonForUse[x].
  let reasons = conceptsInto(conceptsInto(conceptsInto(undefined, resource.reasonCode), resource.reasonCodeableConcept), resource.reasonForUseCodeableConcept);
  let unresolvedReasonReferences: Array<{ reference: string; display: string | null }> | undefined;
  const reasonReferences =
    resource.reasonReference === undefined && resource.reasonForUseReference === undefined ? [] : [...objectList(resource.reasonReference), ...objectList(resource.reasonForUseReference)];
  for (const r of reasonReferences) {
    const ref = referenceOf(r);
    const target = ref ? index.resolve(ref, resource) : undefined;
    // A refuted or entered-in-error Condition gives no reason, not even by the reference's display (the order
    // still has a reason: it is not read as having none, which would let an active Condition decide).
    if (target && target.resourceType === 'Condition' && statuses.isRefutedOrInError(target)) continue;
    const display = nonBlank(r.display);
    // Not resolved here: the display waits until the patient's Conditions are known (a refuted one drops it).
    if (ref && !target) {
      unresolvedReasonReferences = appended(unresolvedReasonReferences, { reference: ref, display: display ?? null });
      continue;
    }
    const reason = reasonOfReference(target && target.resourceType === 'Condition' ? readConcept(target.code) : null, display);
    if (reason) reasons = appended(reasons, reason);
  }

  return {
    resourceType,
    id,
    reference: validId ? `${resourceType}/${validId}` : null,
    status: statusOf(resource),
    dosageInstruction: dosagesOf(resourceType === 'MedicationStatement' ? resource.dosage : resource.dosageInstruction),
    medication,
    medicationIngredients,
    unresolvedMedicationReference,
    drugText: drugTextOf(medication, medicationIngredients),
    reasons: reasons ?? [],
    unresolvedReasonReferences: unresolvedReasonReferences ?? [],
    hasReason: reasons !== undefined || reasonReferences.length > 0,
    startedAt: startOf(resource, resourceType),
    endedAt: nonBlank(resourceType === 'MedicationOrder' ? resource.dateEnded : isObject(resource.effectivePeriod) ? resource.effectivePeriod.end : undefined) ?? null,
    notTaken: resourceType === 'MedicationStatement' && (lowerCode(resource.taken) === 'n' || resource.wasNotTaken === true),
    replaces: orderReference(referenceOf(resource.priorPrescription)),
    intent: lowerCode(resource.intent) ?? null,
  };
}

/** When an order or statement started, as sent (MedicationOrderView.startedAt). */
function startOf(resource: JsonObject, resourceType: OrderResourceType): string | null {
  if (resourceType === 'MedicationStatement') {
    return nonBlank(isObject(resource.effectivePeriod) ? resource.effectivePeriod.start : undefined) ?? nonBlank(resource.effectiveDateTime) ?? nonBlank(resource.dateAsserted) ?? null;
  }
  return nonBlank(resourceType === 'MedicationOrder' ? resource.dateWritten : resource.authoredOn) ?? null;
}

/** The concepts of a field that should be a list of CodeableConcepts (one object counts), appended to `out`. */
function conceptsInto(out: fhir4.CodeableConcept[] | undefined, v: unknown): fhir4.CodeableConcept[] | undefined {
  if (Array.isArray(v)) {
    for (const x of v) {
      const c = readConcept(x);
      if (c) out = appended(out, c);
    }
  } else if (v !== undefined && v !== null) {
    const c = readConcept(v);
    if (c) out = appended(out, c);
  }
  return out;
}

/** dosageInstruction (or a statement's dosage) in R4 shape: a list of objects, one object counting. */
function dosagesOf(v: unknown): fhir4.Dosage[] {
  if (!Array.isArray(v)) return isObject(v) ? [normaliseDosage(v)] : [];
  let out: fhir4.Dosage[] | undefined;
  for (const x of v) if (isObject(x)) out = appended(out, normaliseDosage(x));
  return out ?? [];
}

/** reasonCode, and DSTU2's reasonCodeableConcept, as one list (single values wrapped). */
function reasonSourcesOf(resource: JsonObject): unknown[] {
  return [...asList(resource.reasonCode), ...asList(resource.reasonCodeableConcept)];
}

/** The status as sent, lower case ('unknown' when absent). */
function statusOf(resource: JsonObject): string {
  return lowerCode(resource.status) ?? 'unknown';
}

/**
 * The resource as R4 MedicationRequest JSON, what an R4 `update` starts from: only drafts are updated,
 * so only drafts pay for this copy (a patient's active orders are read on every call).
 */
function r4RequestOf(resource: JsonObject, view: MedicationOrderView): ResourceJson {
  const request: ResourceJson = { ...resource, resourceType: 'MedicationRequest' };
  for (const k of ['patient', 'dateWritten', 'reasonCodeableConcept', 'prescriber', 'dateEnded', 'reasonEnded', 'dosage', 'effectiveDateTime', 'effectivePeriod', 'dateAsserted', 'informationSource', 'derivedFrom', 'partOf', 'statusReason']) {
    delete request[k];
  }
  // Only drafts are updated, and a draft order is a draft (CDS Hooks draftOrders): one sent without a status
  // (R4 requires one) is written back as `draft`, not as the view's `unknown`.
  request.status = lowerCode(resource.status) ?? 'draft';
  request.intent = nonBlank(resource.intent) ?? 'order';
  const subject = resource.subject ?? resource.patient;
  if (subject !== undefined) request.subject = subject;
  const authoredOn = resource.authoredOn ?? resource.dateWritten;
  if (typeof authoredOn === 'string') request.authoredOn = authoredOn;
  else delete request.authoredOn;
  if (resource.requester === undefined && resource.prescriber !== undefined) request.requester = resource.prescriber;
  for (const k of ['category', 'reasonReference', 'note', 'identifier', 'contained']) {
    if (resource[k] !== undefined) request[k] = objectList(resource[k]);
  }
  const reasonCode = reasonSourcesOf(resource).filter(isObject);
  if (reasonCode.length > 0) request.reasonCode = reasonCode;
  else delete request.reasonCode;
  const dosages = view.resourceType === 'MedicationStatement' ? resource.dosage : resource.dosageInstruction;
  if (dosages !== undefined) request.dosageInstruction = view.dosageInstruction;
  else delete request.dosageInstruction;
  if (request.medicationCodeableConcept !== undefined && !isObject(request.medicationCodeableConcept)) delete request.medicationCodeableConcept;
  if (request.medicationReference !== undefined && !isObject(request.medicationReference)) delete request.medicationReference;
  return request;
}

/**
 * The FHIR version a draft order was sent in, as far as its shape tells (DraftOrder.fhirVersion): a
 * MedicationRequest is STU3 when its dosage puts dose[x]/rate[x] on the instruction itself and none uses R4's
 * doseAndRate, or when its requester is STU3's `{agent, onBehalfOf}`.
 */
function fhirVersionOf(resource: JsonObject, resourceType: OrderResourceType): DraftOrder['fhirVersion'] {
  if (resourceType === 'MedicationOrder') return 'DSTU2';
  if (isObject(resource.requester) && resource.requester.agent !== undefined) return 'STU3';
  const dosages = asList(resource.dosageInstruction).filter(isObject);
  return dosages.some(hasInstructionDose) && !dosages.some((d) => d.doseAndRate !== undefined) ? 'STU3' : 'R4';
}

/**
 * A draft whose R4 and as-sent copies are made on first use (then kept): only a card that suggests an
 * `update` reads them, and copying every draft on every call was a good part of reading the drafts.
 * Methods, not getters: on Node 20 an object literal with accessors is made in dictionary mode (~0.6 µs
 * a draft, bench/README.md fourth round). The fields are listed, not spread, and the DraftOrder type
 * makes a field left out a compile error.
 */
function draftOf(resource: JsonObject, view: MedicationOrderView, selected: boolean): DraftOrder {
  let r4: ResourceJson | undefined;
  let sent: ResourceJson | undefined;
  const { resourceType, id, reference, status, dosageInstruction, medication, medicationIngredients, unresolvedMedicationReference, drugText, reasons, unresolvedReasonReferences, hasReason, startedAt, endedAt, notTaken, replaces, intent } =
    view;
  return {
    resourceType,
    id,
    reference,
    status,
    dosageInstruction,
    medication,
    medicationIngredients,
    unresolvedMedicationReference,
    drugText,
    reasons,
    unresolvedReasonReferences,
    hasReason,
    startedAt,
    endedAt,
    notTaken,
    replaces,
    intent,
    selected,
    asR4: () => (r4 ??= r4RequestOf(resource, view)),
    asSent: () => (sent ??= { ...resource, resourceType }),
    fhirVersion: fhirVersionOf(resource, resourceType),
  };
}

interface DraftEntry {
  resource: JsonObject;
  fullUrl?: string;
  /** Where the request holds it: `context.draftOrders.entry[1]`, `context.draftOrders[1]`. */
  field: string;
}

function entriesOf(input: unknown): DraftEntry[] {
  if (Array.isArray(input)) return input.flatMap((resource, i) => (isObject(resource) ? [{ resource, field: `context.draftOrders[${i}]` }] : []));
  if (!isObject(input)) return [];
  if (input.resourceType !== 'Bundle') return [{ resource: input, field: 'context.draftOrders' }];
  const out: DraftEntry[] = [];
  asList(input.entry).forEach((e, i) => {
    if (!isObject(e) || !isObject(e.resource)) return;
    const fullUrl = nonBlank(e.fullUrl);
    const field = `context.draftOrders.entry[${i}]`;
    out.push(fullUrl ? { resource: e.resource, fullUrl, field } : { resource: e.resource, field });
  });
  return out;
}

const DRAFT_ORDER_TYPES: ReadonlySet<unknown> = new Set<unknown>(['MedicationRequest', 'MedicationOrder']);

/**
 * The names a medication order is known by, as `selects` and references read them (ids and fullUrls as sent):
 * its id whichever order type (a selection "MedicationRequest/a" names a DSTU2 MedicationOrder a too), the id
 * its absolute fullUrl ends with when it has none, and its fullUrl. Not an order: none.
 */
function orderNamesOf(entry: DraftEntry): string[] {
  if (!DRAFT_ORDER_TYPES.has(entry.resource.resourceType)) return [];
  const names: string[] = [];
  const id = nonBlank(entry.resource.id) ?? idOfFullUrl(entry.resource, entry.fullUrl);
  if (id !== undefined) names.push(`order/${id}`);
  if (entry.fullUrl !== undefined) names.push(`fullUrl ${entry.fullUrl}`);
  return names;
}

/**
 * Medication orders that share a name (`orderNamesOf`). `repeats`: each order listed again with the same
 * content (an EHR that sends the same draft twice is sending one order) and the entry it repeats; a repeat is
 * not read again, so the order gets one card, but it still names the order (a selection of its fullUrl selects
 * it) and still resolves references. `conflicts`: the later of two different orders by one name (400, below).
 */
function sharedOrderNames(entries: readonly DraftEntry[]): { repeats: Map<DraftEntry, DraftEntry>; conflicts: DraftEntry[] } {
  const repeats = new Map<DraftEntry, DraftEntry>();
  const conflicts: DraftEntry[] = [];
  if (entries.length < 2) return { repeats, conflicts };
  const first = new Map<string, DraftEntry>();
  for (const e of entries) {
    let conflict = false;
    for (const name of orderNamesOf(e)) {
      const earlier = first.get(name);
      if (earlier === undefined) first.set(name, e);
      else if (!sameJson(earlier.resource, e.resource)) conflict = true;
      else if (!repeats.has(e)) repeats.set(e, repeats.get(earlier) ?? earlier);
    }
    if (conflict) conflicts.push(e);
  }
  return { repeats, conflicts };
}

/**
 * Where `draftOrders` holds two different medication orders by one name (their id, whichever order type, or
 * their fullUrl): the fields of the later ones, e.g. `context.draftOrders.entry[1]`. A selection, and a card's
 * suggestion to change or delete an order, name it by that: it would name both, and the card could not say
 * which order it is about.
 */
export function draftsSharingAName(draftOrders: unknown): string[] {
  return sharedOrderNames(entriesOf(draftOrders)).conflicts.map((e) => e.field);
}

/**
 * A selection's type and id: "MedicationRequest/123" as the spec writes it, read leniently — a type in
 * another letter case, or a bare id (type null: any order type), as some EHRs send it.
 */
function selectionKey(selection: string): { type: string | null; id: string } | null {
  const parts = withoutVersion(selection.trim()).split('/');
  const id = parts[parts.length - 1];
  if (!id) return null;
  const type = parts.length >= 2 ? parts[parts.length - 2] : undefined;
  if (type === undefined) return { type: null, id };
  return type ? { type: type.toLowerCase(), id } : null;
}

const ORDER_SELECTION_TYPES: ReadonlySet<string> = new Set(['medicationrequest', 'medicationorder']);

/**
 * Whether a selection names this entry: by `Type/id` (read leniently, as above), or by the entry's
 * `fullUrl` (a draft not yet saved may have no id, only a `urn:uuid:` fullUrl); a draft sent without its id
 * has the id its absolute fullUrl ends with (".../MedicationRequest/request-123"), as references find it.
 */
function selects(selection: string, key: { type: string | null; id: string } | null, entry: { resource: JsonObject; fullUrl?: string }, types?: ReadonlySet<string>): boolean {
  if (entry.fullUrl !== undefined && entry.fullUrl === selection.trim()) return true;
  const id = nonBlank(entry.resource.id) ?? idOfFullUrl(entry.resource, entry.fullUrl);
  if (key === null || id === undefined || key.id !== id) return false;
  const entryType = typeof entry.resource.resourceType === 'string' ? entry.resource.resourceType.toLowerCase() : '';
  if (key.type === null) return types === undefined || types.has(entryType);
  if (types !== undefined) return types.has(key.type);
  // Any entry of that type; an order by either order type (a DSTU2 MedicationOrder selected as "MedicationRequest/…").
  return key.type === entryType || (ORDER_SELECTION_TYPES.has(key.type) && ORDER_SELECTION_TYPES.has(entryType));
}

/**
 * Where `draftOrders` holds an order for another patient than the call's (its `subject`/`patient` names another
 * `Patient/{id}`, as prefetched resources are judged, docs/clinical-rules.md §7): the fields, e.g.
 * `context.draftOrders.entry[1]`. Its card would judge it by this patient's record.
 */
export function draftsOfAnotherPatient(draftOrders: unknown, patientId: unknown): string[] {
  const own = contextPatientId(patientId);
  if (own === undefined) return [];
  const isAnotherPatients = anotherPatientTest(own);
  return entriesOf(draftOrders).flatMap((e) => (isAnotherPatients(e.resource) ? [e.field] : []));
}

/** The indexes of the selections (order-select) that name no entry of `draftOrders` at all: the request is wrong (400). */
export function unmatchedSelections(draftOrders: unknown, selections: readonly unknown[]): number[] {
  const entries = entriesOf(draftOrders);
  const unmatched: number[] = [];
  selections.forEach((s, i) => {
    if (typeof s !== 'string') return;
    const key = selectionKey(s);
    if (!entries.some((e) => selects(s, key, e))) unmatched.push(i);
  });
  return unmatched;
}

/**
 * The medication orders of `context.draftOrders` (a Bundle; an array of resources or one resource are
 * accepted too), each read once. Other resources (ServiceRequest …) are skipped. With `selections`
 * (order-select) only the listed orders are `selected`; without (order-sign) all are.
 */
export function readDraftOrders(draftOrders: unknown, selections: readonly unknown[] | undefined, skipped: SkippedResources, statuses: ConditionStatuses): DraftOrder[] {
  const entries = entriesOf(draftOrders);
  const index = new ResourceIndex(entries);
  const { repeats } = sharedOrderNames(entries);

  const wanted = selections === undefined ? null : selections.filter((s): s is string => typeof s === 'string').map((s) => ({ s, key: selectionKey(s) }));
  const selectsEntry = (entry: DraftEntry) => wanted === null || wanted.some((w) => selects(w.s, w.key, entry, ORDER_SELECTION_TYPES));
  // An order is selected when it, or a repeat of it, is named.
  const isSelected = (entry: DraftEntry) => selectsEntry(entry) || (repeats.size > 0 && [...repeats].some(([repeat, of]) => of === entry && selectsEntry(repeat)));

  // A "do not perform" request is a prohibition, not an order being made: no card is about it. A repeat is read once.
  const orders = entries.filter((e) => DRAFT_ORDER_TYPES.has(e.resource.resourceType) && e.resource.doNotPerform !== true && !repeats.has(e));
  const entryOf = new Map(orders.map((e) => [e.resource, e]));
  return skipped.readEach(
    orders.map((e) => e.resource),
    'medication-order',
    (resource) => {
      const type = resource.resourceType;
      if (!isOrderType(type)) throw new Error('not an order');
      const view = readOrder(resource, type, index, statuses);
      const entry = entryOf.get(resource);
      return draftOf(resource, view, entry === undefined ? wanted === null : isSelected(entry));
    },
  );
}

/** The view with a Medication read from the FHIR server filled in: `medications` by the reference each was read for. */
export function withMedications<T extends MedicationOrderView>(views: readonly T[], medications: ReadonlyMap<string, unknown>): T[] {
  return views.map((v) => {
    if (v.unresolvedMedicationReference === null) return v;
    const med = medications.get(v.unresolvedMedicationReference);
    if (!isObject(med) || med.resourceType !== 'Medication') return v;
    const { medication: code, ingredients, namedByDisplays } = medicationOf(med);
    if (!code && ingredients.length === 0) return v;
    // The reference's display (already the view's medication) still names it first, as in readOrder.
    const medication = code ?? (namedByDisplays ? v.medication : null);
    return { ...v, medication, medicationIngredients: ingredients, unresolvedMedicationReference: null, drugText: drugTextOf(medication, ingredients) };
  });
}

/**
 * The statuses of MedicationRequest, MedicationStatement and DSTU2 MedicationOrder (DSTU2 to R5) that say the
 * drug is not being taken now (`on-hold` included: docs §4.1, README Limits). R5's MedicationStatement
 * `recorded` says nothing about whether it is taken: not among them.
 */
const NOT_ACTIVE_STATUSES: ReadonlySet<string> = new Set(['on-hold', 'cancelled', 'completed', 'ended', 'entered-in-error', 'stopped', 'draft', 'intended', 'not-taken']);

/**
 * The patient's active medication orders and statements among `resources` (prefetch or search results;
 * Medication and Condition resources in the same list resolve references). Status must be `active`. An
 * order or statement without a status, with `unknown` or a status FHIR does not have, or active without a
 * medication that can be read (code, ingredient, a reference to resolve or its display), is unreadable:
 * skipped and named (§7).
 */
export function readActiveMedicationResources(resources: readonly unknown[], skipped: SkippedResources, statuses: ConditionStatuses): MedicationOrderView[] {
  // Search results: references resolve by `Type/id` (a searchset's fullUrl is not used). One pass, no
  // intermediate lists: read for every call, and the array per resource was ~5 µs of an order hook.
  const indexed: { resource: JsonObject }[] = [];
  const active: JsonObject[] = [];
  const add = (resource: JsonObject): void => {
    indexed.push({ resource });
    // A "do not perform" request says the drug is NOT to be given: never a drug taken.
    if (!isOrderType(resource.resourceType) || resource.doNotPerform === true) return;
    const status = lowerCode(resource.status);
    if (status === undefined) skipped.add(resource, 'active-medication', 'no status');
    else if (status === 'active') active.push(resource);
    // "unknown", or a status FHIR does not have ("taking"), may be active: named as unreadable (the opioid
    // delete is then withheld, docs §4.1), never read as closed.
    else if (status === 'unknown') skipped.add(resource, 'active-medication', 'status unknown');
    else if (!NOT_ACTIVE_STATUSES.has(status)) skipped.add(resource, 'active-medication', 'status not understood');
  };
  for (const r of resources) {
    if (!isObject(r)) continue;
    // A Bundle in the list (a prefetch value passed as is) is flattened.
    if (r.resourceType === 'Bundle') for (const e of entriesOf(r)) add(e.resource);
    else add(r);
  }
  const index = new ResourceIndex(indexed);
  return skipped.readEach(active, 'active-medication', (resource) => {
    const type = resource.resourceType;
    if (!isOrderType(type)) throw new Error('not an order');
    const view = readOrder(resource, type, index, statuses);
    if (view.medication === null && view.medicationIngredients.length === 0 && view.unresolvedMedicationReference === null) {
      throw new UnreadableResource('no readable medication');
    }
    return view;
  });
}
