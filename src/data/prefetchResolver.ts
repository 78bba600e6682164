import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { HttpError } from '../transport/operationOutcome.js';
import { readFhirPayload } from './bundleEntries.js';
import { abortable, FhirFetchError, type FhirFetcher } from './fhirFetcher.js';
import { checkFhirServer, isWithinBase } from './fhirServerAllowlist.js';
import { substituteTemplate } from './prefetchTemplate.js';

/**
 * The data stage: prefetch in, FHIR resources out, following the decision table of CDS Hooks 2.0 §2.1.
 * Per key: usable prefetch is used; `null` or an empty Bundle is "no data" (never refetched); a missing
 * key or a prefetch error (OperationOutcome, malformed value) is fetched from an allow-listed
 * fhirServer. Required data that cannot be had → 412; optional data → [] and a warning.
 */

export interface PrefetchTemplateSpec {
  key: string;
  query: string;
  required: boolean;
  /** Human words for 412 messages, e.g. "the patient's Conditions". */
  description: string;
}

export interface HookRequestData {
  fhirServer?: string;
  fhirAuthorization?: { access_token: string; token_type?: string };
  context: Record<string, unknown>;
  prefetch?: Record<string, unknown>;
}

export interface ResolvedPrefetch {
  resources: Record<string, fhir4.Resource[]>;
  sources: Record<string, 'prefetch' | 'fhir' | 'none'>;
  warnings: string[];
}

export interface PrefetchResolverDeps {
  fetcher: FhirFetcher;
  config: Config;
  logger: Logger;
}

type Outcome = { resources: fhir4.Resource[]; source: 'prefetch' | 'fhir' } | { unavailable: string };

function hasKey(prefetch: Record<string, unknown> | undefined, key: string): boolean {
  return prefetch !== undefined && Object.prototype.hasOwnProperty.call(prefetch, key) && prefetch[key] !== undefined;
}

