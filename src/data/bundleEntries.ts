import { isObject, nonBlank, objectList } from '../model/json.js';
import { withoutVersion } from '../model/urlPath.js';

/**
 * Turns one FHIR payload (a prefetch value or a FHIR server response body) into the resources it
 * carries (docs/clinical-rules.md §7). Payloads come from outside, so nothing about their shape is assumed.
 *
 * - A resource → [it]. An OperationOutcome as the whole value → not usable (a prefetch error).
 * - A Bundle → its entries' resources. OperationOutcome entries are not data: one with only
 *   `information`/`warning` issues (Epic's "no results": `total: 0` + a warning) is dropped, unless it says
 *   results were withheld (`saysWithheld`: kept, not counted as a match); one with an `error`/`fatal` issue
 *   makes the payload not usable.
 * - A Bundle with a `next` link, or whose `total` exceeds its matches, is incomplete: `nextUrl`, `total`
 *   and `matches` tell the caller, who reads the rest or treats the data as unavailable — never as
 *   "no results".
 * - An entry that is itself a Bundle (a batch-response of searchsets) is read as its entries, one level
 *   deep; a batch entry whose `response.status` is not 2xx makes the payload not usable, as an error
 *   OperationOutcome does.
 * - Observations contained in a DiagnosticReport are listed as Observations of their own.
 */

export type PayloadReading =
  | {
      ok: true;
      resources: fhir4.Resource[];
      /** `link[relation=next].url` of a Bundle, if any. */
      nextUrl?: string;
      /** A Bundle's `total`, when it gives one. */
      total?: number;
      /** Search matches among the entries (what `total` counts: no outcomes, no `search.mode: include`). */
      matches: number;
    }
  | { ok: false; /** why the payload is unusable; safe to show (no data values) */ problem: string };

function isResource(v: unknown): v is fhir4.Resource {
  return isObject(v) && typeof v.resourceType === 'string' && v.resourceType !== '';
}

function nextLink(bundle: Record<string, unknown>): string | undefined | false {
  if (bundle.link === undefined) return undefined;
  if (!Array.isArray(bundle.link)) return false;
  for (const l of bundle.link as unknown[]) {
    if (!isObject(l)) return false;
    // Link relations compare without case (RFC 8288): "NEXT" is a next page too, never the last one.
    if (typeof l.relation === 'string' && l.relation.trim().toLowerCase() === 'next') return typeof l.url === 'string' && l.url !== '' ? l.url : false;
  }
  return undefined;
}

/**
 * Issue codes that say, even as a warning, that the search answered less than it found: results cut off
 * (`too-costly`), not all returned (`incomplete`), refused for load (`throttled`). Read as "none", a missing
 * result would be ordered again. `suppressed` (withheld by consent or access rules) is not among them: the
 * user may not see those results, and the key would never be complete (a 412 on every call); it is read as
 * what the user may see, marked withheld (`saysWithheld`).
 */
const INCOMPLETE_ISSUE_CODES: ReadonlySet<string> = new Set(['incomplete', 'too-costly', 'throttled']);

/**
 * An OperationOutcome saying some results were, or may have been, withheld by consent or access rules (an issue
 * `suppressed`: a Danish patient may block records from a provider). As information or a warning it is kept
 * among the resources read (as an error or fatal issue the read failed, as for any error), so
 * the key can be marked as holding less than the patient has (src/data/prefetchResolver.ts `withheld`), never
 * read as the whole record.
 */
export function saysWithheld(resource: unknown): resource is fhir4.OperationOutcome {
  return isObject(resource) && resource.resourceType === 'OperationOutcome' && objectList(resource.issue).some((i) => i.code === 'suppressed');
}

/**
 * An OperationOutcome with an `error` or `fatal` issue (or issues that cannot be read), or an issue of any
 * severity saying the results are incomplete, reports a failure.
 */
