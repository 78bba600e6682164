import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import request from 'supertest';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { captureLogs } from '../support/captureLogs.js';
import { createAuthVerifier } from '../../src/transport/auth/index.js';
import { OVERRIDE_REASON_SYSTEM } from '../../src/model/overrideReasons.js';
import { buildTestApp, FIXED_NOW, patientViewRequest, readJson, sandboxPath, testConfig, type TestApp } from '../support/testApp.js';

const BASE = 'http://localhost:8082';
const SERVICE = '/cds-services/nkr-pain-patient-view';
const FEEDBACK = `${SERVICE}/feedback`;
const NOW_S = Math.floor(FIXED_NOW / 1000);

const sandboxKey = createPrivateKey(readFileSync(sandboxPath('sandbox-signing-key.pem'), 'utf8'));

/** A JWT exactly as the CDS Hooks sandbox signs it (fixtures/sandbox/README.md). */
function sandboxJwt(aud: string, payload: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ iss: 'https://sandbox.cds-hooks.org', aud, iat: NOW_S, exp: NOW_S + 300, jti: randomUUID(), ...payload })
    .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid: '44823f3d-0b01-4a6c-a80e-b9d3e8a7226f', jku: 'https://sandbox.cds-hooks.org/.well-known/jwks.json' })
    .sign(sandboxKey);
}

/** The app with caller verification on, trusting the development issuers (the sandbox), on a fixed clock. */
async function authApp(logger?: Logger, extraEnv: Record<string, string> = {}): Promise<TestApp> {
  const env = { AUTH: 'on', PUBLIC_BASE_URL: BASE, ...extraEnv };
  const config = testConfig(env);
  const verifier = await createAuthVerifier(config, logger ?? createLogger({ level: 'silent' }), { now: () => FIXED_NOW });
  expect(verifier).not.toBeNull();
  return buildTestApp({ env, verifier, ...(logger ? { logger } : {}) });
}

const feedbackBody = () => readJson<{ body: object }>(sandboxPath('11-POST-cds-services_fm-meds_feedback.json')).body;

