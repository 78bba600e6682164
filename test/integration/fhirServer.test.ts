import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'fhir-kit-client';
import { projectPath, projectRoot } from '../../src/projectRoot.js';
import { createFhirTestServer } from '../../test-support/fhirServer/server.js';
import type { FhirTestServer } from '../../test-support/fhirServer/server.js';

/**
 * The test FHIR server (test-support/fhirServer) as the service will meet it: a separate process
 * reached over loopback HTTP, mostly through fhir-kit-client. Expected data comes from
 * fixtures/patients/integration-fm-1.json.
 */

const PATIENT = 'integration-fm-1';
const LOINC = 'http://loinc.org';
const STARTUP_TIMEOUT_MS = 20_000;

type Entry = { resource?: fhir4.Resource; search?: { mode?: string } };

function asBundle(value: unknown): fhir4.Bundle {
  expect((value as fhir4.Resource).resourceType).toBe('Bundle');
  return value as fhir4.Bundle;
}

function ids(bundle: fhir4.Bundle, mode = 'match'): string[] {
  return ((bundle.entry ?? []) as Entry[]).filter((e) => e.search?.mode === mode).map((e) => e.resource?.id ?? '');
}

function resources<T extends fhir4.Resource>(bundle: fhir4.Bundle): T[] {
  return (bundle.entry ?? []).map((e) => e.resource as T);
}

/** Starts `node --import tsx test-support/fhirServer/main.ts` and waits (bounded) for its URL line. */
function startServerProcess(env: Record<string, string>): Promise<{ child: ChildProcess; baseUrl: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.NODE_OPTIONS; // Jest's --experimental-vm-modules is not for the child
  delete childEnv.FHIR_BEARER_TOKEN;
  delete childEnv.FHIR_SEED_DIR;
  delete childEnv.FHIR_LATENCY_MS;
  Object.assign(childEnv, env);
  const child = spawn(process.execPath, ['--import', 'tsx', 'test-support/fhirServer/main.ts'], {
    cwd: projectRoot,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`FHIR server did not start in ${STARTUP_TIMEOUT_MS} ms: ${stderr}`));
    }, STARTUP_TIMEOUT_MS);
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^FHIR server listening on (http:\/\/127\.0\.0\.1:\d+\/fhir)$/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ child, baseUrl: match[1] as string });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`FHIR server exited (${code}) before listening: ${stderr}`));
    });
  });
}

