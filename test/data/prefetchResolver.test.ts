import nock from 'nock';
import { loadConfig, type Config } from '../../src/config.js';
import { createFhirFetcher, type FhirFetcher } from '../../src/data/fhirFetcher.js';
import { resolvePrefetch, type DataCall, type ResolvedPrefetch } from '../../src/data/prefetchResolver.js';
import { newCallTrace, type CallTrace } from '../../src/model/callTrace.js';
import type { PrefetchTemplateSpec } from '../../src/model/cdsService.js';
import { RequiredDataUnavailable, type UnavailableKey } from '../../src/model/requiredData.js';
import { SkippedResources, type SkippedResource } from '../../src/model/skipped.js';
import { captureLogs } from '../support/captureLogs.js';

const ORIGIN = 'http://127.0.0.1:8080';
const FHIR = `${ORIGIN}/fhir`;
const TOKEN = 'super-secret-access-token-xyz';

const SPECS: PrefetchTemplateSpec[] = [
  { key: 'patient', query: 'Patient/{{context.patientId}}', required: true, description: 'the patient' },
  { key: 'conditions', query: 'Condition?patient={{context.patientId}}', required: true, description: "the patient's Conditions" },
  { key: 'meds', query: 'MedicationRequest?patient={{context.patientId}}&status=active', required: false, description: "the patient's active medication orders" },
];
const CONDITIONS_ONLY = SPECS.filter((s) => s.key === 'conditions');

const patient = { resourceType: 'Patient', id: 'p1' };
const cond = (id: string) => ({ resourceType: 'Condition', id, subject: { reference: 'Patient/p1' } });
const med = { resourceType: 'MedicationRequest', id: 'm1' };
const operationOutcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: 'boom' }] };
const warningOutcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'processing', diagnostics: 'No results were found.' }] };
function bundle(resources: object[], next?: string) {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    entry: resources.map((resource) => ({ resource, search: { mode: 'match' } })),
    ...(next ? { link: [{ relation: 'next', url: next }] } : {}),
  };
}
const emptyBundle = { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] };
/** An outcome entry saying some results were withheld by consent or access rules (docs/clinical-rules.md §7). */
const withheldEntry = { resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'suppressed', diagnostics: 'Some results are blocked by the patient.' }] }, search: { mode: 'outcome' } };
/** `b` with that outcome among its entries. */
const withWithheld = <B extends { entry: object[] }>(b: B): B => ({ ...b, entry: [...b.entry, withheldEntry] });
const fullPrefetch = () => ({ patient, conditions: bundle([cond('c1')]), meds: bundle([med]) });

function config(env: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'development', ...env });
}
function prodConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.example.org', ...env });
}

type RequestData = DataCall['request'];
function request(over: Partial<RequestData> = {}): RequestData {
  return { fhirServer: FHIR, context: { patientId: 'p1', userId: 'Practitioner/u1' }, ...over };
}
const withToken = { fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer' } };

interface Resolved extends ResolvedPrefetch {
  /** Keys read from the FHIR server, in the order they were read. */
  fetched: string[];
  trace: CallTrace;
  /** The warning lines logged (message and reason). */
  warnings: string[];
  /** Resources skipped (another patient's). */
  skipped: SkippedResource[];
}

/** One call as a service makes it: its own deadline signal (FHIR_REQUEST_DEADLINE_MS), logger and trace. */
async function resolve(req: RequestData, cfg: Config = config(), specs: readonly PrefetchTemplateSpec[] = SPECS, fetcher?: FhirFetcher, options: { deferred?: string[] } = {}): Promise<Resolved> {
  const logs = captureLogs('info');
  const log = logs.logger;
  const trace = newCallTrace();
  const call: DataCall = { request: req, signal: AbortSignal.timeout(cfg.fhir.requestDeadlineMs), log, trace, skipped: new SkippedResources() };
  const r = await resolvePrefetch(specs, call, { fetcher: fetcher ?? createFhirFetcher(cfg), config: cfg }, options);
  const warnings = logs.lines<{ level: number; msg: string; reason?: string; key?: string }>().filter((l) => l.level === 40).map((l) => `${l.key}: ${l.msg}: ${l.reason}`);
  expect(logs.text()).not.toContain(TOKEN);
  return { ...r, fetched: trace.fhirReads.map((f) => f.key), trace, warnings, skipped: call.skipped.items };
}

/** Awaits RequiredDataUnavailable (transport answers 412) and checks it never holds the token. */
async function expect412(p: Promise<unknown>): Promise<{ text: string; missing: readonly UnavailableKey[] }> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(RequiredDataUnavailable);
  const e = err as RequiredDataUnavailable;
  const text = JSON.stringify(e.missing) + e.message;
  expect(text).not.toContain(TOKEN);
  return { text, missing: e.missing };
}
const whyOf = (missing: readonly UnavailableKey[], key: string): string => missing.find((m) => m.key === key)?.why ?? '';

