import type { PrefetchTemplateSpec } from '../model/cdsService.js';
import { isFhirId } from '../model/json.js';
import { resolvePrefetch, type DataCall, type PrefetchResolverDeps } from './prefetchResolver.js';

/** `Medication/{id}`, relative or absolute; the id is then checked as a FHIR id (`..` is no Medication: never read). */
const REFERENCE = /^(?:.*\/)?Medication\/([^/]+)$/;

/**
 * Medications that orders reference but that neither the order's contained resources nor its Bundle
 * hold: read from the fhirServer (same allow-list, token and call deadline as prefetch). Optional data:
 * a Medication that cannot be had is logged and left out; its order is classified by its text, if any.
 */
export async function fetchReferencedMedications(references: readonly string[], call: DataCall, deps: PrefetchResolverDeps): Promise<fhir4.Resource[]> {
  const ids = [...new Set(references.map((r) => REFERENCE.exec(r)?.[1]).filter((id): id is string => id !== undefined && isFhirId(id)))].slice(0, 20);
  if (ids.length === 0) return [];
  const specs: PrefetchTemplateSpec[] = ids.map((id, i) => ({ key: `medication${i}`, query: `Medication/${id}`, required: false, description: 'a referenced Medication' }));
  // These keys are ours, never the client's: no prefetch, so only the FHIR server answers. The call's
  // fields are named, not spread: its logger and deadline may be getters of a class, which a spread drops.
  const withoutPrefetch: DataCall = { request: { ...call.request, prefetch: {} }, signal: call.signal, log: call.log, trace: call.trace, skipped: call.skipped };
  const resolved = await resolvePrefetch(specs, withoutPrefetch, deps);
  return Object.values(resolved.resources).flatMap((r) => r ?? []);
}
