import type { Config } from '../config.js';
import type { CallTrace } from '../model/callTrace.js';
import type { PrefetchTemplateSpec } from '../model/cdsService.js';
import type { OlderFhirVersion } from '../model/fhirVersion.js';
import type { HookRequestEnvelope } from '../model/hookRequest.js';
import { appended } from '../model/json.js';
import { RequiredDataUnavailable, type UnavailableKey } from '../model/requiredData.js';
import type { SkippedResources } from '../model/skipped.js';
import type { Logger } from '../observability/logger.js';
import { isIncomplete, listedOnce, readFhirPayload, saysWithheld, withdrawnWithTheirReports, type PayloadReading } from './bundleEntries.js';
import { abortable, FhirFetchError, type FhirFetcher } from './fhirFetcher.js';
import { checkFhirServer, isWithinBase } from './fhirServerAllowlist.js';
import { anotherPatientTest, contextPatientId } from './patientReference.js';
import { substituteTemplate } from './prefetchTemplate.js';

/** A FHIR resource type's name (`MedicationRequest`). */
const RESOURCE_TYPE = /^[A-Z][A-Za-z]{0,63}$/;

/**
 * The data stage: prefetch in, FHIR resources out, following the decision table of
 * https://cds-hooks.hl7.org/2.0/#prefetch-template as docs/clinical-rules.md §7 refines it. Per key:
 * - usable prefetch is used; `null`, an empty Bundle, or a Bundle whose only OperationOutcomes are
 *   warnings/information (Epic's "no results") is "none" and is never read again — unless one says results
 *   were withheld (`suppressed`): then it is what the user may see, and the key is listed in `withheld`;
 * - an incomplete prefetched Bundle (a `next` link, or `total` above its matches) is completed from
 *   fhirServer (next link followed, or the query run again);
 * - a missing key or a prefetch error (an OperationOutcome, an error entry, a malformed value) is read
 *   from an allow-listed fhirServer; a server that does not know the searched resource type is asked the
 *   spec's searches of older FHIR versions instead, in order, when it has them (`medications`: DSTU2
 *   MedicationOrder; `serviceRequests`: DSTU2 DiagnosticOrder, then STU3 ProcedureRequest);
 * - what cannot be read is unavailable — never "none": a required key → RequiredDataUnavailable (412),
 *   an optional key → left out of `resources` and logged with its key; a required key the caller defers
 *   (`options.deferred`) → handed back in `deferred`, with a way to read it again narrowed, for the
 *   service to judge (it is still named in a 412 that another required key causes).
 * - a key holding resources but none of the type its query searches (a Patient as `conditions`) is a
 *   prefetch error (read from fhirServer), and from fhirServer unavailable;
 * - a resource that names another patient than context.patientId (patientReference.ts) is skipped and
 *   named; a read (`Patient/{{context.patientId}}`) answered with another patient's resource is a
 *   prefetch error (read from fhirServer), and from fhirServer unavailable.
 * Every read of the call shares the call's one deadline (`call.signal`).
 */

/** One hook call as the data stage sees it; a ServiceCall is one. */
export interface DataCall {
  request: Pick<HookRequestEnvelope, 'fhirServer' | 'fhirAuthorization' | 'prefetch'> & { context: Record<string, unknown> };
  /** The call's deadline: every FHIR read stops when it aborts. */
  signal: AbortSignal;
  /** The request's logger. */
  log: Logger;
  /** FHIR read timings and unavailable keys, for the request's log line. */
  trace: CallTrace;
  /** Where resources of another patient are named (in the call's one warning line). */
  skipped: SkippedResources;
}

export interface PrefetchResolverDeps {
  fetcher: FhirFetcher;
  config: Config;
}

/**
 * The contract per key of the specs:
 * - `resources[key]` is an array when the key was read; `[]` means the patient has none — unless the key is
 *   in `withheld`: then it holds what the user may see, and the patient may have more.
 * - `resources[key]` is `undefined` when an OPTIONAL key could not be read (it is then also listed in
 *   `unavailable` and logged): the cards that need it degrade; it must never be taken for "none".
 * - A REQUIRED key that cannot be read is never returned: `resolvePrefetch` throws RequiredDataUnavailable.
 */
