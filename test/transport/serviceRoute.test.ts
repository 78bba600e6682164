import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import nock from 'nock';
import request from 'supertest';
import { MAX_NAMED_SKIPPED } from '../../src/model/skipped.js';
import { patientIdentity } from '../../src/transport/serviceRoute.js';
import type { App } from '../../src/app.js';
import { projectPath } from '../../src/projectRoot.js';
import { OVERRIDE_REASON_SYSTEM } from '../../src/model/overrideReasons.js';
import { captureLogs } from '../support/captureLogs.js';
import { closeAll, freshStore } from '../store/storeKinds.js';
import { buildTestApp, cardOfKind, expectValidResponse, FIXED_NOW, listenOnLoopback, patientResources, patientViewRequest, readJson, searchset } from '../support/testApp.js';

const URL = '/cds-services/nkr-pain-patient-view';
const FHIR_ORIGIN = 'http://127.0.0.1:8081';
const FHIR_BASE = `${FHIR_ORIGIN}/fhir`;

// supertest talks to the app over loopback on an ephemeral port; the fake FHIR server's port is nock's alone.
beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect((host: string) => /^(127\.0\.0\.1|localhost|\[::1\]|::1):\d+$/.test(host) && !host.endsWith(':8081'));
});
afterEach(() => {
  nock.abortPendingRequests();
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

/** Paths of every null, "", [] or {} in a response body; `{"cards":[]}` itself is the one allowed empty array. */
function emptyValues(value: unknown, path = '(root)'): string[] {
  if (value === null || value === '') return [path];
  if (Array.isArray(value)) {
    if (value.length === 0) return path === '(root).cards' ? [] : [path];
    return value.flatMap((v, i) => emptyValues(v, `${path}[${i}]`));
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length === 0 ? [path] : entries.flatMap(([k, v]) => emptyValues(v, `${path}.${k}`));
  }
  return [];
}

type Body = Record<string, any>;

/** POSTs a hook request and, for 200 answers, checks C1–C6 on the way. */
async function post(body: unknown, app: App = buildTestApp().app): Promise<request.Response> {
  const res = await request(app).post(URL).set('Content-Type', 'application/json').send(body as object);
  if (res.status === 200) expectC1toC6(res);
  return res;
}

function expectC1toC6(res: request.Response): void {
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['cache-control']).toBe('no-store');
  expectValidResponse(res.body);
  expect(emptyValues(res.body)).toEqual([]);
}

function expectOperationOutcome(res: request.Response, status: number): fhir4.OperationOutcome {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const oo = res.body as fhir4.OperationOutcome;
  expect(oo.resourceType).toBe('OperationOutcome');
  expect(oo.issue.length).toBeGreaterThan(0);
  expect(oo.issue[0]?.severity).toBe('error');
  expect(oo.issue[0]?.diagnostics).toEqual(expect.any(String));
  return oo;
}

const firstExpression = (oo: fhir4.OperationOutcome): string[] | undefined => oo.issue[0]?.expression;
const allExpressions = (oo: fhir4.OperationOutcome): string[] => oo.issue.flatMap((i) => i.expression ?? []);

const base = (): Body => patientViewRequest('gsb-workup-missing');

describe('the patient as the store keys it (patientIdentity): the id within its EHR', () => {
  const caller = (iss: string, tenant?: string) => ({ iss, jti: 'j', kid: 'k', ...(tenant ? { tenant } : {}) });
  test('another issuer, tenant or fhirServer is another patient; the same server in another letter case or with a trailing slash is the same', () => {
    const base = patientIdentity(caller('https://ehr-a.example'), 'https://fhir.a.example/r4', '123');
    expect(patientIdentity(caller('https://ehr-b.example'), 'https://fhir.a.example/r4', '123')).not.toBe(base);
    expect(patientIdentity(caller('https://ehr-a.example', 'hospital-b'), 'https://fhir.a.example/r4', '123')).not.toBe(base);
    expect(patientIdentity(caller('https://ehr-a.example'), 'https://fhir.b.example/r4', '123')).not.toBe(base);
    expect(patientIdentity(caller('https://ehr-a.example'), 'https://fhir.a.example/r4', '124')).not.toBe(base);
    expect(patientIdentity(caller('https://ehr-a.example'), ' HTTPS://FHIR.A.example/r4/ ', '123')).toBe(base);
    // Without verification or fhirServer: the id alone, still distinct from any other.
    expect(patientIdentity(null, undefined, '123')).not.toBe(patientIdentity(null, undefined, '124'));
  });
});

describe('R1: the service call', () => {
  test('a valid call → 200 with a screening-incomplete card (the baseline the error cases differ from)', async () => {
    const res = await post(base());
    expect(res.status).toBe(200);
    expect(cardOfKind(res.body, 'screening-incomplete')).toBeDefined();
  });

  test('unknown service id → 404 OperationOutcome', async () => {
    const { app } = buildTestApp();
    const res = await request(app).post('/cds-services/no-such-service').send(base());
    const oo = expectOperationOutcome(res, 404);
    expect(oo.issue[0]?.code).toBe('not-found');
  });

  test('a body that is not JSON → 400 OperationOutcome', async () => {
    const { app } = buildTestApp();
    const res = await request(app).post(URL).set('Content-Type', 'application/json').send('{"hook": "patient-view",');
    const oo = expectOperationOutcome(res, 400);
    expect(oo.issue[0]?.code).toBe('structure');
  });

  test('a JSON body that is not an object → 400', async () => {
    const { app } = buildTestApp();
    expectOperationOutcome(await request(app).post(URL).set('Content-Type', 'application/json').send('[]'), 400);
    expectOperationOutcome(await request(app).post(URL).set('Content-Type', 'application/json').send('"patient-view"'), 400);
    // Valid JSON, but no object: the answer does not call it invalid JSON.
    const bare = expectOperationOutcome(await request(app).post(URL).set('Content-Type', 'application/json').send('null'), 400);
    expect(bare.issue[0]?.diagnostics).toBe('The request body is not a JSON object (malformed JSON, or a bare value such as null)');
  });

  test('an empty body declared as JSON → 400 naming hook', async () => {
    const { app } = buildTestApp();
    const res = await request(app).post(URL).set('Content-Type', 'application/json').send('');
    const oo = expectOperationOutcome(res, 400);
    expect(firstExpression(oo)).toEqual(['hook']);
  });

  test('context that is not an object → 400 naming context', async () => {
    const oo = expectOperationOutcome(await post({ ...base(), context: 'p1' }), 400);
    expect(firstExpression(oo)).toEqual(['context']);
  });

  test.each(['hook', 'hookInstance', 'context'])('missing %s → 400 naming it in issue[0].expression', async (field) => {
    const body = base();
    delete body[field];
    const oo = expectOperationOutcome(await post(body), 400);
    expect(firstExpression(oo)).toEqual([field]);
  });

  test.each(['patientId', 'userId'])('missing context.%s → 400 naming it', async (field) => {
    const body = base();
    delete body.context[field];
    const oo = expectOperationOutcome(await post(body), 400);
    expect(firstExpression(oo)).toEqual([`context.${field}`]);
  });

  test.each(['p1&_include=*', '../Patient/p2', 'p1 p2', 'p1?x=1', ''])('a patientId outside the FHIR id syntax (%j) → 400', async (patientId) => {
    const body = base();
    body.context.patientId = patientId;
    const oo = expectOperationOutcome(await post(body), 400);
    expect(firstExpression(oo)).toEqual(['context.patientId']);
  });

  test.each(['.', '..', '...'])('a patientId of only dots (%j: a path segment, not an id) → 400 naming it, and nothing is read from the FHIR server', async (patientId) => {
    const body = patientViewRequest('gsb-workup-missing', { omit: ['patient', 'conditions', 'labs', 'medications', 'medicationStatements', 'serviceRequests'], fhirServer: FHIR_BASE });
    body.fhirAuthorization = { access_token: 'a-token', token_type: 'Bearer' };
    (body.context as Body).patientId = patientId;
    const fhir = nock(FHIR_ORIGIN).get(/.*/).reply(200, searchset([]));
    const oo = expectOperationOutcome(await post(body), 400);
    expect(firstExpression(oo)).toEqual(['context.patientId']);
    expect(fhir.isDone()).toBe(false);
  });

  test.each(['order-select', 'order-sign', 'medication-prescribe'])('hook %s sent to the patient-view service → 400 naming hook', async (hook) => {
    const body = base();
    body.hook = hook;
    if (hook === 'order-select') Object.assign(body.context, { selections: ['MedicationRequest/request-123'], draftOrders: { resourceType: 'Bundle', entry: [] } });
    const oo = expectOperationOutcome(await post(body), 400);
    expect(firstExpression(oo)).toEqual(['hook']);
    expect(oo.issue[0]?.diagnostics).toContain('patient-view');
  });

  test('a hook that is none of ours → 400 naming the field, never quoting what was sent (answer or log line)', async () => {
    const logs = captureLogs();
    const body = { ...base(), hook: 'Mette-Hansen-010170-1234' };
    const res = await post(body, buildTestApp({ logger: logs.logger }).app);
    const oo = expectOperationOutcome(res, 400);
    expect(firstExpression(oo)).toEqual(['hook']);
    expect(oo.issue[0]?.diagnostics).toBe('Service nkr-pain-patient-view answers hook "patient-view", not another hook');
    await new Promise((r) => setImmediate(r));
    expect(logs.lines().find((l) => l.msg === 'request answered')).toMatchObject({ res: { statusCode: 400 }, reason: expect.any(String) });
    expect(`${res.text}${logs.text()}`).not.toContain('Mette');
  });

  test('fhirAuthorization without fhirServer → 400 naming fhirServer', async () => {
    const body = { ...base(), fhirAuthorization: { access_token: 'secret-token-abc', token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'cds' } };
    const res = await post(body);
    const oo = expectOperationOutcome(res, 400);
    expect(firstExpression(oo)).toEqual(['fhirServer']);
    expect(res.text).not.toContain('secret-token-abc');
  });

  test.each(['tøkén€', 'tok\r\nX-Injected: 1', 'tok en', 'tok\u0000', '=tok'])('a fhirAuthorization.access_token that is no bearer token (%j) → 400 naming the field, never quoting the token; nothing is read', async (token) => {
    const logs = captureLogs();
    const body = { ...patientViewRequest('gsb-workup-missing', { omit: ['conditions', 'labs'], fhirServer: FHIR_BASE }), fhirAuthorization: { access_token: token, token_type: 'Bearer' } };
    const fhir = nock(FHIR_ORIGIN).get(/.*/).reply(200, searchset([]));
    const res = await post(body, buildTestApp({ logger: logs.logger }).app);
    const oo = expectOperationOutcome(res, 400);
    expect(firstExpression(oo)).toEqual(['fhirAuthorization.access_token']);
    expect(res.text).not.toContain(JSON.stringify(token).slice(1, -1));
    expect(logs.text()).not.toContain(JSON.stringify(token).slice(1, -1));
    expect(fhir.isDone()).toBe(false);
  });

  test('an access_token of the b64token characters is read with: the control', async () => {
    const token = 'aZ09-._~+/tok==';
    const body = { ...patientViewRequest('gsb-workup-missing', { omit: ['labs'], fhirServer: FHIR_BASE }), fhirAuthorization: { access_token: token, token_type: 'Bearer' } };
    const fhir = nock(FHIR_ORIGIN, { reqheaders: { authorization: `Bearer ${token}` } }).get('/fhir/Observation').query(true).reply(200, searchset([]));
    expect((await post(body)).status).toBe(200);
    expect(fhir.isDone()).toBe(true);
  });

  test('a non-http fhirServer → 400', async () => {
    const oo = expectOperationOutcome(await post({ ...base(), fhirServer: 'file:///etc/passwd' }), 400);
    expect(firstExpression(oo)).toEqual(['fhirServer']);
  });

  test('Content-Type other than JSON → 415 OperationOutcome', async () => {
    const { app } = buildTestApp();
    const res = await request(app).post(URL).set('Content-Type', 'text/plain').send(JSON.stringify(base()));
    expect(expectOperationOutcome(res, 415).issue[0]?.code).toBe('not-supported');
    const form = await request(app).post(URL).type('form').send({ hook: 'patient-view' });
    expectOperationOutcome(form, 415);
  });

  test('JSON in a non-UTF charset (ISO-8859-1), or with an unknown Content-Encoding → 415 OperationOutcome (UTF-8 only), not 400 or 500', async () => {
    const { app } = buildTestApp();
    const latin1 = await request(app).post(URL).set('Content-Type', 'application/json; charset=iso-8859-1').send(JSON.stringify(base()));
    expect(expectOperationOutcome(latin1, 415).issue[0]?.diagnostics).toContain('UTF-8');
    const encoded = await request(app).post(URL).set('Content-Type', 'application/json').set('Content-Encoding', 'x-unknown').send(JSON.stringify(base()));
    expect(expectOperationOutcome(encoded, 415).issue[0]?.code).toBe('not-supported');
  });

  test('a compressed body is read; one that does not decompress → 400 OperationOutcome, on a hook and on feedback, not 500', async () => {
    // Over a socket with fetch, which sends the bytes as they are (superagent would JSON-encode a Buffer).
    const server = await listenOnLoopback(buildTestApp().app);
    try {
      const post = (path: string, encoding: string, bytes: Buffer) =>
        fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Encoding': encoding }, body: bytes });
      const body = gzipSync(Buffer.from(JSON.stringify(base())));
      expect((await post(URL, 'gzip', body)).status).toBe(200);
      for (const path of [URL, `${URL}/feedback`]) {
        for (const [encoding, bytes] of [['gzip', Buffer.from('x')], ['gzip', body.subarray(0, 40)], ['deflate', Buffer.from('x')], ['br', Buffer.from('not brotli')]] as const) {
          const res = await post(path, encoding, bytes);
          const outcome = (await res.json()) as { resourceType: string; issue: Array<{ code: string }> };
          expect([path, encoding, res.status, outcome.resourceType, outcome.issue[0]?.code]).toEqual([path, encoding, 400, 'OperationOutcome', 'structure']);
        }
      }
    } finally {
      await server.close();
    }
  });

  test('application/fhir+json and a charset are accepted as JSON', async () => {
    const { app } = buildTestApp();
    const res = await request(app).post(URL).set('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify(base()));
    expect(res.status).toBe(200);
    const fhirJson = await request(app).post(URL).set('Content-Type', 'application/fhir+json').send(JSON.stringify(base()));
    expect(fhirJson.status).toBe(200);
  });

  test('a body over BODY_LIMIT → 413 OperationOutcome; one under it is read', async () => {
    const { app } = buildTestApp({ env: { BODY_LIMIT: '2kb' } });
    const small = { hook: 'patient-view', hookInstance: 'b778a08c-ffb1-4a88-937a-0f0c78565c93', context: { patientId: 'p1', userId: 'Practitioner/u1' }, prefetch: { conditions: null, labs: null, serviceRequests: null } };
    expect(Buffer.byteLength(JSON.stringify(small))).toBeLessThan(2048);
    expect((await post(small, app)).status).toBe(200);
    const big = { ...small, extension: { 'org.example.padding': 'x'.repeat(4096) } };
    const oo = expectOperationOutcome(await post(big, app), 413);
    expect(oo.issue[0]?.code).toBe('too-long');
  });

  test('GET (and PUT, DELETE) on a service → 405 with Allow: POST', async () => {
    const { app } = buildTestApp();
    for (const res of [await request(app).get(URL), await request(app).put(URL).send(base()), await request(app).delete(URL)]) {
      expectOperationOutcome(res, 405);
      expect(res.headers.allow).toContain('POST');
    }
  });
});

describe('the request log line counts the cards quieted by design', () => {
  afterAll(closeAll);
  test('a card quieted by an earlier answer: the line says quieted 1 and lists no card; the first call says nothing of quieting', async () => {
    const logs = captureLogs('info');
    const { app } = buildTestApp({ store: await freshStore('sqlite'), logger: logs.logger });
    const answered = (): Record<string, any> | undefined => logs.lines<Record<string, any>>().filter((l) => l.msg === 'request answered').at(-1);
    const first = await request(app).post('/cds-services/nkr-pain-patient-view').send(patientViewRequest('gsb-workup-missing'));
    const card = cardOfKind(expectValidResponse(first.body), 'screening-incomplete')!;
    await new Promise((r) => setImmediate(r));
    expect(answered()).not.toHaveProperty('quieted');
    const item = { card: card.uuid, outcome: 'overridden', outcomeTimestamp: new Date(FIXED_NOW).toISOString(), overrideReason: { reason: { system: OVERRIDE_REASON_SYSTEM, code: 'already-addressed' } } };
    expect((await request(app).post('/cds-services/nkr-pain-patient-view/feedback').send({ feedback: [item] })).status).toBe(200);
    const again = await request(app).post('/cds-services/nkr-pain-patient-view').send(patientViewRequest('gsb-workup-missing'));
    expect(expectValidResponse(again.body).cards).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(answered()).toMatchObject({ quieted: 1, cardCount: 0 });
  });
});

describe('quiet by design: patient-view starts its one store read at the start of the call, beside its FHIR reads (docs/clinical-rules.md §6)', () => {
  afterAll(closeAll);
  test('the store read has begun when the FHIR server is asked for a key the prefetch lacks; still one read per call', async () => {
    const store = await freshStore('sqlite');
    let reads = 0;
    const original = store.quietEntries.bind(store);
    store.quietEntries = (key, now) => {
      reads++;
      return original(key, now);
    };
    const readsWhenAsked: number[] = [];
    const conditions = patientResources('gsb-workup-missing').filter((r) => r.resourceType === 'Condition');
    const scope = nock(FHIR_ORIGIN)
      .get('/fhir/Condition')
      .query({ patient: 'gsb-workup-missing' })
      .reply(() => {
        readsWhenAsked.push(reads);
        return [200, searchset(conditions)];
      });
    const res = await post(patientViewRequest('gsb-workup-missing', { omit: ['conditions'], fhirServer: FHIR_BASE }), buildTestApp({ store }).app);
    expect(res.status).toBe(200);
    expect(scope.isDone()).toBe(true);
    expect(cardOfKind(res.body, 'screening-incomplete')).toBeDefined();
    expect(readsWhenAsked).toEqual([1]);
    expect(reads).toBe(1);
  });
});

describe('R2: unknown fields are tolerated', () => {
  test('extension at top level and in context, and other unknown fields → 200 with the same cards', async () => {
    const plain = await post(base());
    const body = base();
    body.extension = { 'org.example.ehr': { site: 'A' } };
    body.context.extension = { 'org.example.ehr': { ward: 'B' } };
    body.context.encounterId = 'enc-1';
    body.somethingNew = 42;
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(res.body.cards.map((c: Body) => c.source.topic.code)).toEqual(plain.body.cards.map((c: Body) => c.source.topic.code));
  });
  test('fields the service does not read are not held to a shape: encounterId as a reference or empty, expires_in as text → 200', async () => {
    for (const encounterId of ['Encounter/123', '', 'enc 1']) {
      const body = base();
      body.context.encounterId = encounterId;
      expect([encounterId, (await post(body)).status]).toEqual([encounterId, 200]);
    }
    const body = { ...base(), fhirServer: 'http://127.0.0.1:1/fhir', fhirAuthorization: { access_token: 'secret-token-abc', token_type: 'Bearer', expires_in: '300' } };
    expect((await post(body)).status).toBe(200);
    // A patientId, which the service reads, is still held to a FHIR id.
    expect((await post({ ...base(), context: { ...base().context, patientId: 'Patient/123' } })).status).toBe(400);
  });
  test('an optional field sent as null (fhirServer, fhirAuthorization, extension, context.encounterId: a serializer writing unset fields) reads as absent → 200 with the same cards; a required one as null is still 400', async () => {
    const plain = await post(base());
    const body = { ...base(), fhirServer: null, fhirAuthorization: null, extension: null, context: { ...base().context, encounterId: null } };
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(res.body.cards.map((c: Body) => c.source.topic.code)).toEqual(plain.body.cards.map((c: Body) => c.source.topic.code));
    expect(res.body.cards.length).toBeGreaterThan(0);
    expect((await post({ ...base(), hookInstance: null })).status).toBe(400);
    expect((await post({ ...base(), context: { ...base().context, userId: null } })).status).toBe(400);
    expect((await post({ ...base(), fhirServer: 5 })).status).toBe(400);
  });
  test('a blank fhirServer ("" or spaces) is no server, as null is → 200 with the same cards; with fhirAuthorization beside it → 400 naming fhirServer', async () => {
    const plain = await post(base());
    for (const fhirServer of ['', '  ']) {
      const res = await post({ ...base(), fhirServer });
      expect([fhirServer, res.status]).toEqual([fhirServer, 200]);
      expect(res.body.cards.map((c: Body) => c.source.topic.code)).toEqual(plain.body.cards.map((c: Body) => c.source.topic.code));
    }
    const res = await post({ ...base(), fhirServer: '', fhirAuthorization: { access_token: 'secret-token-abc', token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'cds' } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('fhirServer');
    expect((await post({ ...base(), fhirServer: 'not a url' })).status).toBe(400);
  });
});

describe('R4: prefetch variants through the whole app', () => {
  /** A FHIR server that must not be asked anything. */
  function untouchableFhirServer(): nock.Scope {
    return nock(FHIR_ORIGIN).get(/.*/).reply(500, { resourceType: 'OperationOutcome', issue: [] });
  }

  test('conditions = null → "no data": 200, no cards, nothing fetched', async () => {
    const scope = untouchableFhirServer();
    const body = patientViewRequest('gsb-workup-missing', { fhirServer: FHIR_BASE });
    body.prefetch = { ...(body.prefetch as Body), conditions: null };
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cards: [] });
    expect(scope.isDone()).toBe(false);
  });

  test('conditions = empty Bundle → "no data": 200, no cards, nothing fetched', async () => {
    const scope = untouchableFhirServer();
    const body = patientViewRequest('gsb-workup-missing', { fhirServer: FHIR_BASE });
    body.prefetch = { ...(body.prefetch as Body), conditions: { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] } };
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cards: [] });
    expect(scope.isDone()).toBe(false);
  });

  test('prefetch = null (no prefetch at all) and no fhirServer → 412', async () => {
    const body = base();
    body.prefetch = null;
    expectOperationOutcome(await post(body), 412);
  });

  test('an OperationOutcome for a required key without fhirServer → 412 OperationOutcome naming the key', async () => {
    const body = base();
    body.prefetch.conditions = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: 'timeout' }] };
    const oo = expectOperationOutcome(await post(body), 412);
    expect(allExpressions(oo)).toContain('prefetch.conditions');
    expect(oo.issue.some((i) => (i.diagnostics ?? '').includes('prefetch "conditions"') && (i.diagnostics ?? '').includes('OperationOutcome'))).toBe(true);
  });

  test('a required key holding none of the type it searches (a Patient as the Conditions) without fhirServer → 412 naming it, not "no Conditions" (docs/clinical-rules.md §7)', async () => {
    const body = patientViewRequest('gsb-workup-missing') as { prefetch: Record<string, unknown> };
    body.prefetch.conditions = searchset([body.prefetch.patient as fhir4.Patient]);
    const oo = expectOperationOutcome(await post(body), 412);
    expect(allExpressions(oo)).toEqual(['prefetch.conditions']);
    expect(oo.issue.some((i) => (i.diagnostics ?? '').includes('holding no Condition, only Patient'))).toBe(true);
  });

  test('a missing required key without fhirServer → 412 naming the key (and only the missing ones)', async () => {
    // medications and serviceRequests are optional (docs/clinical-rules.md §7): missing too, they are not named.
    const body = patientViewRequest('gsb-workup-missing', { omit: ['conditions', 'labs', 'medications', 'serviceRequests'] });
    const oo = expectOperationOutcome(await post(body), 412);
    expect(allExpressions(oo).sort()).toEqual(['prefetch.conditions', 'prefetch.labs']);
  });

  test.each([['conditions'], ['labs']])('patient-view requires %s: without it (and no fhirServer) → 412 naming it', async (key) => {
    const oo = expectOperationOutcome(await post(patientViewRequest('gsb-workup-missing', { omit: [key] })), 412);
    expect(allExpressions(oo)).toEqual([`prefetch.${key}`]);
  });

  test('labs missing without fhirServer for a patient out of scope → 200 without cards: no card reads a result (docs/clinical-rules.md §7)', async () => {
    const res = await post(patientViewRequest('no-gsb', { omit: ['labs'] }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cards: [] });
    // conditions decide the scope: without them it is still 412, naming labs as well.
    const oo = expectOperationOutcome(await post(patientViewRequest('no-gsb', { omit: ['labs', 'conditions'] })), 412);
    expect(allExpressions(oo).sort()).toEqual(['prefetch.conditions', 'prefetch.labs']);
  });

  test('the optional keys (patient, medications, serviceRequests) missing without fhirServer → 200 with the screening card', async () => {
    const res = await post(patientViewRequest('gsb-workup-missing', { omit: ['medications', 'patient', 'serviceRequests'] }));
    expect(res.status).toBe(200);
    expect(cardOfKind(res.body, 'screening-incomplete')).toBeDefined();
  });

  test('a missing required key with an allowed (loopback) fhirServer → fetched from it → 200 with cards', async () => {
    const conditions = patientResources('gsb-workup-missing').filter((r) => r.resourceType === 'Condition');
    expect(conditions.length).toBeGreaterThan(0);
    const seen: string[] = [];
    const scope = nock(FHIR_ORIGIN, { badheaders: ['authorization'] })
      .get('/fhir/Condition')
      .query(true)
      .reply(200, (uri) => {
        seen.push(uri);
        return searchset(conditions);
      });
    const res = await post(patientViewRequest('gsb-workup-missing', { omit: ['conditions'], fhirServer: FHIR_BASE }));
    expect(res.status).toBe(200);
    expect(scope.isDone()).toBe(true);
    expect(seen).toEqual(['/fhir/Condition?patient=gsb-workup-missing']);
    expect(cardOfKind(res.body, 'screening-incomplete')).toBeDefined();
  });

  test('an OperationOutcome for a required key with an allowed fhirServer → refetched → 200 with cards', async () => {
    const conditions = patientResources('gsb-workup-missing').filter((r) => r.resourceType === 'Condition');
    const scope = nock(FHIR_ORIGIN).get('/fhir/Condition').query({ patient: 'gsb-workup-missing' }).reply(200, searchset(conditions));
    const body = patientViewRequest('gsb-workup-missing', { fhirServer: FHIR_BASE });
    (body.prefetch as Body).conditions = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] };
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(scope.isDone()).toBe(true);
    expect(cardOfKind(res.body, 'screening-incomplete')).toBeDefined();
  });

  test('a missing key with a fhirServer that is not allowed → 412, and it is never contacted', async () => {
    const scope = nock('https://fhir.example.org').get(/.*/).reply(200, searchset([]));
    const body = patientViewRequest('gsb-workup-missing', { omit: ['conditions'], fhirServer: 'https://fhir.example.org/r4' });
    const oo = expectOperationOutcome(await post(body), 412);
    expect(allExpressions(oo)).toContain('prefetch.conditions');
    expect(scope.isDone()).toBe(false);
  });

  test('the fhirServer answers 500 for a missing required key → 412', async () => {
    nock(FHIR_ORIGIN).get('/fhir/Condition').query(true).reply(500, 'oops');
    const oo = expectOperationOutcome(await post(patientViewRequest('gsb-workup-missing', { omit: ['conditions'], fhirServer: FHIR_BASE })), 412);
    expect(allExpressions(oo)).toContain('prefetch.conditions');
  });
});