function reportsError(outcome: unknown): boolean {
  if (!isObject(outcome)) return true;
  if (outcome.issue !== undefined && !Array.isArray(outcome.issue) && !isObject(outcome.issue)) return true;
  return objectList(outcome.issue).some((i) => (i.severity !== 'information' && i.severity !== 'warning') || (typeof i.code === 'string' && INCOMPLETE_ISSUE_CODES.has(i.code)));
}

const FHIR_ID_MAX = 64;
const WITHDRAWN_REPORT = /^\s*(entered-in-error|cancelled)\s*$/i;

/**
 * The Observations contained in DiagnosticReports, as resources of their own. A contained id is local to
 * its report, so each gets `{reportId}-{containedId}` (unique in the list); subject, effective time,
 * issued and status come from the report when the Observation has none. A report withdrawn as a whole
 * (entered-in-error, cancelled) withdraws its results too, whatever status each was given.
 */
function containedObservations(resources: readonly fhir4.Resource[]): fhir4.Resource[] {
  const reports: unknown[] = resources.filter((r) => r.resourceType === 'DiagnosticReport');
  if (reports.length === 0) return [];
  const taken = new Set(resources.filter((r) => r.resourceType === 'Observation').map((r) => r.id));
  const out: fhir4.Resource[] = [];
  // The next suffix to try per base: every smaller one is taken already, so many results of one id (a
  // caller can send 10,000) are numbered in one pass, not each counting up from 2 again (quadratic).
  const nextSuffix = new Map<string, number>();
  reports.forEach((parent, n) => {
    if (!isObject(parent)) return;
    for (const c of objectList(parent.contained)) {
      if (c.resourceType !== 'Observation') continue;
      const base = `${nonBlank(parent.id) ?? `report${n + 1}`}-${nonBlank(c.id) ?? 'obs'}`.replace(/[^A-Za-z0-9\-.]/g, '-').slice(0, FHIR_ID_MAX - 4);
      let id = base;
      if (taken.has(id)) {
        let i = nextSuffix.get(base) ?? 2;
        while (taken.has(`${base}-${i}`)) i++;
        id = `${base}-${i}`;
        nextSuffix.set(base, i + 1);
      }
      taken.add(id);
      const obs: Record<string, unknown> = { ...c, id };
      if (typeof parent.status === 'string' && WITHDRAWN_REPORT.test(parent.status)) obs.status = parent.status;
      for (const field of ['subject', 'issued', 'status', 'effectiveDateTime', 'effectivePeriod'] as const) {
        const hasEffective = obs.effectiveDateTime !== undefined || obs.effectivePeriod !== undefined || obs.effectiveInstant !== undefined;
        if (field.startsWith('effective') && hasEffective) continue;
        if (obs[field] === undefined && parent[field] !== undefined) obs[field] = parent[field];
      }
      if (isResource(obs)) out.push(obs);
    }
  });
  return out;
}

/**
 * The HTTP status of a batch-response entry when it is not 2xx: `response.status` as FHIR writes it ("404 Not
 * Found") or as a number (404); one that cannot be read as a status ("oops") is a failure too.
 */
function failedStatus(response: unknown): string | undefined {
  if (!isObject(response) || response.status === undefined) return undefined;
  const status = response.status;
  const code = typeof status === 'number' ? String(status) : typeof status === 'string' ? /^\s*(\d{3})\b/.exec(status)?.[1] : undefined;
  if (code === undefined) return 'status unreadable';
  return /^2\d\d$/.test(code) ? undefined : code;
}

type UsableReading = Extract<PayloadReading, { ok: true }>;

/**
 * A Bundle's entries. An entry that is itself a Bundle (a server that runs the prefetch queries as a batch
 * answers a batch-response of searchsets) is read as its entries, one level only (`nested`): a Bundle
 * deeper than that is not usable rather than read without limit.
 */
