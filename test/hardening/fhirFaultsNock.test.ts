/**
 * FHIR faults with nock, on non-loopback host names (fhirFaults.test.ts uses loopback servers): the
 * allow-listed FHIR server is `https://fhir.hospital.example/fhir` (nock), redirects and `next` links lead
 * to `https://fhir.attacker.example` (nock, recording). Nothing else may leave the process: nock refuses
 * every other host and we record each refused attempt. Each call answers 200 or 412 naming the key, within
 * FHIR_REQUEST_DEADLINE_MS + margin, and the token reaches the hospital only.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { fhirAuthorization } from '../support/fhirAccess.js';
import { buildTestApp, expectValidResponse, patientResources, patientViewRequest, searchset } from '../support/testApp.js';

const HOSPITAL = 'https://fhir.hospital.example';
const BASE = `${HOSPITAL}/fhir`;
const ATTACKER = 'https://fhir.attacker.example';
const DEADLINE_MS = 800;
const MARGIN_MS = 500;
const TOKEN = `hardening-token-${randomUUID()}`;
const PATIENT = 'integration-fm-1';
const PATH = '/cds-services/nkr-pain-patient-view';
const resources = patientResources(PATIENT);

let server: Server;
let baseUrl = '';
const hospitalAuth: Array<string | undefined> = [];
const attackerHits: string[] = [];
const refused: string[] = [];

/** The normal answer of the hospital server for `uri` (path + query). */
function answer(uri: string): [number, unknown] {
  const url = new URL(uri, HOSPITAL);
  const [type, id] = url.pathname.replace(/^\/fhir\/?/, '').split('/');
  const ofType = resources.filter((r) => r.resourceType === type);
  if (id) {
    const found = ofType.find((r) => r.id === id);
    return found ? [200, found] : [404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] }];
  }
  return [200, searchset(ofType)];
}

/** The hospital: `fault(uri)` returns a nock reply for the URIs it wants to spoil, else undefined (normal answer). */
function hospital(fault: (uri: string) => nock.ReplyFnResult | 'hang' | undefined = () => undefined): void {
  nock(HOSPITAL)
    .persist()
    .get(/.*/)
    .reply(function (uri) {
      hospitalAuth.push(this.req.headers.authorization as string | undefined);
      const f = fault(uri);
      if (f === 'hang') return new Promise<nock.ReplyFnResult>(() => undefined) as unknown as nock.ReplyFnResult;
      return f ?? answer(uri);
    });
  nock(ATTACKER)
    .persist()
    .get(/.*/)
    .reply(function (uri) {
      attackerHits.push(`${uri} auth=${this.req.headers.authorization !== undefined}`);
      return answer(uri.replace(/^\/steal/, '/fhir'));
    });
}

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  nock.emitter.on('no match', (req: { hostname?: string; path?: string; options?: { hostname?: string } }) => {
    const host = req.hostname ?? req.options?.hostname ?? '?';
    if (host !== '127.0.0.1') refused.push(`${host}${req.path ?? ''}`);
  });
  const { app } = buildTestApp({ env: { FHIR_SERVER_ALLOWLIST: BASE, FHIR_REQUEST_DEADLINE_MS: String(DEADLINE_MS), FHIR_QUERY_TIMEOUT_MS: '600' } });
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  nock.emitter.removeAllListeners('no match');
  nock.cleanAll();
  nock.enableNetConnect();
});

beforeEach(() => {
  nock.cleanAll();
  hospitalAuth.length = 0;
  attackerHits.length = 0;
  refused.length = 0;
});

async function call(): Promise<{ status: number; body: any; text: string; ms: number }> {
  const body = patientViewRequest(PATIENT, { fhirServer: BASE });
  delete body.prefetch;
  const started = performance.now();
  const res = await fetch(baseUrl + PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, fhirAuthorization: fhirAuthorization(TOKEN) }),
    signal: AbortSignal.timeout(DEADLINE_MS * 10),
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text), ms: performance.now() - started };
}

function expectOnlyHospitalSawTheToken(): void {
  expect(hospitalAuth.length).toBeGreaterThan(0);
  expect(new Set(hospitalAuth)).toEqual(new Set([`Bearer ${TOKEN}`]));
  expect(attackerHits).toEqual([]);
  expect(refused).toEqual([]);
}

const isType = (type: string) => (uri: string): boolean => new URL(uri, HOSPITAL).pathname.split('/')[2] === type;

test('control: the allow-listed hospital server answers → 200 with cards', async () => {
  hospital();
  const res = await call();
  expect(res.status).toBe(200);
  expect(expectValidResponse(res.body).cards.length).toBeGreaterThan(0);
  expectOnlyHospitalSawTheToken();
});

const cases: Array<[string, (uri: string) => nock.ReplyFnResult | 'hang' | undefined, 200 | 412]> = [
  ['Conditions: 302 to the attacker', (uri) => (isType('Condition')(uri) ? [302, '', { location: `${ATTACKER}/steal/Condition` }] : undefined), 412],
  ['Conditions: 307 to the attacker', (uri) => (isType('Condition')(uri) ? [307, '', { location: `${ATTACKER}/fhir/Condition?patient=${PATIENT}` }] : undefined), 412],
  ['every read: 301 to the attacker', () => [301, '', { location: `${ATTACKER}/fhir/Condition` }], 412],
  [
    'Conditions: a next link to the attacker',
    (uri) => (isType('Condition')(uri) ? [200, { ...searchset(resources.filter((r) => r.resourceType === 'Condition')), link: [{ relation: 'next', url: `${ATTACKER}/fhir/Condition?page=2` }] }] : undefined),
    // Not followed; the search is incomplete, so the required key is unavailable (docs/clinical-rules.md §7.1).
    412,
  ],
  [
    'Conditions: a next link to the same host on another path',
    (uri) => (isType('Condition')(uri) ? [200, { ...searchset(resources.filter((r) => r.resourceType === 'Condition')), link: [{ relation: 'next', url: `${HOSPITAL}/other/Condition?page=2` }] }] : undefined),
    412,
  ],
  ['Observations: 429 with Retry-After', (uri) => (isType('Observation')(uri) ? [429, { resourceType: 'OperationOutcome', issue: [] }, { 'retry-after': '60' }] : undefined), 412],
  ['Observations: hanging', (uri) => (isType('Observation')(uri) ? 'hang' : undefined), 412],
  ['Medication: 500', (uri) => (isType('Medication')(uri) ? [500, 'oops'] : undefined), 200],
];

test.each(cases.map(([name, fault, status]) => ({ name, fault, status })))('$name → $status within the deadline, the token only at the hospital', async ({ fault, status }) => {
  hospital(fault);
  const res = await call();
  expect(res.ms).toBeLessThanOrEqual(DEADLINE_MS + MARGIN_MS);
  expect(res.text).not.toContain(TOKEN);
  expect(res.status).toBe(status);
  if (status === 200) expectValidResponse(res.body);
  else expect(res.body.resourceType).toBe('OperationOutcome');
  expectOnlyHospitalSawTheToken();
});

test('a fhirServer off the allow-list (the attacker itself) → 412 and no request leaves the process', async () => {
  hospital();
  const body = patientViewRequest(PATIENT, { fhirServer: `${ATTACKER}/fhir` });
  delete body.prefetch;
  const res = await fetch(baseUrl + PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, fhirAuthorization: fhirAuthorization(TOKEN) }) });
  expect(res.status).toBe(412);
  expect(attackerHits).toEqual([]);
  expect(hospitalAuth).toEqual([]);
  expect(refused).toEqual([]);
});