describe('C1–C6: every card response of the fixture patients', () => {
  test.each(['no-gsb', 'gsb-refuted', 'gsb-workup-missing', 'gsb-workup-partial-npu', 'gsb-complete-flagged', 'gsb-established-complete'])(
    '%s: valid, application/json, no-store, no empty optional fields; cards have uuid and an absolute source url',
    async (fixture) => {
      for (const lang of ['en', 'da']) {
        const { app } = buildTestApp();
        const res = await request(app).post(URL).set('Accept-Language', lang).send(patientViewRequest(fixture));
        expect(res.status).toBe(200);
        expectC1toC6(res);
        const uuids = new Set<string>();
        for (const card of res.body.cards as Body[]) {
          // UUID version 7 (time-ordered, src/render/cardBuilder.ts), RFC 9562 variant.
          expect(card.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
          uuids.add(card.uuid);
          expect(Array.from(card.summary as string).length).toBeLessThan(140);
          expect(card.source.url).toMatch(/^https:\/\//);
          expect(card.detail ?? '').not.toMatch(/<\/?[a-z][^>]*>/i); // Markdown, no raw HTML
          for (const s of (card.suggestions ?? []) as Body[]) {
            expect(s.uuid).toEqual(expect.any(String));
            uuids.add(s.uuid);
            for (const a of (s.actions ?? []) as Body[]) {
              if (a.type === 'delete') expect(a.resourceId).toEqual(expect.any(String));
              else expect(a.resource?.resourceType).toEqual(expect.any(String));
            }
          }
          for (const r of (card.overrideReasons ?? []) as Body[]) expect(Object.keys(r).sort()).toEqual(['code', 'display', 'system']);
          for (const l of (card.links ?? []) as Body[]) expect(l.type).toBe('absolute');
        }
        const count = (res.body.cards as Body[]).reduce((n, c) => n + 1 + ((c.suggestions as unknown[] | undefined)?.length ?? 0), 0);
        expect(uuids.size).toBe(count);
      }
    },
  );

  test('no cards → exactly {"cards":[]}', async () => {
    const res = await post(patientViewRequest('no-gsb'));
    expect(res.text).toBe('{"cards":[]}');
  });

  test('a new uuid per call, so stale guidance can be told apart', async () => {
    const { app } = buildTestApp();
    const a = await post(base(), app);
    const b = await post(base(), app);
    expect(a.body.cards[0].uuid).not.toBe(b.body.cards[0].uuid);
  });

  test('an unknown path is a JSON OperationOutcome too, not an HTML page', async () => {
    const { app } = buildTestApp();
    expectOperationOutcome(await request(app).get('/nothing-here'), 404);
  });
});

describe('R7: one deadline per hook call (FHIR_REQUEST_DEADLINE_MS), shared by every FHIR read', () => {
  const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
  const READ_MS = 300;
  let slow: Server;
  let slowBase = '';
  const seen: string[] = [];

  /** A FHIR server that answers every read after 300 ms: the draft's Medication, Conditions, active orders and their Medication. */
  beforeAll(async () => {
    slow = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      seen.push(path);
      const medication = (id: string, code: string) => ({ resourceType: 'Medication', id, code: { coding: [{ system: RXNORM, code }] } });
      const bodies: Record<string, unknown> = {
        '/fhir/Medication/med-draft': medication('med-draft', '835603'), // tramadol
        '/fhir/Medication/med-active': medication('med-active', '483440'), // pregabalin
        '/fhir/Condition': searchset([
          { resourceType: 'Condition', id: 'fm', subject: { reference: 'Patient/p1' }, code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] } } as fhir4.Condition,
        ]),
        '/fhir/MedicationRequest': searchset([
          { resourceType: 'MedicationRequest', id: 'a1', status: 'active', intent: 'order', subject: { reference: 'Patient/p1' }, medicationReference: { reference: 'Medication/med-active' } } as fhir4.MedicationRequest,
        ]),
      };
      setTimeout(() => {
        res.writeHead(bodies[path] ? 200 : 404, { 'Content-Type': 'application/fhir+json' });
        res.end(JSON.stringify(bodies[path] ?? { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] }));
      }, READ_MS);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    slowBase = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/fhir`;
  });
  afterAll(async () => {
    slow.closeAllConnections();
    await new Promise((r) => slow.close(r));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  /** order-select for a draft whose Medication must be read, with no prefetch: four reads in three rounds. */
  const orderSelect = () => ({
    hook: 'order-select',
    hookInstance: 'deadline-test',
    fhirServer: slowBase,
    context: {
      patientId: 'p1',
      userId: 'Practitioner/u1',
      selections: ['MedicationRequest/d1'],
      draftOrders: {
        resourceType: 'Bundle',
        entry: [{ resource: { resourceType: 'MedicationRequest', id: 'd1', status: 'draft', intent: 'order', subject: { reference: 'Patient/p1' }, medicationReference: { reference: 'Medication/med-draft' } } }],
      },
    },
  });

  async function timedCall(env: Record<string, string>): Promise<{ res: request.Response; ms: number }> {
    const { app } = buildTestApp({ env: { FHIR_QUERY_TIMEOUT_MS: '5000', ...env } });
    await request(app).get('/cds-services'); // warm up: the timing is the call's, not the first request's
    const started = performance.now();
    const res = await request(app).post('/cds-services/nkr-pain-order-select').send(orderSelect());
    return { res, ms: performance.now() - started };
  }

  test('with a generous deadline the call reads all four (the control: it takes three rounds of 300 ms)', async () => {
    const { res, ms } = await timedCall({ FHIR_REQUEST_DEADLINE_MS: '5000' });
    expect(res.status).toBe(200);
    expect(cardOfKind(res.body, 'tramadol')).toBeDefined();
    expect([...seen].sort()).toEqual(['/fhir/Condition', '/fhir/Medication/med-active', '/fhir/Medication/med-draft', '/fhir/MedicationRequest', '/fhir/MedicationStatement', '/fhir/Patient/p1']);
    expect(ms).toBeGreaterThanOrEqual(3 * READ_MS);
  });

  test('deadline 450 ms: the whole call ends within the deadline plus a small margin, whatever reads were left (412 naming the deadline)', async () => {
    const { res, ms } = await timedCall({ FHIR_REQUEST_DEADLINE_MS: '450' });
    expect(ms).toBeLessThan(450 + 150);
    expect(res.status).toBe(412);
    expect(JSON.stringify(res.body)).toContain('deadline');
    expect(seen).not.toContain('/fhir/Medication/med-active'); // the third round never started
  });
});

describe('Real EHR data at the data stage (docs/clinical-rules.md §7), through the HTTP API', () => {
  const fixture = (name: string): Body => readJson<Body>(projectPath('fixtures', 'requests', `${name}.json`));
  const kindsOf = (body: Body): string[] => (body.cards as Body[]).map((c) => c.source.topic.code).sort();
  const observations = (name: string) => patientResources(name).filter((r) => r.resourceType === 'Observation');
  /** The FHIR server's page 2 of the labs-paged-next-link fixture (its `next` link): the other 8 results. */
  const labsPage2OnServer = () =>
    nock(FHIR_ORIGIN)
      .get('/fhir/Observation')
      .query({ _getpages: 'labs-p1', _getpagesoffset: '8', _count: '8' })
      .reply(200, { ...searchset(observations('gsb-established-complete').slice(8)), total: 16 });

  describe("Epic's no results: total 0 and an OperationOutcome warning (search.mode outcome) is an empty result", () => {
    test('as prefetch → 200 and the screening card orders all 16 groups (not 412)', async () => {
      const res = await post(fixture('epic-no-results-operationoutcome'));
      expect(res.status).toBe(200);
      const card = cardOfKind(res.body, 'screening-incomplete');
      expect(card?.suggestions[0].actions).toHaveLength(16);
    });

    test('as a FHIR read → the same card, each search read once', async () => {
      const body = fixture('epic-no-results-operationoutcome');
      const epic = body.prefetch.labs;
      for (const key of ['labs', 'medications', 'serviceRequests']) delete body.prefetch[key];
      body.fhirServer = FHIR_BASE;
      const scope = nock(FHIR_ORIGIN)
        .get('/fhir/Observation')
        .query(true)
        .reply(200, epic)
        .get('/fhir/MedicationRequest')
        .query(true)
        .reply(200, epic)
        .get('/fhir/ServiceRequest')
        .query(true)
        .reply(200, epic);
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(scope.isDone()).toBe(true);
      expect(cardOfKind(res.body, 'screening-incomplete')?.suggestions[0].actions).toHaveLength(16);
    });

    test('the negative: an OperationOutcome with an error as the whole labs value is unavailable → 412 naming labs', async () => {
      const oo = expectOperationOutcome(await post(fixture('prefetch-labs-operationoutcome-error')), 412);
      expect(allExpressions(oo)).toEqual(['prefetch.labs']);
      expect(JSON.stringify(oo)).toContain('OperationOutcome');
    });

    test('…and is read again from an allowed fhirServer when there is one → 200 with the cards the real results give', async () => {
      const body = fixture('prefetch-labs-operationoutcome-error');
      body.fhirServer = FHIR_BASE;
      const scope = nock(FHIR_ORIGIN).get('/fhir/Observation').query(true).reply(200, searchset(observations('gsb-established-complete')));
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(scope.isDone()).toBe(true);
      expect(kindsOf(res.body)).toEqual(kindsOf((await post(patientViewRequest('gsb-established-complete'))).body));
    });
  });

  describe('an incomplete prefetch is read to the end, or is unavailable — never "no results"', () => {
    const complete = async (): Promise<string[]> => kindsOf((await post(patientViewRequest('gsb-established-complete'))).body);

    test('labs with total 16 and no entries, no fhirServer → 412 naming labs, not a card ordering 16 groups again', async () => {
      const res = await post(fixture('labs-total-16-no-entries'));
      const oo = expectOperationOutcome(res, 412);
      expect(allExpressions(oo)).toEqual(['prefetch.labs']);
      expect(JSON.stringify(oo)).toContain('incomplete (its total is 16, it held 0)');
    });

    test('labs with total 16 and no entries, with a fhirServer → the query is run again there → the cards of all 16 results', async () => {
      const body = fixture('labs-total-16-no-entries');
      body.fhirServer = FHIR_BASE;
      const scope = nock(FHIR_ORIGIN).get('/fhir/Observation').query(true).reply(200, searchset(observations('gsb-established-complete')));
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(scope.isDone()).toBe(true);
      expect(kindsOf(res.body)).toEqual(await complete());
      expect(cardOfKind(res.body, 'screening-incomplete')).toBeUndefined();
    });

    test('the first page of labs with a next link and no fhirServer → 412 naming labs (the 8 unread groups are not "missing")', async () => {
      const oo = expectOperationOutcome(await post(fixture('labs-paged-next-link')), 412);
      expect(allExpressions(oo)).toEqual(['prefetch.labs']);
      expect(JSON.stringify(oo)).toContain('more pages');
    });

    test('the first page of labs with a next link on the allowed fhirServer → page 2 read → the cards of all 16 results', async () => {
      const body = fixture('labs-paged-next-link');
      body.fhirServer = FHIR_BASE;
      const scope = labsPage2OnServer();
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(scope.isDone()).toBe(true);
      expect(cardOfKind(res.body, 'screening-incomplete')).toBeUndefined();
      expect(kindsOf(res.body)).toEqual(await complete());
    });

    test('the control: the same first page read as if complete would have taken the 8 other groups as not done', async () => {
      const body = fixture('labs-paged-next-link');
      delete body.prefetch.labs.link;
      body.prefetch.labs.total = 8;
      const res = await post(body);
      expect(res.status).toBe(200);
      // Established phase (rev 2): no screening card; the non-drug card names what the screening did not include.
      expect(cardOfKind(res.body, 'screening-incomplete')).toBeUndefined();
      expect(cardOfKind(res.body, 'non-pharmacological-treatment')!.detail).toContain(
        'According to the record, the screening did not include: ESR, creatinine, urine albumin/creatinine ratio, albumin, sodium, potassium, ALT (ALAT), calcium.',
      );
    });
  });

  describe('optional keys: patient-view answers without them', () => {
    test('no Patient, MedicationRequests an OperationOutcome (fatal), ServiceRequests incomplete, no fhirServer → 200 with the screening card', async () => {
      const res = await post(fixture('optional-keys-unavailable'));
      expect(res.status).toBe(200);
      expect(cardOfKind(res.body, 'screening-incomplete')).toBeDefined();
    });

    test('the negative: the same request without its required labs → 412 naming only labs', async () => {
      const body = fixture('optional-keys-unavailable');
      delete body.prefetch.labs;
      expect(allExpressions(expectOperationOutcome(await post(body), 412))).toEqual(['prefetch.labs']);
    });
  });

  describe('a prefetch Bundle whose entries are Bundles (a server that runs the prefetch queries as a batch)', () => {
    const asBatch = (...entry: unknown[]): Body => ({ resourceType: 'Bundle', type: 'batch-response', entry });
    // The entry's status decides, whatever its outcome's severity says.
    const failed = { response: { status: '503 Service Unavailable' }, resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'throttled' }] } };

    test('every key wrapped in a batch-response → the same cards as the searchsets themselves', async () => {
      const flat = await post(fixture('patient-view-complete-flagged'));
      expect(cardOfKind(flat.body, 'screening-abnormal')).toBeDefined();
      const body = fixture('patient-view-complete-flagged');
      for (const [key, value] of Object.entries(body.prefetch as Body)) {
        if ((value as Body | null)?.resourceType === 'Bundle') body.prefetch[key] = asBatch({ resource: value, response: { status: '200 OK' } });
      }
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(res.body.cards.map((c: Body) => c.summary)).toEqual(flat.body.cards.map((c: Body) => c.summary));
      expect(cardOfKind(res.body, 'screening-incomplete')).toBeUndefined();
    });

    test('a batch-response wrapping a first page with a next link → page 2 read from the allowed fhirServer', async () => {
      const body = fixture('labs-paged-next-link');
      body.prefetch.labs = asBatch({ resource: body.prefetch.labs, response: { status: '200' } });
      body.fhirServer = FHIR_BASE;
      const scope = labsPage2OnServer();
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(scope.isDone()).toBe(true);
      expect(cardOfKind(res.body, 'screening-incomplete')).toBeUndefined();
    });

    test('a labs entry that failed (not 2xx), no fhirServer → 412 naming labs, not a card ordering the tests again', async () => {
      const body = fixture('patient-view-complete-flagged');
      body.prefetch.labs = asBatch(failed);
      const oo = expectOperationOutcome(await post(body), 412);
      expect(allExpressions(oo)).toEqual(['prefetch.labs']);
      expect(JSON.stringify(oo)).toContain('HTTP 503');
    });

    test('…a failed conditions entry beside a good one: 412 naming conditions', async () => {
      const body = fixture('patient-view-complete-flagged');
      const notFound = { response: { status: '404 Not Found' }, resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'not-found' }] } };
      body.prefetch.conditions = asBatch({ resource: body.prefetch.conditions, response: { status: '200 OK' } }, notFound);
      expect(allExpressions(expectOperationOutcome(await post(body), 412))).toEqual(['prefetch.conditions']);
    });

    test('…and is read again from an allowed fhirServer when there is one → 200 with the cards of the real results', async () => {
      const body = fixture('patient-view-complete-flagged');
      const labs = body.prefetch.labs;
      body.prefetch.labs = asBatch(failed);
      body.fhirServer = FHIR_BASE;
      const scope = nock(FHIR_ORIGIN).get('/fhir/Observation').query(true).reply(200, labs);
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(scope.isDone()).toBe(true);
      expect(cardOfKind(res.body, 'screening-abnormal')).toBeDefined();
    });
  });

  describe("another patient's resources: named, and the key holding them unusable, never read as this patient's (§7)", () => {
    const OTHER = 'pt-9f3b2c';
    /** The GSB diagnosis of gsb-workup-missing, with its subject set (or left out). */
    const gsbCondition = (subject?: string): Body => {
      const c = structuredClone(patientResources('gsb-workup-missing').find((r) => r.resourceType === 'Condition')) as Body;
      c.id = 'c-gsb';
      if (subject === undefined) delete c.subject;
      else c.subject = { reference: subject };
      return c;
    };
    /** no-gsb (out of scope) with one more Condition: the GSB diagnosis, of whom `subject` says. */
    const noGsbWith = (subject?: string, fhirServer?: string): Body => {
      const body = patientViewRequest('no-gsb', fhirServer ? { fhirServer } : {}) as Body;
      body.prefetch.conditions.entry.push({ resource: gsbCondition(subject) });
      return body;
    };
    async function withLogs(body: Body): Promise<{ res: request.Response; skipped: Body[]; text: string }> {
      const logs = captureLogs('info');
      const res = await post(body, buildTestApp({ logger: logs.logger }).app);
      await new Promise((r) => setImmediate(r));
      return { res, skipped: logs.lines<Body>().filter((l) => Array.isArray(l.skipped)).flatMap((l) => l.skipped), text: logs.text() };
    }

    test.each([
      ['relative', `Patient/${OTHER}`],
      ['absolute', `https://ehr.example.dk/fhir/Patient/${OTHER}`],
    ])("a prefetched GSB Condition of another patient (%s reference) makes the Conditions unusable: without fhirServer 412 naming them, never read as this patient's; it is named, the other patient's id is not logged", async (_name, reference) => {
      const { res, skipped, text } = await withLogs(noGsbWith(reference));
      expect(res.status).toBe(412);
      expect(JSON.stringify(res.body)).toContain("holding another patient's resources");
      expect(skipped).toEqual([{ resourceType: 'Condition', id: 'c-gsb', reader: 'patient-check', reason: 'another patient' }]);
      expect(text).not.toContain(OTHER);
      expect(JSON.stringify(res.body)).not.toContain(OTHER);
    });

    test("…with an allowed fhirServer the Conditions are read from it instead", async () => {
      const body = noGsbWith(`Patient/${OTHER}`, FHIR_BASE);
      const own = body.prefetch.conditions.entry.map((e: Body) => e.resource).filter((c: Body) => c.id !== 'c-gsb');
      const scope = nock(FHIR_ORIGIN).get('/fhir/Condition').query({ patient: 'no-gsb' }).reply(200, searchset(own));
      const { res } = await withLogs(body);
      expect(scope.isDone()).toBe(true);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ cards: [] }); // no-gsb: out of scope
    });

    test(`the warning line stays bounded: ${MAX_NAMED_SKIPPED} named, every one counted by reader and reason; the request line counts them all`, async () => {
      const body = patientViewRequest('gsb-workup-missing') as Body;
      for (let i = 0; i < 30; i++) body.prefetch.labs.entry.push({ resource: { resourceType: 'Observation', id: `bad-${i}`, status: 'final', code: 'x' } });
      const logs = captureLogs('info');
      const res = await post(body, buildTestApp({ logger: logs.logger }).app);
      await new Promise((r) => setImmediate(r));
      expect(res.status).toBe(200);
      const lines = logs.lines<Body>().filter((l) => Array.isArray(l.skipped));
      expect(lines).toHaveLength(1);
      expect(lines[0]!.skipped).toHaveLength(MAX_NAMED_SKIPPED);
      expect(lines[0]!.skipped[0]).toEqual({ resourceType: 'Observation', id: 'bad-0', reader: 'observation', reason: 'no readable code' });
      expect(lines[0]!.skippedCounts).toEqual({ 'observation: no readable code': 30 });
      expect(logs.lines<Body>().find((l) => l.res !== undefined)?.skipped).toBe(30);
    });

    test('the negative: the same Condition naming the patient, no patient, or a urn:uuid is read → the screening card', async () => {
      for (const subject of ['Patient/no-gsb', undefined, 'urn:uuid:7c4f7f3e-9d51-4c8e-9c55-0d1b2f8e4a11']) {
        const { res, skipped } = await withLogs(noGsbWith(subject));
        expect(cardOfKind(res.body, 'screening-incomplete')).toBeDefined();
        expect(skipped).toEqual([]);
      }
    });

    test("read from the FHIR server: another patient's Condition there makes them unavailable too (412)", async () => {
      const body = noGsbWith(undefined, FHIR_BASE);
      const conditions = body.prefetch.conditions.entry.map((e: Body) => e.resource);
      conditions[conditions.length - 1].subject = { reference: `${FHIR_BASE}/Patient/${OTHER}` };
      delete body.prefetch.conditions;
      const scope = nock(FHIR_ORIGIN).get('/fhir/Condition').query({ patient: 'no-gsb' }).reply(200, searchset(conditions));
      const { res, skipped } = await withLogs(body);
      expect(scope.isDone()).toBe(true);
      expect(res.status).toBe(412);
      expect(skipped.map((s) => s.id)).toEqual(['c-gsb']);
    });

    test("labs holding another patient's Observations are unavailable, never 'no results': no screening card orders them again (412)", async () => {
      const body = patientViewRequest('gsb-complete-flagged') as Body;
      for (const e of body.prefetch.labs.entry) e.resource.subject = { reference: `Patient/${OTHER}` };
      const res = await post(body);
      expect(res.status).toBe(412);
      expect(JSON.stringify(res.body)).toContain('prefetch.labs');
    });

    test("a prefetched Patient that is another patient's (a child) does not take the patient's cards away; named with its id withheld", async () => {
      const body = base();
      body.prefetch.patient = { resourceType: 'Patient', id: OTHER, birthDate: '2015-04-01' };
      const { res, skipped, text } = await withLogs(body);
      expect(cardOfKind(res.body, 'screening-incomplete')).toBeDefined();
      expect(skipped).toEqual([{ resourceType: 'Patient', id: 'withheld', reader: 'patient-check', reason: 'another patient' }]);
      expect(text).not.toContain(OTHER);
    });

    test("…it is a prefetch error: the Patient is read from an allowed fhirServer, and that one's age counts", async () => {
      const body = patientViewRequest('gsb-workup-missing', { fhirServer: FHIR_BASE }) as Body;
      body.prefetch.patient = { resourceType: 'Patient', id: OTHER, birthDate: '1970-01-01' };
      const scope = nock(FHIR_ORIGIN).get('/fhir/Patient/gsb-workup-missing').reply(200, { resourceType: 'Patient', id: 'gsb-workup-missing', birthDate: '2015-04-01' });
      const res = await post(body);
      expect(scope.isDone()).toBe(true);
      expect(res.body).toEqual({ cards: [] }); // under 18 (§2)
    });
  });

  describe('Observations contained in a DiagnosticReport are read as Observations', () => {
    test('as prefetch → the same cards as the same results sent as Observations (flagged results seen, nothing re-ordered)', async () => {
      const res = await post(fixture('labs-in-diagnosticreport'));
      expect(res.status).toBe(200);
      const flat = (await post(patientViewRequest('gsb-complete-flagged'))).body;
      expect(kindsOf(res.body)).toEqual(kindsOf(flat));
      expect(cardOfKind(res.body, 'screening-abnormal')).toBeDefined();
      expect(cardOfKind(res.body, 'screening-incomplete')).toBeUndefined();
    });

    test('as a FHIR read → the same cards', async () => {
      const body = fixture('labs-in-diagnosticreport');
      const labs = body.prefetch.labs;
      delete body.prefetch.labs;
      body.fhirServer = FHIR_BASE;
      const scope = nock(FHIR_ORIGIN).get('/fhir/Observation').query(true).reply(200, labs);
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(scope.isDone()).toBe(true);
      expect(cardOfKind(res.body, 'screening-abnormal')).toBeDefined();
      expect(cardOfKind(res.body, 'screening-incomplete')).toBeUndefined();
    });

    test('the control: the report without its contained Observations holds no Observation, so labs is unusable (412 without fhirServer), never "all missing"', async () => {
      const body = fixture('labs-in-diagnosticreport');
      delete body.prefetch.labs.entry[0].resource.contained;
      const oo = expectOperationOutcome(await post(body), 412);
      expect(allExpressions(oo)).toEqual(['prefetch.labs']);
      expect(JSON.stringify(oo)).toContain('holding no Observation, only DiagnosticReport');
      // With an Observation beside it the key is usable again, and what it lacks is missing.
      body.prefetch.labs.entry.push({ resource: { resourceType: 'Observation', id: 'other', status: 'final', code: { text: 'x' } } });
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(cardOfKind(res.body, 'screening-incomplete')).toBeDefined();
    });
  });
});
