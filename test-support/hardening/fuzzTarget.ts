/**
 * Fuzzing the service over HTTP: seed bodies per endpoint (from the repository's fixtures), the
 * invariants every answer must keep, and a runner shared by the quick pass in `npm test` and the long
 * `npm run fuzz`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { applyMutations, describeMutations, mutationArb, RAW_CASES, type Json, type Mutation, type PathFilter } from './mutations.js';

export interface Endpoint {
  name: string;
  path: string;
  seeds: Json[];
}

const readJson = (file: string): Json => JSON.parse(readFileSync(file, 'utf8')) as Json;

/** The patient id the first draft's `subject` (or DSTU2 `patient`) names as `Patient/{id}`, if any. */
function draftsPatient(draftOrders: Json | undefined): string | undefined {
  const entries = draftOrders !== null && typeof draftOrders === 'object' && !Array.isArray(draftOrders) && Array.isArray(draftOrders.entry) ? draftOrders.entry : [];
  const first = entries[0];
  const resource = first !== null && typeof first === 'object' && !Array.isArray(first) ? first.resource : undefined;
  if (resource === null || typeof resource !== 'object' || Array.isArray(resource)) return undefined;
  const ref = resource.subject ?? resource.patient;
  const text = ref !== null && typeof ref === 'object' && !Array.isArray(ref) ? ref.reference : undefined;
  return typeof text === 'string' && text.startsWith('Patient/') ? text.slice('Patient/'.length) : undefined;
}

/** Seed bodies for every POST endpoint, from fixtures/requests and fixtures/orders. */
export function endpoints(root: string): Endpoint[] {
  const requests = readdirSync(join(root, 'fixtures', 'requests'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => readJson(join(root, 'fixtures', 'requests', f)))
    .filter((r): r is { [k: string]: Json } => r !== null && typeof r === 'object' && !Array.isArray(r) && typeof r.hook === 'string');
  const orderContexts = readdirSync(join(root, 'fixtures', 'orders'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => readJson(join(root, 'fixtures', 'orders', f)) as { [k: string]: Json });
  const orderBody = (hook: 'order-select' | 'order-sign', ctx: { [k: string]: Json }): Json => {
    // The drafts' own patient: drafts for another patient than context.patientId are a 400, and seeds that are
    // all 400 would leave the readers and rules behind it unfuzzed.
    const context: { [k: string]: Json } = { patientId: draftsPatient(ctx.draftOrders) ?? 'fuzz-patient', userId: 'Practitioner/fuzz', draftOrders: ctx.draftOrders ?? null };
    if (hook === 'order-select') context.selections = ctx.selections ?? [];
    return {
      hook,
      hookInstance: '7c6a2b1e-2f39-4b0e-9d6a-1f0f4c1d2e3a',
      context,
      prefetch: {
        conditions: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { resourceType: 'Condition', id: 'c1', code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] } } }] },
        medications: { resourceType: 'Bundle', type: 'searchset', entry: [] },
      },
    };
  };
  const byHook = (hook: string): Json[] => requests.filter((r) => r.hook === hook);
  const feedback: Json[] = [
    { feedback: [{ card: '52bbb69b-841f-44e5-8ee4-8a18ccbfabdc', outcome: 'overridden', outcomeTimestamp: '2026-11-25T17:39:50.395Z', overrideReason: { reason: { code: 'already-addressed', system: 'urn:nkr-pain-cds:override-reason' }, userComment: 'x' } }] },
    { feedback: [{ card: '52bbb69b-841f-44e5-8ee4-8a18ccbfabdc', outcome: 'accepted', outcomeTimestamp: '2026-11-25T17:39:50.395Z', acceptedSuggestions: [{ id: '0a6bc2f0-5d9a-4f1e-9a43-1b7c1f0f2d11' }] }] },
  ];
  return [
    { name: 'patient-view', path: '/cds-services/nkr-pain-patient-view', seeds: byHook('patient-view') },
    { name: 'order-select', path: '/cds-services/nkr-pain-order-select', seeds: [...byHook('order-select'), ...orderContexts.map((c) => orderBody('order-select', c))] },
    { name: 'order-sign', path: '/cds-services/nkr-pain-order-sign', seeds: [...byHook('order-sign'), ...orderContexts.map((c) => orderBody('order-sign', c))] },
    { name: 'feedback', path: '/cds-services/nkr-pain-patient-view/feedback', seeds: feedback },
  ];
}

export interface Outcome {
  status: number;
  ms: number;
  body: unknown;
}

