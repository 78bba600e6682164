import type { PrefetchTemplateSpec } from '../model/cdsService.js';
import type { ConditionStatuses } from '../model/conditionStatus.js';
import type { MedicationOrderView } from '../model/medicationOrder.js';
import type { SkippedResources } from '../model/skipped.js';
import { readActiveMedicationResources, withMedications } from './draftOrders.js';
import type { DataCall, PrefetchResolverDeps } from './prefetchResolver.js';
import { fetchReferencedMedications } from './referencedMedications.js';

/** The optional prefetch key for the shared medication record's active statements (docs/clinical-rules.md §3.3, §7). */
export const MEDICATION_STATEMENTS_PREFETCH: PrefetchTemplateSpec = {
  key: 'medicationStatements',
  query: 'MedicationStatement?patient={{context.patientId}}&status=active',
  required: false,
  description: "the patient's active MedicationStatements",
};

/**
 * The patient's active medication orders and statements, with Medications they reference read from the
 * fhirServer when the search result did not hold them. Prefetch stays inside the spec's recommended query
 * subset (no _include), so references are resolved here by instance reads; one that cannot be read is
 * classified by its display.
 */
export async function readActiveMedications(
  resources: readonly unknown[],
  call: DataCall,
  deps: PrefetchResolverDeps,
  skipped: SkippedResources,
  /** How a Condition an order's reason points to is read (a refuted one gives no reason). */
  statuses: ConditionStatuses,
): Promise<MedicationOrderView[]> {
  const active = readActiveMedicationResources(resources, skipped, statuses);
  const unresolved = active.map((m) => m.unresolvedMedicationReference).filter((r): r is string => r !== null);
  if (unresolved.length === 0) return active;
  const out: MedicationOrderView[] = [];
  for (const m of withMedications(active, await fetchReferencedMedications(unresolved, call, deps))) {
    // A reference that could not be read and has no display: the drug is unknown, so the order is unreadable
    // (named; and the opioid delete is withheld, docs/clinical-rules.md §4.1), not an order of nothing.
    if (m.unresolvedMedicationReference !== null && m.medication === null && m.medicationIngredients.length === 0 && !m.drugText?.trim()) {
      skipped.add({ resourceType: m.resourceType, id: m.id }, 'active-medication', 'medication not found');
    } else out.push(m);
  }
  return out;
}
