import { readdirSync } from 'node:fs';
import { decodeJwt } from 'jose';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { PREVIEW_CSP } from '../../src/preview/previewRoutes.js';
import { projectPath } from '../../src/projectRoot.js';
import { createAuthVerifier, createDemoIssuer, DEMO_ISSUER, type AuthVerifier, type DemoIssuer } from '../../src/transport/auth/index.js';
import { buildTestApp, patientViewRequest } from '../support/testApp.js';

const BASE = 'http://localhost:3000';
const SERVICE = '/cds-services/nkr-pain-patient-view';
const logger = silentLogger();

async function previewApp(options: { env?: Record<string, string>; demoIssuer?: DemoIssuer | null; trustDemo?: boolean } = {}) {
  const config = loadConfig({ NODE_ENV: 'development', PUBLIC_BASE_URL: BASE, ...options.env });
  const demoIssuer = options.demoIssuer === undefined ? createDemoIssuer() : options.demoIssuer;
  const refusals: Record<string, unknown>[] = [];
  let verifier: AuthVerifier | null = null;
  if (config.auth.required) {
    const trust = options.trustDemo !== false && demoIssuer !== null;
    verifier = await createAuthVerifier(config, logger, {
      ...(trust ? { extraIssuers: [demoIssuer.trusted] } : {}),
      onRefusal: (facts) => {
        refusals.push(facts);
        demoIssuer?.recordRefusal(facts);
      },
    });
  }
  const { app } = buildTestApp({ env: { NODE_ENV: 'development', PUBLIC_BASE_URL: BASE, AUTH: config.auth.required ? 'on' : 'off', ...options.env }, logger, ...(verifier ? { verifier } : {}), ...(demoIssuer ? { demoIssuer } : {}), clock: Date.now });
  return { app, config, demoIssuer, refusals };
}

