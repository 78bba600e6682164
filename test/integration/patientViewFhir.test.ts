import { readdirSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import request from 'supertest';
import { projectPath } from '../../src/projectRoot.js';
import { buildTestApp, cardOfKind, expectValidResponse, patientResources, patientViewRequest, readJson, searchset } from '../support/testApp.js';
import { freePort, startFhirServerProcess, stopAllProcesses, STARTUP_TIMEOUT_MS, type StartedProcess } from '../support/processes.js';
import { fhirAuthorization, GENEROUS_FHIR_TIMEOUTS } from '../support/fhirAccess.js';

/**
 * patient-view without prefetch: the service fetches from the real test FHIR server, started as a
 * child process (`test-support/fhirServer/main.ts`, seeded from fixtures/patients). The service runs
 * in-process (auth off). A small recording proxy in front of the FHIR server shows which requests
 * reached it (the child process keeps its request log to itself).
 */

const SERVICE_URL = '/cds-services/nkr-pain-patient-view';
const TOKEN = 'secret-token-123';
const WRONG_TOKEN = 'wrong-token-456';
const NPU = 'urn:oid:1.2.208.176.2.1';
/**
 * Generous FHIR timeouts for calls that should succeed: the defaults (300 ms per query, 450 ms per
 * request) are for production and would make these tests depend on how busy the CI machine is.
 */
const PATIENT_ENV = GENEROUS_FHIR_TIMEOUTS;


/** A request with no prefetch at all: everything must come from fhirServer. */
function noPrefetchRequest(fixture: string, fhirServer: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const body = patientViewRequest(fixture, { fhirServer });
  delete body.prefetch;
  return { ...body, ...extra };
}

interface RecordedRequest {
  method: string;
  /** Path and query as the FHIR server received them. */
  url: string;
  authorization: string | undefined;
}

interface RecordingProxy {
  baseUrl: string;
  log: RecordedRequest[];
  close(): Promise<void>;
}

/** Forwards every request to `target` (same path) and records it. Loopback only. */
async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const targetUrl = new URL(target);
  const log: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    log.push({ method: req.method ?? 'GET', url: req.url ?? '/', authorization: req.headers.authorization });
    const upstream = httpRequest(
      { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers: { ...req.headers, host: targetUrl.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${targetUrl.pathname}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Resource types the FHIR server was asked for, e.g. ['Condition', 'Observation', …]. */
function typesRequested(log: readonly RecordedRequest[]): string[] {
  return log.map((r) => new URL(r.url, 'http://x').pathname.split('/')[2] ?? '').sort();
}

function orderedCodes(card: Record<string, any>): Array<{ system?: string; code?: string }> {
  return (card.suggestions[0].actions as Array<{ resource: fhir4.ServiceRequest }>).map((a) => a.resource.code!.coding![0]!);
}

/** Asserts a 412 OperationOutcome and returns its text (for "does not contain" checks). */
function expectPreconditionFailed(res: request.Response): string {
  expect(res.status).toBe(412);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0]).toMatchObject({ severity: 'error', code: 'incomplete' });
  return JSON.stringify(res.body) + JSON.stringify(res.headers);
}

let fhir: StartedProcess<string>;
let proxy: RecordingProxy;

beforeAll(async () => {
  fhir = await startFhirServerProcess();
  proxy = await startRecordingProxy(fhir.ready);
}, STARTUP_TIMEOUT_MS + 5_000);

afterAll(async () => {
  await proxy?.close();
  await stopAllProcesses();
});

beforeEach(() => {
  if (proxy) proxy.log.length = 0;
});

describe('patient-view without prefetch, data from the FHIR server process', () => {
  const { app } = buildTestApp({ env: PATIENT_ENV });

  test('gsb-workup-missing → one screening-incomplete card ordering all 16 groups; each prefetch key asked for once', async () => {
    const res = await request(app).post(SERVICE_URL).send(noPrefetchRequest('gsb-workup-missing', proxy.baseUrl));
    expect(res.status).toBe(200);
    const body = expectValidResponse(res.body);
    expect(body.cards).toHaveLength(1);
    const card = cardOfKind(body, 'screening-incomplete')!;
    expect(card.indicator).toBe('warning');
    expect(card.suggestions[0].actions).toHaveLength(16);
    expect(card.suggestions[0].actions[0].resource.subject).toEqual({ reference: 'Patient/gsb-workup-missing' });
    expect(typesRequested(proxy.log)).toEqual(['Condition', 'MedicationRequest', 'MedicationStatement', 'Observation', 'Patient', 'ServiceRequest']);
    expect(proxy.log.every((r) => r.method === 'GET' && r.authorization === undefined)).toBe(true);
    expect(proxy.log.map((r) => r.url)).toEqual(
      expect.arrayContaining(['/fhir/Condition?patient=gsb-workup-missing', '/fhir/Patient/gsb-workup-missing']),
    );
  });

  test('gsb-workup-partial-npu → orders only vitamin D and ESR, in NPU (results and the pending CK order came from the server)', async () => {
    const res = await request(app).post(SERVICE_URL).send(noPrefetchRequest('gsb-workup-partial-npu', proxy.baseUrl));
    expect(res.status).toBe(200);
    const card = cardOfKind(expectValidResponse(res.body), 'screening-incomplete')!;
    expect(orderedCodes(card)).toEqual([
      { system: NPU, code: 'NPU10267' },
      { system: NPU, code: 'NPU03404' },
    ]);
    expect(card.detail).toMatch(/Ordered, awaiting results – not ordered again \(2\)/);
    expect(typesRequested(proxy.log)).toEqual(['Condition', 'MedicationRequest', 'MedicationStatement', 'Observation', 'Patient', 'ServiceRequest']);
    expect(proxy.log.find((r) => r.url.startsWith('/fhir/Observation?'))?.url).toContain('patient=gsb-workup-partial-npu');
  });

  test('gsb-established-complete → non-pharmacological-treatment card and nothing about screening', async () => {
    const res = await request(app).post(SERVICE_URL).send(noPrefetchRequest('gsb-established-complete', proxy.baseUrl));
    expect(res.status).toBe(200);
    const body = expectValidResponse(res.body);
    expect(body.cards.map((c) => c.source?.topic?.code)).toEqual(['non-pharmacological-treatment']);
    expect(proxy.log.length).toBeGreaterThanOrEqual(4);
  });

  test('integration-fm-1 (pregabalin ordered by a Medication reference) → current-medication card; the Medication came with the order search, not a second round trip', async () => {
    const res = await request(app).post(SERVICE_URL).send(noPrefetchRequest('integration-fm-1', proxy.baseUrl));
    expect(res.status).toBe(200);
    expect(cardOfKind(expectValidResponse(res.body), 'current-medication')).toBeDefined();
    // Six queries that can all run at once: nothing waits for another's answer.
    expect(typesRequested(proxy.log)).toEqual(['Condition', 'MedicationRequest', 'MedicationStatement', 'Observation', 'Patient', 'ServiceRequest']);
    expect(proxy.log.find((r) => r.url.startsWith('/fhir/MedicationRequest?'))?.url).toContain('_include=MedicationRequest:medication');
  });

  // Prefetched or read from the server, the same record gives the same cards (the server's searches narrow by
  // status, code and date where the prefetch templates do: docs/clinical-rules.md §7.1).
  const patients = readdirSync(projectPath('fixtures', 'patients')).map((f) => f.replace(/\.json$/, ''));
  test.each(patients)('%s: the same cards as with every key prefetched', async (fixture) => {
    const cards = (res: request.Response): string[] => {
      expect(res.status).toBe(200);
      return expectValidResponse(res.body)
        .cards.map((c) => JSON.stringify({ ...c, uuid: undefined, suggestions: c.suggestions?.map((x: Record<string, unknown>) => ({ ...x, uuid: undefined })) }))
        .sort();
    };
    // The Medications its orders name come with them, as the server's `_include=MedicationRequest:medication` brings them.
    const body = patientViewRequest(fixture) as { prefetch: { medications: fhir4.Bundle } };
    const medications = patientResources(fixture).filter((r) => r.resourceType === 'Medication');
    body.prefetch.medications.entry = [...(body.prefetch.medications.entry ?? []), ...medications.map((resource) => ({ resource, search: { mode: 'include' as const } }))];
    const prefetched = cards(await request(app).post(SERVICE_URL).send(body));
    expect(cards(await request(app).post(SERVICE_URL).send(noPrefetchRequest(fixture, proxy.baseUrl)))).toEqual(prefetched);
  });

  test('no-gsb → {"cards":[]}', async () => {
    const res = await request(app).post(SERVICE_URL).send(noPrefetchRequest('no-gsb', proxy.baseUrl));
    expect(res.status).toBe(200);
    expect(expectValidResponse(res.body)).toEqual({ cards: [] });
    expect(typesRequested(proxy.log)).toContain('Condition');
  });

  test('straight to the FHIR server (no proxy) gives the same card', async () => {
    const res = await request(app).post(SERVICE_URL).send(noPrefetchRequest('gsb-workup-partial-npu', fhir.ready));
    expect(res.status).toBe(200);
    expect(orderedCodes(cardOfKind(expectValidResponse(res.body), 'screening-incomplete')!)).toEqual([
      { system: NPU, code: 'NPU10267' },
      { system: NPU, code: 'NPU03404' },
    ]);
    expect(proxy.log).toEqual([]);
  });

  test('a patient the server does not know → 200 without cards (no Conditions) and the optional Patient read failing is tolerated', async () => {
    const res = await request(app).post(SERVICE_URL).send({
      ...noPrefetchRequest('no-gsb', proxy.baseUrl),
      context: { userId: 'Practitioner/example', patientId: 'not-on-the-server' },
    });
    expect(res.status).toBe(200);
    expect(expectValidResponse(res.body)).toEqual({ cards: [] });
    expect(proxy.log.map((r) => r.url)).toContain('/fhir/Patient/not-on-the-server');
  });
});

describe('a lab history longer than FHIR_MAX_PAGES pages (docs/clinical-rules.md §7)', () => {
  // One page allowed; the labs query asks for 200 a page. Each patient has 205 panel results.
  const { app } = buildTestApp({ env: { ...PATIENT_ENV, FHIR_MAX_PAGES: '1' } });
  const put = async (resource: fhir4.Patient | fhir4.Condition | fhir4.Observation): Promise<void> => {
    const res = await fetch(`${fhir.ready}/${resource.resourceType}/${resource.id}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(resource) });
    expect(res.ok).toBe(true);
  };
  const observation = (patient: string, id: string, loinc: string, unit: string, value: number, when: string): fhir4.Observation => ({
    resourceType: 'Observation',
    id,
    status: 'final',
    subject: { reference: `Patient/${patient}` },
    code: { coding: [{ system: 'http://loinc.org', code: loinc }] },
    effectiveDateTime: when,
    valueQuantity: { value, unit },
    referenceRange: [{ low: { value: 0, unit }, high: { value: 100, unit } }],
  });
  /** A patient (GSB registered 2026-10-01, so results count from the Danish day 2025-10-01) with 205 CRP results dated `crpDate`, and one TSH. */
  async function seed(patient: string, gsb: boolean, crpDate: string): Promise<void> {
    await put({ resourceType: 'Patient', id: patient, birthDate: '1975-03-02', gender: 'female' });
    if (gsb) {
      await put({
        resourceType: 'Condition',
        id: `${patient}-c1`,
        subject: { reference: `Patient/${patient}` },
        clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
        code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] },
        recordedDate: '2026-10-01',
      });
    }
    for (let i = 0; i < 205; i++) await put(observation(patient, `${patient}-crp-${i}`, '1988-5', 'mg/L', 3, crpDate));
    await put(observation(patient, `${patient}-tsh`, '3016-3', 'mIU/L', 2, '2026-11-10'));
  }
  const observationQueries = (): string[] => proxy.log.map((r) => r.url).filter((u) => u.startsWith('/fhir/Observation?'));

  beforeAll(async () => {
    await seed('long-history', true, '2023-05-01');
    await seed('long-history-no-gsb', false, '2023-05-01');
    await seed('long-history-recent', true, '2026-09-01');
  }, 60_000);

  test('in scope: read again from the first date the rules count (the registration minus SCREENING_LOOKBACK_DAYS), and the cards come', async () => {
    const res = await request(app).post(SERVICE_URL).send(noPrefetchRequest('no-gsb', proxy.baseUrl, { context: { userId: 'Practitioner/example', patientId: 'long-history' } }));
    expect(res.status).toBe(200);
    const card = cardOfKind(expectValidResponse(res.body), 'screening-incomplete')!;
    // The recent TSH counts; the old CRPs are before 2025-10-01, as if not taken.
    expect(card.suggestions[0].actions).toHaveLength(15);
    expect(JSON.stringify(card.suggestions)).toContain('1988-5');
    expect(JSON.stringify(card.suggestions)).not.toContain('3016-3');
    const queries = observationQueries();
    expect(queries).toHaveLength(2);
    expect(queries[0]).not.toContain('date=');
    // The Danish day 2025-10-01 begins at 22:00 UTC on 30 September: asked from that UTC day.
    expect(queries[1]).toContain('&date=ge2025-09-30');
  });

  test('out of scope (no GSB condition): no cards and no second read, not a 412', async () => {
    const res = await request(app).post(SERVICE_URL).send(noPrefetchRequest('no-gsb', proxy.baseUrl, { context: { userId: 'Practitioner/example', patientId: 'long-history-no-gsb' } }));
    expect(res.status).toBe(200);
    expect(expectValidResponse(res.body)).toEqual({ cards: [] });
    expect(observationQueries()).toHaveLength(1);
  });

  test('in scope, and the narrowed search is still too long → 412 naming labs and both reads', async () => {
    const res = await request(app).post(SERVICE_URL).send(noPrefetchRequest('no-gsb', proxy.baseUrl, { context: { userId: 'Practitioner/example', patientId: 'long-history-recent' } }));
    const text = expectPreconditionFailed(res);
    expect(res.body.issue.map((i: { expression?: string[] }) => i.expression?.[0]).filter(Boolean)).toEqual(['prefetch.labs']);
    expect(text).toContain('more pages than the page limit (FHIR_MAX_PAGES = 1), and read again from 2025-09-30');
    expect(observationQueries()).toHaveLength(2);
  });
});

describe('patient-view with prefetch partly given', () => {
  const { app } = buildTestApp({ env: PATIENT_ENV });

  test('conditions prefetched, labs missing → only the missing keys are fetched, and the fetched labs decide the card', async () => {
    const body = patientViewRequest('gsb-workup-partial-npu', { fhirServer: proxy.baseUrl, omit: ['labs'] });
    const res = await request(app).post(SERVICE_URL).send(body);
    expect(res.status).toBe(200);
    const card = cardOfKind(expectValidResponse(res.body), 'screening-incomplete')!;
    // Without the server's Observations all 16 groups would be missing.
    expect(orderedCodes(card)).toEqual([
      { system: NPU, code: 'NPU10267' },
      { system: NPU, code: 'NPU03404' },
    ]);
    expect(typesRequested(proxy.log)).toEqual(['Observation']);
  });

  test("a blood count sent as one panel Observation with its results in components is found by the labs search (its panel code is in the query's codes): nothing re-ordered, the flag seen", async () => {
    const body = readJson<{ prefetch: { labs: fhir4.Bundle }; [k: string]: unknown }>(projectPath('fixtures', 'requests', 'differential-in-components.json'));
    for (const e of body.prefetch.labs.entry ?? []) {
      const r = e.resource!;
      const put = await fetch(`${fhir.ready}/${r.resourceType}/${r.id}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(r) });
      expect(put.ok).toBe(true);
    }
    const prefetch: Record<string, unknown> = { ...body.prefetch };
    delete prefetch.labs;
    const res = await request(app).post(SERVICE_URL).send({ ...body, prefetch, fhirServer: proxy.baseUrl });
    expect(res.status).toBe(200);
    const cards = expectValidResponse(res.body);
    expect(typesRequested(proxy.log)).toContain('Observation');
    expect(cardOfKind(cards, 'screening-abnormal')?.detail).toContain('differential count (neutrophils)');
    const incomplete = cardOfKind(cards, 'screening-incomplete');
    expect(incomplete?.summary ?? '').not.toMatch(/haemoglobin|leukocytes|platelets|differential/);
  });

  test('a prefetched empty Bundle is "no data" and is not refetched, even though the server has the Condition', async () => {
    const body = patientViewRequest('gsb-workup-missing', { fhirServer: proxy.baseUrl, omit: ['labs'] });
    (body.prefetch as Record<string, unknown>).conditions = searchset([]);
    const res = await request(app).post(SERVICE_URL).send(body);
    expect(res.status).toBe(200);
    expect(expectValidResponse(res.body)).toEqual({ cards: [] });
    expect(typesRequested(proxy.log)).toEqual(['Observation']);
  });

  test('a prefetch OperationOutcome for labs → labs fetched from the server', async () => {
    const body = patientViewRequest('gsb-workup-partial-npu', { fhirServer: proxy.baseUrl });
    (body.prefetch as Record<string, unknown>).labs = {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'exception', diagnostics: 'prefetch failed in the EHR' }],
    };
    const res = await request(app).post(SERVICE_URL).send(body);
    expect(res.status).toBe(200);
    expect(orderedCodes(cardOfKind(expectValidResponse(res.body), 'screening-incomplete')!)).toHaveLength(2);
    expect(typesRequested(proxy.log)).toEqual(['Observation']);
  });

  test('everything prefetched → the FHIR server is not asked at all', async () => {
    const res = await request(app).post(SERVICE_URL).send(patientViewRequest('gsb-workup-partial-npu', { fhirServer: proxy.baseUrl }));
    expect(res.status).toBe(200);
    expectValidResponse(res.body);
    expect(proxy.log).toEqual([]);
    // Sanity: the fixture the prefetch came from is what the server was seeded with.
    expect(patientResources('gsb-workup-partial-npu').length).toBeGreaterThan(10);
  });
});

