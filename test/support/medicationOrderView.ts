import type { MedicationOrderView } from '../../src/model/medicationOrder.js';

/** A medication order as the data stage reads it, for tests of the rules: an active MedicationRequest of nothing in particular, with `over` on top. */
export function medicationOrderView(over: Partial<MedicationOrderView> = {}): MedicationOrderView {
  return {
    resourceType: 'MedicationRequest',
    id: 'x',
    reference: 'MedicationRequest/x',
    status: 'active',
    dosageInstruction: [],
    medication: null,
    medicationIngredients: [],
    unresolvedMedicationReference: null,
    drugText: null,
    reasons: [],
    unresolvedReasonReferences: [],
    hasReason: false,
    startedAt: null,
    endedAt: null,
    notTaken: false,
    replaces: null,
    intent: null,
    ...over,
  };
}