/** Sends one body; a hang shows as a thrown timeout. */
async function send(baseUrl: string, path: string, contentType: string, body: Buffer | string, timeoutMs: number, contentEncoding?: string): Promise<Outcome> {
  const started = performance.now();
  const res = await fetch(baseUrl + path, {
    method: 'POST',
    headers: { 'content-type': contentType, accept: 'application/json', ...(contentEncoding ? { 'content-encoding': contentEncoding } : {}) },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? '' : (JSON.parse(text) as unknown);
  } catch {
    /* kept as text: the invariant check reports it */
  }
  return { status: res.status, ms: performance.now() - started, body: parsed };
}

/** What every answer must be: 200 with a schema-valid body, or a 4xx with an OperationOutcome. Returns a problem or null. */
function checkOutcome(o: Outcome, endpoint: string, responseProblems: (body: unknown) => string[]): string | null {
  if (o.status >= 500) return `${endpoint}: status ${o.status}`;
  if (o.status === 200) {
    if (endpoint === 'feedback') return null;
    const problems = responseProblems(o.body);
    return problems.length > 0 ? `${endpoint}: 200 with a body that is not a valid CDS response: ${problems.slice(0, 3).join('; ')}` : null;
  }
  if (o.status >= 400 && o.status < 500) {
    const b = o.body as { resourceType?: unknown } | null;
    return b && typeof b === 'object' && b.resourceType === 'OperationOutcome' ? null : `${endpoint}: ${o.status} without an OperationOutcome`;
  }
  return `${endpoint}: unexpected status ${o.status}`;
}

export interface FuzzReport {
  runs: Record<string, number>;
  statuses: Record<string, Record<string, number>>;
  maxMs: number;
  failure: null | { endpoint: string; problem: string; seed: number; path: string; counterexample: string };
}

/**
 * Runs `runsPerEndpoint` mutated bodies per endpoint plus every raw case, checking each answer.
 * Stops at the first failure and reports its fast-check seed (re-run with `--seed`).
 */
export async function fuzz(options: {
  baseUrl: string;
  root: string;
  runsPerEndpoint: number;
  seed?: number;
  timeoutMs: number;
  responseProblems: (body: unknown) => string[];
  /** Only these endpoints (by name); all when absent. */
  endpoints?: readonly string[];
  /** Mutate only the nodes this accepts (all when absent); raw cases are then left out. */
  within?: PathFilter;
}): Promise<FuzzReport> {
  const report: FuzzReport = { runs: {}, statuses: {}, maxMs: 0, failure: null };
  const count = (endpoint: string, status: number, ms: number): void => {
    report.runs[endpoint] = (report.runs[endpoint] ?? 0) + 1;
    const s = (report.statuses[endpoint] ??= {});
    s[String(status)] = (s[String(status)] ?? 0) + 1;
    report.maxMs = Math.max(report.maxMs, ms);
  };
  const { within } = options;
  for (const ep of endpoints(options.root).filter((e) => options.endpoints === undefined || options.endpoints.includes(e.name))) {
    for (const raw of within ? [] : RAW_CASES) {
      const o = await send(options.baseUrl, ep.path, raw.contentType, raw.body, options.timeoutMs, raw.contentEncoding);
      count(ep.name, o.status, o.ms);
      const problem = checkOutcome(o, ep.name, options.responseProblems);
      if (problem) {
        report.failure = { endpoint: ep.name, problem, seed: -1, path: '', counterexample: `raw case: ${raw.name}` };
        return report;
      }
    }
    if (ep.seeds.length === 0) throw new Error(`no seed bodies for ${ep.name}`);
    const property = fc.asyncProperty(fc.nat({ max: ep.seeds.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 3 }), async (seedIndex, mutations) => {
      const body = applyMutations(ep.seeds[seedIndex] as Json, mutations, within);
      const o = await send(options.baseUrl, ep.path, 'application/json', body === undefined ? '' : JSON.stringify(body), options.timeoutMs);
      count(ep.name, o.status, o.ms);
      const problem = checkOutcome(o, ep.name, options.responseProblems);
      if (problem) throw new Error(problem);
    });
    const result = await fc.check(property, { numRuns: options.runsPerEndpoint, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
    if (result.failed) {
      report.failure = {
        endpoint: ep.name,
        problem: result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance),
        seed: result.seed,
        path: result.counterexamplePath ?? '',
        counterexample: result.counterexample
          ? describeMutations(ep.seeds[result.counterexample[0]] as Json, result.counterexample[1] as Mutation[], within).join('; ')
          : '',
      };
      return report;
    }
  }
  return report;
}