/** An interceptor for anything on the FHIR server: it must stay unused when nothing should be fetched. */
function anyRequest(origin = ORIGIN) {
  return nock(origin).get(/.*/).times(10).reply(200, bundle([cond('from-server')]));
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.abortPendingRequests();
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

describe('resolvePrefetch: decision table (CDS Hooks 2.0 §2.1)', () => {
  it('row 1: prefetched resources and Bundles are used as they are, nothing is fetched', async () => {
    const server = anyRequest();
    const r = await resolve(request({ ...withToken, prefetch: fullPrefetch() }));
    expect(r.resources).toEqual({ patient: [patient], conditions: [cond('c1')], meds: [med] });
    expect(r.fetched).toEqual([]);
    expect(r.unavailable).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(server.isDone()).toBe(false);
  });

  it('row 1: warning outcome entries inside a Bundle with matches are dropped, the matches used', async () => {
    const server = anyRequest();
    const b = bundle([cond('c1')]);
    b.entry.push({ resource: warningOutcome, search: { mode: 'outcome' } } as never);
    const r = await resolve(request({ prefetch: { conditions: b } }), config(), CONDITIONS_ONLY);
    expect(r.resources.conditions).toEqual([cond('c1')]);
    expect(server.isDone()).toBe(false);
  });

  it('row 2: null is "no data" and is not fetched again', async () => {
    const server = anyRequest();
    const r = await resolve(request({ ...withToken, prefetch: { ...fullPrefetch(), conditions: null, meds: null } }));
    expect(r.resources.conditions).toEqual([]);
    expect(r.resources.meds).toEqual([]);
    expect(r.fetched).toEqual([]);
    expect(server.isDone()).toBe(false);
  });

  it('row 3: an empty Bundle (with or without entry) is "no data" and is not fetched again', async () => {
    const server = anyRequest();
    const r = await resolve(
      request({ ...withToken, prefetch: { patient, conditions: emptyBundle, meds: { resourceType: 'Bundle', type: 'searchset', total: 0 } } }),
    );
    expect(r.resources).toEqual({ patient: [patient], conditions: [], meds: [] });
    expect(r.fetched).toEqual([]);
    expect(server.isDone()).toBe(false);
  });

  it("row 5 (Epic's no results): total 0 and a warning OperationOutcome entry is an empty result, not refetched, not unavailable", async () => {
    const server = anyRequest();
    const epic = { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [{ resource: warningOutcome, search: { mode: 'outcome' } }] };
    const r = await resolve(request({ ...withToken, prefetch: { patient, conditions: epic, meds: epic } }));
    expect(r.resources).toEqual({ patient: [patient], conditions: [], meds: [] });
    expect(r.unavailable).toEqual([]);
    expect(server.isDone()).toBe(false);
  });

  it('results withheld by consent or access rules (an outcome issue "suppressed"): the key is read as what the user may see and marked withheld, prefetched or from the FHIR server; a key holding only that outcome is empty, not "holding no Condition"', async () => {
    const server = anyRequest();
    const prefetched = await resolve(request({ prefetch: { patient, conditions: withWithheld(bundle([cond('c1')])), meds: withWithheld(emptyBundle) } }));
    expect(prefetched.resources).toEqual({ patient: [patient], conditions: [cond('c1')], meds: [] });
    expect(prefetched.withheld).toEqual(['conditions', 'meds']);
    expect(prefetched.trace.withheld).toEqual(['conditions', 'meds']);
    expect(prefetched.unavailable).toEqual([]);
    expect(server.isDone()).toBe(false);
    nock.cleanAll();
    const scope = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, withWithheld(bundle([cond('c9')])));
    const fetched = await resolve(request({ prefetch: {} }), config(), CONDITIONS_ONLY);
    expect(fetched.resources.conditions).toEqual([cond('c9')]);
    expect(fetched.withheld).toEqual(['conditions']);
    expect(scope.isDone()).toBe(true);
    // Without the outcome nothing is marked.
    expect((await resolve(request({ prefetch: fullPrefetch() }))).withheld).toEqual([]);
  });

  it('a withheld prefetched page whose next page the server refuses (410), read again in full: still marked', async () => {
    const scope = nock(ORIGIN)
      .get('/fhir/Condition')
      .query({ page: '2' })
      .reply(410, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] })
      .get('/fhir/Condition')
      .query({ patient: 'p1' })
      .reply(200, bundle([cond('c1'), cond('c2')]));
    const prefetched = withWithheld(bundle([cond('c1')], `${FHIR}/Condition?page=2`));
    const r = await resolve(request({ prefetch: { conditions: prefetched } }), config(), CONDITIONS_ONLY);
    expect(r.resources.conditions).toEqual([cond('c1'), cond('c2')]);
    expect(r.withheld).toEqual(['conditions']);
    expect(scope.isDone()).toBe(true);
  });

  it('a withheld prefetch read again from the FHIR server (its total above its entries) stays marked, though the answer does not say so', async () => {
    const scope = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, bundle([cond('c1'), cond('c2')]));
    const prefetched = { ...withWithheld(bundle([cond('c1')])), total: 2 };
    const r = await resolve(request({ prefetch: { conditions: prefetched } }), config(), CONDITIONS_ONLY);
    expect(r.resources.conditions).toEqual([cond('c1'), cond('c2')]);
    expect(r.withheld).toEqual(['conditions']);
    expect(scope.isDone()).toBe(true);
  });

  it('row 5: a Bundle whose only outcome entry is information (no search.mode) is an empty result too', async () => {
    const info = { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] };
    const r = await resolve(request({ fhirServer: undefined, prefetch: { conditions: { resourceType: 'Bundle', total: 0, entry: [{ resource: info }] } } }), config(), CONDITIONS_ONLY);
    expect(r.resources.conditions).toEqual([]);
  });

  it('row 4: an OperationOutcome is a prefetch error and is fetched again (with the token)', async () => {
    const scope = nock(ORIGIN, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get('/fhir/Condition')
      .query({ patient: 'p1' })
      .reply(200, bundle([cond('c9')]));
    const r = await resolve(request({ ...withToken, prefetch: { ...fullPrefetch(), conditions: operationOutcome } }));
    expect(r.resources.conditions).toEqual([cond('c9')]);
    expect(r.fetched).toEqual(['conditions']);
    expect(scope.isDone()).toBe(true);
  });

  it('row 4: a Bundle holding an OperationOutcome with an error is a prefetch error and is fetched again', async () => {
    const scope = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, bundle([cond('c9')]));
    const onlyOutcomes = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: operationOutcome, search: { mode: 'outcome' } }] };
    const r = await resolve(request({ prefetch: { conditions: onlyOutcomes } }), config(), CONDITIONS_ONLY);
    expect(r.resources.conditions).toEqual([cond('c9')]);
    expect(r.fetched).toEqual(['conditions']);
    expect(scope.isDone()).toBe(true);
  });

  it.each([
    ['a string', 'oops'],
    ['a number', 3],
    ['an array', [cond('c1')]],
    ['an object without resourceType', { entry: [] }],
    ['a Bundle whose entry is not an array', { resourceType: 'Bundle', entry: { resource: cond('c1') } }],
    ['a Bundle with an entry that holds no resource', { resourceType: 'Bundle', entry: [{ search: { mode: 'match' } }] }],
  ])('row 4: a malformed prefetch value (%s) is a prefetch error, fetched again', async (_name, value) => {
    const scope = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, bundle([cond('c9')]));
    const r = await resolve(request({ prefetch: { conditions: value } }), config(), CONDITIONS_ONLY);
    expect(r.resources.conditions).toEqual([cond('c9')]);
    expect(scope.isDone()).toBe(true);
  });

  it('row 4: a prefetch error without FHIR access is a 412 that says so', async () => {
    const server = anyRequest();
    const { missing } = await expect412(resolve(request({ fhirServer: undefined, prefetch: { ...fullPrefetch(), conditions: operationOutcome } })));
    expect(missing.map((m) => m.description)).toEqual(["the patient's Conditions"]);
    expect(whyOf(missing, 'conditions')).toContain('OperationOutcome');
    expect(whyOf(missing, 'conditions')).toContain('no fhirServer');
    expect(server.isDone()).toBe(false);
  });

  it('row 5: a missing key with fhirServer + fhirAuthorization is fetched with the bearer token', async () => {
    const scope = nock(ORIGIN, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get('/fhir/Patient/p1')
      .reply(200, patient)
      .get('/fhir/Condition')
      .query({ patient: 'p1' })
      .reply(200, bundle([cond('c1'), cond('c2')]))
      .get('/fhir/MedicationRequest')
      .query({ patient: 'p1', status: 'active' })
      .reply(200, emptyBundle);
    const r = await resolve(request(withToken));
    expect(r.resources).toEqual({ patient: [patient], conditions: [cond('c1'), cond('c2')], meds: [] });
    expect([...r.fetched].sort()).toEqual(['conditions', 'meds', 'patient']);
    expect(r.trace.fhirReads.every((f) => f.outcome === 'ok' && f.ms >= 0)).toBe(true);
    expect(scope.isDone()).toBe(true);
  });

  it('row 5: only missing keys are fetched; tokens are URL-encoded into the query', async () => {
    const scope = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'a b&c' }).reply(200, bundle([{ resourceType: 'Condition', id: 'c1' }]));
    const r = await resolve(
      request({ ...withToken, context: { patientId: 'a b&c' }, prefetch: { patient: { ...patient, id: 'a b&c' }, meds: null } }),
    );
    expect(r.fetched).toEqual(['conditions']);
    expect(scope.isDone()).toBe(true);
  });

  it('row 6: fhirServer without fhirAuthorization, allowed (loopback in development) → unauthenticated GET', async () => {
    const scope = nock(ORIGIN, { badheaders: ['authorization'] })
      .get('/fhir/Condition')
      .query({ patient: 'p1' })
      .reply(200, bundle([cond('c1')]));
    const r = await resolve(request({ prefetch: { patient, meds: null } }));
    expect(r.resources.conditions).toEqual([cond('c1')]);
    expect(scope.isDone()).toBe(true);
  });

  it('row 6: fhirServer not on the allow-list (production default) → 412, nothing requested', async () => {
    const server = anyRequest();
    const { missing } = await expect412(resolve(request({ prefetch: { patient, meds: null } }), prodConfig()));
    expect(whyOf(missing, 'conditions')).toContain('not on the allow-list');
    expect(server.isDone()).toBe(false);
  });

  it('row 6: a non-loopback fhirServer in development without FHIR_SERVER_ALLOWLIST → 412, nothing requested, token not sent', async () => {
    const server = anyRequest('https://launch.smarthealthit.org');
    const { text } = await expect412(
      resolve(request({ ...withToken, fhirServer: 'https://launch.smarthealthit.org/v/r4/fhir', prefetch: { patient, meds: null } })),
    );
    expect(text).toContain('not on the allow-list');
    expect(server.isDone()).toBe(false);
  });

  it('row 6: production with the server on FHIR_SERVER_ALLOWLIST → unauthenticated GET', async () => {
    const scope = nock('https://ehr.example.org', { badheaders: ['authorization'] })
      .get('/fhir/R4/Condition')
      .query({ patient: 'p1' })
      .reply(200, bundle([cond('c1')]));
    const r = await resolve(
      request({ fhirServer: 'https://ehr.example.org/fhir/R4/', prefetch: { patient, meds: null } }),
      prodConfig({ FHIR_SERVER_ALLOWLIST: 'https://ehr.example.org/fhir' }),
    );
    expect(r.resources.conditions).toEqual([cond('c1')]);
    expect(scope.isDone()).toBe(true);
  });

  it('row 7: no fhirServer → 412 naming every unavailable required key; optional data is not named', async () => {
    let err: unknown;
    await resolve(request({ fhirServer: undefined })).catch((e: unknown) => (err = e));
    const { missing } = await expect412(Promise.reject(err));
    expect(missing.map((m) => m.key)).toEqual(['patient', 'conditions']);
    expect((err as Error).message).toBe("Required data is unavailable: the patient; the patient's Conditions");
    expect(whyOf(missing, 'patient')).toContain('the request has no fhirServer');
  });

  it('row 7: optional data that cannot be had is unavailable (undefined, not []), logged with its key, no 412', async () => {
    const r = await resolve(request({ fhirServer: undefined, prefetch: { patient, conditions: bundle([cond('c1')]) } }));
    expect(r.resources.meds).toBeUndefined();
    expect('meds' in r.resources).toBe(false);
    expect(r.unavailable).toEqual(['meds']);
    expect(r.trace.unavailable).toEqual(['meds']);
    expect(r.warnings).toEqual([expect.stringMatching(/^meds: optional data unavailable.*no fhirServer/)]);
  });
});

