import type { ResourceJson } from '../guideline/dosageTiming.js';

/**
 * Lenient reading of medication orders: R4 MedicationRequest and DSTU2 MedicationOrder (the CDS Hooks
 * sandbox's default server is DSTU2), into one R4-shaped view. The sandbox also sends objects where R4 has
 * arrays (category, reasonCode, doseAndRate): those are wrapped. The original resourceType is kept for the
 * `{resourceType}/{id}` of suggestions, and the resource as sent is kept for `update` copies in the EHR's
 * own FHIR version. medicationReference and reasonReference are resolved from contained resources, the
 * draft Bundle and any extra resources given (e.g. fetched from the FHIR server by the data layer).
 */

export type OrderResourceType = 'MedicationRequest' | 'MedicationOrder';

export interface MedicationOrderView {
  /** As sent: MedicationOrder for DSTU2. */
  resourceType: OrderResourceType;
  id: string | null;
  /** `{resourceType}/{id}`, null when the resource has no id. */
  reference: string | null;
  /** Normalised R4 MedicationRequest (medication[x] kept as sent). */
  request: fhir4.MedicationRequest;
  /** The resource exactly as sent. */
  original: ResourceJson;
  /** medicationCodeableConcept, or the code of the resolved Medication. */
  medication: fhir4.CodeableConcept | null;
  /** ingredient[].itemCodeableConcept of the resolved Medication (classified when it has no usable code). */
  medicationIngredients: fhir4.CodeableConcept[];
  /** A medicationReference that could not be resolved here (the data layer may fetch it). */
  unresolvedMedicationReference: string | null;
  /** The drug as ordered (text, else display, else code); null without a medication. */
  drugText: string | null;
  /** reasonCode plus the codes of reasonReference Conditions resolved here. */
  reasons: fhir4.CodeableConcept[];
  unresolvedReasonReferences: string[];
}