function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('FHIR server did not exit')), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('test FHIR server as a child process (npm run fhir-server)', () => {
  let child: ChildProcess;
  let baseUrl: string;
  let client: Client;

  beforeAll(async () => {
    ({ child, baseUrl } = await startServerProcess({ FHIR_PORT: '0', FHIR_HOST: '127.0.0.1' }));
    client = new Client({ baseUrl });
  }, STARTUP_TIMEOUT_MS + 5_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await exitOf(child, 5_000).catch(() => undefined);
    }
  });

  it('prints a parseable base URL on a free port', () => {
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:(\d+)\/fhir$/);
    expect(baseUrl).not.toContain(':8081/');
  });

  it('serves an R4 CapabilityStatement at /metadata', async () => {
    const cs = (await client.capabilityStatement()) as unknown as fhir4.CapabilityStatement;
    expect(cs.resourceType).toBe('CapabilityStatement');
    expect(cs.fhirVersion).toBe('4.0.1');
    const observation = cs.rest?.[0]?.resource?.find((r) => r.type === 'Observation');
    expect(observation?.searchParam?.map((p) => p.name)).toEqual(expect.arrayContaining(['patient', 'code', 'date']));
  });

  it('reads a seeded resource by its fixed id', async () => {
    const patient = (await client.read({ resourceType: 'Patient', id: PATIENT })) as fhir4.Patient;
    expect(patient.id).toBe(PATIENT);
    expect(patient.name?.[0]?.family).toBe('Testesen');
    await expect(client.read({ resourceType: 'Patient', id: 'no-such-patient' })).rejects.toMatchObject({
      response: { status: 404 },
    });
  });

  it('matches a bare patient id against Patient/ID references', async () => {
    const bundle = asBundle(await client.search({ resourceType: 'Condition', searchParams: { patient: PATIENT } }));
    expect(ids(bundle)).toEqual(['integration-fm-1-fibromyalgia']);
    const bySubject = asBundle(await client.search({ resourceType: 'Observation', searchParams: { subject: PATIENT } }));
    expect(bySubject.total).toBe(4);
    for (const obs of resources<fhir4.Observation>(bySubject)) expect(obs.subject?.reference).toBe(`Patient/${PATIENT}`);
  });

  it('searches codes as a system|code list and as a bare code, sorted by -date', async () => {
    const bundle = asBundle(
      await client.search({
        resourceType: 'Observation',
        searchParams: { patient: PATIENT, code: `${LOINC}|3016-3,${LOINC}|2157-6`, _sort: '-date' },
      }),
    );
    const found = resources<fhir4.Observation>(bundle);
    expect(found.map((o) => o.id).sort()).toEqual(
      ['integration-fm-1-ck-2025', 'integration-fm-1-tsh-2024', 'integration-fm-1-tsh-2025'].sort(),
    );
    const dates = found.map((o) => Date.parse(o.effectiveDateTime ?? ''));
    expect(dates).toEqual([...dates].sort((a, b) => b - a));
    expect(found.at(-1)?.id).toBe('integration-fm-1-tsh-2024');

    const bare = asBundle(await client.search({ resourceType: 'Observation', searchParams: { patient: PATIENT, code: '3016-3' } }));
    expect(ids(bare).sort()).toEqual(['integration-fm-1-tsh-2024', 'integration-fm-1-tsh-2025']);
    const otherSystem = asBundle(
      await client.search({ resourceType: 'Observation', searchParams: { patient: PATIENT, code: 'http://snomed.info/sct|3016-3' } }),
    );
    expect(otherSystem.total).toBe(0);
  });

  it('sorts by several keys in order (_sort=code,-date)', async () => {
    const bundle = asBundle(
      await client.search({ resourceType: 'Observation', searchParams: { patient: PATIENT, _sort: 'code,-date' } }),
    );
    expect(ids(bundle)).toEqual([
      'integration-fm-1-crp-2023', // 1988-5
      'integration-fm-1-ck-2025', // 2157-6
      'integration-fm-1-tsh-2025', // 3016-3, newest first
      'integration-fm-1-tsh-2024',
    ]);
  });

  it('filters by date=ge…', async () => {
    const bundle = asBundle(
      await client.search({ resourceType: 'Observation', searchParams: { patient: PATIENT, date: 'ge2025-01-01' } }),
    );
    expect(ids(bundle).sort()).toEqual(['integration-fm-1-ck-2025', 'integration-fm-1-tsh-2025']);
  });

  it('pages with _count and next links that fhir-kit-client can follow', async () => {
    let bundle: fhir4.Bundle | undefined = asBundle(
      await client.search({ resourceType: 'Observation', searchParams: { patient: PATIENT, _count: 1, _sort: 'date' } }),
    );
    expect(bundle.total).toBe(4);
    const seen: string[] = [];
    for (let page = 0; bundle && page < 10; page++) {
      expect(bundle.entry).toHaveLength(1);
      seen.push(...ids(bundle));
      const next = client.nextPage({ bundle: bundle as never });
      bundle = next ? asBundle(await next) : undefined;
    }
    expect(bundle).toBeUndefined();
    expect(seen).toEqual([
      'integration-fm-1-crp-2023',
      'integration-fm-1-tsh-2024',
      'integration-fm-1-tsh-2025',
      'integration-fm-1-ck-2025',
    ]);
  });

  it('filters status=active and _include=MedicationRequest:medication', async () => {
    const bundle = asBundle(
      await client.search({
        resourceType: 'MedicationRequest',
        searchParams: { patient: PATIENT, status: 'active', _include: 'MedicationRequest:medication' },
      }),
    );
    expect(bundle.total).toBe(1);
    expect(ids(bundle, 'match')).toEqual(['integration-fm-1-pregabalin-rx']);
    expect(ids(bundle, 'include')).toEqual(['integration-fm-1-pregabalin-75']);
    const medication = resources<fhir4.Medication>(bundle).find((r) => r.resourceType === 'Medication');
    expect(medication?.code?.coding?.[0]?.code).toBe('483450');
  });

  it('searches by POST /{Type}/_search with a form body', async () => {
    const bundle = asBundle(
      await client.search({
        resourceType: 'Condition',
        searchParams: { patient: `Patient/${PATIENT}`, code: 'http://snomed.info/sct|203082005' },
        options: { postSearch: true },
      }),
    );
    expect(ids(bundle)).toEqual(['integration-fm-1-fibromyalgia']);
  });

  it('runs a transaction whose urn:uuid references point at new resources', async () => {
    const patientUrn = 'urn:uuid:6c0f2f52-8d8f-4c53-9d7a-1f0a3c1d2e11';
    const response = asBundle(
      await client.transaction({
        body: {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            { fullUrl: patientUrn, resource: { resourceType: 'Patient', name: [{ family: 'Transaktion' }] }, request: { method: 'POST', url: 'Patient' } },
            {
              resource: {
                resourceType: 'Observation',
                status: 'final',
                code: { coding: [{ system: LOINC, code: '2157-6' }] },
                subject: { reference: patientUrn },
              },
              request: { method: 'POST', url: 'Observation' },
            },
          ],
        },
      }),
    );
    expect(response.type).toBe('transaction-response');
    const [patient, observation] = resources<fhir4.Resource>(response) as [fhir4.Patient, fhir4.Observation];
    expect(patient.id).toBeTruthy();
    expect(observation.subject?.reference).toBe(`Patient/${patient.id}`);
    const found = asBundle(await client.search({ resourceType: 'Observation', searchParams: { patient: patient.id as string } }));
    expect(ids(found)).toEqual([observation.id]);
  });

  it('creates with POST and with PUT (client id)', async () => {
    const created = await fetch(`${baseUrl}/Patient`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Ny' }] }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toMatch(new RegExp(`^${baseUrl}/Patient/[^/]+/_history/`));
    const put = (await client.update({ resourceType: 'Patient', id: 'integration-put-1', body: { resourceType: 'Patient', id: 'integration-put-1' } })) as fhir4.Patient;
    expect(put.id).toBe('integration-put-1');
    expect(((await client.read({ resourceType: 'Patient', id: 'integration-put-1' })) as fhir4.Patient).id).toBe('integration-put-1');
  });

  it('answers CORS preflight and accepts both FHIR JSON media types', async () => {
    const preflight = await fetch(`${baseUrl}/Patient/${PATIENT}`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:8080', 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    for (const accept of ['application/json+fhir', 'application/fhir+json']) {
      const res = await fetch(`${baseUrl}/Patient/${PATIENT}`, { headers: { Accept: accept } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(((await res.json()) as fhir4.Patient).id).toBe(PATIENT);
    }
  });

  it('rejects what it cannot search with a 400 OperationOutcome', async () => {
    const res = await fetch(`${baseUrl}/Observation?subject.name=x`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as fhir4.OperationOutcome).resourceType).toBe('OperationOutcome');
  });

  it('stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    expect(await exitOf(child, 5_000)).toBe(0);
  });
});