describe('resolvePrefetch: FHIR server failures', () => {
  it('a timeout → 412 naming the key and the timeout', async () => {
    nock(ORIGIN).get('/fhir/Condition').query(true).delay(60_000).reply(200, bundle([cond('c1')]));
    const { missing } = await expect412(
      resolve(request({ ...withToken, prefetch: { patient, meds: null } }), config({ FHIR_QUERY_TIMEOUT_MS: '50', FHIR_REQUEST_DEADLINE_MS: '10000' })),
    );
    expect(missing.map((m) => m.description)).toEqual(["the patient's Conditions"]);
    expect(whyOf(missing, 'conditions')).toContain('did not answer within 50 ms');
  });

  it('the request deadline ends slow queries → 412 that names the deadline', async () => {
    nock(ORIGIN).get('/fhir/Condition').query(true).delay(60_000).reply(200, bundle([cond('c1')]));
    const { text } = await expect412(
      resolve(request({ prefetch: { patient, meds: null } }), config({ FHIR_QUERY_TIMEOUT_MS: '60000', FHIR_REQUEST_DEADLINE_MS: '50' })),
    );
    expect(text).toContain('deadline');
  });

  it('a fetcher that ignores the abort signal still cannot make us hang past the deadline', async () => {
    const stuck: FhirFetcher = { fetch: () => new Promise(() => undefined) };
    const { text } = await expect412(resolve(request({ prefetch: { patient, meds: null } }), config({ FHIR_REQUEST_DEADLINE_MS: '30' }), SPECS, stuck));
    expect(text).toContain('deadline');
  });

  it('an optional query that times out degrades with a warning', async () => {
    nock(ORIGIN).get('/fhir/MedicationRequest').query(true).delay(60_000).reply(200, bundle([med]));
    const r = await resolve(request({ prefetch: { patient, conditions: emptyBundle } }), config({ FHIR_QUERY_TIMEOUT_MS: '50' }));
    expect(r.resources.meds).toBeUndefined();
    expect(r.trace.fhirReads).toEqual([{ key: 'meds', ms: expect.any(Number), outcome: 'timeout' }]);
    expect(r.warnings[0]).toContain('did not answer within 50 ms');
  });

  it('HTTP 500 → 412 with the status, and the token is not in the body', async () => {
    nock(ORIGIN).get('/fhir/Condition').query(true).reply(500, { resourceType: 'OperationOutcome', issue: [{ severity: 'fatal', code: 'exception', diagnostics: TOKEN }] });
    const { text } = await expect412(resolve(request({ ...withToken, prefetch: { patient, meds: null } })));
    expect(text).toContain('answered HTTP 500');
  });

  it('an OperationOutcome prefetch whose refetch fails → 412 that tells both', async () => {
    nock(ORIGIN).get('/fhir/Condition').query(true).reply(503, 'Service Unavailable');
    const { missing } = await expect412(resolve(request({ prefetch: { patient, conditions: operationOutcome, meds: null } })));
    const d = whyOf(missing, 'conditions');
    expect(d).toContain('OperationOutcome');
    expect(d).toContain('HTTP 503');
  });

  it.each([
    ['HTML', '<!doctype html><html><body>Please log in</body></html>', 'not JSON'],
    ['non-FHIR JSON', { data: [1, 2, 3] }, 'not a FHIR resource'],
    ['a non-Bundle for a search', cond('c1'), 'should not'],
  ])('a garbage body (%s) → 412 invalid response', async (_name, body, words) => {
    nock(ORIGIN).get('/fhir/Condition').query(true).reply(200, body as nock.Body);
    const { text } = await expect412(resolve(request({ prefetch: { patient, meds: null } })));
    expect(text).toContain(words);
  });

  it('a redirect to another host is not followed and the token is not sent there → 412', async () => {
    nock(ORIGIN).get('/fhir/Condition').query(true).reply(302, '', { Location: 'https://evil.example.com/collect' });
    const evil = anyRequest('https://evil.example.com');
    const { text } = await expect412(resolve(request({ ...withToken, prefetch: { patient, meds: null } })));
    expect(text).toContain('redirect');
    expect(evil.isDone()).toBe(false);
  });

  it('a query whose token the context cannot fill is unavailable → 412', async () => {
    const server = anyRequest();
    const { text } = await expect412(resolve(request({ context: { userId: 'Practitioner/u1' } })));
    expect(text).toContain('{{context.patientId}}');
    expect(server.isDone()).toBe(false);
  });

  it('when one required key is hopeless, nothing is fetched at all', async () => {
    const server = anyRequest();
    const specs: PrefetchTemplateSpec[] = [
      ...SPECS,
      { key: 'encounter', query: 'Encounter/{{context.encounterId}}', required: true, description: 'the encounter' },
    ];
    const { missing } = await expect412(resolve(request(withToken), config(), specs));
    expect(missing.map((m) => m.key)).toEqual(['encounter']);
    expect(server.isDone()).toBe(false);
  });

  it('queries for different keys run in parallel', async () => {
    const started: string[] = [];
    let release: () => void = () => undefined;
    const allStarted = new Promise<void>((r) => (release = r));
    const barrier: FhirFetcher = {
      async fetch(_server, query) {
        started.push(query);
        if (started.length === 3) release();
        await allStarted; // a sequential resolver would never get here for the 2nd query: the deadline would 412
        return [];
      },
    };
    const r = await resolve(request(), config({ FHIR_REQUEST_DEADLINE_MS: '2000' }), SPECS, barrier);
    expect(started).toHaveLength(3);
    expect([...r.fetched].sort()).toEqual(['conditions', 'meds', 'patient']);
  });
});

