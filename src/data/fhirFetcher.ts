import type { Config } from '../config.js';
import { isObject, nonBlank, objectList } from '../model/json.js';
import { listedOnce, readFhirPayload, withdrawnWithTheirReports } from './bundleEntries.js';
import { checkFhirServer, isWithinBase } from './fhirServerAllowlist.js';

const UTF8 = new TextDecoder('utf-8');

/**
 * GETs FHIR reads and searches from an allow-listed `fhirServer` with Node's `fetch`.
 *
 * Guards:
 * - redirects: `redirect: 'manual'`, so fetch never follows a 3xx; the 3xx is refused (reason
 *   `redirect`) without reading its body. The token therefore never reaches a `Location`.
 * - allow-list: every URL (the query and each `next` link) is checked against fhirServer before the call.
 * - time: the per-query timeout and the caller's deadline abort the fetch through its AbortSignal; the
 *   call is also raced against the signal, so a fetch that ignores the signal cannot hang us.
 * - size (FHIR_MAX_RESPONSE_BYTES): a declared Content-Length over the cap is refused before the body is
 *   read; a body without one is read chunk by chunk and dropped (connection closed) once it passes the
 *   cap, so a huge answer never sits in memory.
 * - content: a body that is not a FHIR resource of the expected kind is refused (reason `invalid-response`).
 * - unknown resource type: a type-level search answered HTTP 404, or HTTP 400 with an OperationOutcome
 *   saying the resource type is unknown or not supported, is flagged `unknownResourceType` (a DSTU2
 *   server asked for MedicationRequest); the body of such a 400 is read only up to ERROR_BODY_MAX_BYTES.
 * - completeness: a search whose pages cannot all be read (the page cap, a `next` link that leaves
 *   fhirServer) or that holds fewer matches than its `total` is refused (reason `incomplete`): a missing
 *   page must never read as "no results" (docs/clinical-rules.md §7).
 * Error messages are our own words: no URL (it holds patient ids), no token.
 */

export type FhirFetchErrorReason = 'not-allowed' | 'timeout' | 'http-status' | 'invalid-response' | 'network' | 'too-large' | 'redirect' | 'incomplete' | 'page-limit';

export class FhirFetchError extends Error {
  readonly reason: FhirFetchErrorReason;
  /** HTTP status for `http-status` and `redirect`. */
  readonly status: number | undefined;
  /** The server said it does not know the resource type searched for (see the module comment). */
  readonly unknownResourceType: boolean;

  /** `message` must be safe to show a client: no URL, no token, no patient data. */
  constructor(reason: FhirFetchErrorReason, message: string, status?: number, options: { unknownResourceType?: boolean } = {}) {
    super(message);
    this.name = 'FhirFetchError';
    this.reason = reason;
    this.status = status;
    this.unknownResourceType = options.unknownResourceType === true;
  }
}

/** An error answer's body is read only this far (an OperationOutcome is small). */
const ERROR_BODY_MAX_BYTES = 64 * 1024;

/**
 * True when an OperationOutcome says the resource type `type` is unknown or not supported: the standard
 * message code MSG_UNKNOWN_TYPE, or a text that names the type and says "unknown resource type",
 * "resource type … not supported" and the like. A text about a search parameter or an `_include` (HAPI:
 * "Unknown search parameter … for resource type …") is about the query, not the type.
 */
function saysResourceTypeUnknown(body: unknown, type: string): boolean {
  if (!isObject(body) || body.resourceType !== 'OperationOutcome') return false;
  return objectList(body.issue).some((issue) => {
    const details = isObject(issue.details) ? issue.details : {};
    if (objectList(details.coding).some((c) => c.code === 'MSG_UNKNOWN_TYPE')) return true;
    const text = [nonBlank(issue.diagnostics), nonBlank(details.text)].filter((t) => t !== undefined).join(' ');
    return (
      text.includes(type) &&
      /resource\s*type/i.test(text) &&
      /unknown|not (?:supported|known|recogni[sz]ed|a valid)|unsupported|invalid/i.test(text) &&
      // "Unknown search parameter …", "_include …" are about the query; "Parameters" in a list of types is not.
      !/search\s*param|\b_?include\b|revinclude/i.test(text)
    );
  });
}

