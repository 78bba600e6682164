import nock from 'nock';
import { loadConfig, type Config } from '../../src/config.js';
import { createFhirFetcher, FhirFetchError, resolveQueryUrl, type FhirFetchErrorReason } from '../../src/data/fhirFetcher.js';

const ORIGIN = 'http://127.0.0.1:8080';
const BASE = `${ORIGIN}/fhir`;
const TOKEN = 'secret-access-token-123';

function config(env: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'development', ...env });
}

const patient = { resourceType: 'Patient', id: 'p1' };
const cond = (id: string) => ({ resourceType: 'Condition', id });
function bundle(resources: object[], next?: string): fhir4.Bundle {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    entry: resources.map((resource) => ({ resource: resource as fhir4.Resource, search: { mode: 'match' as const } })),
    ...(next ? { link: [{ relation: 'next', url: next }] } : {}),
  };
}

function live(): AbortSignal {
  return new AbortController().signal;
}

async function failure(p: Promise<unknown>): Promise<FhirFetchError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FhirFetchError) return e;
    throw e;
  }
  throw new Error('expected a FhirFetchError');
}

async function expectReason(p: Promise<unknown>, reason: FhirFetchErrorReason): Promise<FhirFetchError> {
  const e = await failure(p);
  expect(e.reason).toBe(reason);
  expect(e.message).not.toContain(TOKEN);
  expect(e.message).not.toContain('127.0.0.1');
  return e;
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.abortPendingRequests();
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

describe('resolveQueryUrl', () => {
  it('joins relative queries onto the base and refuses anything that leaves it', () => {
    expect(resolveQueryUrl(BASE, 'Patient/p1')).toBe(`${BASE}/Patient/p1`);
    expect(resolveQueryUrl(BASE, '/Condition?patient=p1')).toBe(`${BASE}/Condition?patient=p1`);
    expect(resolveQueryUrl(BASE, `${BASE}/Condition?page=2`)).toBe(`${BASE}/Condition?page=2`);
    expect(resolveQueryUrl(BASE, '../admin')).toBeNull();
    expect(resolveQueryUrl(BASE, 'https://evil.example.com/fhir/Patient')).toBeNull();
    expect(resolveQueryUrl(BASE, '//evil.example.com/fhir/Patient')).toBeNull();
    expect(resolveQueryUrl(BASE, `${ORIGIN}/fhirX/Patient`)).toBeNull();
  });
});

describe('createFhirFetcher', () => {
  it('reads a resource with the bearer token and FHIR JSON accept header', async () => {
    const scope = nock(ORIGIN, { reqheaders: { authorization: `Bearer ${TOKEN}`, accept: /application\/fhir\+json/ } })
      .get('/fhir/Patient/p1')
      .reply(200, patient);
    const out = await createFhirFetcher(config()).fetch(BASE, 'Patient/p1', { accessToken: TOKEN, signal: live() });
    expect(out).toEqual([patient]);
    expect(scope.isDone()).toBe(true);
  });

  it('sends no Authorization header without a token', async () => {
    const scope = nock(ORIGIN, { badheaders: ['authorization'] }).get('/fhir/Patient/p1').reply(200, patient);
    const out = await createFhirFetcher(config()).fetch(`${BASE}/`, 'Patient/p1', { signal: live() });
    expect(out).toEqual([patient]);
    expect(scope.isDone()).toBe(true);
  });

  it('returns search matches and drops OperationOutcome entries', async () => {
    const b = bundle([cond('c1'), cond('c2')]);
    b.entry!.push({ resource: { resourceType: 'OperationOutcome', issue: [] } as fhir4.OperationOutcome, search: { mode: 'outcome' } });
    nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, b);
    const out = await createFhirFetcher(config()).fetch(BASE, 'Condition?patient=p1', { signal: live() });
    expect(out.map((r) => r.id)).toEqual(['c1', 'c2']);
  });

  it('an answer that starts with a UTF-8 byte-order mark is read as JSON (RFC 8259 lets a parser ignore it); a 400 with one still says the type is unknown', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    nock(ORIGIN).get('/fhir/Condition').query(true).reply(200, Buffer.concat([bom, Buffer.from(JSON.stringify(bundle([cond('c1')])))]), { 'Content-Type': 'application/fhir+json' });
    expect((await createFhirFetcher(config()).fetch(BASE, 'Condition?patient=p1', { signal: live() })).map((r) => r.id)).toEqual(['c1']);
    const unknown = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported', diagnostics: 'Unknown resource type: MedicationRequest' }] };
    nock(ORIGIN).get('/fhir/MedicationRequest').query(true).reply(400, Buffer.concat([bom, Buffer.from(JSON.stringify(unknown))]), { 'Content-Type': 'application/fhir+json' });
    const e = await expectReason(createFhirFetcher(config()).fetch(BASE, 'MedicationRequest?patient=p1', { signal: live() }), 'http-status');
    expect(e.unknownResourceType).toBe(true);
  });

  it('an empty search Bundle is []', async () => {
    nock(ORIGIN).get('/fhir/Condition').query(true).reply(200, { resourceType: 'Bundle', type: 'searchset', total: 0 });
    await expect(createFhirFetcher(config()).fetch(BASE, 'Condition?patient=p1', { signal: live() })).resolves.toEqual([]);
  });

  it('follows next links on the same server, with the token; more pages than maxPages is the page limit, never a partial result', async () => {
    const p1 = nock(ORIGIN, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get('/fhir/Condition')
      .query({ patient: 'p1' })
      .reply(200, bundle([cond('c1')], `${BASE}?_getpages=x&page=2`));
    const p2 = nock(ORIGIN, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get('/fhir')
      .query({ _getpages: 'x', page: '2' })
      .reply(200, bundle([cond('c2')], `${BASE}?_getpages=x&page=3`));
    const p3 = nock(ORIGIN).get('/fhir').query({ _getpages: 'x', page: '3' }).reply(200, bundle([cond('c3')]));
    const e = await expectReason(
      createFhirFetcher(config({ FHIR_MAX_PAGES: '2' })).fetch(BASE, 'Condition?patient=p1', { accessToken: TOKEN, signal: live() }),
      'page-limit',
    );
    expect(e.message).toContain('page limit');
    expect(p1.isDone() && p2.isDone()).toBe(true);
    expect(p3.isDone()).toBe(false);
  });

  it('a search whose total is above the matches it holds is incomplete; its pages together count', async () => {
    nock(ORIGIN).get('/fhir/Condition').query(true).reply(200, { ...bundle([cond('c1')]), total: 16 });
    await expectReason(createFhirFetcher(config()).fetch(BASE, 'Condition?patient=p1', { signal: live() }), 'incomplete');
    nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, { ...bundle([cond('c1')], `${BASE}/Condition?page=2`), total: 2 });
    nock(ORIGIN).get('/fhir/Condition').query({ page: '2' }).reply(200, { ...bundle([cond('c2')]), total: 2 });
    const out = await createFhirFetcher(config()).fetch(BASE, 'Condition?patient=p1', { signal: live() });
    expect(out.map((r) => r.id)).toEqual(['c1', 'c2']);
  });

  it('a report withdrawn on one page withdraws the results it lists on another: the pages are one answer', async () => {
    const obs = { resourceType: 'Observation', id: 'k1', status: 'final', code: { text: 'Kalium' }, valueQuantity: { value: 9 } };
    const report = { resourceType: 'DiagnosticReport', id: 'r1', status: 'cancelled', code: { text: 'Elektrolytter' }, result: [{ reference: 'Observation/k1' }] };
    nock(ORIGIN).get('/fhir/Observation').query({ patient: 'p1' }).reply(200, bundle([obs], `${BASE}/Observation?page=2`));
    nock(ORIGIN).get('/fhir/Observation').query({ page: '2' }).reply(200, bundle([report]));
    const out = await createFhirFetcher(config()).fetch(BASE, 'Observation?patient=p1', { signal: live() });
    expect(out.find((r) => r.id === 'k1')).toMatchObject({ status: 'cancelled' });
  });

  it('pages that overlap list a resource twice: it is read once, in its last version', async () => {
    const c2 = { ...cond('c2'), clinicalStatus: { text: 'active' } };
    const c2later = { ...cond('c2'), clinicalStatus: { text: 'resolved' } };
    nock(ORIGIN).get('/fhir/Condition').query({ patient: 'p1' }).reply(200, bundle([cond('c1'), c2], `${BASE}/Condition?page=2`));
    nock(ORIGIN).get('/fhir/Condition').query({ page: '2' }).reply(200, bundle([c2later, cond('c3')]));
    const out = await createFhirFetcher(config()).fetch(BASE, 'Condition?patient=p1', { signal: live() });
    expect(out).toEqual([cond('c1'), c2later, cond('c3')]);
  });

  it("Epic's no results (total 0 and a warning OperationOutcome) is [], not an error", async () => {
    nock(ORIGIN)
      .get('/fhir/Observation')
      .query(true)
      .reply(200, {
        resourceType: 'Bundle',
        type: 'searchset',
        total: 0,
        entry: [
          {
            resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'processing', details: { text: 'No results found.' } }] },
            search: { mode: 'outcome' },
          },
        ],
      });
    await expect(createFhirFetcher(config()).fetch(BASE, 'Observation?patient=p1', { signal: live() })).resolves.toEqual([]);
  });

  it('Observations contained in a DiagnosticReport are read as Observations with ids unique in the result', async () => {
    const report = {
      resourceType: 'DiagnosticReport',
      id: 'dr1',
      status: 'final',
      subject: { reference: 'Patient/p1' },
      effectiveDateTime: '2026-10-01',
      contained: [{ resourceType: 'Observation', id: 'o1', code: { text: 'ALAT' } }],
      result: [{ reference: '#o1' }],
    };
    nock(ORIGIN).get('/fhir/Observation').query(true).reply(200, bundle([report, { resourceType: 'Observation', id: 'dr1-o1' }]));
    const out = await createFhirFetcher(config()).fetch(BASE, 'Observation?patient=p1', { signal: live() });
    const observations = out.filter((r) => r.resourceType === 'Observation');
    expect(observations.map((r) => r.id)).toEqual(['dr1-o1', 'dr1-o1-2']);
    expect(observations[1]).toMatchObject({ subject: { reference: 'Patient/p1' }, effectiveDateTime: '2026-10-01', status: 'final' });
  });

  it('reads all pages when under the cap', async () => {
    nock(ORIGIN).get('/fhir/Condition').query(true).reply(200, bundle([cond('c1')], `${BASE}/Condition?page=2`));
    nock(ORIGIN).get('/fhir/Condition').query({ page: '2' }).reply(200, bundle([cond('c2')]));
    const out = await createFhirFetcher(config()).fetch(BASE, 'Condition?patient=p1', { signal: live() });
    expect(out.map((r) => r.id)).toEqual(['c1', 'c2']);
  });

  it('never requests a next link on another origin or outside the base path', async () => {
    for (const next of ['https://evil.example.com/fhir/Condition?page=2', `${ORIGIN}/fhirX/Condition?page=2`, 'http://127.0.0.1:9999/fhir/Condition?page=2']) {
      nock(ORIGIN).get('/fhir/Condition').query(true).reply(200, bundle([cond('c1')], next));
      const elsewhere = nock(new URL(next).origin).get(/.*/).reply(200, bundle([cond('evil')]));
      const e = await expectReason(createFhirFetcher(config()).fetch(BASE, 'Condition?patient=p1', { accessToken: TOKEN, signal: live() }), 'incomplete');
      expect(e.message).toContain('leads away');
      expect(elsewhere.isDone()).toBe(false);
      nock.cleanAll();
    }
  });

  it('does not follow a redirect to another host, so the token never goes there', async () => {
    nock(ORIGIN).get('/fhir/Patient/p1').reply(302, '', { Location: 'https://evil.example.com/steal' });
    const evil = nock('https://evil.example.com').get('/steal').reply(200, patient);
    const e = await expectReason(createFhirFetcher(config()).fetch(BASE, 'Patient/p1', { accessToken: TOKEN, signal: live() }), 'redirect');
    expect(e.status).toBe(302);
    expect(evil.isDone()).toBe(false);
  });

  it('does not follow a same-host redirect either (307 with a JSON body)', async () => {
    nock(ORIGIN).get('/fhir/Patient/p1').reply(307, { resourceType: 'OperationOutcome' }, { Location: `${BASE}/Patient/p2` });
    const other = nock(ORIGIN).get('/fhir/Patient/p2').reply(200, patient);
    await expectReason(createFhirFetcher(config()).fetch(BASE, 'Patient/p1', { signal: live() }), 'redirect');
    expect(other.isDone()).toBe(false);
  });

  it('an HTTP error status is http-status', async () => {
    nock(ORIGIN).get('/fhir/Patient/p1').reply(500, { resourceType: 'OperationOutcome', issue: [] });
    const e = await expectReason(createFhirFetcher(config()).fetch(BASE, 'Patient/p1', { signal: live() }), 'http-status');
    expect(e.status).toBe(500);
    expect(e.message).toBe('the FHIR server answered HTTP 500');
    nock(ORIGIN).get('/fhir/Patient/p1').reply(404, 'Not found');
    expect((await expectReason(createFhirFetcher(config()).fetch(BASE, 'Patient/p1', { signal: live() }), 'http-status')).status).toBe(404);
  });

  describe('a server that does not know the searched resource type (a DSTU2 server asked for MedicationRequest)', () => {
    const query = 'MedicationRequest?patient=p1&status=active';
    const outcome = (issue: Record<string, unknown>) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', ...issue }] });
    const unknownType = async (status: number, body: unknown, q = query): Promise<boolean> => {
      const path = `/fhir/${q.split('?')[0]}`;
      nock(ORIGIN).get(path).query(true).reply(status, body as nock.Body);
      const e = await expectReason(createFhirFetcher(config()).fetch(BASE, q, { signal: live() }), 'http-status');
      expect(e.status).toBe(status);
      expect(e.message).toBe(`the FHIR server answered HTTP ${status}`);
      return e.unknownResourceType;
    };

    it('HTTP 404 to a type-level search says so; a 404 to a read is a resource not found', async () => {
      expect(await unknownType(404, outcome({ code: 'processing', diagnostics: "Unknown resource type 'MedicationRequest' - Server knows how to handle: [MedicationOrder]" }))).toBe(true);
      expect(await unknownType(404, 'Not found')).toBe(true);
      expect(await unknownType(404, outcome({ code: 'not-found' }), 'Patient/p1')).toBe(false);
    });

    it.each([
      ['HAPI-style text', { code: 'not-supported', diagnostics: "Unknown resource type 'MedicationRequest'" }],
      ['"Resource type … is not supported"', { code: 'processing', diagnostics: 'Resource type "MedicationRequest" is not supported' }],
      ['details.text', { code: 'invalid', details: { text: "'MedicationRequest' is not a valid resource type" } }],
      ['the standard message code MSG_UNKNOWN_TYPE', { code: 'not-supported', details: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/operation-outcome', code: 'MSG_UNKNOWN_TYPE' }] } }],
      ['with "Parameters" among the types it knows', { code: 'processing', diagnostics: "Unknown resource type 'MedicationRequest' - Server knows how to handle: [MedicationOrder, Observation, Parameters, Patient]" }],
    ])('HTTP 400 with an OperationOutcome saying so (%s)', async (_name, issue) => {
      expect(await unknownType(400, outcome(issue))).toBe(true);
    });

    it.each([
      ['a search parameter it does not know', { code: 'processing', diagnostics: 'Unknown search parameter "status" for resource type "MedicationRequest"' }],
      ['an _include it does not support', { code: 'not-supported', diagnostics: '_include MedicationRequest:medication is not supported for resource type MedicationRequest' }],
      ['another resource type', { code: 'not-supported', diagnostics: "Unknown resource type 'Basic'" }],
      ['no words', { code: 'not-supported' }],
    ])('HTTP 400 about something else (%s) does not', async (_name, issue) => {
      expect(await unknownType(400, outcome(issue))).toBe(false);
    });

    it('a 400 whose body is not an OperationOutcome, or is larger than 64 KiB, does not; nor does a 500', async () => {
      expect(await unknownType(400, '<html>Unknown resource type MedicationRequest</html>')).toBe(false);
      expect(await unknownType(400, outcome({ code: 'not-supported', diagnostics: `Unknown resource type 'MedicationRequest' ${'x'.repeat(70_000)}` }))).toBe(false);
      expect(await unknownType(500, outcome({ code: 'not-supported', diagnostics: "Unknown resource type 'MedicationRequest'" }))).toBe(false);
    });
  });

  it.each([
    ['HTML', '<html><body>Login</body></html>', { 'Content-Type': 'text/html' }],
    ['truncated JSON', '{"resourceType":"Pat', {}],
    ['non-FHIR JSON', { hello: 'world' }, {}],
    ['JSON null', 'null', { 'Content-Type': 'application/json' }],
    ['a JSON number', '42', { 'Content-Type': 'application/json' }],
    ['a JSON array', [patient], {}],
    ['an empty body', '', {}],
    ['an OperationOutcome with 200', { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] }, {}],
    ['the wrong resource type for a read', { resourceType: 'Condition', id: 'p1' }, {}],
    ['a Bundle with a broken entry', { resourceType: 'Bundle', entry: [{ nope: 1 }] }, {}],
  ])('a read answered with %s is invalid-response', async (_name, body, headers) => {
    nock(ORIGIN).get('/fhir/Patient/p1').reply(200, body as nock.Body, headers);
    await expectReason(createFhirFetcher(config()).fetch(BASE, 'Patient/p1', { signal: live() }), 'invalid-response');
  });

  it('a search answered with something other than a Bundle, or an OperationOutcome with an error, is invalid-response', async () => {
    nock(ORIGIN).get('/fhir/Condition').query(true).reply(200, cond('c1'));
    await expectReason(createFhirFetcher(config()).fetch(BASE, 'Condition?patient=p1', { signal: live() }), 'invalid-response');
    nock(ORIGIN)
      .get('/fhir/Condition')
      .query(true)
      .reply(200, {
        resourceType: 'Bundle',
        type: 'searchset',
        entry: [{ resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] }, search: { mode: 'outcome' } }],
      });
    await expectReason(createFhirFetcher(config()).fetch(BASE, 'Condition?patient=p1', { signal: live() }), 'invalid-response');
  });

  it('a slow server is a timeout after queryTimeoutMs', async () => {
    nock(ORIGIN).get('/fhir/Patient/p1').delay(10_000).reply(200, patient);
    const e = await expectReason(
      createFhirFetcher(config({ FHIR_QUERY_TIMEOUT_MS: '50' })).fetch(BASE, 'Patient/p1', { signal: live() }),
      'timeout',
    );
    expect(e.message).toContain('50 ms');
  });

  it('the caller aborting (request deadline) ends the query as a timeout', async () => {
    nock(ORIGIN).get('/fhir/Patient/p1').delay(10_000).reply(200, patient);
    const deadline = new AbortController();
    const p = createFhirFetcher(config({ FHIR_QUERY_TIMEOUT_MS: '60000' })).fetch(BASE, 'Patient/p1', { signal: deadline.signal });
    setTimeout(() => deadline.abort(), 20);
    const e = await expectReason(p, 'timeout');
    expect(e.message).toContain('deadline');
  });

  it('a connection error is network', async () => {
    nock(ORIGIN).get('/fhir/Patient/p1').replyWithError('connect ECONNREFUSED');
    await expectReason(createFhirFetcher(config()).fetch(BASE, 'Patient/p1', { signal: live() }), 'network');
  });

  it('a response over maxResponseBytes is too-large (declared or not)', async () => {
    const big = bundle(Array.from({ length: 100 }, (_, i) => cond(`condition-${i}`)));
    nock(ORIGIN).get('/fhir/Condition').query(true).reply(200, big);
    await expectReason(
      createFhirFetcher(config({ FHIR_MAX_RESPONSE_BYTES: '1kb' })).fetch(BASE, 'Condition?patient=p1', { signal: live() }),
      'too-large',
    );
    nock(ORIGIN).get('/fhir/Patient/p1').reply(200, patient, { 'Content-Length': String(5 * 1024) });
    await expectReason(createFhirFetcher(config({ FHIR_MAX_RESPONSE_BYTES: '1kb' })).fetch(BASE, 'Patient/p1', { signal: live() }), 'too-large');
  });

  it('refuses a fhirServer that is not allowed, and a query that leaves the base, without a request', async () => {
    const scope = nock('https://ehr.example.org').get(/.*/).reply(200, patient);
    await expectReason(createFhirFetcher(config()).fetch('https://ehr.example.org/fhir', 'Patient/p1', { accessToken: TOKEN, signal: live() }), 'not-allowed');
    const admin = nock(ORIGIN).get(/.*/).reply(200, patient);
    await expectReason(createFhirFetcher(config()).fetch(BASE, '../admin', { signal: live() }), 'not-allowed');
    await expectReason(createFhirFetcher(config()).fetch(BASE, 'https://ehr.example.org/fhir/Patient/p1', { signal: live() }), 'not-allowed');
    expect(scope.isDone()).toBe(false);
    expect(admin.isDone()).toBe(false);
  });

  it('fetches from a non-loopback server when FHIR_SERVER_ALLOWLIST lists it', async () => {
    const scope = nock('https://ehr.example.org', { reqheaders: { authorization: `Bearer ${TOKEN}` } }).get('/fhir/R4/Patient/p1').reply(200, patient);
    const c = config({ FHIR_SERVER_ALLOWLIST: 'https://ehr.example.org/fhir' });
    await expect(createFhirFetcher(c).fetch('https://ehr.example.org/fhir/R4', 'Patient/p1', { accessToken: TOKEN, signal: live() })).resolves.toEqual([patient]);
    expect(scope.isDone()).toBe(true);
  });
});