describe('resolvePrefetch: fhirServerQuery (what a read from fhirServer asks beyond the template)', () => {
  const MEDS_WITH_INCLUDE: PrefetchTemplateSpec = {
    key: 'meds',
    query: 'MedicationRequest?patient={{context.patientId}}&status=active',
    fhirServerQuery: 'MedicationRequest?patient={{context.patientId}}&status=active&_include=MedicationRequest:medication',
    required: false,
    description: "the patient's active medication orders",
  };
  const medication = { resourceType: 'Medication', id: 'med-1' };
  const withInclude = {
    resourceType: 'Bundle',
    type: 'searchset',
    total: 1,
    entry: [
      { resource: med, search: { mode: 'match' } },
      { resource: medication, search: { mode: 'include' } },
    ],
  };

  it('reads a missing key with fhirServerQuery: the included resources come in the same answer', async () => {
    const scope = nock(ORIGIN)
      .get('/fhir/MedicationRequest')
      .query({ patient: 'p1', status: 'active', _include: 'MedicationRequest:medication' })
      .reply(200, withInclude);
    const r = await resolve(request(withToken), config(), [MEDS_WITH_INCLUDE]);
    expect(r.resources).toEqual({ meds: [med, medication] });
    expect(r.trace.fhirReads).toEqual([expect.objectContaining({ key: 'meds', outcome: 'ok', resources: 2 })]);
    expect(scope.isDone()).toBe(true);
  });

  it('uses a prefetched key as it is: fhirServerQuery is only for reads from fhirServer', async () => {
    const server = anyRequest();
    const r = await resolve(request({ ...withToken, prefetch: { meds: bundle([med]) } }), config(), [MEDS_WITH_INCLUDE]);
    expect(r.resources).toEqual({ meds: [med] });
    expect(r.fetched).toEqual([]);
    expect(server.isDone()).toBe(false);
  });

  it('asks the plain template when the server refuses fhirServerQuery with HTTP 400 (an _include it does not support)', async () => {
    const scope = nock(ORIGIN)
      .get('/fhir/MedicationRequest')
      .query({ patient: 'p1', status: 'active', _include: 'MedicationRequest:medication' })
      .reply(400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported' }] })
      .get('/fhir/MedicationRequest')
      .query({ patient: 'p1', status: 'active' })
      .reply(200, bundle([med]));
    const r = await resolve(request(withToken), config(), [MEDS_WITH_INCLUDE]);
    expect(r.resources).toEqual({ meds: [med] });
    expect(r.unavailable).toEqual([]);
    expect(scope.isDone()).toBe(true);
  });

  it('does not ask again on other failures (HTTP 500): the key is unavailable', async () => {
    const scope = nock(ORIGIN)
      .get('/fhir/MedicationRequest')
      .query({ patient: 'p1', status: 'active', _include: 'MedicationRequest:medication' })
      .reply(500, operationOutcome);
    const plain = nock(ORIGIN).get('/fhir/MedicationRequest').query({ patient: 'p1', status: 'active' }).reply(200, bundle([med]));
    const r = await resolve(request(withToken), config(), [MEDS_WITH_INCLUDE]);
    expect(r.resources.meds).toBeUndefined();
    expect(r.unavailable).toEqual(['meds']);
    expect(scope.isDone()).toBe(true);
    expect(plain.isDone()).toBe(false);
  });
});

describe('resolvePrefetch: the DSTU2 search, when fhirServer does not know the resource type', () => {
  const MEDS_DSTU2: PrefetchTemplateSpec = {
    key: 'meds',
    query: 'MedicationRequest?patient={{context.patientId}}&status=active',
    fhirServerQuery: 'MedicationRequest?patient={{context.patientId}}&status=active&_include=MedicationRequest:medication',
    olderVersions: [
      {
        version: 'DSTU2',
        query: 'MedicationOrder?patient={{context.patientId}}&status=active',
        fhirServerQuery: 'MedicationOrder?patient={{context.patientId}}&status=active&_include=MedicationOrder:medication',
      },
    ],
    required: true,
    description: "the patient's active medication orders",
  };
  const order = { resourceType: 'MedicationOrder', id: 'mo-1', status: 'active' };
  const unknownType = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported', diagnostics: "Unknown resource type 'MedicationRequest'" }] };
  const includeRefused = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported', diagnostics: '_include is not supported' }] };

  it('a 400 saying the type is unknown goes straight to the DSTU2 search (no plain retry); its own 400 to _include gets the plain DSTU2 query', async () => {
    const scope = nock(ORIGIN)
      .get('/fhir/MedicationRequest')
      .query({ patient: 'p1', status: 'active', _include: 'MedicationRequest:medication' })
      .reply(400, unknownType)
      .get('/fhir/MedicationOrder')
      .query({ patient: 'p1', status: 'active', _include: 'MedicationOrder:medication' })
      .reply(400, includeRefused)
      .get('/fhir/MedicationOrder')
      .query({ patient: 'p1', status: 'active' })
      .reply(200, bundle([order]));
    const plainRequest = nock(ORIGIN).get('/fhir/MedicationRequest').query({ patient: 'p1', status: 'active' }).reply(200, bundle([med]));
    const r = await resolve(request(withToken), config(), [MEDS_DSTU2]);
    expect(r.resources).toEqual({ meds: [order] });
    expect(r.trace.fhirReads).toEqual([expect.objectContaining({ key: 'meds', outcome: 'ok', resources: 1 })]);
    expect(scope.isDone()).toBe(true);
    expect(plainRequest.isDone()).toBe(false);
  });

  it('only an answer that the type is unknown leads to the DSTU2 search: HTTP 500 does not, HTTP 404 does', async () => {
    nock(ORIGIN).get('/fhir/MedicationRequest').query(true).reply(500, operationOutcome);
    const notAsked = nock(ORIGIN).get('/fhir/MedicationOrder').query(true).reply(200, bundle([order]));
    const { missing } = await expect412(resolve(request(withToken), config(), [MEDS_DSTU2]));
    expect(whyOf(missing, 'meds')).toBe('the FHIR server answered HTTP 500');
    expect(notAsked.isDone()).toBe(false);
    nock.cleanAll();

    const scope = nock(ORIGIN)
      .get('/fhir/MedicationRequest')
      .query(true)
      .reply(404, unknownType)
      .get('/fhir/MedicationOrder')
      .query({ patient: 'p1', status: 'active', _include: 'MedicationOrder:medication' })
      .reply(200, bundle([order]));
    expect((await resolve(request(withToken), config(), [MEDS_DSTU2])).resources).toEqual({ meds: [order] });
    expect(scope.isDone()).toBe(true);
  });
});

describe('resolvePrefetch: open orders in three versions, asked in order while fhirServer does not know the type', () => {
  const ORDERS: PrefetchTemplateSpec = {
    key: 'orders',
    query: 'ServiceRequest?patient={{context.patientId}}&status=draft,active,on-hold',
    olderVersions: [
      { version: 'DSTU2', query: 'DiagnosticOrder?patient={{context.patientId}}&status=requested' },
      { version: 'STU3', query: 'ProcedureRequest?patient={{context.patientId}}&status=draft,active,suspended' },
    ],
    required: false,
    description: "the patient's open orders",
  };
  const unknown = (type: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported', diagnostics: `Unknown resource type '${type}'` }] });
  const stu3Order = { resourceType: 'ProcedureRequest', id: 'pr-1', status: 'active' };
  const dstu2Order = { resourceType: 'DiagnosticOrder', id: 'do-1', status: 'requested' };

  it('an STU3 server (neither ServiceRequest nor DiagnosticOrder) is asked for its ProcedureRequests, and they are read', async () => {
    const scope = nock(ORIGIN)
      .get('/fhir/ServiceRequest')
      .query(true)
      .reply(404, unknown('ServiceRequest'))
      .get('/fhir/DiagnosticOrder')
      .query({ patient: 'p1', status: 'requested' })
      .reply(400, unknown('DiagnosticOrder'))
      .get('/fhir/ProcedureRequest')
      .query({ patient: 'p1', status: 'draft,active,suspended' })
      .reply(200, bundle([stu3Order]));
    const r = await resolve(request(withToken), config(), [ORDERS]);
    expect(r.resources).toEqual({ orders: [stu3Order] });
    // Which version answered is told: the EHR's version, for the orders its suggestions create.
    expect(r.olderVersions).toEqual({ orders: 'STU3' });
    expect(scope.isDone()).toBe(true);
  });

  it('a DSTU2 server answers for DiagnosticOrder: its ProcedureRequests (procedures there) are never asked for', async () => {
    const notAsked = nock(ORIGIN).get('/fhir/ProcedureRequest').query(true).reply(200, bundle([stu3Order]));
    nock(ORIGIN).get('/fhir/ServiceRequest').query(true).reply(404, unknown('ServiceRequest')).get('/fhir/DiagnosticOrder').query(true).reply(200, bundle([dstu2Order]));
    const r = await resolve(request(withToken), config(), [ORDERS]);
    expect([r.resources, r.olderVersions]).toEqual([{ orders: [dstu2Order] }, { orders: 'DSTU2' }]);
    expect(notAsked.isDone()).toBe(false);
  });

  it('an older version that fails otherwise ends the chain, and the key is unavailable with each answer named', async () => {
    const notAsked = nock(ORIGIN).get('/fhir/ProcedureRequest').query(true).reply(200, bundle([stu3Order]));
    nock(ORIGIN).get('/fhir/ServiceRequest').query(true).reply(404, unknown('ServiceRequest')).get('/fhir/DiagnosticOrder').query(true).reply(500, operationOutcome);
    const r = await resolve(request(withToken), config(), [ORDERS]);
    expect(r.unavailable).toEqual(['orders']);
    expect(r.warnings).toEqual([
      'orders: optional data unavailable: the cards that need it degrade: the FHIR server answered HTTP 404; asked for DiagnosticOrder (DSTU2) instead, the FHIR server answered HTTP 500',
    ]);
    expect(notAsked.isDone()).toBe(false);
  });

  it('a server that knows none of the three: every one asked once, each named', async () => {
    nock(ORIGIN)
      .get('/fhir/ServiceRequest')
      .query(true)
      .reply(404, unknown('ServiceRequest'))
      .get('/fhir/DiagnosticOrder')
      .query(true)
      .reply(404, unknown('DiagnosticOrder'))
      .get('/fhir/ProcedureRequest')
      .query(true)
      .reply(404, unknown('ProcedureRequest'));
    const r = await resolve(request(withToken), config(), [ORDERS]);
    expect(r.warnings).toEqual([
      'orders: optional data unavailable: the cards that need it degrade: the FHIR server answered HTTP 404; asked for DiagnosticOrder (DSTU2) instead, the FHIR server answered HTTP 404; asked for ProcedureRequest (STU3) instead, the FHIR server answered HTTP 404',
    ]);
  });

  it('prefetched ProcedureRequests or DiagnosticOrders are the searched types: read as they are, not a prefetch error', async () => {
    const r = await resolve(request({ fhirServer: undefined, prefetch: { orders: bundle([stu3Order, dstu2Order]) } }), config(), [ORDERS]);
    expect(r.resources.orders).toEqual([stu3Order, dstu2Order]);
    // No older search answered: no version told (the types prefetched are src/data/ehrFhirVersion.ts's to read).
    expect(r.olderVersions).toBeUndefined();
  });
});

describe('resolvePrefetch: incomplete prefetch (a next link, or total above the entries)', () => {
  it('follows next on the allowed fhirServer, with the token, and reads every page', async () => {
    const p2 = nock(ORIGIN, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get('/fhir/Condition')
      .query({ patient: 'p1', page: '2' })
      .reply(200, bundle([cond('c2')], `${FHIR}/Condition?patient=p1&page=3`));
    const p3 = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1', page: '3' }).reply(200, bundle([cond('c3')]));
    const r = await resolve(request({ ...withToken, prefetch: { conditions: bundle([cond('c1')], `${FHIR}/Condition?patient=p1&page=2`) } }), config(), CONDITIONS_ONLY);
    expect(r.resources.conditions?.map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
    expect(p2.isDone() && p3.isDone()).toBe(true);
    expect(r.warnings).toEqual([]);
  });

  it('a report withdrawn on a later page withdraws the results it lists from an earlier one: the pages are one answer', async () => {
    const LABS: PrefetchTemplateSpec[] = [{ key: 'labs', query: 'Observation?patient={{context.patientId}}', required: false, description: 'lab results' }];
    const obs = { resourceType: 'Observation', id: 'k1', status: 'final', subject: { reference: 'Patient/p1' }, code: { text: 'Kalium' }, valueQuantity: { value: 9 } };
    const report = { resourceType: 'DiagnosticReport', id: 'r1', status: 'entered-in-error', subject: { reference: 'Patient/p1' }, code: { text: 'Elektrolytter' }, result: [{ reference: 'Observation/k1' }] };
    nock(ORIGIN).get('/fhir/Observation').query({ patient: 'p1', page: '2' }).reply(200, bundle([report]));
    const r = await resolve(request({ prefetch: { labs: bundle([obs], `${FHIR}/Observation?patient=p1&page=2`) } }), config(), LABS);
    expect(r.resources.labs?.find((x) => x.id === 'k1')).toMatchObject({ status: 'entered-in-error' });
  });

  it('pages that overlap (a resource written while the EHR paged) list one twice: it is read once, in its last version', async () => {
    const c2 = { ...cond('c2'), clinicalStatus: { text: 'active' } };
    const c2later = { ...cond('c2'), clinicalStatus: { text: 'resolved' } };
    nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1', page: '2' }).reply(200, bundle([c2later, cond('c3')]));
    const r = await resolve(request({ prefetch: { conditions: bundle([cond('c1'), c2], `${FHIR}/Condition?patient=p1&page=2`) } }), config(), CONDITIONS_ONLY);
    expect(r.resources.conditions).toEqual([cond('c1'), c2later, cond('c3')]);
  });

  it('counts the prefetch as page 1 of FHIR_MAX_PAGES: more pages than that → unavailable (412 for a required key), never a partial result', async () => {
    nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1', page: '2' }).reply(200, bundle([cond('c2')], `${FHIR}/Condition?patient=p1&page=3`));
    const p3 = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1', page: '3' }).reply(200, bundle([cond('c3')]));
    const { missing } = await expect412(
      resolve(request({ prefetch: { conditions: bundle([cond('c1')], `${FHIR}/Condition?patient=p1&page=2`) } }), config({ FHIR_MAX_PAGES: '2' }), CONDITIONS_ONLY),
    );
    expect(whyOf(missing, 'conditions')).toContain('page limit');
    expect(p3.isDone()).toBe(false);
  });

  it('FHIR_MAX_PAGES=1: a prefetch with a next link is unavailable at once, with no request made', async () => {
    const p2 = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1', page: '2' }).reply(200, bundle([cond('c2')]));
    const { missing } = await expect412(
      resolve(request({ prefetch: { conditions: bundle([cond('c1')], `${FHIR}/Condition?patient=p1&page=2`) } }), config({ FHIR_MAX_PAGES: '1' }), CONDITIONS_ONLY),
    );
    expect(whyOf(missing, 'conditions')).toContain('page limit (FHIR_MAX_PAGES = 1)');
    expect(p2.isDone()).toBe(false);
  });

  it('total above the entries and no next link → the query is run again on the fhirServer', async () => {
    const scope = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, { ...bundle([cond('c1'), cond('c2')]), total: 2 });
    const r = await resolve(request({ prefetch: { conditions: { ...bundle([cond('c1')]), total: 2 } } }), config(), CONDITIONS_ONLY);
    expect(r.resources.conditions?.map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(scope.isDone()).toBe(true);
  });

  it('total 16 with no entries and no fhirServer → unavailable, never "no results" (required → 412 naming the key)', async () => {
    const { missing } = await expect412(resolve(request({ fhirServer: undefined, prefetch: { conditions: { resourceType: 'Bundle', type: 'searchset', total: 16 } } }), config(), CONDITIONS_ONLY));
    expect(missing.map((m) => m.key)).toEqual(['conditions']);
    expect(whyOf(missing, 'conditions')).toContain('incomplete (its total is 16, it held 0)');
  });

  it('an incomplete optional key that cannot be completed is left out and logged', async () => {
    const r = await resolve(request({ fhirServer: undefined, prefetch: { patient, conditions: emptyBundle, meds: bundle([med], `${FHIR}/MedicationRequest?page=2`) } }));
    expect(r.resources.meds).toBeUndefined();
    expect(r.unavailable).toEqual(['meds']);
    expect(r.warnings).toEqual([expect.stringContaining('more pages')]);
  });

  it('does not request a next link on another origin: the query is run again on the fhirServer (an EHR behind a proxy names an internal host), and 412 only when that fails too', async () => {
    const evil = anyRequest('https://evil.example.com');
    const scope = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, bundle([cond('c1'), cond('c2')]));
    const r = await resolve(request({ ...withToken, prefetch: { conditions: bundle([cond('c1')], 'https://evil.example.com/fhir/Condition?page=2') } }), config(), CONDITIONS_ONLY);
    expect(r.resources.conditions?.map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(scope.isDone()).toBe(true);
    nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(500);
    const { text } = await expect412(
      resolve(request({ ...withToken, prefetch: { conditions: bundle([cond('c1')], 'https://fhir.internal.example:8443/fhir/Condition?page=2') } }), config(), CONDITIONS_ONLY),
    );
    expect(text).toContain('its next link does not lead to the fhirServer');
    expect(text).toContain('HTTP 500'); // the query was run again on the fhirServer
    expect(evil.isDone()).toBe(false);
  });

  it('does not follow next when the fhirServer is not allowed → unavailable', async () => {
    const server = anyRequest('https://ehr.example.org');
    const { text } = await expect412(
      resolve(
        request({ fhirServer: 'https://ehr.example.org/fhir', prefetch: { conditions: bundle([cond('c1')], 'https://ehr.example.org/fhir/Condition?page=2') } }),
        config(),
        CONDITIONS_ONLY,
      ),
    );
    expect(text).toContain('not on the allow-list');
    expect(server.isDone()).toBe(false);
  });

  it('a next page the server refuses (410: its paging session expired; 403: the EHR\'s own session) → the query is run again on the fhirServer, with the token', async () => {
    for (const status of [410, 403]) {
      const page2 = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1', page: '2' }).reply(status, '');
      const again = nock(ORIGIN, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
        .get('/fhir/Condition')
        .query({ patient: 'p1' })
        .reply(200, bundle([cond('c1'), cond('c2')]));
      const r = await resolve(request({ ...withToken, prefetch: { conditions: bundle([cond('c1')], `${FHIR}/Condition?patient=p1&page=2`) } }), config(), CONDITIONS_ONLY);
      expect([status, r.resources.conditions?.map((c) => c.id)]).toEqual([status, ['c1', 'c2']]);
      expect(page2.isDone() && again.isDone()).toBe(true);
    }
  });

  it('a failing next page, and the query run again failing too → unavailable, naming both failures; over the page limit the query is not run again', async () => {
    nock(ORIGIN).get('/fhir/Condition').query({ page: '2' }).reply(500, '');
    nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(503, '');
    const { text } = await expect412(resolve(request({ prefetch: { conditions: bundle([cond('c1')], `${FHIR}/Condition?page=2`) } }), config(), CONDITIONS_ONLY));
    expect(text).toContain('HTTP 500');
    expect(text).toContain('the query run again: ');
    expect(text).toContain('HTTP 503');
    nock(ORIGIN).get('/fhir/Condition').query({ page: '2' }).reply(200, bundle([cond('c2')], `${FHIR}/Condition?page=3`));
    const query = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, bundle([cond('c1')]));
    const limited = await expect412(resolve(request({ prefetch: { conditions: bundle([cond('c1')], `${FHIR}/Condition?page=2`) } }), config({ FHIR_MAX_PAGES: '2' }), CONDITIONS_ONLY));
    expect(limited.text).toContain('page limit');
    expect(query.isDone()).toBe(false);
    nock.cleanAll();
  });
});

describe('resolvePrefetch: deferred required keys (the caller judges their absence; patient-view: the lab results)', () => {
  const deferConditions = { deferred: ['conditions'] };
  const patientGiven = { prefetch: { patient } };

  it('a deferred key that cannot be read is handed back, not a 412, and not logged as optional data; a search over the page limit says so', async () => {
    nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, bundle([cond('c1')], `${FHIR}/Condition?patient=p1&page=2`));
    const r = await resolve(request(patientGiven), config({ FHIR_MAX_PAGES: '1' }), SPECS.filter((s) => s.key !== 'meds'), undefined, deferConditions);
    expect(r.resources.conditions).toBeUndefined();
    expect(r.deferred?.conditions).toMatchObject({ pageLimit: true, why: 'the search has more pages than the page limit (FHIR_MAX_PAGES = 1)' });
    expect(r.warnings).toEqual([]);
    expect(r.unavailable).toEqual([]);
  });

  it('readNarrower runs the same query with the parameters added, on fhirServer with the token, within the call', async () => {
    nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, bundle([cond('c1')], `${FHIR}/Condition?patient=p1&page=2`));
    const narrowed = nock(ORIGIN, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get('/fhir/Condition')
      .query({ patient: 'p1', 'recorded-date': 'ge2025-10-01' })
      .reply(200, bundle([cond('c9')]));
    const r = await resolve(request({ ...patientGiven, ...withToken }), config({ FHIR_MAX_PAGES: '1' }), SPECS.filter((s) => s.key !== 'meds'), undefined, deferConditions);
    const again = await r.deferred!.conditions!.readNarrower('recorded-date=ge2025-10-01');
    expect(again).toEqual({ resources: [cond('c9')] });
    expect(narrowed.isDone()).toBe(true);
    expect(r.trace.fhirReads.map((f) => [f.key, f.outcome])).toEqual([
      ['conditions', 'page-limit'],
      ['conditions', 'ok'],
    ]);
  });

  it('any other failure: handed back with pageLimit false', async () => {
    nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(500, 'down');
    const r = await resolve(request(patientGiven), config(), SPECS.filter((s) => s.key !== 'meds'), undefined, deferConditions);
    expect(r.deferred?.conditions).toMatchObject({ pageLimit: false, why: 'the FHIR server answered HTTP 500' });
  });

  it('when another required key is missing, the 412 names the deferred one too', async () => {
    nock(ORIGIN).get('/fhir/Patient/p1').reply(500, 'down');
    nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(503, 'down');
    const { missing } = await expect412(resolve(request(), config(), SPECS.filter((s) => s.key !== 'meds'), undefined, deferConditions));
    expect(missing.map((m) => m.key)).toEqual(['patient', 'conditions']);
  });

  it('no fhirServer: a deferred key alone does not make the call hopeless; readNarrower cannot read it either', async () => {
    const r = await resolve(request({ fhirServer: undefined, ...patientGiven }), config(), SPECS.filter((s) => s.key !== 'meds'), undefined, deferConditions);
    expect(r.resources.patient).toEqual([patient]);
    expect(r.deferred?.conditions).toMatchObject({ pageLimit: false, why: 'it was not prefetched and the request has no fhirServer' });
    expect(await r.deferred!.conditions!.readNarrower('date=ge2025-01-01')).toEqual({ unavailable: 'the request has no fhirServer' });
  });
});

describe('resolvePrefetch: Observations inside DiagnosticReports', () => {
  const LABS: PrefetchTemplateSpec[] = [{ key: 'labs', query: 'Observation?patient={{context.patientId}}', required: true, description: "the patient's lab results" }];
  it('a prefetched DiagnosticReport with contained Observations gives those Observations', async () => {
    const report = { resourceType: 'DiagnosticReport', id: 'r1', effectiveDateTime: '2026-10-01', contained: [{ resourceType: 'Observation', id: 'hb' }] };
    const r = await resolve(request({ prefetch: { labs: bundle([report]) } }), config(), LABS);
    expect(r.resources.labs?.filter((x) => x.resourceType === 'Observation').map((o) => o.id)).toEqual(['r1-hb']);
  });
  it("an Observation contained in the patient's report that names another patient makes the key unusable, as one sent on its own; one naming none takes the report's patient", async () => {
    const report = (observationSubject?: string) => ({
      resourceType: 'DiagnosticReport',
      id: 'r1',
      subject: { reference: 'Patient/p1' },
      contained: [{ resourceType: 'Observation', id: 'hb', ...(observationSubject ? { subject: { reference: observationSubject } } : {}) }],
    });
    const { missing } = await expect412(resolve(request({ fhirServer: undefined, prefetch: { labs: bundle([report('Patient/OTHER')]) } }), config(), LABS));
    expect(whyOf(missing, 'labs')).toBe("the prefetch was holding another patient's resources and the request has no fhirServer");
    const own = await resolve(request({ fhirServer: undefined, prefetch: { labs: bundle([report()]) } }), config(), LABS);
    expect(own.resources.labs?.find((x) => x.resourceType === 'Observation')).toMatchObject({ id: 'r1-hb', subject: { reference: 'Patient/p1' } });
  });
});

describe('resolvePrefetch: a key holding none of the type its query searches (docs/clinical-rules.md §7)', () => {
  it('a Patient sent as the Conditions is a prefetch error: read from fhirServer, never "no Conditions"', async () => {
    const scope = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, bundle([cond('c1')]));
    const r = await resolve(request({ prefetch: { conditions: bundle([patient]) } }), config(), CONDITIONS_ONLY);
    expect(scope.isDone()).toBe(true);
    expect(r.resources.conditions).toEqual([cond('c1')]);
  });
  it('without fhirServer: a required key is unavailable (412), saying what it held; the same as one resource, not a Bundle', async () => {
    for (const value of [bundle([patient, med]), patient]) {
      const { missing } = await expect412(resolve(request({ fhirServer: undefined, prefetch: { conditions: value } }), config(), CONDITIONS_ONLY));
      expect(whyOf(missing, 'conditions')).toMatch(/^the prefetch was holding no Condition, only (Patient, MedicationRequest|Patient) and the request has no fhirServer$/);
    }
  });
  it('what it held is named only by resource type names: a caller\'s long or odd "resourceType" text never reaches the reason (a log line, a 412)', async () => {
    const odd = { resourceType: `Jens Hansen CPR 0101701234 ${'x'.repeat(100_000)}`, id: 'x' };
    const { missing } = await expect412(resolve(request({ fhirServer: undefined, prefetch: { conditions: bundle([odd, patient]) } }), config(), CONDITIONS_ONLY));
    const why = whyOf(missing, 'conditions');
    expect(why).toBe('the prefetch was holding no Condition, only a resource of no known type, Patient and the request has no fhirServer');
  });
  it('an optional key holding only other types is left out (unavailable), not read as "none"', async () => {
    const r = await resolve(request({ fhirServer: undefined, prefetch: { meds: bundle([cond('c1')]) } }), config(), SPECS.filter((s) => s.key === 'meds'));
    expect(r.resources.meds).toBeUndefined();
    expect(r.unavailable).toEqual(['meds']);
  });
  it('the searched type beside others is usable (an _include\'d Medication); so is an empty key; and the DSTU2 type of a key that has one', async () => {
    const medication = { resourceType: 'Medication', id: 'x' };
    const r = await resolve(request({ fhirServer: undefined, prefetch: { meds: bundle([med, medication]) } }), config(), SPECS.filter((s) => s.key === 'meds'));
    expect(r.resources.meds).toEqual([med, medication]);
    const empty = await resolve(request({ fhirServer: undefined, prefetch: { meds: bundle([]) } }), config(), SPECS.filter((s) => s.key === 'meds'));
    expect(empty.resources.meds).toEqual([]);
    const withDstu2: PrefetchTemplateSpec[] = [{ ...SPECS[2]!, olderVersions: [{ version: 'DSTU2', query: 'MedicationOrder?patient={{context.patientId}}&status=active' }] }];
    const order = { resourceType: 'MedicationOrder', id: 'o1' };
    const dstu2 = await resolve(request({ fhirServer: undefined, prefetch: { meds: bundle([order]) } }), config(), withDstu2);
    expect(dstu2.resources.meds).toEqual([order]);
  });
  it("a FHIR server's answer holding none of the searched type is unavailable too", async () => {
    nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, bundle([patient]));
    const { missing } = await expect412(resolve(request({ prefetch: {} }), config(), CONDITIONS_ONLY));
    expect(whyOf(missing, 'conditions')).toBe("the FHIR server's answer was holding no Condition, only Patient");
  });
});

describe("resolvePrefetch: another patient's resources (docs/clinical-rules.md §7)", () => {
  const of = (id: string, reference: string) => ({ resourceType: 'Condition', id, subject: { reference } });

  it("a prefetch holding a resource that names another patient is a prefetch error: read from fhirServer; the one resource is named; those naming no patient are kept", async () => {
    const kept = [cond('c1'), { resourceType: 'Condition', id: 'c-none' }, of('c-uuid', 'urn:uuid:7c4f7f3e-9d51-4c8e-9c55-0d1b2f8e4a11')];
    const scope = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, bundle(kept));
    const r = await resolve(request({ prefetch: { conditions: bundle([...kept, of('c-other', 'Patient/OTHER')]) } }), config(), CONDITIONS_ONLY);
    expect(scope.isDone()).toBe(true);
    expect(r.resources.conditions).toEqual(kept);
    expect(r.skipped).toEqual([{ resourceType: 'Condition', id: 'c-other', reader: 'patient-check', reason: 'another patient' }]);
    // The negative: the patient's own, none named and a urn:uuid are read as prefetched, nothing asked.
    const server = anyRequest();
    const own = await resolve(request({ prefetch: { conditions: bundle(kept) } }), config(), CONDITIONS_ONLY);
    expect(own.resources.conditions).toEqual(kept);
    expect(own.skipped).toEqual([]);
    expect(server.isDone()).toBe(false);
  });

  it("…without fhirServer it is unavailable, never what is left: required here → 412 that says why", async () => {
    const { missing } = await expect412(resolve(request({ fhirServer: undefined, prefetch: { conditions: bundle([cond('c1'), of('c-other', 'Patient/OTHER')]) } }), config(), CONDITIONS_ONLY));
    expect(whyOf(missing, 'conditions')).toContain("the prefetch was holding another patient's resources");
  });

  it("the FHIR server's answer and its later pages are checked the same way: another patient's resource there makes the key unavailable", async () => {
    nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, bundle([cond('c1'), of('c-other', `${FHIR}/Patient/OTHER`)]));
    const { missing } = await expect412(resolve(request({ prefetch: {} }), config(), CONDITIONS_ONLY));
    expect(whyOf(missing, 'conditions')).toContain("the FHIR server's answer was holding another patient's resources");
    const p2 = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1', page: '2' }).reply(200, bundle([of('c-other-2', 'Patient/OTHER/_history/3')]));
    const paged = await expect412(resolve(request({ prefetch: { conditions: bundle([cond('c1')], `${FHIR}/Condition?patient=p1&page=2`) } }), config(), CONDITIONS_ONLY));
    expect(p2.isDone()).toBe(true);
    expect(whyOf(paged.missing, 'conditions')).toContain("another patient's resources");
  });

  it("a prefetched Patient that is another patient's is a prefetch error: read from fhirServer; the skipped list withholds its id", async () => {
    const scope = nock(ORIGIN).get('/fhir/Patient/p1').reply(200, patient);
    const r = await resolve(request({ prefetch: { ...fullPrefetch(), patient: { resourceType: 'Patient', id: 'other', birthDate: '2015-01-01' } } }));
    expect(scope.isDone()).toBe(true);
    expect(r.resources.patient).toEqual([patient]);
    expect(r.skipped).toEqual([{ resourceType: 'Patient', id: 'withheld', reader: 'patient-check', reason: 'another patient' }]);
  });

  it("…without fhirServer, or answered with another patient's Patient there too, it is unavailable (required here → 412 that says why, naming no id)", async () => {
    const other = { resourceType: 'Patient', id: 'other' };
    const { missing, text } = await expect412(resolve(request({ fhirServer: undefined, prefetch: { ...fullPrefetch(), patient: other } })));
    expect(whyOf(missing, 'patient')).toContain("the prefetch was holding another patient's resources");
    expect(text).not.toContain('other"');
    nock(ORIGIN).get('/fhir/Patient/p1').reply(200, other);
    const again = await expect412(resolve(request({ prefetch: { ...fullPrefetch(), patient: other } })));
    expect(whyOf(again.missing, 'patient')).toContain("the FHIR server's answer was holding another patient's resources");
  });

  it('context.patientId sent as "Patient/p1" (refused at the HTTP edge, which wants a FHIR id) would mean p1 here', async () => {
    const r = await resolve(request({ context: { patientId: 'Patient/p1' }, prefetch: { conditions: bundle([cond('c1')]) } }), config(), CONDITIONS_ONLY);
    expect(r.resources.conditions).toEqual([cond('c1')]);
    expect(r.skipped).toEqual([]);
  });
});