export interface FhirFetchOptions {
  accessToken?: string;
  /** The hook call's deadline: every page of the query stops when it aborts. */
  signal: AbortSignal;
  /** Pages to read at most, this first request included; defaults to config.fhir.maxPages. */
  maxPages?: number;
  /** Matches already read elsewhere (a prefetched first page whose `next` link this query follows). */
  matchesBefore?: number;
  /** The `total` that earlier page gave, if any. */
  totalBefore?: number;
}

export interface FhirFetcher {
  /**
   * `relativeQuery` is relative to fhirServer (`Condition?patient=p1`); an absolute URL (a `next` link)
   * is accepted only when it lies within fhirServer. Resolves to the resources read: a read → [resource],
   * a search → the resources of all its pages, OperationOutcome entries dropped (but one saying results were
   * withheld, `saysWithheld`: kept, for the key to be marked so). Rejects with a
   * FhirFetchError; never resolves with part of a search.
   */
  fetch(fhirServer: string, relativeQuery: string, options: FhirFetchOptions): Promise<fhir4.Resource[]>;
}

/** Absolute URL of `query` on `base`, or null when it would leave base. */
export function resolveQueryUrl(base: string, query: string): string | null {
  const absolute = /^[a-z][a-z0-9+.-]*:/i.test(query) || query.startsWith('//');
  let url: URL;
  try {
    url = absolute ? new URL(query, `${base}/`) : new URL(`${base}/${query.replace(/^\/+/, '')}`);
  } catch {
    return null;
  }
  return isWithinBase(url.href, base) ? url.href : null;
}

type Expected = { kind: 'search'; type: string } | { kind: 'read'; type: string } | { kind: 'any' };

/** What a query should return, from its path below base: `Type` / `Type/_search` → Bundle, `Type/id` → Type. */
function expectedFor(url: string, base: string): Expected {
  const rest = new URL(url).pathname.slice(new URL(`${base}/`).pathname.length);
  const segments = rest.split('/').filter((s) => s !== '');
  const type = segments[0];
  if (type === undefined || !/^[A-Z][A-Za-z]+$/.test(type)) return { kind: 'any' };
  if (segments.length === 1 || (segments.length === 2 && segments[1] === '_search')) return { kind: 'search', type };
  const id = segments[1];
  if (segments.length === 2 && id !== undefined && !id.startsWith('$') && !id.startsWith('_')) return { kind: 'read', type };
  return { kind: 'any' };
}