export interface DraftOrder extends MedicationOrderView {
  /** order-select: named in `selections`; without selections (order-sign): every draft. */
  selected: boolean;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asArray(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function objects(v: unknown): Json[] {
  return asArray(v).filter(isObject);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

function isOrder(r: Json): boolean {
  return r.resourceType === 'MedicationRequest' || r.resourceType === 'MedicationOrder';
}

/** Resolves references by `Type/id`, by fullUrl, and by the last `Type/id` of an absolute URL. */
class ResourceIndex {
  private readonly byRef = new Map<string, Json>();

  add(resource: Json, fullUrl?: string): void {
    const type = str(resource.resourceType);
    const id = str(resource.id);
    if (type && id && !this.byRef.has(`${type}/${id}`)) this.byRef.set(`${type}/${id}`, resource);
    if (fullUrl && !this.byRef.has(fullUrl)) this.byRef.set(fullUrl, resource);
  }

  resolve(reference: string, container: Json): Json | undefined {
    if (reference.startsWith('#')) {
      const id = reference.slice(1);
      return objects(container.contained).find((c) => c.id === id);
    }
    const direct = this.byRef.get(reference);
    if (direct) return direct;
    const parts = reference.replace(/\/_history\/[^/]*$/, '').split('/');
    if (parts.length >= 2) return this.byRef.get(`${parts[parts.length - 2]}/${parts[parts.length - 1]}`);
    return undefined;
  }
}

function referenceOf(v: unknown): string | undefined {
  return isObject(v) ? str(v.reference) : undefined;
}

function concept(v: unknown): fhir4.CodeableConcept | null {
  if (!isObject(v)) return null;
  const coding = objects(v.coding) as fhir4.Coding[];
  const text = str(v.text);
  if (coding.length === 0 && !text) return null;
  return { ...(v as fhir4.CodeableConcept), coding };
}

function normaliseTiming(v: unknown): Json | undefined {
  if (!isObject(v)) return undefined;
  const timing: Json = { ...v };
  if (isObject(v.repeat)) {
    const repeat: Json = { ...v.repeat };
    if (repeat.periodUnit === undefined && repeat.periodUnits !== undefined) repeat.periodUnit = repeat.periodUnits;
    delete repeat.periodUnits;
    if (repeat.durationUnit === undefined && repeat.durationUnits !== undefined) repeat.durationUnit = repeat.durationUnits;
    delete repeat.durationUnits;
    if (repeat.when !== undefined) repeat.when = asArray(repeat.when).filter((w) => typeof w === 'string');
    if (repeat.timeOfDay !== undefined) repeat.timeOfDay = asArray(repeat.timeOfDay).filter((t) => typeof t === 'string');
    if (repeat.dayOfWeek !== undefined) repeat.dayOfWeek = asArray(repeat.dayOfWeek);
    timing.repeat = repeat;
  }
  return timing;
}

function normaliseDosage(v: Json): fhir4.Dosage {
  const d: Json = { ...v };
  const timing = normaliseTiming(v.timing);
  if (timing) d.timing = timing;
  else delete d.timing;
  const doseAndRate = objects(v.doseAndRate);
  // DSTU2 puts dose[x]/rate[x] on the instruction itself.
  const dose: Json = {};
  for (const k of ['doseQuantity', 'doseRange', 'rateQuantity', 'rateRange', 'rateRatio']) {
    if (v[k] !== undefined) {
      dose[k] = v[k];
      delete d[k];
    }
  }
  if (Object.keys(dose).length > 0) doseAndRate.push(dose);
  if (doseAndRate.length > 0) d.doseAndRate = doseAndRate;
  else delete d.doseAndRate;
  return d as fhir4.Dosage;
}

function drugTextOf(c: fhir4.CodeableConcept | null, ingredients: fhir4.CodeableConcept[]): string | null {
  const candidates = [c, ...ingredients].filter((x): x is fhir4.CodeableConcept => x !== null);
  if (candidates.length === 0) return null;
  const one = (x: fhir4.CodeableConcept) =>
    str(x.text) ?? x.coding?.map((cd) => str(cd.display)).find((d) => d) ?? x.coding?.map((cd) => str(cd.code)).find((d) => d) ?? null;
  if (c) return one(c);
  const parts = ingredients.map(one).filter((p): p is string => p !== null);
  return parts.length > 0 ? parts.join(' / ') : null;
}

function readOrder(resource: Json, index: ResourceIndex): MedicationOrderView {
  const resourceType = resource.resourceType as OrderResourceType;
  const id = str(resource.id) ?? null;

  let medication = concept(resource.medicationCodeableConcept);
  let medicationIngredients: fhir4.CodeableConcept[] = [];
  let unresolvedMedicationReference: string | null = null;
  const medRef = referenceOf(resource.medicationReference);
  if (!medication && medRef) {
    const med = index.resolve(medRef, resource);
    if (med && med.resourceType === 'Medication') {
      medication = concept(med.code);
      medicationIngredients = objects(med.ingredient)
        .map((i) => concept(i.itemCodeableConcept))
        .filter((c): c is fhir4.CodeableConcept => c !== null);
    } else unresolvedMedicationReference = medRef;
  }
  if (!medication && !medRef && isObject(resource.medicationReference)) {
    // A reference with only a display still names the drug.
    const display = str(resource.medicationReference.display);
    if (display) medication = { text: display };
  }

  const reasons = [...asArray(resource.reasonCode), ...asArray(resource.reasonCodeableConcept)]
    .map(concept)
    .filter((c): c is fhir4.CodeableConcept => c !== null);
  const unresolvedReasonReferences: string[] = [];
  for (const r of asArray(resource.reasonReference)) {
    const ref = referenceOf(r);
    if (!ref) continue;
    const target = index.resolve(ref, resource);
    const code = target && target.resourceType === 'Condition' ? concept(target.code) : null;
    if (code) reasons.push(code);
    else if (!target) unresolvedReasonReferences.push(ref);
  }

  const request: Json = { ...resource, resourceType: 'MedicationRequest' };
  for (const k of ['patient', 'dateWritten', 'reasonCodeableConcept', 'prescriber', 'dateEnded', 'reasonEnded']) delete request[k];
  request.status = str(resource.status) ?? 'unknown';
  request.intent = str(resource.intent) ?? 'order';
  const subject = resource.subject ?? resource.patient;
  if (subject !== undefined) request.subject = subject;
  const authoredOn = resource.authoredOn ?? resource.dateWritten;
  if (authoredOn !== undefined) request.authoredOn = authoredOn;
  if (resource.requester === undefined && resource.prescriber !== undefined) request.requester = resource.prescriber;
  for (const k of ['category', 'reasonReference', 'note', 'identifier']) {
    if (resource[k] !== undefined) request[k] = objects(resource[k]);
  }
  const reasonCode = [...asArray(resource.reasonCode), ...asArray(resource.reasonCodeableConcept)].filter(isObject);
  if (reasonCode.length > 0) request.reasonCode = reasonCode;
  else delete request.reasonCode;
  if (resource.dosageInstruction !== undefined) request.dosageInstruction = objects(resource.dosageInstruction).map(normaliseDosage);

  return {
    resourceType,
    id,
    reference: id ? `${resourceType}/${id}` : null,
    request: request as unknown as fhir4.MedicationRequest,
    original: resource as ResourceJson,
    medication,
    medicationIngredients,
    unresolvedMedicationReference,
    drugText: drugTextOf(medication, medicationIngredients),
    reasons,
    unresolvedReasonReferences,
  };
}

/** True when the order names a medication at all (the sandbox's empty draft does not). */
export function hasMedication(order: MedicationOrderView): boolean {
  return order.medication !== null || order.medicationIngredients.length > 0 || order.unresolvedMedicationReference !== null;
}

function entriesOf(input: unknown): { resource: Json; fullUrl?: string }[] {
  if (Array.isArray(input)) return input.filter(isObject).map((resource) => ({ resource }));
  if (!isObject(input)) return [];
  if (input.resourceType !== 'Bundle') return [{ resource: input }];
  return objects(input.entry)
    .filter((e) => isObject(e.resource))
    .map((e) => ({ resource: e.resource as Json, ...(str(e.fullUrl) ? { fullUrl: str(e.fullUrl) } : {}) }));
}

function selectionKey(selection: string): { type: string; id: string } | null {
  const parts = selection.replace(/\/_history\/[^/]*$/, '').split('/');
  if (parts.length < 2) return null;
  return { type: parts[parts.length - 2]!, id: parts[parts.length - 1]! };
}

/**
 * The medication orders of `context.draftOrders` (a Bundle; an array of resources or one resource are
 * accepted too). Other resources (ServiceRequest …) are skipped. With `selections` (order-select) only the
 * listed orders are `selected`; without (order-sign) all are. `options.resources`: extra resources for
 * resolving references (e.g. Medications fetched from the FHIR server).
 */
export function readDraftOrders(
  draftOrders: unknown,
  selections?: string[],
  options: { resources?: readonly fhir4.Resource[] } = {},
): DraftOrder[] {
  const entries = entriesOf(draftOrders);
  const index = new ResourceIndex();
  for (const e of entries) index.add(e.resource, e.fullUrl);
  for (const r of options.resources ?? []) if (isObject(r)) index.add(r as unknown as Json);

  const wanted = Array.isArray(selections)
    ? selections.filter((s): s is string => typeof s === 'string').map(selectionKey).filter((k) => k !== null)
    : null;
  const isSelected = (view: MedicationOrderView) =>
    wanted === null ||
    (view.id !== null &&
      wanted.some((w) => w.id === view.id && (w.type === view.resourceType || w.type === 'MedicationRequest' || w.type === 'MedicationOrder')));

  return entries
    .filter((e) => isOrder(e.resource))
    .map((e) => {
      const view = readOrder(e.resource, index);
      return { ...view, selected: isSelected(view) };
    });
}

/**
 * The patient's active medication orders among `resources` (prefetch or search results; Medication and
 * Condition resources in the same list resolve references). Status must be `active`.
 */
export function readActiveMedicationRequests(resources: readonly fhir4.Resource[]): MedicationOrderView[] {
  // A Bundle in the list (a prefetch value passed as is) is flattened.
  const list = resources.flatMap((r) => entriesOf(isObject(r) && r.resourceType === 'Bundle' ? r : [r]));
  const index = new ResourceIndex();
  for (const e of list) index.add(e.resource);
  return list
    .filter((e) => isOrder(e.resource) && e.resource.status === 'active')
    .map((e) => readOrder(e.resource, index))
    .filter(hasMedication);
}
