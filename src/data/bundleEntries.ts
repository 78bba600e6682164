/**
 * Turns one FHIR payload (a prefetch value or a FHIR server response body) into the list of resources
 * it carries. Payloads come from outside, so nothing about their shape is assumed.
 */

export type PayloadReading =
  | {
      ok: true;
      resources: fhir4.Resource[];
      /** `link[relation=next].url` of a Bundle, if any. */
      nextUrl?: string;
    }
  | { ok: false; /** why the payload is unusable; safe to show (no data values) */ problem: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isResource(v: unknown): v is fhir4.Resource {
  return isObject(v) && typeof v.resourceType === 'string' && v.resourceType !== '';
}

function nextLink(bundle: Record<string, unknown>): string | undefined | false {
  if (bundle.link === undefined) return undefined;
  if (!Array.isArray(bundle.link)) return false;
  for (const l of bundle.link as unknown[]) {
    if (!isObject(l)) return false;
    if (l.relation === 'next') return typeof l.url === 'string' && l.url !== '' ? l.url : false;
  }
  return undefined;
}

/**
 * A resource → [it]; a Bundle → its entries' resources without OperationOutcomes (`search.mode =
 * outcome` or resourceType OperationOutcome); an empty Bundle → []. An OperationOutcome, a Bundle
 * holding only OperationOutcomes, or anything malformed → not ok.
 */
export function readFhirPayload(value: unknown): PayloadReading {
  if (!isObject(value)) return { ok: false, problem: 'not a FHIR resource (not a JSON object)' };
  if (!isResource(value)) return { ok: false, problem: 'not a FHIR resource (no resourceType)' };
  if (value.resourceType === 'OperationOutcome') return { ok: false, problem: 'an OperationOutcome (an error)' };
  if (value.resourceType !== 'Bundle') return { ok: true, resources: [value] };

  const bundle = value as unknown as Record<string, unknown>;
  const next = nextLink(bundle);
  if (next === false) return { ok: false, problem: 'a Bundle with a malformed link' };
  const entries = bundle.entry ?? [];
  if (!Array.isArray(entries)) return { ok: false, problem: 'a Bundle whose entry is not a list' };

  const resources: fhir4.Resource[] = [];
  for (const entry of entries as unknown[]) {
    if (!isObject(entry) || !isResource(entry.resource)) return { ok: false, problem: 'a Bundle with an entry that holds no resource' };
    const mode = isObject(entry.search) ? entry.search.mode : undefined;
    if (mode === 'outcome' || entry.resource.resourceType === 'OperationOutcome') continue;
    resources.push(entry.resource);
  }
  if (entries.length > 0 && resources.length === 0) return { ok: false, problem: 'a Bundle holding only OperationOutcomes' };
  return next === undefined ? { ok: true, resources } : { ok: true, resources, nextUrl: next };
}
