import { randomUUID } from 'node:crypto';
import { startFaultyFhirServer, type FaultyFhirServer } from '../../test-support/hardening/faultyFhirServer.js';
import { startServiceProcess, stopAllProcesses, STARTUP_TIMEOUT_MS, type StartedProcess } from '../support/processes.js';

/**
 * Large bodies in flight must not take the process down (src/transport/heapAdmission.ts). The service runs
 * in its own process with a small heap (128 MB old generation) and reads from a FHIR server that never
 * answers, so each call holds its parsed body until its FHIR deadline. Ten 2 MB bodies of empty objects
 * (~45 MB of heap each once parsed) are sent at once: without the admission check they pass the heap's
 * limit and the process dies with all ten calls; with it, the calls the heap has no room for get 503.
 */

const BODY_OBJECTS = 650_000; // `{},` × 650,000 ≈ 2 MB of text
const CALLS = 10;

function patientView(fhirServer: string): string {
  const body = {
    hook: 'patient-view',
    hookInstance: randomUUID(),
    fhirServer,
    context: { userId: 'Practitioner/p', patientId: 'p1' },
    extension: { padding: 'PADDING' },
  };
  return JSON.stringify(body).replace('"PADDING"', `[${'{},'.repeat(BODY_OBJECTS - 1)}{}]`);
}

let fhir: FaultyFhirServer;
let service: StartedProcess<string>;

beforeAll(async () => {
  fhir = await startFaultyFhirServer();
  fhir.setFault('*', { kind: 'hang' });
  service = await startServiceProcess(
    { AUTH: 'off', BODY_LIMIT: '4mb', FHIR_QUERY_TIMEOUT_MS: '3000', FHIR_REQUEST_DEADLINE_MS: '3000' },
    ['--max-old-space-size=128'],
  );
}, STARTUP_TIMEOUT_MS);

afterAll(async () => {
  await stopAllProcesses();
  await fhir?.close();
});

test('ten 2 MB bodies at once on a 128 MB heap: the process lives, the calls without room get 503 with Retry-After, the others their answer', async () => {
  const body = patientView(fhir.baseUrl);
  const answers = await Promise.all(
    Array.from({ length: CALLS }, () =>
      fetch(`${service.ready}/cds-services/nkr-pain-patient-view`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, signal: AbortSignal.timeout(30_000) }).then(
        async (res) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> }),
        (err: unknown): { status: number; retryAfter: string | null; body: Record<string, unknown> } => ({ status: 0, retryAfter: null, body: { error: String(err) } }),
      ),
    ),
  );
  const statuses = answers.map((a) => a.status);
  // Admitted calls wait for the FHIR server that never answers: their deadline passes, the data is unavailable (412).
  expect(statuses.every((s) => s === 412 || s === 503)).toBe(true);
  expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
  expect(statuses.filter((s) => s === 412).length).toBeGreaterThan(0);
  for (const refused of answers.filter((a) => a.status === 503)) {
    expect(refused.retryAfter).toBe('1');
    expect(refused.body.resourceType).toBe('OperationOutcome');
  }
  const health = await fetch(`${service.ready}/healthz`, { signal: AbortSignal.timeout(5_000) });
  expect(health.status).toBe(200);
  expect(service.child.exitCode).toBeNull();
}, 60_000);