describe('test FHIR server in-process with a bearer token', () => {
  const TOKEN = 'integration-test-token';
  let server: FhirTestServer;

  beforeAll(async () => {
    server = await createFhirTestServer({ bearerToken: TOKEN, seedDir: projectPath('fixtures', 'patients') });
  });
  afterAll(() => server?.close());

  it('answers 401 with an OperationOutcome without the right token', async () => {
    const attempts: Record<string, string>[] = [{}, { Authorization: 'Bearer wrong-token' }, { Authorization: TOKEN }];
    for (const headers of attempts) {
      const res = await fetch(`${server.baseUrl}/Patient/${PATIENT}`, { headers });
      expect(res.status).toBe(401);
      expect(((await res.json()) as fhir4.OperationOutcome).resourceType).toBe('OperationOutcome');
    }
    const client = new Client({ baseUrl: server.baseUrl });
    await expect(client.read({ resourceType: 'Patient', id: PATIENT })).rejects.toMatchObject({ response: { status: 401 } });
  });

  it('serves requests that carry the token, and logs that a header was sent (not its value)', async () => {
    const client = new Client({ baseUrl: server.baseUrl, bearerToken: TOKEN });
    const patient = (await client.read({ resourceType: 'Patient', id: PATIENT })) as fhir4.Patient;
    expect(patient.id).toBe(PATIENT);
    expect(server.requestLog.at(-1)).toEqual({ method: 'GET', url: `/fhir/Patient/${PATIENT}`, authorization: true });
    expect(JSON.stringify(server.requestLog)).not.toContain(TOKEN);
  });

  it('lets CORS preflight through without a token', async () => {
    const res = await fetch(`${server.baseUrl}/Observation`, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
  });
});

describe('test FHIR server with simulated latency (FHIR_LATENCY_MS)', () => {
  const LATENCY_MS = 150;
  const PARALLEL = 8;
  let server: FhirTestServer;

  beforeAll(async () => {
    server = await createFhirTestServer({ latencyMs: LATENCY_MS });
  });
  afterAll(() => server?.close());

  /** ms until the whole answer has arrived. */
  async function timedRead(url: string): Promise<number> {
    const started = performance.now();
    const res = await fetch(url, { headers: { accept: 'application/fhir+json' } });
    expect(res.status).toBe(200);
    await res.json();
    return performance.now() - started;
  }

  it('answers a request no sooner than the latency', async () => {
    // Timers may fire up to 1 ms early against performance.now() (millisecond clock of the loop).
    expect(await timedRead(`${server.baseUrl}/Patient/${PATIENT}`)).toBeGreaterThanOrEqual(LATENCY_MS - 1);
  });

  it(`answers ${PARALLEL} parallel requests in about one latency, not ${PARALLEL}: it waits on a timer, not the CPU`, async () => {
    const urls = Array.from({ length: PARALLEL }, (_, i) => `${server.baseUrl}/${i % 2 === 0 ? `Patient/${PATIENT}` : `Condition?patient=${PATIENT}`}`);
    const started = performance.now();
    const each = await Promise.all(urls.map((url) => timedRead(url)));
    const all = performance.now() - started;
    for (const ms of each) expect(ms).toBeGreaterThanOrEqual(LATENCY_MS - 1);
    // One after another they would take PARALLEL × 150 ms = 1.2 s; the slack is for a busy machine.
    expect(all).toBeLessThan(2 * LATENCY_MS);
  });

  it('refuses a latency that is not a whole number of ms from 0 to 10,000', async () => {
    for (const latencyMs of [-1, 1.5, 10_001, Number.NaN]) {
      await expect(createFhirTestServer({ latencyMs })).rejects.toThrow(/latency/);
    }
  });

  it('refuses a bad FHIR_LATENCY_MS at process start, naming it', async () => {
    await expect(startServerProcess({ FHIR_PORT: '0', FHIR_LATENCY_MS: 'soon' })).rejects.toThrow(/FHIR_LATENCY_MS/);
  });
});

describe('test FHIR server seeding', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores seed resources under their fixed ids and resolves urn:uuid references', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fhir-seed-'));
    const urn = 'urn:uuid:0b7a3c1e-5f0d-4e3a-9a51-2d8c4b6e7f10';
    writeFileSync(
      join(dir, 'one.json'),
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: urn, resource: { resourceType: 'Patient', id: 'seed-p1' }, request: { method: 'PUT', url: 'Patient/seed-p1' } },
          {
            resource: { resourceType: 'Condition', id: 'seed-c1', subject: { reference: urn }, code: { text: 'x' } },
            request: { method: 'PUT', url: 'Condition/seed-c1' },
          },
        ],
      }),
    );
    const server = await createFhirTestServer({ seedDir: dir });
    try {
      expect(server.seeded).toEqual({ files: 1, resources: 2 });
      const client = new Client({ baseUrl: server.baseUrl });
      const condition = (await client.read({ resourceType: 'Condition', id: 'seed-c1' })) as unknown as fhir4.Condition;
      expect(condition.subject?.reference).toBe('Patient/seed-p1');
      const res = await fetch(`${server.baseUrl}/Patient/${PATIENT}`);
      expect(res.status).toBe(404); // only this folder was seeded
    } finally {
      await server.close();
    }
  });

  it('refuses to start on a seed file that is not FHIR JSON, naming the file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fhir-seed-'));
    writeFileSync(join(dir, 'broken.json'), '{ not json');
    await expect(createFhirTestServer({ seedDir: dir })).rejects.toThrow(/broken\.json/);
  });
});

