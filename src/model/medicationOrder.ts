/**
 * A medication order or statement as every stage sees it (docs/clinical-rules.md §4, §7): R4
 * MedicationRequest, DSTU2 MedicationOrder and R4 MedicationStatement, read leniently by data/ into one
 * R4-shaped view. A draft also keeps the original resource for `update` suggestions in the EHR's own FHIR version.
 */
import type { FhirVersion } from './fhirVersion.js';

/** A FHIR resource as plain JSON (R4 MedicationRequest or DSTU2 MedicationOrder …). */
export type ResourceJson = { resourceType: string; id?: string } & Record<string, unknown>;

export type OrderResourceType = 'MedicationRequest' | 'MedicationOrder' | 'MedicationStatement';

export interface MedicationOrderView {
  /** As sent: MedicationOrder for DSTU2, MedicationStatement for the shared medication record. */
  resourceType: OrderResourceType;
  id: string | null;
  /** `{resourceType}/{id}`, null when the resource has no id. */
  reference: string | null;
  /** The status as sent, lower case ('unknown' when absent). */
  status: string;
  /** The dosage instructions, normalised to R4 (a statement's `dosage`, DSTU2 `periodUnits`, single objects wrapped). */
  dosageInstruction: fhir4.Dosage[];
  /** medicationCodeableConcept, the code of the resolved Medication, or the display of a reference not resolved. */
  medication: fhir4.CodeableConcept | null;
  /** The resolved Medication's ingredients: itemCodeableConcept, else an itemReference's display as text (classified when it has no usable code). */
  medicationIngredients: fhir4.CodeableConcept[];
  /** A medicationReference that could not be resolved here (the data stage may read it from the FHIR server). */
  unresolvedMedicationReference: string | null;
  /** The drug as ordered (text, else display, else code); null without a medication. */
  drugText: string | null;
  /** reasonCode (DSTU2 reasonCodeableConcept, reasonForUse[x]), the codes of reasonReference Conditions resolved here, and their references' displays as text. */
  reasons: fhir4.CodeableConcept[];
  /** reasonReferences not resolved here (to one of the patient's Conditions, perhaps), with their displays. */
  unresolvedReasonReferences: Array<{ reference: string; display: string | null }>;
  /** The order carries a reason at all (reasonCode or reasonReference, resolved or not). */
  hasReason: boolean;
  /**
   * When it started, as sent: a MedicationRequest's `authoredOn`, DSTU2 MedicationOrder `dateWritten`, a
   * statement's `effectivePeriod.start`, `effectiveDateTime` or `dateAsserted`; null when it does not say. The
   * start a dosage's `boundsDuration` runs from when its bounds give no start of their own.
   */
  startedAt: string | null;
  /** When it says it ended, as sent: a statement's `effectivePeriod.end`, DSTU2 MedicationOrder `dateEnded`; null when it does not. */
  endedAt: string | null;
  /** A statement that says the drug is not taken: STU3 `taken: "n"`, DSTU2 `wasNotTaken: true`. */
  notTaken: boolean;
  /** The order this one replaces (`priorPrescription`), as `{resourceType}/{id}`; null when it names none. */
  replaces: string | null;
  /** A MedicationRequest's `intent`, lower case; null when it has none (statements, DSTU2 orders). */
  intent: string | null;
}

/** A draft order: the only orders a card suggests to `update`, so the only ones that carry the resource. */
export interface DraftOrder extends MedicationOrderView {
  /**
   * The resource as R4 MedicationRequest JSON (arrays where R4 wants them; medication[x] as sent): what an R4
   * `update` starts from. Made on first call, then the same object.
   */
  asR4(): ResourceJson;
  /** The resource exactly as sent (a shallow copy, made on first call). */
  asSent(): ResourceJson;
  /**
   * The FHIR version the draft was sent in, as far as its shape tells (docs/clinical-rules.md §4.5): DSTU2 for a
   * MedicationOrder; STU3 for a MedicationRequest whose dosage gives dose[x]/rate[x] on the instruction itself
   * (R4 has doseAndRate) or whose requester is STU3's `{agent}`; else R4. An `update` is written in it.
   */
  fhirVersion: FhirVersion;
  /** order-select: named in `selections`; without selections (order-sign): every draft. */
  selected: boolean;
}

/** True when the order names a medication at all (the sandbox's empty draft does not). */
export function hasMedication(order: MedicationOrderView): boolean {
  return order.medication !== null || order.medicationIngredients.length > 0 || order.unresolvedMedicationReference !== null;
}
