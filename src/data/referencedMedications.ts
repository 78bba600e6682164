import type { PrefetchTemplateSpec } from '../model/cdsService.js';
import { isFhirId } from '../model/json.js';
import { namesAnotherServer } from './fhirServerAllowlist.js';
import { resolvePrefetch, type DataCall, type PrefetchResolverDeps } from './prefetchResolver.js';

/** `Medication/{id}`, relative or absolute; the id is then checked as a FHIR id (`..` is no Medication: never read). */
const REFERENCE = /^(?:.*\/)?Medication\/([^/]+)$/;
const MAX_READS = 20;

/**
 * Medications that orders reference but that neither the order's contained resources nor its Bundle
 * hold: read from the fhirServer (same allow-list, token and call deadline as prefetch), each by the reference
 * it was read for. Only references to that server — relative, or absolute below its base — are read there: an
 * absolute reference to another server names another server's Medication, which the call's server may hold
 * another drug under the same id; such an order is classified by its display, if any, else it is
 * unreadable. Optional data: a Medication that cannot be had is logged and left out.
 */
export async function fetchReferencedMedications(references: readonly string[], call: DataCall, deps: PrefetchResolverDeps): Promise<ReadonlyMap<string, fhir4.Resource>> {
  const fhirServer = call.request.fhirServer;
  const idOf = new Map<string, string>();
  for (const reference of references) {
    const id = REFERENCE.exec(reference)?.[1];
    if (id === undefined || !isFhirId(id)) continue;
    if (namesAnotherServer(reference, fhirServer)) continue;
    idOf.set(reference, id);
  }
  const ids = [...new Set(idOf.values())].slice(0, MAX_READS);
  if (ids.length === 0) return new Map();
  const specs: PrefetchTemplateSpec[] = ids.map((id, i) => ({ key: `medication${i}`, query: `Medication/${id}`, required: false, description: 'a referenced Medication' }));
  // These keys are ours, never the client's: no prefetch, so only the FHIR server answers. The call's
  // fields are named, not spread: its logger and deadline may be getters of a class, which a spread drops.
  const withoutPrefetch: DataCall = { request: { ...call.request, prefetch: {} }, signal: call.signal, log: call.log, trace: call.trace, skipped: call.skipped };
  const resolved = await resolvePrefetch(specs, withoutPrefetch, deps);
  const byId = new Map<string, fhir4.Resource>();
  ids.forEach((id, i) => {
    const medication = resolved.resources[`medication${i}`]?.find((r) => r.resourceType === 'Medication');
    if (medication) byId.set(id, medication);
  });
  const out = new Map<string, fhir4.Resource>();
  for (const [reference, id] of idOf) {
    const medication = byId.get(id);
    if (medication) out.set(reference, medication);
  }
  return out;
}
