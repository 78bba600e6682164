import { readActiveMedicationRequests, type MedicationOrderView } from './draftOrders.js';
import type { DataCall, PrefetchResolverDeps } from './prefetchResolver.js';
import { fetchReferencedMedications } from './referencedMedications.js';

/**
 * The patient's active medication orders, with Medications they reference read from the fhirServer when
 * the search result did not hold them. Prefetch stays inside the spec's recommended query subset (no
 * _include), so references are resolved here by instance reads, within the call's deadline.
 */
export async function readActiveMedications(resources: readonly fhir4.Resource[], call: DataCall, deps: PrefetchResolverDeps): Promise<MedicationOrderView[]> {
  const active = readActiveMedicationRequests(resources);
  const unresolved = active.map((m) => m.unresolvedMedicationReference).filter((r): r is string => r !== null);
  if (unresolved.length === 0) return active;
  const medications = await fetchReferencedMedications(unresolved, call, deps);
  return medications.length === 0 ? active : readActiveMedicationRequests([...resources, ...medications]);
}