describe('caller verification wired into the app (AUTH=on)', () => {
  test('a service call without Authorization → 401 with an empty body, naming the Bearer scheme (RFC 6750)', async () => {
    const { app } = await authApp();
    const res = await request(app).post(SERVICE).send(patientViewRequest('gsb-workup-missing'));
    expect(res.status).toBe(401);
    expect(res.text).toBe('');
    expect(res.headers['content-length'] ?? '0').toBe('0');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  test('a valid sandbox token for this URL → 200 with cards', async () => {
    const { app } = await authApp();
    const res = await request(app)
      .post(SERVICE)
      .set('Authorization', `Bearer ${await sandboxJwt(BASE + SERVICE)}`)
      .send(patientViewRequest('gsb-workup-missing'));
    expect(res.status).toBe(200);
    expect(res.body.cards.length).toBeGreaterThan(0);
  });

  test.each([
    ['the discovery URL', `${BASE}/cds-services`],
    ['another host (127.0.0.1 is not localhost)', `http://127.0.0.1:8082${SERVICE}`],
    ['the feedback URL', BASE + FEEDBACK],
    ['another service', `${BASE}/cds-services/other`],
  ])('a token for the wrong aud (%s) → 401, empty body', async (_name, aud) => {
    const { app } = await authApp();
    const res = await request(app).post(SERVICE).set('Authorization', `Bearer ${await sandboxJwt(aud)}`).send(patientViewRequest('gsb-workup-missing'));
    expect(res.status).toBe(401);
    expect(res.text).toBe('');
  });

  test('an expired token, and a token that is not a JWT → 401', async () => {
    const { app } = await authApp();
    const expired = await sandboxJwt(BASE + SERVICE, { iat: NOW_S - 1000, exp: NOW_S - 700 });
    expect((await request(app).post(SERVICE).set('Authorization', `Bearer ${expired}`).send(patientViewRequest('gsb-workup-missing'))).status).toBe(401);
    expect((await request(app).post(SERVICE).set('Authorization', 'Bearer abc').send(patientViewRequest('gsb-workup-missing'))).status).toBe(401);
    expect((await request(app).post(SERVICE).set('Authorization', 'Basic dXNlcjpwYXNz').send(patientViewRequest('gsb-workup-missing'))).status).toBe(401);
  });

  test('the same valid token twice → the second is a replay → 401', async () => {
    const { app } = await authApp();
    const token = await sandboxJwt(BASE + SERVICE);
    const first = await request(app).post(SERVICE).set('Authorization', `Bearer ${token}`).send(patientViewRequest('gsb-workup-missing'));
    expect(first.status).toBe(200);
    const second = await request(app).post(SERVICE).set('Authorization', `Bearer ${token}`).send(patientViewRequest('gsb-workup-missing'));
    expect(second.status).toBe(401);
    expect(second.text).toBe('');
  });

  test('feedback needs a token too, with aud = the feedback URL', async () => {
    const { app, feedback } = await authApp();
    expect((await request(app).post(FEEDBACK).send(feedbackBody())).status).toBe(401);
    expect((await request(app).post(FEEDBACK).set('Authorization', `Bearer ${await sandboxJwt(BASE + SERVICE)}`).send(feedbackBody())).status).toBe(401);
    expect(feedback.all()).toEqual([]);
    const ok = await request(app).post(FEEDBACK).set('Authorization', `Bearer ${await sandboxJwt(BASE + FEEDBACK)}`).send(feedbackBody());
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('{}');
    expect(feedback.all()).toHaveLength(1);
  });

  test('feedback acts only for the caller the card went to: another tenant\'s answer is stored but quiets nothing; the card\'s own caller\'s does', async () => {
    const { app, feedback } = await authApp();
    const asTenant = async (tenant: string) => {
      const res = await request(app).post(SERVICE).set('Authorization', `Bearer ${await sandboxJwt(BASE + SERVICE, { tenant })}`).send(patientViewRequest('gsb-workup-missing'));
      expect(res.status).toBe(200);
      return res.body.cards as Array<{ uuid: string; source: { topic: { code: string } } }>;
    };
    const answer = async (tenant: string, card: string) => {
      const item = { card, outcome: 'overridden', outcomeTimestamp: new Date(FIXED_NOW).toISOString(), overrideReason: { reason: { system: OVERRIDE_REASON_SYSTEM, code: 'already-addressed' } } };
      const res = await request(app).post(FEEDBACK).set('Authorization', `Bearer ${await sandboxJwt(BASE + FEEDBACK, { tenant })}`).send({ feedback: [item] });
      expect(res.status).toBe(200);
    };
    const screening = (cards: Array<{ uuid: string; source: { topic: { code: string } } }>) => cards.find((c) => c.source.topic.code === 'screening-incomplete');
    const card = screening(await asTenant('hospital-a'));
    expect(card).toBeDefined();
    // Hospital B's EHR (trusted for the same service) answers hospital A's card by its uuid: stored, no effect.
    await answer('hospital-b', card!.uuid);
    expect(feedback.all()).toHaveLength(1);
    expect(screening(await asTenant('hospital-a'))).toBeDefined();
    // Hospital A's own answer, the same words: stored too (another caller's answer is another answer), and it quiets the card.
    await answer('hospital-a', card!.uuid);
    expect(feedback.all()).toHaveLength(2);
    expect(screening(await asTenant('hospital-a'))).toBeUndefined();
  });

  test('discovery does not need a token', async () => {
    const { app } = await authApp();
    const res = await request(app).get('/cds-services');
    expect(res.status).toBe(200);
    expect(res.body.services.length).toBeGreaterThan(0);
  });

  test('authentication runs before the body is read: an unauthenticated oversized or malformed body → 401, not 413/400/415', async () => {
    const { app } = await authApp(undefined, { BODY_LIMIT: '2kb' });
    const big = { ...patientViewRequest('gsb-workup-missing'), pad: 'x'.repeat(8 * 1024) };
    expect((await request(app).post(SERVICE).send(big)).status).toBe(401);
    expect((await request(app).post(SERVICE).set('Content-Type', 'application/json').send('{')).status).toBe(401);
    expect((await request(app).post(SERVICE).set('Content-Type', 'text/plain').send('hello')).status).toBe(401);
  });

  test('the log never contains the token (neither on success nor on refusal), but says which check failed', async () => {
    const logs = captureLogs();
    const { app } = await authApp(logs.logger);
    const good = await sandboxJwt(BASE + SERVICE);
    const wrongAud = await sandboxJwt(`${BASE}/cds-services`);
    const fb = await sandboxJwt(BASE + FEEDBACK);
    expect((await request(app).post(SERVICE).set('Authorization', `Bearer ${good}`).send(patientViewRequest('gsb-workup-missing'))).status).toBe(200);
    expect((await request(app).post(SERVICE).set('Authorization', `Bearer ${good}`).send(patientViewRequest('gsb-workup-missing'))).status).toBe(401);
    expect((await request(app).post(SERVICE).set('Authorization', `Bearer ${wrongAud}`).send(patientViewRequest('gsb-workup-missing'))).status).toBe(401);
    expect((await request(app).post(FEEDBACK).set('Authorization', `Bearer ${fb}`).send(feedbackBody())).status).toBe(200);
    const text = logs.text();
    expect(text).not.toBe('');
    for (const token of [good, wrongAud, fb]) {
      const [header, payload, signature] = token.split('.') as [string, string, string];
      expect(text).not.toContain(token);
      expect(text).not.toContain(signature);
      expect(text).not.toContain(payload);
      expect(text).not.toContain(`${header}.`);
    }
    expect(text).not.toMatch(/Bearer\s+ey/);
    const lines = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const failures = lines.filter((l) => l.msg === 'caller verification failed').map((l) => l.check);
    expect(failures).toEqual(['jti', 'aud']);
    // Patient data stays out too: the request's patient id and the prefetched names are not logged.
    expect(text).not.toContain('gsb-workup-missing');
  });
});
