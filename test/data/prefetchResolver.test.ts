import nock from 'nock';
import { loadConfig, type Config } from '../../src/config.js';
import { createFhirFetcher, type FhirFetcher } from '../../src/data/fhirFetcher.js';
import { resolvePrefetch, type HookRequestData, type PrefetchTemplateSpec, type ResolvedPrefetch } from '../../src/data/prefetchResolver.js';
import { silentLogger } from '../../src/observability/logger.js';
import { HttpError } from '../../src/transport/operationOutcome.js';

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
function bundle(resources: object[], next?: string) {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    entry: resources.map((resource) => ({ resource, search: { mode: 'match' } })),
    ...(next ? { link: [{ relation: 'next', url: next }] } : {}),
  };
}
const emptyBundle = { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] };
const fullPrefetch = () => ({ patient, conditions: bundle([cond('c1')]), meds: bundle([med]) });

function config(env: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'development', ...env });
}
function prodConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.example.org', ...env });
}

function request(over: Partial<HookRequestData> = {}): HookRequestData {
  return { fhirServer: FHIR, context: { patientId: 'p1', userId: 'Practitioner/u1' }, ...over };
}
const withToken = { fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer' } };

function resolve(req: HookRequestData, cfg: Config = config(), specs: readonly PrefetchTemplateSpec[] = SPECS, fetcher?: FhirFetcher): Promise<ResolvedPrefetch> {
  return resolvePrefetch(specs, req, { fetcher: fetcher ?? createFhirFetcher(cfg, silentLogger()), config: cfg, logger: silentLogger() });
}

/** Awaits a 412 and checks what every 412 must be: an OperationOutcome that never holds the token. */
async function expect412(p: Promise<unknown>): Promise<{ text: string; issues: fhir4.OperationOutcomeIssue[] }> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(HttpError);
  const e = err as HttpError;
  expect(e.status).toBe(412);
  const body = e.toOperationOutcome();
  expect(body.resourceType).toBe('OperationOutcome');
  const text = JSON.stringify(body) + e.message;
  expect(text).not.toContain(TOKEN);
  return { text, issues: body.issue };
}

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
    expect(r.sources).toEqual({ patient: 'prefetch', conditions: 'prefetch', meds: 'prefetch' });
    expect(r.warnings).toEqual([]);
    expect(server.isDone()).toBe(false);
  });

  it('row 1: outcome entries inside a Bundle with matches are dropped, the matches used', async () => {
    const server = anyRequest();
    const b = bundle([cond('c1')]);
    b.entry.push({ resource: operationOutcome, search: { mode: 'outcome' } } as never);
    const r = await resolve(request({ prefetch: { conditions: b } }), config(), CONDITIONS_ONLY);
    expect(r.resources.conditions).toEqual([cond('c1')]);
    expect(server.isDone()).toBe(false);
  });

  it('row 2: null is "no data" and is not fetched again', async () => {
    const server = anyRequest();
    const r = await resolve(request({ ...withToken, prefetch: { ...fullPrefetch(), conditions: null, meds: null } }));
    expect(r.resources.conditions).toEqual([]);
    expect(r.resources.meds).toEqual([]);
    expect(r.sources.conditions).toBe('prefetch');
    expect(server.isDone()).toBe(false);
  });

  it('row 3: an empty Bundle (with or without entry) is "no data" and is not fetched again', async () => {
    const server = anyRequest();
    const r = await resolve(
      request({ ...withToken, prefetch: { patient, conditions: emptyBundle, meds: { resourceType: 'Bundle', type: 'searchset', total: 0 } } }),
    );
    expect(r.resources).toEqual({ patient: [patient], conditions: [], meds: [] });
    expect(r.sources).toEqual({ patient: 'prefetch', conditions: 'prefetch', meds: 'prefetch' });
    expect(server.isDone()).toBe(false);
  });

  it('row 4: an OperationOutcome is a prefetch error and is fetched again (with the token)', async () => {
    const scope = nock(ORIGIN, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get('/fhir/Condition')
      .query({ patient: 'p1' })
      .reply(200, bundle([cond('c9')]));
    const r = await resolve(request({ ...withToken, prefetch: { ...fullPrefetch(), conditions: operationOutcome } }));
    expect(r.resources.conditions).toEqual([cond('c9')]);
    expect(r.sources.conditions).toBe('fhir');
    expect(scope.isDone()).toBe(true);
  });

  it('row 4: a Bundle holding only OperationOutcomes is a prefetch error and is fetched again', async () => {
    const scope = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, bundle([cond('c9')]));
    const onlyOutcomes = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: operationOutcome, search: { mode: 'outcome' } }] };
    const r = await resolve(request({ prefetch: { conditions: onlyOutcomes } }), config(), CONDITIONS_ONLY);
    expect(r.resources.conditions).toEqual([cond('c9')]);
    expect(r.sources.conditions).toBe('fhir');
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
    const { issues } = await expect412(resolve(request({ fhirServer: undefined, prefetch: { ...fullPrefetch(), conditions: operationOutcome } })));
    expect(issues[0]?.diagnostics).toContain("the patient's Conditions");
    const issue = issues.find((i) => i.expression?.[0] === 'prefetch.conditions');
    expect(issue?.diagnostics).toContain('OperationOutcome');
    expect(issue?.diagnostics).toContain('no fhirServer');
    expect(issues).toHaveLength(2); // the summary + one per unavailable required key
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
    expect(r.sources).toEqual({ patient: 'fhir', conditions: 'fhir', meds: 'fhir' });
    expect(scope.isDone()).toBe(true);
  });

  it('row 5: only missing keys are fetched; tokens are URL-encoded into the query', async () => {
    const scope = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'a b&c' }).reply(200, bundle([cond('c1')]));
    const r = await resolve(
      request({ ...withToken, context: { patientId: 'a b&c' }, prefetch: { patient, meds: null } }),
    );
    expect(r.sources).toEqual({ patient: 'prefetch', conditions: 'fhir', meds: 'prefetch' });
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
    const { issues } = await expect412(resolve(request({ prefetch: { patient, meds: null } }), prodConfig()));
    expect(issues.find((i) => i.expression?.[0] === 'prefetch.conditions')?.diagnostics).toContain('not on the allow-list');
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
    const { issues } = await expect412(resolve(request({ fhirServer: undefined })));
    expect(issues.map((i) => i.expression?.[0]).filter(Boolean)).toEqual(['prefetch.patient', 'prefetch.conditions']);
    expect(issues[0]?.code).toBe('incomplete');
    expect(issues[0]?.diagnostics).toBe("Required data is unavailable: the patient; the patient's Conditions");
    expect(issues[1]?.diagnostics).toContain('the request has no fhirServer');
  });

  it('row 7: optional data that cannot be had degrades to [] with a warning, no 412', async () => {
    const r = await resolve(request({ fhirServer: undefined, prefetch: { patient, conditions: bundle([cond('c1')]) } }));
    expect(r.resources.meds).toEqual([]);
    expect(r.sources.meds).toBe('none');
    expect(r.warnings).toEqual([expect.stringContaining("the patient's active medication orders")]);
  });
});

