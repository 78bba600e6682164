import { codingsOf, readConcept, reasonOfReference } from '../model/codeableConcept.js';
import { isObject, nonBlank } from '../model/json.js';
import type { MedicationOrderView } from '../model/medicationOrder.js';
import { lastTypeAndId } from '../model/urlPath.js';
import type { MedicationConditionCodes, MedicationConditionGroup } from '../terminology/medicationConditions.js';

/**
 * Why a drug is given, and what the patient has on record (docs/clinical-rules.md §4): prescribed for
 * depression or anxiety (the order's own reason decides; an active Condition only when the order has no
 * reason), and opioid dependence (the order's reason, or an active Condition).
 */

export interface PatientConditions {
  /** The code of a Condition by `Condition/{id}` (reasonReference targets), as sent; null for one refuted or entered in error. */
  codeByReference(reference: string): fhir4.CodeableConcept | null | undefined;
  depressionOrAnxiety: boolean;
  opioidDependence: boolean;
}

/** The Conditions' codes by `Condition/{id}`; null for a refuted or entered-in-error one (no reason for anything). */
function codesByReference(conditions: readonly unknown[], codes: MedicationConditionCodes): Map<string, fhir4.CodeableConcept | null> {
  const out = new Map<string, fhir4.CodeableConcept | null>();
  for (const c of conditions) {
    if (!isObject(c) || c.resourceType !== 'Condition') continue;
    const id = nonBlank(c.id);
    if (!id) continue;
    if (codes.statuses.isRefutedOrInError(c)) {
      out.set(`Condition/${id}`, null);
      continue;
    }
    const code = readConcept(c.code);
    // A later Condition of the same id replaces an earlier one (as Map.set did when this map was built eagerly).
    if (code) out.set(`Condition/${id}`, code);
  }
  return out;
}

export function patientConditions(conditions: readonly unknown[], codes: MedicationConditionCodes): PatientConditions {
  let depressionOrAnxiety = false;
  let opioidDependence = false;
  for (const c of conditions) {
    if (!isObject(c) || c.resourceType !== 'Condition') continue;
    const active = codes.statuses.isActive(c);
    if (active && codes.hasCode('depression-anxiety', c.code)) depressionOrAnxiety = true;
    // Opioid dependence in remission is still dependence: a patient on maintenance treatment is recorded so.
    if ((active || codes.statuses.isInRemission(c)) && codes.hasCode('opioid-dependence', c.code)) opioidDependence = true;
  }
  // Read only for an unresolved reasonReference (rare): built on the first lookup, not for every call.
  let byReference: Map<string, fhir4.CodeableConcept | null> | undefined;
  return {
    codeByReference: (reference) => (byReference ??= codesByReference(conditions, codes)).get(reference),
    depressionOrAnxiety,
    opioidDependence,
  };
}

/**
 * The order's reasons, one per reason: its own, plus, for each reasonReference to one of the patient's
 * Conditions, that Condition's code with the reference's display as its text — nothing for a Condition
 * refuted or entered in error.
 */
export function reasonsOf(order: MedicationOrderView, patient: PatientConditions): fhir4.CodeableConcept[] {
  const out = [...order.reasons];
  for (const { reference, display } of order.unresolvedReasonReferences) {
    const tail = lastTypeAndId(reference);
    // The Conditions are known by `Condition/{id}`: a reference of one segment names none of them.
    const code = tail === undefined ? undefined : patient.codeByReference(`${tail.type}/${tail.id}`);
    if (code === null) continue;
    const reason = reasonOfReference(code, display);
    if (reason) out.push(reason);
  }
  return out;
}

/** A reason's words (text and displays), read leniently. */
function reasonText(reason: unknown): string {
  if (!isObject(reason)) return '';
  return [reason.text, ...codingsOf(reason).map((c) => c.display)].map(nonBlank).filter((t) => t !== undefined).join(' ');
}

/** One reason names the group: by its code, or by its words (src/terminology/reasonText.ts). */
function reasonNames(group: MedicationConditionGroup, reason: unknown, codes: MedicationConditionCodes): boolean {
  return codes.hasCode(group, reason) || codes.textNames(group, reasonText(reason));
}

/**
 * Prescribed for depression or anxiety: every reason of the order is coded or worded so. Another reason
 * beside it ("mod smerter", or M79.7 beside F32.1) means the drug is (also) for pain, and the card is shown,
 * as for a reason text that says more; only an order with no reason at all falls back to an active Condition.
 */
export function prescribedForDepressionOrAnxiety(order: MedicationOrderView, patient: PatientConditions, codes: MedicationConditionCodes): boolean {
  if (!order.hasReason) return patient.depressionOrAnxiety;
  const reasons = reasonsOf(order, patient);
  return reasons.length > 0 && reasons.every((r) => reasonNames('depression-anxiety', r, codes));
}

/**
 * One of the order's reasons (not all: then there is no card) names depression or anxiety, or mentions it among
 * other things ("depression og smerter", one text): the drug may be for that too, so a card must not tell the
 * patient it is "not to treat depression".
 */
export function partlyForDepressionOrAnxiety(order: MedicationOrderView, patient: PatientConditions, codes: MedicationConditionCodes): boolean {
  return order.hasReason && reasonsOf(order, patient).some((r) => codes.hasCode('depression-anxiety', r) || codes.textMentions('depression-anxiety', reasonText(r)));
}

/**
 * Opioid dependence on record for this order: its reason, by code or by words ("Substitutionsbehandling",
 * "mod opioidafhængighed": Danish prescriptions carry the indication as text), or a Condition of the patient,
 * active or in remission.
 */
export function opioidDependenceFor(order: MedicationOrderView, patient: PatientConditions, codes: MedicationConditionCodes): boolean {
  return patient.opioidDependence || opioidDependenceIsTheReason(order, patient, codes);
}

/** The order's own reason, by code or by words, is opioid dependence (a Condition of the patient aside). */
export function opioidDependenceIsTheReason(order: MedicationOrderView, patient: PatientConditions, codes: MedicationConditionCodes): boolean {
  return reasonsOf(order, patient).some((r) => reasonNames('opioid-dependence', r, codes));
}
