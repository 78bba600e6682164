import { createPrivateKey, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { SignJWT, type JWTHeaderParameters } from 'jose';
import nock from 'nock';
import request from 'supertest';
import type { App } from '../../src/app.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createAuthVerifier } from '../../src/transport/auth/index.js';
import { buildTestApp, cardOfKind, expectValidResponse, FIXED_NOW, readJson, sandboxPath, testConfig, type TestApp } from '../support/testApp.js';

/**
 * Replays the requests the CDS Hooks sandbox really sent (fixtures/sandbox/) against this service,
 * with caller verification on and fresh JWTs signed the way the sandbox signs them.
 */

interface Capture {
  method: string;
  url: string;
  headers: Record<string, string>;
  jwt: { ok: boolean; header: JWTHeaderParameters; payload: { iss: string; aud: string; exp: number; iat: number; jti: string } };
  body: Record<string, any>;
}

const DIR = sandboxPath();
const POST_FILES = readdirSync(DIR)
  .filter((f) => /^\d+-POST-.*\.json$/.test(f))
  .sort();
const captures = new Map(POST_FILES.map((f) => [f.slice(0, 2), readJson<Capture>(`${DIR}/${f}`)] as const));
const capture = (n: string): Capture => {
  const c = captures.get(n);
  if (!c) throw new Error(`capture ${n} not found`);
  return c;
};

/** The base URL the sandbox called (its JWT aud starts with it); our PUBLIC_BASE_URL in these tests. */
const BASE = 'http://localhost:8082';
const PATIENT_VIEW = '/cds-services/nkr-pain-patient-view';
const FHIR_ORIGIN = 'http://localhost:8081';
const NOW_S = Math.floor(FIXED_NOW / 1000);
const sandboxKey = createPrivateKey(readFileSync(sandboxPath('sandbox-signing-key.pem'), 'utf8'));

/** A fresh token with the captured header and the captured payload's shape: new aud, iat, exp, jti. */
function tokenLike(c: Capture, aud: string): Promise<string> {
  return new SignJWT({ iss: c.jwt.payload.iss, aud, iat: NOW_S, exp: NOW_S + 300, jti: randomUUID() }).setProtectedHeader(c.jwt.header).sign(sandboxKey);
}

async function authApp(): Promise<TestApp> {
  // Generous FHIR timeouts: these tests replay captures; the deadline has its own tests (test/hardening/fhirDeadline.test.ts),
  // and a loaded CI machine must not turn a nock answer into a 412.
  const env = { AUTH: 'on', PUBLIC_BASE_URL: BASE, FHIR_QUERY_TIMEOUT_MS: '5000', FHIR_REQUEST_DEADLINE_MS: '10000' };
  const verifier = await createAuthVerifier(testConfig(env), silentLogger(), { now: () => FIXED_NOW });
  expect(verifier).not.toBeNull();
  return buildTestApp({ env, verifier });
}

/** POSTs a capture's body to `path` with its headers and a fresh sandbox JWT for that URL. */
async function replay(app: App, c: Capture, path: string): Promise<request.Response> {
  let r = request(app).post(path);
  for (const [k, v] of Object.entries(c.headers)) r = r.set(k, v);
  return r.set('Authorization', `Bearer ${await tokenLike(c, BASE + path)}`).send(c.body);
}

const searchset = (resources: object[]) => ({ resourceType: 'Bundle', type: 'searchset', total: resources.length, entry: resources.map((resource) => ({ resource })) });

const fibromyalgia = {
  resourceType: 'Condition',
  id: 'c-fm',
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
  verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
  code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005', display: 'Fibromyalgia' }], text: 'Fibromyalgia' },
  subject: { reference: 'Patient/p1' },
  onsetDateTime: '2026-10-01',
};

beforeAll(() => {
  nock.disableNetConnect();
  // supertest's own server listens on 127.0.0.1; the sandbox's FHIR server (localhost:8081) is nock's alone.
  nock.enableNetConnect((host: string) => /^127\.0\.0\.1:\d+$/.test(host));
});
afterEach(() => {
  nock.abortPendingRequests();
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

const ORDER_SELECT = '/cds-services/nkr-pain-order-select';
const ORDER_SIGN = '/cds-services/nkr-pain-order-sign';

/** A renamed or missing service fails here (and in every replay below, with a 404), never skips. */
test('discovery announces every service the captures are replayed against', async () => {
  const { app } = buildTestApp();
  const res = await request(app).get('/cds-services');
  expect(res.status).toBe(200);
  const ids = (res.body as { services: Array<{ id: string; hook: string }> }).services.map((s) => `${s.hook} ${s.id}`);
  expect(ids).toEqual(expect.arrayContaining(['patient-view nkr-pain-patient-view', 'order-select nkr-pain-order-select', 'order-sign nkr-pain-order-sign']));
});

describe('the captures themselves', () => {
  test('every sandbox POST is here and carried a sandbox JWT whose aud matched the URL', () => {
    expect(POST_FILES.map((f) => f.slice(0, 2))).toEqual(['04', '08', '09', '11', '13', '17', '19', '21', '23']);
    for (const c of captures.values()) {
      expect(c.method).toBe('POST');
      expect(c.headers['content-type']).toBe('application/json');
      expect(c.jwt.ok).toBe(true);
      expect(c.jwt.header).toEqual({ alg: 'ES384', typ: 'JWT', kid: '44823f3d-0b01-4a6c-a80e-b9d3e8a7226f', jku: 'https://sandbox.cds-hooks.org/.well-known/jwks.json' });
      expect(c.jwt.payload.aud).toBe(`${BASE}${c.url}`);
      expect(c.jwt.payload.exp - c.jwt.payload.iat).toBe(300);
    }
  });
});

describe('04: patient-view (fm-screening) → nkr-pain-patient-view, auth on', () => {
  const c = capture('04');

  test('the capture lacks conditions/medications/serviceRequests and names an open loopback fhirServer', () => {
    expect(c.body.hook).toBe('patient-view');
    expect(c.body.fhirServer).toBe(`${FHIR_ORIGIN}/fhir`);
    expect(c.body.fhirAuthorization).toBeUndefined();
    expect(Object.keys(c.body.prefetch).sort()).toEqual(['labs', 'patient']);
    // Its one lab result, a TSH, has no effective date.
    const tsh = c.body.prefetch.labs.entry[0].resource;
    expect(tsh.code.coding[0].code).toBe('3016-3');
    expect(tsh.effectiveDateTime ?? tsh.effectivePeriod ?? tsh.effectiveInstant ?? tsh.issued).toBeUndefined();
  });

  test('(a) missing keys fetched from fhirServer (nock) → 200 and a valid screening-incomplete card', async () => {
    const asked: string[] = [];
    const fhir = nock(FHIR_ORIGIN, { badheaders: ['authorization'] })
      .get('/fhir/Condition')
      .query({ patient: 'p1' })
      .reply(200, (uri) => (asked.push(uri), searchset([fibromyalgia])))
      .get('/fhir/ServiceRequest')
      .query({ patient: 'p1', status: 'draft,active,on-hold' })
      .reply(200, (uri) => (asked.push(uri), searchset([])))
      .get('/fhir/MedicationRequest')
      // Extra parameters (e.g. an _include) are the template's business; the patient and status are ours.
      .query((q) => q.patient === 'p1' && q.status === 'active')
      .reply(200, (uri) => (asked.push(uri), searchset([])));
    const { app } = await authApp();
    const res = await replay(app, c, PATIENT_VIEW);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(fhir.isDone()).toBe(true);
    // Prefetched keys (patient, labs) are used, not fetched again.
    expect(asked.some((u) => u.includes('Observation') || u.includes('/Patient'))).toBe(false);

    const body = expectValidResponse(res.body);
    const card = cardOfKind(body, 'screening-incomplete');
    expect(card).toBeDefined();
    expect(card!.indicator).toBe('warning'); // work-up phase: onset 2026-10-01 is recent
    // The captured TSH carries no effective date. The screening rule (docs/clinical-rules.md §3.1: a result counts
    // when dated within the look-back) does not count undated results, and the card says so; TSH is therefore
    // still listed as missing and ordered with the rest.
    expect(card!.detail).toContain('1 result without a date was not counted.');
    expect(card!.summary).toMatch(/^Screening tests not taken: TSH, /);
    const ordered = (card!.suggestions[0].actions as Array<{ resource: fhir4.ServiceRequest }>).map((a) => a.resource.code!.coding![0]!.code);
    expect(ordered).toHaveLength(16);
    expect(ordered).toContain('3016-3');
    for (const a of card!.suggestions[0].actions as Array<{ resource: fhir4.ServiceRequest }>) expect(a.resource.subject).toEqual({ reference: 'Patient/p1' });
    // No other card: the screening is incomplete (no non-drug treatment card yet), nothing is flagged, no drugs.
    expect(body.cards.map((x) => x.source.topic.code)).toEqual(['screening-incomplete']);
  });

  test('(b) fhirServer unreachable (connection error) → 412 OperationOutcome naming the keys', async () => {
    nock(FHIR_ORIGIN)
      .get(/.*/)
      .times(3)
      .replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:8081' });
    const { app } = await authApp();
    const res = await replay(app, c, PATIENT_VIEW);
    expect(res.status).toBe(412);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const oo = res.body as fhir4.OperationOutcome;
    expect(oo.resourceType).toBe('OperationOutcome');
    const expressions = oo.issue.flatMap((i) => i.expression ?? []);
    // Only required keys are refused; serviceRequests is optional (docs/clinical-rules.md §7).
    expect(expressions).toEqual(['prefetch.conditions']);
    expect(expressions).not.toContain('prefetch.labs');
    expect(res.text).not.toContain('ECONNREFUSED 127.0.0.1');
  });

  test('the same capture with a token for the sandbox\'s own service URL (fm-screening) → 401', async () => {
    const { app } = await authApp();
    const res = await request(app)
      .post(PATIENT_VIEW)
      .set('Authorization', `Bearer ${await tokenLike(c, `${BASE}${c.url}`)}`)
      .send(c.body);
    expect(res.status).toBe(401);
  });
});

describe('11 and 21: feedback, auth on (aud = the feedback URL)', () => {
  // The recording service's fm-meds was its order-select service: replayed against ours.
  const target = `${ORDER_SELECT}/feedback`;
  test.each(['11', '21'])('capture %s → 200 {} and stored', async (n) => {
    const c = capture(n);
    const { app, feedback } = await authApp();
    const res = await replay(app, c, target);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{}');
    expect(feedback.all()).toHaveLength(1);
    expect(feedback.all()[0]).toMatchObject({ card: c.body.feedback[0].card, outcome: c.body.feedback[0].outcome });
  });
});

describe('order-select / order-sign captures, auth on', () => {
  /** A FHIR server that must not be asked anything (an empty draft needs no data). */
  const untouchable = (): nock.Scope => nock(FHIR_ORIGIN).get(/.*/).reply(500, {});

  /** The sandbox's fhirServer with a fibromyalgia patient and no active medication. */
  function fibromyalgiaServer(): nock.Scope {
    return nock(FHIR_ORIGIN)
      .get('/fhir/Condition')
      .query((q) => q.patient === 'p1')
      .reply(200, searchset([fibromyalgia]))
      .get('/fhir/MedicationRequest')
      .query((q) => q.patient === 'p1')
      .reply(200, searchset([]));
  }

  for (const n of ['08', '13', '17']) {
    test(`${n} order-select with an empty draft (no medication) → 200 {"cards":[]}, nothing fetched`, async () => {
      const c = capture(n);
      expect(c.body.context.draftOrders.entry[0].resource.medicationCodeableConcept).toBeUndefined();
      const fhir = untouchable();
      const { app } = await authApp();
      const res = await replay(app, c, ORDER_SELECT);
      expect(res.status).toBe(200);
      expect(res.text).toBe('{"cards":[]}');
      expect(fhir.isDone()).toBe(false);
    });
  }

  test('09 order-select tramadol 835603 → a valid tramadol card', async () => {
    const c = capture('09');
    expect(c.body.context.draftOrders.entry[0].resource.medicationCodeableConcept.coding[0].code).toBe('835603');
    fibromyalgiaServer();
    const { app } = await authApp();
    const res = await replay(app, c, ORDER_SELECT);
    expect(res.status).toBe(200);
    const body = expectValidResponse(res.body);
    expect(cardOfKind(body, 'tramadol')).toBeDefined();
  });

  test('19 order-select sertraline 312941 (fibromyalgia Condition from nock) → a valid ssri card', async () => {
    const c = capture('19');
    expect(c.body.context.draftOrders.entry[0].resource.medicationCodeableConcept.coding[0].code).toBe('312941');
    fibromyalgiaServer();
    const { app } = await authApp();
    const res = await replay(app, c, ORDER_SELECT);
    expect(res.status).toBe(200);
    const body = expectValidResponse(res.body);
    expect(cardOfKind(body, 'ssri')).toBeDefined();
  });

  test('23 order-sign with an empty draft → 200 {"cards":[]}, nothing fetched', async () => {
    const c = capture('23');
    const fhir = untouchable();
    const { app } = await authApp();
    const res = await replay(app, c, ORDER_SIGN);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"cards":[]}');
    expect(fhir.isDone()).toBe(false);
  });
});