describe('GET / and its files', () => {
  test('the page is HTML under a strict Content-Security-Policy, with no inline script or style', async () => {
    const { app } = await previewApp();
    const res = await request(app).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toBe(PREVIEW_CSP);
    expect(PREVIEW_CSP).not.toMatch(/unsafe|\*|data:|https?:/);
    expect(PREVIEW_CSP).toContain("script-src 'self'");
    // every <script> loads a file; no style attributes, no <style> blocks, no event-handler attributes
    for (const tag of res.text.match(/<script[^>]*>/g) ?? []) expect(tag).toMatch(/\ssrc="\/preview\/assets\/[a-z]+\.js"/);
    expect(res.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(res.text).toContain('<h1>');
    expect(res.text).toContain('lang="en"');
  });

  test.each([
    ['preview.js', /^text\/javascript/],
    ['markdown.js', /^text\/javascript/],
    ['preview.css', /^text\/css/],
  ])('serves %s with its type and the same CSP', async (file, type) => {
    const { app } = await previewApp();
    const res = await request(app).get(`/preview/assets/${file}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(type);
    expect(res.headers['content-security-policy']).toBe(PREVIEW_CSP);
  });

  test('every file in src/preview/assets is either served or the page itself', () => {
    expect(readdirSync(projectPath('src', 'preview', 'assets')).sort()).toEqual(['index.html', 'markdown.js', 'preview.css', 'preview.js']);
  });

  test('no other file is served: unknown names and path tricks are 404', async () => {
    const { app } = await previewApp();
    for (const path of ['/preview/assets/index.html', '/preview/assets/..%2Fpreview.ts', '/preview/assets/%2e%2e%2f%2e%2e%2fpackage.json', '/preview/assets/x.js']) {
      expect([path, (await request(app).get(path)).status]).toEqual([path, 404]);
    }
  });

  test('an unknown asset\'s 404 quotes no caller text (its reason goes to the log line; README: a 404 quotes neither path nor id); a known one is served', async () => {
    const { app } = await previewApp();
    const res = await request(app).get('/preview/assets/0101801234');
    expect(res.status).toBe(404);
    expect(res.text).toContain('OperationOutcome');
    expect(res.text).not.toContain('0101801234');
    expect((await request(app).get('/preview/assets/preview.js')).status).toBe(200);
  });

  test('the scripts use no eval, no innerHTML and no CDN', async () => {
    const { app } = await previewApp();
    for (const file of ['preview.js', 'markdown.js']) {
      const text = (await request(app).get(`/preview/assets/${file}`)).text;
      expect(text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
      expect(text).not.toMatch(/https?:\/\/(?!cds-hooks\.hl7\.org)[a-z]/i);
    }
  });
});

describe('on and off', () => {
  const production = { NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.example.org', AUTH: 'off' };

  test('off in production by default: GET / is 404 and the API is not there', async () => {
    const { app } = await previewApp({ env: production, demoIssuer: null });
    expect((await request(app).get('/')).status).toBe(404);
    expect((await request(app).get('/preview/api/scenarios')).status).toBe(404);
    expect((await request(app).post('/preview/api/token').send({ path: SERVICE })).status).toBe(404);
  });

  test('PREVIEW_PAGE=on in production shows the page, but there is no demo issuer', async () => {
    const { app } = await previewApp({ env: { ...production, PREVIEW_PAGE: 'on' }, demoIssuer: null });
    expect((await request(app).get('/')).status).toBe(200);
    const info = await request(app).get('/preview/api/scenarios');
    expect(info.body).toMatchObject({ demoIssuer: false, auth: 'off' });
    const token = await request(app).post('/preview/api/token').send({ path: SERVICE });
    expect(token.status).toBe(404);
    expect(JSON.stringify(token.body)).toContain('NODE_ENV=development');
  });

  test('PREVIEW_PAGE=off in development removes the page', async () => {
    const { app } = await previewApp({ env: { PREVIEW_PAGE: 'off' } });
    expect((await request(app).get('/')).status).toBe(404);
  });
});

describe('scenarios API', () => {
  test('lists every scenario with a request body that names the configured FHIR server', async () => {
    const { app } = await previewApp({ env: { PREVIEW_FHIR_SERVER: 'http://127.0.0.1:8081/fhir' } });
    const res = await request(app).get('/preview/api/scenarios');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ publicBaseUrl: BASE, fhirServer: 'http://127.0.0.1:8081/fhir', auth: 'on', demoIssuer: true });
    const scenarios = res.body.scenarios as { name: string; request: { fhirServer?: string; hook: string } }[];
    expect(scenarios.length).toBeGreaterThanOrEqual(10);
    for (const s of scenarios) expect(s.request.fhirServer).toBe('http://127.0.0.1:8081/fhir');
  });

  test('another site cannot read it from the browser (Sec-Fetch-Site)', async () => {
    const { app } = await previewApp();
    expect((await request(app).get('/preview/api/scenarios').set('Sec-Fetch-Site', 'cross-site')).status).toBe(403);
    expect((await request(app).get('/preview/api/scenarios').set('Sec-Fetch-Site', 'same-origin')).status).toBe(200);
  });
});

describe('demo tokens', () => {
  test('a path that is not valid percent-encoding ("%", a lone surrogate) → 400 saying so, not a word about a body', async () => {
    const { app } = await previewApp();
    for (const path of ['/preview/assets/%', '/preview/assets/%ED%A0%80']) {
      const res = await request(app).get(path);
      expect([path, res.status, JSON.stringify(res.body)]).toEqual([path, 400, expect.stringContaining('The request path is not valid percent-encoded UTF-8')]);
    }
  });
  test('a token request over the route\'s own 2 KB limit → 413 naming that limit, not BODY_LIMIT', async () => {
    const { app } = await previewApp();
    const res = await request(app).post('/preview/api/token').set('Sec-Fetch-Site', 'same-origin').send({ path: SERVICE, padding: 'x'.repeat(3000) });
    expect(res.status).toBe(413);
    expect(JSON.stringify(res.body)).toContain('larger than the limit of 2048 bytes');
  });

  test('a token for PUBLIC_BASE_URL + path: ES384, short-lived, from the demo issuer; the service accepts it', async () => {
    const { app } = await previewApp();
    const res = await request(app).post('/preview/api/token').set('Sec-Fetch-Site', 'same-origin').send({ path: SERVICE });
    expect(res.status).toBe(200);
    const claims = decodeJwt(res.body.token as string);
    expect(claims).toMatchObject({ iss: DEMO_ISSUER, aud: BASE + SERVICE });
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(60);
    const call = await request(app).post(SERVICE).set('Authorization', `Bearer ${res.body.token as string}`).send(patientViewRequest('gsb-workup-missing'));
    expect(call.status).toBe(200);
  });

  test('a token for the page address (as the sandbox builds aud) → 401, and the page can read why', async () => {
    const { app } = await previewApp();
    const token = await request(app).post('/preview/api/token').set('Host', '127.0.0.1:3000').send({ path: SERVICE, audience: 'page' });
    expect(decodeJwt(token.body.token as string).aud).toBe(`http://127.0.0.1:3000${SERVICE}`);
    const call = await request(app).post(SERVICE).set('Authorization', `Bearer ${token.body.token as string}`).send(patientViewRequest('gsb-workup-missing'));
    expect(call.status).toBe(401);
    expect(call.text).toBe('');
    const why = await request(app).get(`/preview/api/refusals/${token.body.jti as string}`);
    expect(why.status).toBe(200);
    expect(why.body).toEqual({ check: 'aud', expected: BASE + SERVICE, received: `http://127.0.0.1:3000${SERVICE}` });
  });

  test('refusals of other callers are not shown: only the demo issuer’s own tokens', async () => {
    const { app, demoIssuer, refusals } = await previewApp();
    const call = await request(app).post(SERVICE).set('Authorization', 'Bearer not.a.jwt').send(patientViewRequest('gsb-workup-missing'));
    expect(call.status).toBe(401);
    expect(refusals.length).toBe(1);
    demoIssuer?.recordRefusal({ ...refusals[0], iss: DEMO_ISSUER, jti: 'forged-jti', check: 'aud' });
    expect((await request(app).get('/preview/api/refusals/forged-jti')).status).toBe(404);
  });

  test('only endpoint paths get a token', async () => {
    const { app } = await previewApp();
    for (const path of ['/', '/preview/api/token', 'http://evil.example/cds-services', '/cds-services/../x', undefined]) {
      expect((await request(app).post('/preview/api/token').send({ path })).status).toBe(400);
    }
    for (const path of ['/cds-services', SERVICE, `${SERVICE}/feedback`]) {
      expect((await request(app).post('/preview/api/token').send({ path })).status).toBe(200);
    }
  });

  test('the demo issuer is trusted only when it is added to the verifier: otherwise its token → 401 (iss)', async () => {
    const { app, demoIssuer, refusals } = await previewApp({ trustDemo: false });
    const { token } = await (demoIssuer as DemoIssuer).sign(BASE + SERVICE);
    const call = await request(app).post(SERVICE).set('Authorization', `Bearer ${token}`).send(patientViewRequest('gsb-workup-missing'));
    expect(call.status).toBe(401);
    expect(refusals[0]).toMatchObject({ check: 'iss', reason: 'not a trusted issuer' });
  });

  test('every key pair is new: a token of one start is refused by the next', async () => {
    const first = createDemoIssuer();
    const { app } = await previewApp();
    const { token } = await first.sign(BASE + SERVICE);
    const call = await request(app).post(SERVICE).set('Authorization', `Bearer ${token}`).send(patientViewRequest('gsb-workup-missing'));
    expect(call.status).toBe(401);
  });
});