export interface ResolvedPrefetch {
  resources: { [key: string]: fhir4.Resource[] | undefined };
  /** Optional keys that could not be read. */
  unavailable: string[];
  /**
   * Keys read, whose answer said some of the patient's resources were withheld by consent or access rules (an
   * OperationOutcome issue `suppressed`): `resources[key]` is what the user may see, not all the patient has.
   */
  withheld: string[];
  /** Required keys the caller deferred (`options.deferred`) that could not be read: the caller decides. */
  deferred?: { [key: string]: DeferredKey };
  /**
   * Keys that fhirServer answered only with an older version's search (it does not know the R4 type): that is
   * the EHR's FHIR version, for writing resources it can create (src/data/ehrFhirVersion.ts).
   */
  olderVersions?: { [key: string]: OlderFhirVersion };
}

/**
 * What one key's reading came to; `version`: an older version's search answered it; `pageLimit`: the search
 * had more pages than FHIR_MAX_PAGES.
 */
export type KeyOutcome = { resources: fhir4.Resource[]; version?: OlderFhirVersion; withheld?: true } | { unavailable: string; pageLimit?: boolean };

/**
 * A required key whose absence the caller judges (patient-view: the lab results matter only for a patient
 * in scope). `readNarrower` runs its query on fhirServer again with search parameters added (e.g.
 * `date=ge2025-01-01`), within the call's deadline.
 */
export interface DeferredKey {
  /** Safe to show: no URL, no token. */
  why: string;
  pageLimit: boolean;
  readNarrower(params: string): Promise<KeyOutcome>;
}

const withParams = (query: string, params: string): string => `${query}${query.includes('?') ? '&' : '?'}${params}`;

/** A query to run on fhirServer; with `plainQuery`, `query` is the richer fhirServerQuery and plainQuery its fallback. */
interface ServerQuery {
  query: string;
  plainQuery?: string;
}

/** A search of an older FHIR version, with its version for messages. */
type OlderQuery = ServerQuery & { version: OlderFhirVersion };

/** What to ask fhirServer for one key: its query, and the older versions' searches to ask, in order, while the server does not know the type. */
type ServerPlan = ServerQuery & { olderVersions?: readonly OlderQuery[] };

/** A prefetched page's next link on the allowed fhirServer, or why there is no server to read it from. */
type NextPage = { url: string } | { unavailable: string };

function narrowed<Q extends ServerQuery>(q: Q, params: string): Q {
  return q.plainQuery === undefined ? { ...q, query: withParams(q.query, params) } : { ...q, query: withParams(q.query, params), plainQuery: withParams(q.plainQuery, params) };
}

/** The resource type a relative search names (`MedicationOrder?patient=…` → MedicationOrder). */
const searchedType = (query: string): string => query.split(/[?/]/)[0] ?? query;

/** The resource types a key's queries search: its own, and its older versions' (once per spec: the specs live as long as the service). */
const typesBySpec = new WeakMap<PrefetchTemplateSpec, readonly string[]>();
function searchedTypes(spec: PrefetchTemplateSpec): readonly string[] {
  let types = typesBySpec.get(spec);
  if (types === undefined) {
    types = [spec.query, ...(spec.olderVersions ?? []).map((o) => o.query)].map(searchedType);
    typesBySpec.set(spec, types);
  }
  return types;
}

type IncompletePage = Extract<PayloadReading, { ok: true }>;

/** Whether resources read hold an outcome saying some were withheld (kept by readFhirPayload). */
const holdsWithheld = (resources: readonly fhir4.Resource[]): boolean => resources.some((r) => r.resourceType === 'OperationOutcome' && saysWithheld(r));

function hasKey(prefetch: Record<string, unknown> | null | undefined, key: string): prefetch is Record<string, unknown> {
  return prefetch != null && Object.prototype.hasOwnProperty.call(prefetch, key) && prefetch[key] !== undefined;
}