function readEntries(bundle: Record<string, unknown>, nested: boolean): PayloadReading {
  const next = nextLink(bundle);
  if (next === false) return { ok: false, problem: 'a Bundle with a malformed link' };
  const entries = bundle.entry ?? [];
  if (!Array.isArray(entries)) return { ok: false, problem: 'a Bundle whose entry is not a list' };

  const resources: fhir4.Resource[] = [];
  const inner: UsableReading[] = [];
  let matches = 0;
  for (const entry of entries as unknown[]) {
    if (!isObject(entry)) return { ok: false, problem: 'a Bundle with an entry that holds no resource' };
    // A batch entry that failed is a failed read of its query, never "no results".
    const failed = failedStatus(entry.response);
    if (failed !== undefined) return { ok: false, problem: `a Bundle with an entry that failed (HTTP ${failed})` };
    // A batch-response entry's own outcome (`response.outcome`) saying results were withheld marks the key too.
    if (isObject(entry.response) && saysWithheld(entry.response.outcome)) resources.push(entry.response.outcome);
    if (!isResource(entry.resource)) return { ok: false, problem: 'a Bundle with an entry that holds no resource' };
    const mode = isObject(entry.search) ? entry.search.mode : undefined;
    if (entry.resource.resourceType === 'OperationOutcome') {
      if (reportsError(entry.resource)) return { ok: false, problem: 'a Bundle holding an OperationOutcome with an error, or saying the results are incomplete' };
      // Information or warning: not data, but one saying results were withheld is kept to tell the key so.
      if (saysWithheld(entry.resource)) resources.push(entry.resource);
      continue;
    }
    if (mode === 'outcome') continue;
    if (entry.resource.resourceType === 'Bundle') {
      if (nested) return { ok: false, problem: 'a Bundle holding Bundles nested more than one level' };
      const part = readEntries(entry.resource as unknown as Record<string, unknown>, true);
      if (!part.ok) return { ok: false, problem: `a Bundle holding ${part.problem}` };
      inner.push(part);
      continue;
    }
    if (mode !== 'include') matches++;
    resources.push(entry.resource);
  }
  const total = typeof bundle.total === 'number' && Number.isFinite(bundle.total) && bundle.total >= 0 ? bundle.total : undefined;
  if (inner.length === 0) {
    const reading: UsableReading = { ok: true, resources, matches };
    if (next !== undefined) reading.nextUrl = next;
    if (total !== undefined) reading.total = total;
    return reading;
  }
  // A Bundle of Bundles. The outer one incomplete: which of its parts are missing cannot be told.
  if (next !== undefined || (total !== undefined && total > matches + inner.length)) {
    return { ok: false, problem: 'an incomplete Bundle holding Bundles' };
  }
  // One search wrapped alone (the usual batch-response) is that search, next link and total included; a
  // "withheld" outcome beside it (kept above) still marks it.
  const only = inner.length === 1 && resources.every(saysWithheld) ? inner[0] : undefined;
  if (only) return resources.length === 0 ? only : { ...only, resources: [...resources, ...only.resources] };
  // Several parts: each must be complete on its own, or the missing part could not be read as one.
  if (inner.some(isIncomplete)) return { ok: false, problem: 'a Bundle holding several Bundles, one of them incomplete' };
  for (const part of inner) {
    resources.push(...part.resources);
    matches += part.matches;
  }
  return { ok: true, resources, matches };
}

export function readFhirPayload(value: unknown): PayloadReading {
  if (!isObject(value)) return { ok: false, problem: 'not a FHIR resource (not a JSON object)' };
  if (!isResource(value)) return { ok: false, problem: 'not a FHIR resource (no resourceType)' };
  if (value.resourceType === 'OperationOutcome') return { ok: false, problem: 'an OperationOutcome (an error)' };
  if (value.resourceType !== 'Bundle') return { ok: true, resources: [value, ...containedObservations([value])], matches: 1 };
  const reading = readEntries(value as unknown as Record<string, unknown>, false);
  if (!reading.ok) return reading;
  const once = listedOnce(reading.resources);
  reading.resources = [...withdrawnWithTheirReports(once), ...containedObservations(once)];
  return reading;
}

