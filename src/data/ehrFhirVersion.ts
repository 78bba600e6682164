import type { FhirVersion, OlderFhirVersion } from '../model/fhirVersion.js';
import type { ResolvedPrefetch } from './prefetchResolver.js';

/**
 * The version a resource type says the EHR writes, in the order they are looked for: a type listed first wins
 * (an EHR that sends a ServiceRequest is R4, whatever else it sends). MedicationRequest is STU3's too: it says
 * only "not DSTU2", which is as much as the drug orders are asked.
 */
const OPEN_ORDER_TYPES: ReadonlyArray<[string, FhirVersion]> = [
  ['ServiceRequest', 'R4'],
  ['ProcedureRequest', 'STU3'],
  ['DiagnosticOrder', 'DSTU2'],
];
const DRUG_ORDER_TYPES: ReadonlyArray<[string, FhirVersion]> = [
  ['MedicationRequest', 'R4'],
  ['MedicationOrder', 'DSTU2'],
];

function seenIn(resources: readonly fhir4.Resource[] | undefined, types: ReadonlyArray<[string, FhirVersion]>): FhirVersion | undefined {
  const held = new Set((resources ?? []).map((r) => r.resourceType));
  return types.find(([type]) => held.has(type))?.[1];
}

/**
 * The EHR's FHIR version as one patient-view call shows it, when it is older than R4 — for writing the resources
 * its suggestions create in a version it can create (docs/clinical-rules.md §7.1); undefined: R4. First what the
 * open lab orders say, then what the drug orders say:
 * - fhirServer answered the `serviceRequests` search only as DSTU2 DiagnosticOrders or STU3 ProcedureRequests
 *   (it does not know ServiceRequest), or the prefetched open orders hold those and no ServiceRequest;
 * - else fhirServer answered `medications` only as DSTU2 MedicationOrders, or the prefetched drug orders are
 *   MedicationOrders and no MedicationRequest.
 * A record with neither open orders nor drug orders, prefetched, shows nothing: R4.
 */
export function olderEhrVersion(data: Pick<ResolvedPrefetch, 'resources' | 'olderVersions'>): OlderFhirVersion | undefined {
  const orders = data.olderVersions?.serviceRequests ?? seenIn(data.resources.serviceRequests, OPEN_ORDER_TYPES);
  if (orders !== undefined) return orders === 'R4' ? undefined : orders;
  const drugs = data.olderVersions?.medications ?? seenIn(data.resources.medications, DRUG_ORDER_TYPES);
  return drugs === 'DSTU2' ? drugs : undefined;
}