describe('resolvePrefetch: FHIR server failures', () => {
  it('a timeout → 412 naming the key and the timeout', async () => {
    nock(ORIGIN).get('/fhir/Condition').query(true).delay(60_000).reply(200, bundle([cond('c1')]));
    const { issues } = await expect412(
      resolve(request({ ...withToken, prefetch: { patient, meds: null } }), config({ FHIR_QUERY_TIMEOUT_MS: '50', FHIR_REQUEST_DEADLINE_MS: '10000' })),
    );
    const issue = issues.find((i) => i.expression?.[0] === 'prefetch.conditions');
    expect(issue?.diagnostics).toContain("the patient's Conditions");
    expect(issue?.diagnostics).toContain('did not answer within 50 ms');
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
    expect(r.sources.meds).toBe('none');
    expect(r.warnings[0]).toContain('did not answer within 50 ms');
  });

  it('HTTP 500 → 412 with the status, and the token is not in the body', async () => {
    nock(ORIGIN).get('/fhir/Condition').query(true).reply(500, { resourceType: 'OperationOutcome', issue: [{ severity: 'fatal', code: 'exception', diagnostics: TOKEN }] });
    const { text } = await expect412(resolve(request({ ...withToken, prefetch: { patient, meds: null } })));
    expect(text).toContain('answered HTTP 500');
  });

  it('an OperationOutcome prefetch whose refetch fails → 412 that tells both', async () => {
    nock(ORIGIN).get('/fhir/Condition').query(true).reply(503, 'Service Unavailable');
    const { issues } = await expect412(resolve(request({ prefetch: { patient, conditions: operationOutcome, meds: null } })));
    const d = issues.find((i) => i.expression?.[0] === 'prefetch.conditions')?.diagnostics ?? '';
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
    const { issues } = await expect412(resolve(request(withToken), config(), specs));
    expect(issues.map((i) => i.expression?.[0]).filter(Boolean)).toEqual(['prefetch.encounter']);
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
    expect(r.sources).toEqual({ patient: 'fhir', conditions: 'fhir', meds: 'fhir' });
  });
});

