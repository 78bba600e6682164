import request from 'supertest';
import type { App } from '../../src/app.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createAuthVerifier } from '../../src/transport/auth/index.js';
import { buildTestApp, FIXED_NOW, patientViewRequest, readJson, sandboxPath, testConfig } from '../support/testApp.js';

interface Capture {
  method: string;
  url: string;
  headers: Record<string, string>;
}

const capture = (name: string): Capture => readJson<Capture>(sandboxPath(name));

/** The sandbox's service ids → ours (the recording service used other names). */
const OUR_PATH: Record<string, string> = {
  '/cds-services': '/cds-services',
  '/cds-services/fm-screening': '/cds-services/nkr-pain-patient-view',
  '/cds-services/fm-meds/feedback': '/cds-services/nkr-pain-patient-view/feedback',
};

const splitList = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');

async function preflight(app: App, c: Capture): Promise<request.Response> {
  const path = OUR_PATH[c.url];
  if (!path) throw new Error(`no mapping for ${c.url}`);
  let r = request(app).options(path);
  for (const [k, v] of Object.entries(c.headers)) r = r.set(k, v);
  return r;
}

/** A browser's preflight of a patient-view POST from the sandbox's origin, asking for `requestHeaders`. */
function patientViewPreflight(app: App, requestHeaders: string): request.Test {
  return request(app)
    .options('/cds-services/nkr-pain-patient-view')
    .set('Origin', 'https://sandbox.cds-hooks.org')
    .set('Access-Control-Request-Method', 'POST')
    .set('Access-Control-Request-Headers', requestHeaders);
}

describe('S4: preflights exactly as the sandbox sends them', () => {
  test.each(['01-OPTIONS-cds-services.json', '03-OPTIONS-cds-services_fm-screening.json', '10-OPTIONS-cds-services_fm-meds_feedback.json'])(
    '%s → 204 with the CORS headers the browser needs',
    async (name) => {
      const c = capture(name);
      expect(c.method).toBe('OPTIONS');
      const { app } = buildTestApp();
      const res = await preflight(app, c);
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      const methods = splitList(res.headers['access-control-allow-methods']);
      expect(methods).toEqual(expect.arrayContaining(['get', 'post']));
      expect(methods).toContain(c.headers['access-control-request-method']!.toLowerCase());
      const allowed = splitList(res.headers['access-control-allow-headers']);
      expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type']));
      for (const h of splitList(c.headers['access-control-request-headers'])) expect(allowed).toContain(h);
      expect(res.text).toBe('');
    },
  );

  test('Accept-Language is allowed: a browser asks for it in the preflight when its value is not CORS-safelisted', async () => {
    const { app } = buildTestApp();
    const res = await patientViewPreflight(app, 'accept-language,content-type');
    expect(res.status).toBe(204);
    expect(splitList(res.headers['access-control-allow-headers'])).toEqual(expect.arrayContaining(['accept-language', 'content-type']));
  });

  test('the preflight is answered even with caller verification on (browsers never send a JWT on OPTIONS)', async () => {
    const env = { AUTH: 'on', PUBLIC_BASE_URL: 'http://localhost:8082' };
    const verifier = await createAuthVerifier(testConfig(env), silentLogger(), { now: () => FIXED_NOW });
    const { app } = buildTestApp({ env, verifier });
    for (const name of ['01-OPTIONS-cds-services.json', '03-OPTIONS-cds-services_fm-screening.json', '10-OPTIONS-cds-services_fm-meds_feedback.json']) {
      const res = await preflight(app, capture(name));
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('*');
    }
  });
});

describe('S4: CORS headers on error responses too', () => {
  const ORIGIN = 'http://localhost:8080';
  const URL = '/cds-services/nkr-pain-patient-view';

  async function expectCors(res: request.Response, status: number): Promise<void> {
    expect(res.status).toBe(status);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  }

  test('200 discovery and 200 service call', async () => {
    const { app } = buildTestApp();
    await expectCors(await request(app).get('/cds-services').set('Origin', ORIGIN), 200);
    await expectCors(await request(app).post(URL).set('Origin', ORIGIN).send(patientViewRequest('gsb-workup-missing')), 200);
  });

  test('400 (bad body), 404 (unknown service), 412 (data unavailable), 413, 415', async () => {
    const { app } = buildTestApp({ env: { BODY_LIMIT: '1kb' } });
    await expectCors(await request(app).post(URL).set('Origin', ORIGIN).set('Content-Type', 'application/json').send('{'), 400);
    await expectCors(await request(app).post('/cds-services/unknown').set('Origin', ORIGIN).send({}), 404);
    const missing = { hook: 'patient-view', hookInstance: 'x', context: { patientId: 'p1', userId: 'Practitioner/u1' } };
    await expectCors(await request(app).post(URL).set('Origin', ORIGIN).send(missing), 412);
    await expectCors(await request(app).post(URL).set('Origin', ORIGIN).send({ ...missing, pad: 'x'.repeat(2000) }), 413);
    await expectCors(await request(app).post(URL).set('Origin', ORIGIN).set('Content-Type', 'text/plain').send('hi'), 415);
  });

  test('a browser client may read Retry-After (a 503) and X-Request-Id (to find the log line) of any answer', async () => {
    const { app } = buildTestApp();
    for (const res of [await request(app).post(URL).set('Origin', ORIGIN).send(patientViewRequest('gsb-workup-missing')), await request(app).post('/cds-services/unknown').set('Origin', ORIGIN).send({})]) {
      expect(splitList(res.headers['access-control-expose-headers'])).toEqual(expect.arrayContaining(['retry-after', 'x-request-id']));
    }
  });

  test('401 with caller verification on', async () => {
    const env = { AUTH: 'on', PUBLIC_BASE_URL: 'http://localhost:8082' };
    const verifier = await createAuthVerifier(testConfig(env), silentLogger(), { now: () => FIXED_NOW });
    const { app } = buildTestApp({ env, verifier });
    await expectCors(await request(app).post(URL).set('Origin', ORIGIN).send(patientViewRequest('gsb-workup-missing')), 401);
    await expectCors(await request(app).post(`${URL}/feedback`).set('Origin', ORIGIN).send({ feedback: [] }), 401);
  });
});

describe('S4: CORS_ORIGINS allow-list', () => {
  const env = { CORS_ORIGINS: 'https://sandbox.cds-hooks.org' };

  test('an allowed origin is echoed, with Vary: Origin', async () => {
    const { app } = buildTestApp({ env });
    const res = await request(app).get('/cds-services').set('Origin', 'https://sandbox.cds-hooks.org');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://sandbox.cds-hooks.org');
    expect(splitList(res.headers.vary)).toContain('origin');
    const pre = await patientViewPreflight(app, 'authorization,content-type');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://sandbox.cds-hooks.org');
  });

  test('another origin gets no Access-Control-Allow-Origin (the browser then blocks it)', async () => {
    const { app } = buildTestApp({ env });
    for (const origin of ['https://evil.example.org', 'http://sandbox.cds-hooks.org', 'https://sandbox.cds-hooks.org.evil.example']) {
      const res = await request(app).get('/cds-services').set('Origin', origin);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const pre = await request(app).options('/cds-services/nkr-pain-patient-view').set('Origin', origin).set('Access-Control-Request-Method', 'POST');
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    }
  });
});