export async function resolvePrefetch(
  specs: readonly PrefetchTemplateSpec[],
  request: HookRequestData,
  deps: PrefetchResolverDeps,
): Promise<ResolvedPrefetch> {
  const { fetcher, config, logger } = deps;
  const prefetch = request.prefetch !== null && typeof request.prefetch === 'object' && !Array.isArray(request.prefetch) ? request.prefetch : undefined;
  const token = request.fhirAuthorization?.access_token || undefined;
  const server = checkFhirServer(request.fhirServer, config);
  const warnings: string[] = [];

  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new FhirFetchError('timeout', 'the request deadline passed before the FHIR server answered')),
    config.fhir.requestDeadlineMs,
  );

  /** Whatever stands in the way of fetching this spec's query, or the query itself. */
  function plan(spec: PrefetchTemplateSpec): { query: string } | { unavailable: string } {
    if (!server.allowed) return { unavailable: server.reason };
    const t = substituteTemplate(spec.query, request.context ?? {});
    if (!t.ok) return { unavailable: `its query needs ${t.unresolved.map((u) => `{{${u}}}`).join(', ')}, which the context does not provide` };
    return { query: t.query };
  }

  async function fetchFromServer(spec: PrefetchTemplateSpec, query: string): Promise<fhir4.Resource[]> {
    if (!server.allowed) throw new FhirFetchError('not-allowed', server.reason);
    return fetcher.fetch(server.base, query, {
      ...(token ? { accessToken: token } : {}),
      signal: deadline.signal,
      onWarning: (m) => warnings.push(`prefetch "${spec.key}": ${m}`),
    });
  }

  /** Bounded even when a fetcher ignores the signal: the deadline (its reason is the timeout error) settles the race. */
  const withinDeadline = <T>(p: Promise<T>): Promise<T> => abortable(p, deadline.signal);

  function failureText(err: unknown): string {
    return err instanceof FhirFetchError ? err.message : 'the FHIR query failed';
  }

  async function resolveOne(spec: PrefetchTemplateSpec, prefetchProblem: string | null, planned: { query: string }): Promise<Outcome> {
    try {
      const resources = await withinDeadline(fetchFromServer(spec, planned.query));
      return { resources, source: 'fhir' };
    } catch (err) {
      const why = failureText(err);
      logger.warn({ key: spec.key, reason: err instanceof FhirFetchError ? err.reason : 'unknown' }, 'prefetch key could not be fetched');
      return { unavailable: prefetchProblem ? `the prefetch was ${prefetchProblem} and ${why}` : why };
    }
  }

  /** A usable prefetched Bundle with a next link: follow it only on the allowed fhirServer, else keep what came. */
  async function completePages(spec: PrefetchTemplateSpec, resources: fhir4.Resource[], nextUrl: string): Promise<Outcome> {
    const incomplete = `prefetch "${spec.key}" has more pages that were not read`;
    if (!server.allowed) {
      warnings.push(`${incomplete}: ${server.reason}`);
      return { resources, source: 'prefetch' };
    }
    let next: string;
    try {
      next = new URL(nextUrl, `${server.base}/`).href;
    } catch {
      warnings.push(`${incomplete}: its next link is not a URL`);
      return { resources, source: 'prefetch' };
    }
    if (!isWithinBase(next, server.base)) {
      warnings.push(`${incomplete}: its next link leads away from the fhirServer`);
      return { resources, source: 'prefetch' };
    }
    if (config.fhir.maxPages <= 1) {
      warnings.push(`${incomplete}: the page limit (${config.fhir.maxPages}) was reached`);
      return { resources, source: 'prefetch' };
    }
    try {
      const more = await withinDeadline(
        fetcher.fetch(server.base, next, {
          ...(token ? { accessToken: token } : {}),
          signal: deadline.signal,
          maxPages: config.fhir.maxPages - 1, // the prefetched Bundle was page 1
          onWarning: (m) => warnings.push(`prefetch "${spec.key}": ${m}`),
        }),
      );
      return { resources: [...resources, ...more], source: 'prefetch' };
    } catch (err) {
      warnings.push(`${incomplete}: ${failureText(err)}`);
      return { resources, source: 'prefetch' };
    }
  }

  try {
    // First pass, no I/O: classify every key and find required data that cannot be had at all.
    type Step =
      | { spec: PrefetchTemplateSpec; now: Outcome }
      | { spec: PrefetchTemplateSpec; fetch: { query: string }; prefetchProblem: string | null }
      | { spec: PrefetchTemplateSpec; page: { resources: fhir4.Resource[]; nextUrl: string } };
    const steps: Step[] = specs.map((spec): Step => {
      let prefetchProblem: string | null = null;
      if (hasKey(prefetch, spec.key)) {
        const value = prefetch?.[spec.key];
        if (value === null) return { spec, now: { resources: [], source: 'prefetch' } }; // "no data"
        const reading = readFhirPayload(value);
        if (reading.ok) {
          if (reading.nextUrl !== undefined) return { spec, page: { resources: reading.resources, nextUrl: reading.nextUrl } };
          return { spec, now: { resources: reading.resources, source: 'prefetch' } };
        }
        prefetchProblem = reading.problem;
      }
      const p = plan(spec);
      if ('unavailable' in p) {
        const why = prefetchProblem ? `the prefetch was ${prefetchProblem} and ${p.unavailable}` : `it was not prefetched and ${p.unavailable}`;
        return { spec, now: { unavailable: why } };
      }
      return { spec, fetch: p, prefetchProblem };
    });

    const hopeless = steps.filter((s) => s.spec.required && 'now' in s && 'unavailable' in s.now);
    // No point asking the FHIR server when the answer will be 412 anyway.
    if (hopeless.length > 0) throw precondition(hopeless.map((s) => ({ spec: s.spec, why: (s as { now: { unavailable: string } }).now.unavailable })));

    const outcomes = await Promise.all(
      steps.map((s): Promise<Outcome> => {
        if ('now' in s) return Promise.resolve(s.now);
        if ('page' in s) return completePages(s.spec, s.page.resources, s.page.nextUrl);
        return resolveOne(s.spec, s.prefetchProblem, s.fetch);
      }),
    );

    const result: ResolvedPrefetch = { resources: {}, sources: {}, warnings };
    const missing: { spec: PrefetchTemplateSpec; why: string }[] = [];
    outcomes.forEach((o, i) => {
      const spec = specs[i] as PrefetchTemplateSpec;
      if ('unavailable' in o) {
        if (spec.required) missing.push({ spec, why: o.unavailable });
        else {
          warnings.push(`optional data "${spec.key}" (${spec.description}) is unavailable: ${o.unavailable}`);
          result.resources[spec.key] = [];
          result.sources[spec.key] = 'none';
        }
        return;
      }
      result.resources[spec.key] = o.resources;
      result.sources[spec.key] = o.source;
    });
    if (missing.length > 0) throw precondition(missing);
    return result;
  } finally {
    clearTimeout(timer);
    deadline.abort(new Error('request done')); // ends any fetch still running (e.g. after a 412)
  }
}

/** 412 naming each unavailable required key, its description and the reason; reasons never hold the token. */
function precondition(missing: { spec: PrefetchTemplateSpec; why: string }[]): HttpError {
  const summary = `Required data is unavailable: ${missing.map((m) => m.spec.description).join('; ')}`;
  return new HttpError(412, 'incomplete', summary, {
    extraIssues: missing.map((m) => ({
      severity: 'error' as const,
      code: 'incomplete' as const,
      diagnostics: `${m.spec.description} (prefetch "${m.spec.key}"): ${m.why}`,
      expression: [`prefetch.${m.spec.key}`],
    })),
  });
}