describe('resolvePrefetch: prefetched Bundles with a next link', () => {
  it('follows next on the allowed fhirServer, with the token, and counts the prefetch as page 1 of maxPages', async () => {
    const p2 = nock(ORIGIN, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get('/fhir/Condition')
      .query({ patient: 'p1', page: '2' })
      .reply(200, bundle([cond('c2')], `${FHIR}/Condition?patient=p1&page=3`));
    const p3 = nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1', page: '3' }).reply(200, bundle([cond('c3')]));
    const r = await resolve(
      request({ ...withToken, prefetch: { conditions: bundle([cond('c1')], `${FHIR}/Condition?patient=p1&page=2`) } }),
      config({ FHIR_MAX_PAGES: '2' }),
      CONDITIONS_ONLY,
    );
    expect(r.resources.conditions?.map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(r.sources.conditions).toBe('prefetch');
    expect(p2.isDone()).toBe(true);
    expect(p3.isDone()).toBe(false);
    expect(r.warnings).toEqual(['prefetch "conditions": stopped paging at the page limit; results may be incomplete']);
  });

  it('reads every page when under the cap', async () => {
    nock(ORIGIN).get('/fhir/Condition').query({ page: '2' }).reply(200, bundle([cond('c2')], `${FHIR}/Condition?page=3`));
    nock(ORIGIN).get('/fhir/Condition').query({ page: '3' }).reply(200, bundle([cond('c3')]));
    const r = await resolve(request({ prefetch: { conditions: bundle([cond('c1')], `${FHIR}/Condition?page=2`) } }), config(), CONDITIONS_ONLY);
    expect(r.resources.conditions?.map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
    expect(r.warnings).toEqual([]);
  });

  it('does not request a next link on another origin; uses what came, with a warning', async () => {
    const evil = anyRequest('https://evil.example.com');
    const r = await resolve(
      request({ ...withToken, prefetch: { conditions: bundle([cond('c1')], 'https://evil.example.com/fhir/Condition?page=2') } }),
      config(),
      CONDITIONS_ONLY,
    );
    expect(r.resources.conditions).toEqual([cond('c1')]);
    expect(r.warnings).toEqual([expect.stringContaining('leads away from the fhirServer')]);
    expect(evil.isDone()).toBe(false);
  });

  it('does not follow next when the fhirServer is not allowed; uses what came, with a warning', async () => {
    const server = anyRequest('https://ehr.example.org');
    const r = await resolve(
      request({ fhirServer: 'https://ehr.example.org/fhir', prefetch: { conditions: bundle([cond('c1')], 'https://ehr.example.org/fhir/Condition?page=2') } }),
      config(),
      CONDITIONS_ONLY,
    );
    expect(r.resources.conditions).toEqual([cond('c1')]);
    expect(r.warnings).toEqual([expect.stringContaining('not on the allow-list')]);
    expect(server.isDone()).toBe(false);
  });

  it('a failing next page keeps the prefetched page, with a warning', async () => {
    nock(ORIGIN).get('/fhir/Condition').query(true).reply(500, '');
    const r = await resolve(request({ prefetch: { conditions: bundle([cond('c1')], `${FHIR}/Condition?page=2`) } }), config(), CONDITIONS_ONLY);
    expect(r.resources.conditions).toEqual([cond('c1')]);
    expect(r.warnings).toEqual([expect.stringContaining('HTTP 500')]);
  });
});