describe('FHIR server that requires a bearer token', () => {
  let tokenServer: StartedProcess<string>;
  let tokenProxy: RecordingProxy;
  const { app } = buildTestApp({ env: PATIENT_ENV });

  beforeAll(async () => {
    tokenServer = await startFhirServerProcess({ bearerToken: TOKEN });
    tokenProxy = await startRecordingProxy(tokenServer.ready);
  }, STARTUP_TIMEOUT_MS + 5_000);

  afterAll(async () => {
    await tokenProxy?.close();
    await tokenServer?.stop();
  });

  beforeEach(() => {
    if (tokenProxy) tokenProxy.log.length = 0;
  });

  test('the right token in fhirAuthorization → cards, and every request carried it as a Bearer token', async () => {
    const res = await request(app)
      .post(SERVICE_URL)
      .send(noPrefetchRequest('gsb-workup-partial-npu', tokenProxy.baseUrl, { fhirAuthorization: fhirAuthorization(TOKEN) }));
    expect(res.status).toBe(200);
    expect(orderedCodes(cardOfKind(expectValidResponse(res.body), 'screening-incomplete')!)).toEqual([
      { system: NPU, code: 'NPU10267' },
      { system: NPU, code: 'NPU03404' },
    ]);
    expect(tokenProxy.log).toHaveLength(6) // patient, conditions, labs, medications, medicationStatements, serviceRequests;
    expect(tokenProxy.log.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  test('a wrong token → 412 OperationOutcome that names neither token', async () => {
    const res = await request(app)
      .post(SERVICE_URL)
      .send(noPrefetchRequest('gsb-workup-missing', tokenServer.ready, { fhirAuthorization: fhirAuthorization(WRONG_TOKEN) }));
    const text = expectPreconditionFailed(res);
    expect(text).toContain('HTTP 401');
    expect(text).not.toContain(WRONG_TOKEN);
    expect(text).not.toContain(TOKEN);
  });

  test('no fhirAuthorization → 412 (the server answers 401)', async () => {
    const res = await request(app).post(SERVICE_URL).send(noPrefetchRequest('gsb-workup-missing', tokenProxy.baseUrl));
    const text = expectPreconditionFailed(res);
    expect(text).toContain('HTTP 401');
    expect(text).toContain("the patient's Conditions");
    expect(tokenProxy.log.length).toBeGreaterThan(0);
    expect(tokenProxy.log.every((r) => r.authorization === undefined)).toBe(true);
  });
});

describe('FHIR server unreachable or not allowed', () => {
  test('nothing listens on the port → 412 naming the required keys, without waiting for a timeout', async () => {
    const port = await freePort();
    // Default FHIR timeouts: the deadline bounds the call even if the refusal were slow.
    const { app } = buildTestApp();
    const res = await request(app).post(SERVICE_URL).send(noPrefetchRequest('gsb-workup-missing', `http://127.0.0.1:${port}/fhir`));
    const text = expectPreconditionFailed(res);
    expect(text).toContain('could not be reached');
    // Only the required keys: the optional ones (patient, medications, serviceRequests) are left out, not refused.
    expect(res.body.issue.map((i: { expression?: string[] }) => i.expression?.[0]).filter(Boolean).sort()).toEqual(['prefetch.conditions', 'prefetch.labs']);
  });

  test('a server that accepts the connection and never answers → 412 after the request deadline (no hang)', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer(() => undefined); // never responds
    silent.on('connection', (s) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const { app } = buildTestApp({ env: { FHIR_QUERY_TIMEOUT_MS: '200', FHIR_REQUEST_DEADLINE_MS: '300' } });
      const res = await request(app).post(SERVICE_URL).send(noPrefetchRequest('gsb-workup-missing', `http://127.0.0.1:${port}/fhir`));
      const text = expectPreconditionFailed(res);
      expect(text).toMatch(/did not answer within|deadline passed/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }, 10_000);

  test('fhirServer not on FHIR_SERVER_ALLOWLIST → 412 and the FHIR server sees no request', async () => {
    const { app } = buildTestApp({ env: { ...PATIENT_ENV, FHIR_SERVER_ALLOWLIST: 'http://127.0.0.1:1/fhir' } });
    const res = await request(app)
      .post(SERVICE_URL)
      .send(noPrefetchRequest('gsb-workup-missing', proxy.baseUrl, { fhirAuthorization: fhirAuthorization(TOKEN) }));
    const text = expectPreconditionFailed(res);
    expect(text).toContain('not on the allow-list');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(proxy.baseUrl);
    expect(proxy.log).toEqual([]);
  });

  test('the same fhirServer on the allow-list → 200 (the list, not the URL, made the difference)', async () => {
    const { app } = buildTestApp({ env: { ...PATIENT_ENV, FHIR_SERVER_ALLOWLIST: `http://127.0.0.1:1/fhir,${proxy.baseUrl}` } });
    const res = await request(app).post(SERVICE_URL).send(noPrefetchRequest('gsb-workup-missing', proxy.baseUrl));
    expect(res.status).toBe(200);
    expect(cardOfKind(expectValidResponse(res.body), 'screening-incomplete')).toBeDefined();
    expect(proxy.log.length).toBeGreaterThan(0);
  });
});
