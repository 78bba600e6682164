/**
 * FHIR_MAX_RESPONSE_BYTES bounds memory, not only what is accepted: a declared Content-Length over the cap
 * is refused before the body is read, a body without one is cut off once it passes the cap; either way
 * 412 quickly and the process does not buffer the answer (src/data/fhirFetcher.ts). Before the fix, a
 * 400 MB answer under a 1 MB cap was read whole: 412 only at the 3 s timeout, RSS 122 → 416 MiB.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFaultyFhirServer, type FaultyFhirServer } from '../../test-support/hardening/faultyFhirServer.js';
import { fhirAuthorization } from '../support/fhirAccess.js';
import { buildTestApp, patientResources, patientViewRequest } from '../support/testApp.js';

const PATIENT = 'integration-fm-1';
const LIMITS_MS = 3000;
let faulty: FaultyFhirServer;
let server: Server;
let url = '';

const body = (): Record<string, unknown> => {
  const b = patientViewRequest(PATIENT, { fhirServer: faulty.baseUrl });
  delete b.prefetch;
  return { ...b, fhirAuthorization: fhirAuthorization(`t-${randomUUID()}`) };
};
const post = (): Promise<Response> => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body()), signal: AbortSignal.timeout(20_000) });

beforeAll(async () => {
  faulty = await startFaultyFhirServer({ resources: patientResources(PATIENT) });
  const { app } = buildTestApp({
    env: { FHIR_SERVER_ALLOWLIST: faulty.baseUrl, FHIR_REQUEST_DEADLINE_MS: String(LIMITS_MS), FHIR_QUERY_TIMEOUT_MS: String(LIMITS_MS), FHIR_MAX_RESPONSE_BYTES: '1mb' },
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cds-services/nkr-pain-patient-view`;
  await (await post()).text(); // warm-up
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await faulty.close();
});

test.each([false, true])('a 400 MB Conditions answer (chunked: %s) over a 1 MB cap → 412 long before the timeout, memory bounded', async (chunked) => {
  faulty.reset();
  faulty.setFault('Condition', { kind: 'enormous', bytes: 400 * 1024 * 1024, chunked });
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const started = performance.now();
  const res = await post();
  const answer: unknown = await res.json();
  const ms = performance.now() - started;
  clearInterval(sampler);
  expect(res.status).toBe(412);
  expect(JSON.stringify(answer)).toContain('prefetch.conditions');
  expect(ms).toBeLessThan(LIMITS_MS / 2);
  expect((peak - before) / 2 ** 20).toBeLessThan(64);
});
