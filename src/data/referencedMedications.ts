import { resolvePrefetch, type HookRequestData, type PrefetchResolverDeps, type PrefetchTemplateSpec } from './prefetchResolver.js';

const REFERENCE = /^(?:.*\/)?Medication\/([A-Za-z0-9\-.]{1,64})$/;

/**
 * Medications that draft orders reference but that neither the draft's contained resources nor its
 * Bundle hold: read from the fhirServer (same allow-list, token and deadline as prefetch). Optional data:
 * an order whose Medication cannot be had is classified by its text, if any.
 */
export async function fetchReferencedMedications(
  references: readonly string[],
  request: HookRequestData,
  deps: PrefetchResolverDeps,
): Promise<fhir4.Resource[]> {
  const ids = [...new Set(references.map((r) => REFERENCE.exec(r)?.[1]).filter((id): id is string => id !== undefined))].slice(0, 20);
  if (ids.length === 0) return [];
  const specs: PrefetchTemplateSpec[] = ids.map((id, i) => ({ key: `medication${i}`, query: `Medication/${id}`, required: false, description: `the Medication ${id}` }));
  // These keys are ours, never the client's: drop any prefetch so only the FHIR server answers.
  const resolved = await resolvePrefetch(specs, { ...request, prefetch: {} }, deps);
  return Object.values(resolved.resources).flat();
}