describe('test FHIR server with 10,000 Observations', () => {
  const PATIENTS = 100;
  const CODES = ['3016-3', '2157-6', '1988-5', '718-7'];
  let server: FhirTestServer;
  let client: Client;

  beforeAll(async () => {
    server = await createFhirTestServer({});
    client = new Client({ baseUrl: server.baseUrl });
    // Loaded over HTTP as one batch Bundle, like any client would.
    const entry = Array.from({ length: 10_000 }, (_, i) => ({
      resource: {
        resourceType: 'Observation',
        status: 'final',
        category: [{ coding: [{ system: 'urn:example:integration-bulk', code: 'bulk' }] }],
        code: { coding: [{ system: LOINC, code: CODES[Math.floor(i / PATIENTS) % CODES.length] }] },
        subject: { reference: `Patient/bulk-${i % PATIENTS}` },
        effectiveDateTime: new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toISOString(),
        valueQuantity: { value: i },
      },
      request: { method: 'POST', url: 'Observation' },
    }));
    const response = asBundle(await client.batch({ body: { resourceType: 'Bundle', type: 'batch', entry } }));
    expect(response.entry?.every((e) => e.response?.status === '201')).toBe(true);
  }, 60_000);
  afterAll(() => server?.close());

  it('finds one patient’s Observations by code among 10,000, sorted and complete', async () => {
    const bundle = asBundle(
      await client.search({
        resourceType: 'Observation',
        searchParams: { patient: 'bulk-7', code: `${LOINC}|3016-3,${LOINC}|2157-6`, _sort: '-date', _count: 100 },
      }),
    );
    expect(bundle.total).toBe(50); // 100 per patient, a quarter per code
    const found = resources<fhir4.Observation>(bundle);
    expect(found).toHaveLength(50);
    for (const obs of found) {
      expect(obs.subject?.reference).toBe('Patient/bulk-7');
      expect(['3016-3', '2157-6']).toContain(obs.code.coding?.[0]?.code);
    }
    const dates = found.map((o) => o.effectiveDateTime ?? '');
    expect(dates).toEqual([...dates].sort().reverse());
  });

  it('still finds the fixture patient’s own results only', async () => {
    const bundle = asBundle(
      await client.search({ resourceType: 'Observation', searchParams: { patient: PATIENT, code: `${LOINC}|3016-3` } }),
    );
    expect(ids(bundle).sort()).toEqual(['integration-fm-1-tsh-2024', 'integration-fm-1-tsh-2025']);
  });

  it('counts a search that has to scan every Observation', async () => {
    const bundle = asBundle(
      await client.search({
        resourceType: 'Observation',
        searchParams: { category: 'urn:example:integration-bulk|bulk', code: `${LOINC}|3016-3`, _summary: 'count' },
      }),
    );
    expect(bundle.total).toBe(2_500);
    expect(bundle.entry ?? []).toHaveLength(0);
  });
});