/** Rejects with the signal's reason as soon as it aborts, whatever the wrapped promise does. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  promise.catch(() => undefined); // its late rejection must not become an unhandled rejection
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function createFhirFetcher(config: Config): FhirFetcher {
  const { queryTimeoutMs, maxResponseBytes } = config.fhir;

  function classify(err: unknown, deadline: AbortSignal, timedOut: AbortSignal): FhirFetchError {
    if (err instanceof FhirFetchError) return err;
    if (deadline.aborted) return new FhirFetchError('timeout', 'the request deadline passed before the FHIR server answered');
    if (timedOut.aborted) return new FhirFetchError('timeout', `the FHIR server did not answer within ${queryTimeoutMs} ms`);
    return new FhirFetchError('network', 'the FHIR server could not be reached');
  }

  const tooLarge = (): FhirFetchError => new FhirFetchError('too-large', `the FHIR server's response exceeded ${maxResponseBytes} bytes`);

  /** The body as text, never more than `cap` bytes of it held in memory. */
  async function boundedText(response: Response, cap = maxResponseBytes): Promise<string> {
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > cap) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge();
    }
    if (response.body === null) return '';
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > cap) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
    // TextDecoder drops a leading byte-order mark, as Response.text() and JSON (RFC 8259) allow; Buffer's toString keeps it.
    return UTF8.decode(Buffer.concat(chunks, size));
  }

  /** Whether a 400 answer's OperationOutcome says `type` is unknown; a body too large or not JSON says no. */
  async function outcomeSaysTypeUnknown(response: Response, type: string, signal: AbortSignal): Promise<boolean> {
    try {
      return saysResourceTypeUnknown(JSON.parse(await abortable(boundedText(response, ERROR_BODY_MAX_BYTES), signal)), type);
    } catch {
      return false;
    }
  }

  /** `searchedType`: the resource type of a type-level search's first page (a 404 or 400 may then mean the type is unknown). */
  async function getPage(url: string, headers: Record<string, string>, signal: AbortSignal, searchedType: string | null): Promise<unknown> {
    const response = await abortable(fetch(url, { headers, redirect: 'manual', signal }), signal);
    const { status } = response;
    if (status < 200 || status >= 300) {
      // A search never answers 404 for "no matches": on a type-level search it means the type is unknown.
      const unknownResourceType = searchedType !== null && (status === 404 || (status === 400 && (await outcomeSaysTypeUnknown(response, searchedType, signal))));
      await response.body?.cancel().catch(() => undefined);
      if (status >= 300 && status < 400) {
        throw new FhirFetchError('redirect', `the FHIR server answered with a redirect (HTTP ${status}), which is not followed`, status);
      }
      throw new FhirFetchError('http-status', `the FHIR server answered HTTP ${status}`, status, { unknownResourceType });
    }
    const text = await abortable(boundedText(response), signal);
    if (text === '') return {};
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new FhirFetchError('invalid-response', 'the FHIR server answered with a body that is not JSON');
    }
    // JSON that is not an object (`null`, `42`) is no FHIR resource.
    if (typeof body !== 'object' || body === null) throw new FhirFetchError('invalid-response', 'the FHIR server answered with JSON that is not a FHIR resource');
    return body;
  }

  return {
    async fetch(fhirServer, relativeQuery, options) {
      const server = checkFhirServer(fhirServer, config);
      if (!server.allowed) throw new FhirFetchError('not-allowed', server.reason);
      const { base } = server;
      const first = resolveQueryUrl(base, relativeQuery);
      if (first === null) throw new FhirFetchError('not-allowed', 'the query would leave the fhirServer');
      const maxPages = Math.max(1, options.maxPages ?? config.fhir.maxPages);

      const headers: Record<string, string> = { accept: 'application/fhir+json, application/json' };
      if (options.accessToken) headers.authorization = `Bearer ${options.accessToken}`;

      // One timeout for the whole query, all pages included; the caller's signal carries the deadline.
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(new Error('query timeout')), queryTimeoutMs);
      const signal = AbortSignal.any([options.signal, timeout.signal]);
      const expected = expectedFor(first, base);
      const resources: fhir4.Resource[] = [];
      let pagesRead = 0;
      let matches = options.matchesBefore ?? 0;
      let total = options.totalBefore;
      try {
        let url = first;
        for (let page = 1; ; page++) {
          const body = await getPage(url, headers, signal, page === 1 && expected.kind === 'search' ? expected.type : null);
          const reading = readFhirPayload(body);
          if (!reading.ok) throw new FhirFetchError('invalid-response', `the FHIR server's response was ${reading.problem}`);
          const type = (body as fhir4.Resource).resourceType;
          const wantBundle = page > 1 || expected.kind === 'search';
          if ((wantBundle && type !== 'Bundle') || (page === 1 && expected.kind === 'read' && type !== expected.type)) {
            throw new FhirFetchError('invalid-response', `the FHIR server answered with a ${type} where it should not`);
          }
          resources.push(...reading.resources);
          pagesRead = page;
          matches += reading.matches;
          total ??= reading.total;
          if (reading.nextUrl === undefined) break;
          // At the limit the link is not followed, wherever it leads: the search is too long (a narrower one may fit).
          if (page >= maxPages) {
            throw new FhirFetchError('page-limit', `the search has more pages than the page limit (FHIR_MAX_PAGES = ${config.fhir.maxPages})`);
          }
          let next: string | null = null;
          try {
            next = new URL(reading.nextUrl, url).href;
          } catch {
            next = null;
          }
          if (next === null || !isWithinBase(next, base)) {
            throw new FhirFetchError('incomplete', 'the search has more pages, but its next link leads away from the fhirServer');
          }
          url = next;
        }
        if (total !== undefined && total > matches) {
          throw new FhirFetchError('incomplete', `the search said it had ${total} matches but held ${matches}`);
        }
      } catch (err) {
        throw classify(err, options.signal, timeout.signal);
      } finally {
        clearTimeout(timer);
      }
      // Pages are one answer: a withdrawn report may be on another page than its results, and pages that overlap list a resource twice.
      return pagesRead > 1 ? withdrawnWithTheirReports(listedOnce(resources)) : resources;
    },
  };
}
