import type { FhirFetcher } from './fhirFetcher.js';
import type { PrefetchTemplateSpec } from '../model/cdsService.js';
import type { FhirReadRecorder } from '../observability/metrics.js';

/** The resource type a relative FHIR query reads (`Condition?patient=1` → `Condition`); null for absolute URLs. */
function resourceTypeOf(query: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(query)) return null;
  return /^\/?([A-Z][A-Za-z]+)/.exec(query)?.[1] ?? null;
}

/**
 * Wraps the FHIR fetcher so every read is reported (count, failures, latency) under the prefetch key
 * whose template reads that resource type (e.g. `labs` for Observation); reads that are no prefetch
 * key are reported under their resource type (e.g. `Medication`), `next` links as `next-page`. The
 * data stage itself is unchanged.
 */
export function recordFhirReads(fetcher: FhirFetcher, recorder: FhirReadRecorder): { fetcher: FhirFetcher; addSpecs(specs: readonly PrefetchTemplateSpec[]): void } {
  const keysByType = new Map<string, Set<string>>();
  const label = (query: string): string => {
    const type = resourceTypeOf(query);
    if (type === null) return 'next-page';
    const keys = keysByType.get(type);
    return keys ? [...keys].sort().join('|') : type;
  };
  return {
    addSpecs(specs) {
      for (const spec of specs) {
        const type = resourceTypeOf(spec.query);
        if (type === null) continue;
        let keys = keysByType.get(type);
        if (!keys) keysByType.set(type, (keys = new Set()));
        keys.add(spec.key);
      }
    },
    fetcher: {
      async fetch(fhirServer, query, options) {
        const started = process.hrtime.bigint();
        const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
        try {
          const resources = await fetcher.fetch(fhirServer, query, options);
          recorder.fhirRead(label(query), seconds(), true);
          return resources;
        } catch (err) {
          recorder.fhirRead(label(query), seconds(), false);
          throw err;
        }
      },
    },
  };
}
