import request from 'supertest';
import { RequiredDataUnavailable } from '../../src/model/requiredData.js';
import { answerError } from '../../src/transport/errorHandler.js';
import { HttpError, unauthorized } from '../../src/transport/operationOutcome.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createAuthVerifier } from '../../src/transport/auth/index.js';
import { captureLogs } from '../support/captureLogs.js';
import { closeAll, freshStore } from '../store/storeKinds.js';
import { buildTestApp, FIXED_NOW, patientViewRequest, testConfig } from '../support/testApp.js';

/** A bare Node handler that answers every request with `err`, and what it logged. */
function answering(err: unknown) {
  const logs = captureLogs();
  const handler = (req: Parameters<typeof answerError>[1], res: Parameters<typeof answerError>[2]) => answerError(err, req, res, logs.logger, 1024);
  return { handler, logs };
}

describe('answerError: the body reader\'s errors are the client\'s (4xx, nothing logged as unexpected); anything else is 500', () => {
  test.each([
    ['request.aborted', 400, 'incomplete'],
    ['entity.parse.failed', 400, 'structure'],
    ['entity.too.large', 413, 'too-long'],
    ['charset.unsupported', 415, 'not-supported'],
    ['encoding.unsupported', 415, 'not-supported'],
  ])('%s → %i %s', async (type, status, code) => {
    const { handler, logs } = answering(Object.assign(new Error(type), { type }));
    const res = await request(handler).post('/cds-services/x');
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code }] });
    expect(logs.text()).not.toContain('unexpected error');
  });

  test('only a status of 400 from the body reader is the client\'s; another status on an error of no known type (a FHIR read\'s 404, a 503) is unexpected: 500, logged', async () => {
    const unreadable = answering(Object.assign(new Error('incorrect header check'), { status: 400, type: 'some.other' }));
    expect((await request(unreadable.handler).post('/cds-services/x')).status).toBe(400);
    for (const status of [404, 503]) {
      const { handler, logs } = answering(Object.assign(new Error('not found on the FHIR server'), { status }));
      expect((await request(handler).post('/cds-services/x')).status).toBe(500);
      expect(logs.text()).toContain('unexpected error');
    }
  });

  test('an unexpected error → 500 without details, logged once at error level without the request data', async () => {
    const { handler, logs } = answering(new Error('boom at /secret/path'));
    const res = await request(handler).post('/cds-services/x?patient=123');
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain('boom');
    expect(logs.lines()).toHaveLength(1);
    expect(logs.lines()[0]).toMatchObject({ level: 50, msg: 'unexpected error', path: '/cds-services/x' });
    expect(logs.text()).not.toContain('patient=123');
  });
});

describe('answerError: no error answer is kept by a cache (it may quote what the request sent)', () => {
  test.each([
    ['400', new HttpError(400, 'invalid', 'Invalid request: hook')],
    ['401 (empty body)', unauthorized()],
    ['403', new HttpError(403, 'forbidden', 'not this service')],
    ['404', new HttpError(404, 'not-found', 'Unknown CDS service')],
    ['412', new RequiredDataUnavailable([{ key: 'conditions', description: 'the Conditions', why: 'no fhirServer' }])],
    ['503', new HttpError(503, 'transient', 'busy')],
    ['500', new Error('boom')],
  ])('%s → Cache-Control: no-store', async (_name, err) => {
    const res = await request(answering(err).handler).post('/cds-services/x');
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('error answers of the hook and feedback routes, through the app: Cache-Control: no-store', () => {
  const URL = '/cds-services/nkr-pain-patient-view';
  const missing = { hook: 'patient-view', hookInstance: 'x', context: { patientId: 'p1', userId: 'Practitioner/u1' } };

  test('400, 404, 405, 412, 413, 415 (hook call) and 400 (feedback)', async () => {
    const { app } = buildTestApp({ env: { BODY_LIMIT: '1kb' } });
    const answers: Array<[number, request.Response]> = [
      [400, await request(app).post(URL).send({ ...missing, hook: 'Mette-Hansen-010170-1234' })],
      [404, await request(app).post('/cds-services/unknown').send({})],
      [405, await request(app).get(URL)],
      [412, await request(app).post(URL).send(missing)],
      [413, await request(app).post(URL).send({ ...missing, pad: 'x'.repeat(2000) })],
      [415, await request(app).post(URL).set('Content-Type', 'text/plain').send('hi')],
      [400, await request(app).post(`${URL}/feedback`).send({ feedback: [] })],
    ];
    for (const [status, res] of answers) expect({ status: res.status, cacheControl: res.headers['cache-control'] }).toEqual({ status, cacheControl: 'no-store' });
  });

  test('401 with caller verification on', async () => {
    const env = { AUTH: 'on', PUBLIC_BASE_URL: 'http://localhost:8082' };
    const verifier = await createAuthVerifier(testConfig(env), silentLogger(), { now: () => FIXED_NOW });
    const { app } = buildTestApp({ env, verifier });
    for (const path of [URL, `${URL}/feedback`]) {
      const res = await request(app).post(path).send(patientViewRequest('gsb-workup-missing'));
      expect({ status: res.status, cacheControl: res.headers['cache-control'] }).toEqual({ status: 401, cacheControl: 'no-store' });
    }
  });
});

describe('the request log line says why a call was refused: every 4xx, and a 503 (the EHR retries it)', () => {
  afterAll(closeAll);
  test('a feedback the store cannot keep → 503, its reason on the request line', async () => {
    const store = await freshStore('sqlite');
    const logs = captureLogs('info');
    const { app } = buildTestApp({ store, logger: logs.logger });
    await store.close();
    const item = { card: '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b', outcome: 'overridden', outcomeTimestamp: new Date(FIXED_NOW).toISOString() };
    expect((await request(app).post('/cds-services/nkr-pain-patient-view/feedback').send({ feedback: [item] })).status).toBe(503);
    await new Promise((r) => setImmediate(r));
    const line = logs.lines<Record<string, any>>().find((l) => l.msg === 'request failed');
    expect(line?.reason).toContain('could not be stored now');
  });
});