/** `meta.lastUpdated` as a time, when it can be read. */
function lastUpdated(r: fhir4.Resource): number | undefined {
  const t = typeof r.meta?.lastUpdated === 'string' ? Date.parse(r.meta.lastUpdated) : NaN;
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Each resource once: a search read in pages that overlap (a result written while the EHR paged shifts the
 * next page) lists one resource twice, and counted twice it would be two unreadable orders, two results. Of
 * two versions of one resource (`resourceType` and `id`), the one updated last is kept (`meta.lastUpdated`;
 * without it, the one listed last: read later), in the place of the first. Resources without an id are all kept.
 */
export function listedOnce(resources: fhir4.Resource[]): fhir4.Resource[] {
  // Keyed by id alone (no string built per resource: 200 Observations a patient-view); the type is checked on a hit.
  const at = new Map<string, number>();
  let out: fhir4.Resource[] | undefined;
  let other: Map<string, number> | undefined;
  for (let i = 0; i < resources.length; i++) {
    const r = resources[i]!;
    const id = r.id;
    let seen: number | undefined;
    if (typeof id === 'string' && id !== '') {
      seen = at.get(id);
      const position = out ? out.length : i;
      if (seen === undefined) at.set(id, position);
      else if ((out ?? resources)[seen]!.resourceType !== r.resourceType) {
        // The same id under another type: another resource (rare; keyed with its type).
        const key = `${r.resourceType}/${id}`;
        seen = (other ??= new Map()).get(key);
        if (seen === undefined) other.set(key, position);
      }
    }
    if (seen === undefined) {
      out?.push(r);
      continue;
    }
    out ??= resources.slice(0, i);
    const [kept, newer] = [lastUpdated(out[seen]!), lastUpdated(r)];
    if (kept === undefined || newer === undefined || newer >= kept) out[seen] = r;
  }
  return out ?? resources;
}

/**
 * Observations that a DiagnosticReport entered in error or cancelled lists as its results (`Observation/{id}`,
 * relative or absolute, with or without `/_history/{version}`, in the same answer), taken as withdrawn with it, as its contained results are: a report withdrawn as a whole
 * withdraws what it reported, whatever status each result still carries. A search read in several pages is
 * one answer: its pages together go through this once more (the report may be on another page than its results).
 */
export function withdrawnWithTheirReports(resources: fhir4.Resource[]): fhir4.Resource[] {
  let withdrawn: Map<string, string> | undefined;
  for (const r of resources) {
    if (r.resourceType !== 'DiagnosticReport') continue;
    const report: unknown = r;
    if (!isObject(report) || typeof report.status !== 'string' || !WITHDRAWN_REPORT.test(report.status)) continue;
    for (const ref of objectList(report.result)) {
      // A version ("Observation/x/_history/3") names the same result.
      const id = typeof ref.reference === 'string' ? /^(?:.*\/)?Observation\/([^/]+)$/.exec(withoutVersion(ref.reference.trim()))?.[1] : undefined;
      if (id !== undefined) (withdrawn ??= new Map()).set(id, report.status);
    }
  }
  if (withdrawn === undefined) return resources;
  const byId = withdrawn;
  return resources.map((r) => {
    const status = r.resourceType === 'Observation' && r.id !== undefined ? byId.get(r.id) : undefined;
    if (status === undefined) return r;
    const copy: Record<string, unknown> = { ...r, status };
    return isResource(copy) ? copy : r;
  });
}

/** A reading that does not hold every match: a next page, or fewer matches than its `total`. */
export function isIncomplete(reading: { nextUrl?: string; total?: number; matches: number }): boolean {
  return reading.nextUrl !== undefined || (reading.total !== undefined && reading.total > reading.matches);
}
