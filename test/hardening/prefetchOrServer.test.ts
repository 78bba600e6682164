/**
 * The same record read from the FHIR server gets the same cards as prefetched (docs/clinical-rules.md §7.1, the
 * prefetch decision table): every sample body (test/support/sampleBodies.ts) whose prefetch is plain — each key
 * the searched resource, or a searchset of the searched type (a search's `_include`d Medications beside
 * them), or `null` — is sent once as it is and once with no prefetch at all, its resources served instead by a
 * FHIR server on loopback that answers the service's reads and searches: `Type/id`, and `Type?…` with every
 * resource of that type in the record (the record is one patient's; the service's own filters — status, codes
 * — are left to its rules, as a server that ignores them would). A Medication the orders name by reference
 * is then read by its id (the server does not do `_include`). Bodies whose prefetch holds other things
 * (OperationOutcomes, DiagnosticReports among the labs, a next link) are the other tests' business.
 *
 * The FHIR fallback's integration test (test/integration/patientViewFhir.test.ts) holds this for the fixture
 * patients against the real FHIR server process; this one holds it for the order hooks and the rich bodies.
 * The same with each key alone left to the server. And all at once: every body's call without prefetch sent together, their reads interleaved (each body's record
 * under a base of its own, `…/fhir/b<n>`), gets what each got alone — no state of one call leaks into another.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isObject as isJson } from '../../src/model/json.js';
import { answerOf, SAMPLE_BODIES } from '../support/sampleBodies.js';
import { GENEROUS_FHIR_TIMEOUTS } from '../support/fhirAccess.js';
import { buildTestApp, type TestApp } from '../support/testApp.js';

type Json = Record<string, unknown>;

/** The type each prefetch key's template reads (src/services: patientViewPrefetch, the order hooks' templates). */
const KEY_TYPE: Record<string, string> = {
  patient: 'Patient',
  conditions: 'Condition',
  labs: 'Observation',
  medications: 'MedicationRequest',
  medicationStatements: 'MedicationStatement',
  serviceRequests: 'ServiceRequest',
};

/** The resources of a plain prefetch (see the module comment); null when it is not plain. */
function plainRecord(prefetch: unknown): Json[] | null {
  if (!isJson(prefetch)) return null;
  const record: Json[] = [];
  for (const [key, value] of Object.entries(prefetch)) {
    const type = KEY_TYPE[key];
    if (type === undefined) return null;
    if (value === null) continue;
    if (!isJson(value)) return null;
    if (value.resourceType === type) {
      record.push(value);
      continue;
    }
    if (value.resourceType !== 'Bundle' || value.type !== 'searchset' || value.link !== undefined || !Array.isArray(value.entry)) return null;
    for (const e of value.entry) {
      if (!isJson(e) || !isJson(e.resource)) return null;
      const r = e.resource;
      if (r.resourceType !== type && !(key === 'medications' && r.resourceType === 'Medication')) return null;
      record.push(r);
    }
  }
  return record;
}

/** Each body's record, by the base it is served under (`b<n>`). */
const records = new Map<string, Json[]>();
/** What the server was asked, path and query. */
const asked: string[] = [];
let server: Server;
let base = '';
let app: TestApp['app'];

const send = (res: import('node:http').ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/fhir+json' });
  res.end(JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    asked.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    const [recordName = '', type, id] = url.pathname.replace(/^\/fhir\/?/, '').split('/');
    const ofType = (records.get(recordName) ?? []).filter((r) => r.resourceType === type);
    if (id !== undefined) {
      const found = ofType.find((r) => r.id === id);
      return found ? send(res, 200, found) : send(res, 404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
    }
    send(res, 200, { resourceType: 'Bundle', type: 'searchset', total: ofType.length, entry: ofType.map((resource) => ({ resource, search: { mode: 'match' } })) });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
  // One app for every call: no answer is sent, so nothing it stores changes a card.
  app = buildTestApp({ env: { FHIR_SERVER_ALLOWLIST: base, ...GENEROUS_FHIR_TIMEOUTS } }).app;
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

const answer = (body: Json): Promise<string[]> => answerOf(app, body);

const plain = SAMPLE_BODIES.filter(([, body]) => plainRecord(body.prefetch) !== null).map(([name, body], i) => ({ name, body, record: `b${i}` }));
/** What each body got prefetched, for the test that sends them all at once. */
const prefetchedAnswers = new Map<string, string[]>();

describe('the record read from the FHIR server gets the cards it gets prefetched', () => {
  test('most sample bodies, of every hook, have a plain prefetch', () => {
    expect(plain.length).toBeGreaterThan(SAMPLE_BODIES.length / 2);
    expect(new Set(plain.map(({ body }) => body.hook))).toEqual(new Set(['patient-view', 'order-select', 'order-sign']));
  });

  test.each(plain)('$name', async ({ body, record }) => {
    records.set(record, plainRecord(body.prefetch)!);
    const fhirServer = `${base}/${record}`;
    const prefetched = await answer({ ...body, fhirServer });
    prefetchedAnswers.set(record, prefetched);
    const { prefetch, ...withoutPrefetch } = body;
    asked.length = 0;
    expect(await answer({ ...withoutPrefetch, fhirServer })).toEqual(prefetched);
    // Read from the server indeed: a call that gives cards read the conditions at least, which every card needs
    // (an order call whose drafts need no card reads nothing).
    if (prefetched.length > 0) expect(asked.some((a) => a.startsWith(`/fhir/${record}/Condition?`))).toBe(true);
    // And each key alone left to the server, the others prefetched.
    for (const key of Object.keys(isJson(prefetch) ? prefetch : {})) {
      const { [key]: _left, ...others } = prefetch as Json;
      expect([key, await answer({ ...withoutPrefetch, prefetch: others, fhirServer })]).toEqual([key, prefetched]);
    }
  });

  test('all at once, their reads interleaved: each call gets what it got alone', async () => {
    expect(prefetchedAnswers.size).toBe(plain.length);
    const together = await Promise.all(plain.map(({ body, record }) => answer({ ...body, prefetch: undefined, fhirServer: `${base}/${record}` })));
    expect(together).toEqual(plain.map(({ record }) => prefetchedAnswers.get(record)));
  });
});