const DEADLINE_TEXT = 'the request deadline passed before the FHIR server answered';

export async function resolvePrefetch(
  specs: readonly PrefetchTemplateSpec[],
  call: DataCall,
  deps: PrefetchResolverDeps,
  options: { deferred?: readonly string[] } = {},
): Promise<ResolvedPrefetch> {
  const { fetcher, config } = deps;
  const deferred = options.deferred ?? [];
  const { request, trace } = call;
  const prefetch = request.prefetch;
  const token = request.fhirAuthorization?.access_token || undefined;
  const server = checkFhirServer(request.fhirServer, config);
  const patientId = contextPatientId(request.context.patientId);
  const isAnotherPatients = patientId === undefined ? null : anotherPatientTest(patientId);

  /**
   * The key's resources, or a problem when any of them is another patient's (each such resource named). A
   * prefetch or an answer that holds another patient's data was made for the wrong patient, or mixed: what
   * is left cannot be trusted to be complete (leaving those out would read a missing result as "none"), so
   * the key is not usable — a prefetch is then read from fhirServer, else it is unavailable (§7.1).
   */
  function ownResources(resources: fhir4.Resource[]): { resources: fhir4.Resource[] } | { problem: string } {
    if (isAnotherPatients === null) return { resources };
    let foreign = false;
    for (const r of resources) {
      if (!isAnotherPatients(r)) continue;
      foreign = true;
      call.skipped.add(r, 'patient-check', 'another patient');
    }
    return foreign ? { problem: "holding another patient's resources" } : { resources };
  }

  /**
   * The key's resources, or a problem when none of them is of a type its query searches (a Patient sent as
   * `medications`): that is a key filled with the wrong search, which read as it is would be "the patient
   * has none". Resources of other types beside the searched ones (an `_include`d Medication) are fine.
   */
  function usable(spec: PrefetchTemplateSpec, read: fhir4.Resource[]): { resources: fhir4.Resource[]; withheld?: true } | { problem: string } {
    // "Some were withheld" (kept by readFhirPayload) marks the key and is no resource of it.
    const withheld = holdsWithheld(read);
    const resources = withheld ? read.filter((r) => !saysWithheld(r)) : read;
    if (resources.length > 0) {
      const types = searchedTypes(spec);
      if (!resources.some((r) => types.includes(r.resourceType))) {
        // The caller's text goes into a log line and a 412: only what a resource type can be, never more.
        const held = [...new Set(resources.map((r) => (RESOURCE_TYPE.test(r.resourceType) ? r.resourceType : 'a resource of no known type')))].slice(0, 3).join(', ');
        return { problem: `holding no ${types.join(' or ')}, only ${held}` };
      }
    }
    const own = ownResources(resources);
    return withheld && 'resources' in own ? { resources: own.resources, withheld } : own;
  }

  /** A read's outcome, or unavailable when it holds another patient's resource or none of the searched type. */
  function own(spec: PrefetchTemplateSpec, o: KeyOutcome): KeyOutcome {
    if (!('resources' in o)) return o;
    const checked = usable(spec, o.resources);
    if ('problem' in checked) return { unavailable: `the FHIR server's answer was ${checked.problem}` };
    return o.version === undefined ? checked : { ...checked, version: o.version };
  }

  /** A template with the context's values: its fhirServerQuery when it has one, with the plain query to fall back on. */
  function substituted(query: string, fhirServerQuery: string | undefined): ServerQuery | { unresolved: string[] } {
    const t = substituteTemplate(query, request.context);
    if (!t.ok) return { unresolved: t.unresolved };
    const rich = fhirServerQuery === undefined ? null : substituteTemplate(fhirServerQuery, request.context);
    return rich?.ok ? { query: rich.query, plainQuery: t.query } : { query: t.query };
  }

  /** Whatever stands in the way of running this spec's query, or what to ask fhirServer. */
  function plan(spec: PrefetchTemplateSpec): ServerPlan | { unavailable: string } {
    if (!server.allowed) return { unavailable: server.reason };
    const main = substituted(spec.query, spec.fhirServerQuery);
    if ('unresolved' in main) return { unavailable: `its query needs ${main.unresolved.map((u) => `{{${u}}}`).join(', ')}, which the context does not provide` };
    const olderVersions = (spec.olderVersions ?? []).flatMap((o): OlderQuery[] => {
      const q = substituted(o.query, o.fhirServerQuery);
      return 'unresolved' in q ? [] : [{ ...q, version: o.version }];
    });
    return olderVersions.length === 0 ? main : { ...main, olderVersions };
  }

  function failureText(err: unknown): string {
    if (call.signal.aborted) return DEADLINE_TEXT;
    return err instanceof FhirFetchError ? err.message : 'the FHIR query failed';
  }

  /**
   * One read from fhirServer, timed and traced, bounded by the call's deadline even if the fetcher ignores it.
   * With `plainQuery`: `query` is the richer fhirServerQuery, and a server that refuses it with HTTP 400
   * (an `_include` it does not support) is asked `plainQuery` instead. With `olderVersions`: a server that
   * answers that it does not know the searched resource type is asked the next of them instead.
   */
  async function read(
    spec: PrefetchTemplateSpec,
    query: string,
    extra: { maxPages?: number; matchesBefore?: number; totalBefore?: number; plainQuery?: string; olderVersions?: readonly OlderQuery[] } = {},
  ): Promise<KeyOutcome> {
    const started = performance.now();
    const ms = (): number => Math.round((performance.now() - started) * 10) / 10;
    // Read only here: the call's deadline timer starts when the first read needs it (serviceRoute).
    const signal = call.signal;
    const { plainQuery, olderVersions = [], ...pages } = extra;
    try {
      if (!server.allowed) throw new FhirFetchError('not-allowed', server.reason);
      const { base } = server;
      const options = { ...(token ? { accessToken: token } : {}), signal, ...pages };
      const ask = async (q: ServerQuery): Promise<fhir4.Resource[]> => {
        try {
          return await abortable(fetcher.fetch(base, q.query, options), signal);
        } catch (err) {
          // A 400 that says the resource type is unknown would come again for the plain query.
          if (q.plainQuery === undefined || !(err instanceof FhirFetchError) || err.status !== 400 || err.unknownResourceType || signal.aborted) throw err;
          return await abortable(fetcher.fetch(base, q.plainQuery, options), signal);
        }
      };
      // The trigger for an older version's search is the server's own answer, not the drafts' resource type:
      // it is what the server knows that matters (an EHR's drafts need not match its server's version, and
      // patient-view has no drafts), it costs one more round trip only on a server that lacks the type, and
      // each version's type is unknown to the versions before it in the list (R4 and STU3 servers refuse
      // MedicationOrder and DiagnosticOrder; a DSTU2 server knows DiagnosticOrder, asked before its
      // ProcedureRequest, which there orders procedures), so no answer is replaced by another version's.
      const searches: Array<ServerQuery & { version?: OlderFhirVersion }> = [plainQuery === undefined ? { query } : { query, plainQuery }, ...olderVersions];
      let failed: FhirFetchError | undefined;
      for (const q of searches) {
        try {
          const resources = await ask(q);
          // The kept "withheld" outcome is no resource of the key.
          const count = resources.reduce((n, r) => (r.resourceType === 'OperationOutcome' ? n : n + 1), 0);
          trace.fhirReads.push({ key: spec.key, ms: ms(), outcome: 'ok', resources: count });
          return q.version === undefined ? { resources } : { resources, version: q.version };
        } catch (err) {
          if (!(err instanceof FhirFetchError)) throw err;
          failed =
            failed === undefined
              ? err
              : new FhirFetchError(err.reason, `${failed.message}; asked for ${searchedType(q.query)} (${q.version}) instead, ${err.message}`, err.status, {
                  unknownResourceType: err.unknownResourceType,
                });
          if (!err.unknownResourceType || signal.aborted) break;
        }
      }
      throw failed ?? new FhirFetchError('network', 'the FHIR query failed');
    } catch (err) {
      const outcome = signal.aborted ? 'timeout' : err instanceof FhirFetchError ? err.reason : 'unknown';
      trace.fhirReads.push({ key: spec.key, ms: ms(), outcome });
      return outcome === 'page-limit' ? { unavailable: failureText(err), pageLimit: true } : { unavailable: failureText(err) };
    }
  }

  /**
   * Where a prefetched page's next link leads: its URL when it is within the allowed fhirServer, `away` when it
   * is not a URL within it (never requested: the query is run again on the fhirServer), or why the fhirServer
   * cannot be read.
   */
  function nextPageOf(nextUrl: string): NextPage | 'away' {
    if (!server.allowed) return { unavailable: server.reason };
    try {
      const url = new URL(nextUrl, `${server.base}/`).href;
      return isWithinBase(url, server.base) ? { url } : 'away';
    } catch {
      return 'away';
    }
  }

  /** A prefetched Bundle with a next link within the fhirServer: the rest from it, else unavailable. */
  async function completePages(spec: PrefetchTemplateSpec, page: IncompletePage, next: NextPage): Promise<KeyOutcome> {
    const incomplete = 'the prefetch has more pages';
    if ('unavailable' in next) return { unavailable: `${incomplete} and ${next.unavailable}` };
    if (config.fhir.maxPages <= 1) return { unavailable: `${incomplete} than the page limit (FHIR_MAX_PAGES = ${config.fhir.maxPages})`, pageLimit: true };
    const rest = await read(spec, next.url, {
      maxPages: config.fhir.maxPages - 1, // the prefetched Bundle was page 1
      matchesBefore: page.matches,
      ...(page.total !== undefined ? { totalBefore: page.total } : {}),
    });
    if ('unavailable' in rest) return { ...rest, unavailable: `${incomplete} and ${rest.unavailable}` };
    // The prefetched page and the rest are one answer (a withdrawn report may be on another page than its results;
    // pages that overlap list a resource twice).
    return { resources: withdrawnWithTheirReports(listedOnce([...page.resources, ...rest.resources])) };
  }

  // First pass, no I/O: classify every key and find required data that cannot be had at all.
  type Step =
    | { spec: PrefetchTemplateSpec; now: KeyOutcome }
    | { spec: PrefetchTemplateSpec; fetch: ServerPlan; prefetchProblem: string | null; prefetchWithheld: boolean }
    | { spec: PrefetchTemplateSpec; page: IncompletePage; next: NextPage };
  const steps: Step[] = specs.map((spec): Step => {
    let prefetchProblem: string | null = null;
    // A prefetch read again (incomplete, another patient's) that said some results were withheld: the server's
    // answer, which may not say so, is still what the user may see.
    let prefetchWithheld = false;
    if (hasKey(prefetch, spec.key)) {
      const value = prefetch[spec.key];
      if (value === null) return { spec, now: { resources: [] } }; // "no data"
      const reading = readFhirPayload(value);
      const checked = reading.ok && !isIncomplete(reading) ? usable(spec, reading.resources) : undefined;
      if (checked && 'resources' in checked) return { spec, now: checked };
      prefetchWithheld = reading.ok && holdsWithheld(reading.resources);
      // A next link on the allowed fhirServer is followed; one that leads elsewhere (an EHR behind a proxy
      // whose paging links name an internal host) is not, and the query is run again on the fhirServer,
      // as for a total above the entries.
      const next = reading.ok && reading.nextUrl !== undefined ? nextPageOf(reading.nextUrl) : undefined;
      if (reading.ok && next !== undefined && next !== 'away') return { spec, page: reading, next };
      prefetchProblem = checked
        ? checked.problem
        : reading.ok
          ? reading.nextUrl !== undefined
            ? 'incomplete (it has more pages, and its next link does not lead to the fhirServer)'
            : `incomplete (its total is ${reading.total ?? '?'}, it held ${reading.matches})`
          : reading.problem;
    }
    const p = plan(spec);
    if ('unavailable' in p) {
      const why = prefetchProblem ? `the prefetch was ${prefetchProblem} and ${p.unavailable}` : `it was not prefetched and ${p.unavailable}`;
      return { spec, now: { unavailable: why } };
    }
    return { spec, fetch: p, prefetchProblem, prefetchWithheld };
  });

  const hopeless: UnavailableKey[] = steps.flatMap((s) =>
    s.spec.required && 'now' in s && 'unavailable' in s.now ? [{ key: s.spec.key, description: s.spec.description, why: s.now.unavailable }] : [],
  );
  // No point asking the FHIR server when the answer will be 412 anyway (a deferred key alone does not decide that).
  if (hopeless.some((k) => !deferred.includes(k.key))) throw new RequiredDataUnavailable(hopeless);

  const outcomes = await Promise.all(
    steps.map(async (s): Promise<KeyOutcome> => {
      if ('now' in s) return s.now;
      if ('page' in s) {
        const rest = own(s.spec, await completePages(s.spec, s.page, s.next));
        // A next link the server refuses (410: its paging session expired; 403: the link belonged to the EHR's
        // own session) says nothing of the query itself: it is run again on the fhirServer, as for a link that
        // leads elsewhere. Not after the page limit (the query would meet it too) or the deadline.
        if (!('unavailable' in rest) || rest.pageLimit === true || call.signal.aborted) return rest;
        const p = plan(s.spec);
        if ('unavailable' in p) return rest;
        const { query, ...fallbacks } = p;
        const again = own(s.spec, await read(s.spec, query, fallbacks));
        if ('unavailable' in again) return { ...again, unavailable: `${rest.unavailable}; the query run again: ${again.unavailable}` };
        return holdsWithheld(s.page.resources) ? { ...again, withheld: true } : again;
      }
      const { query, ...fallbacks } = s.fetch;
      const fetched = own(s.spec, await read(s.spec, query, fallbacks));
      const o: KeyOutcome = s.prefetchWithheld && 'resources' in fetched ? { ...fetched, withheld: true } : fetched;
      return 'unavailable' in o && s.prefetchProblem ? { ...o, unavailable: `the prefetch was ${s.prefetchProblem} and ${o.unavailable}` } : o;
    }),
  );

  const result: ResolvedPrefetch = { resources: {}, unavailable: [], withheld: [] };
  const missing: UnavailableKey[] = [];
  outcomes.forEach((o, i) => {
    const spec = specs[i];
    if (spec === undefined) return;
    if ('resources' in o) {
      result.resources[spec.key] = o.resources;
      if (o.version !== undefined) (result.olderVersions ??= {})[spec.key] = o.version;
      if (o.withheld) {
        result.withheld.push(spec.key);
        trace.withheld = appended(trace.withheld, spec.key);
      }
      return;
    }
    if (spec.required) {
      missing.push({ key: spec.key, description: spec.description, why: o.unavailable });
      if (deferred.includes(spec.key)) {
        const readNarrower = async (params: string): Promise<KeyOutcome> => {
          const p = plan(spec);
          if ('unavailable' in p) return p;
          const { query, ...fallbacks } = narrowed(p, params);
          return own(spec, await read(spec, query, p.olderVersions === undefined ? fallbacks : { ...fallbacks, olderVersions: p.olderVersions.map((o) => narrowed(o, params)) }));
        };
        (result.deferred ??= {})[spec.key] = { why: o.unavailable, pageLimit: o.pageLimit === true, readNarrower };
      }
      return;
    }
    result.unavailable.push(spec.key);
    trace.unavailable.push(spec.key);
    call.log.warn({ key: spec.key, reason: o.unavailable }, 'optional data unavailable: the cards that need it degrade');
  });
  // A deferred key is named in a 412 that other required keys cause, but does not cause one itself.
  if (missing.some((k) => !deferred.includes(k.key))) throw new RequiredDataUnavailable(missing);
  return result;
}
