import { expectValidResponse, cardOfKind, patientViewRequest } from '../support/testApp.js';
import { parseLogLine, startFhirServerProcess, startServiceProcess, stopAllProcesses, STARTUP_TIMEOUT_MS, type StartedProcess } from '../support/processes.js';
import { fhirAuthorization, GENEROUS_FHIR_TIMEOUTS } from '../support/fhirAccess.js';
import { useTempDirs } from '../support/tempDirs.js';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createNetServer } from 'node:net';
import { projectPath } from '../../src/projectRoot.js';

/**
 * The service as it is deployed: `src/main.ts` in its own process (through tsx, no build), configured
 * by environment only, reached over loopback HTTP, fetching from the test FHIR server process.
 */

const tempDir = useTempDirs();
const isRoot = process.getuid?.() === 0;

/** Whether this test run can make a file that even it cannot write: not root, or root where chattr +i works. */
function canMakeReadOnly(): boolean {
  if (!isRoot) return true;
  const file = join(tempDir('nkr-chattr-'), 'probe');
  writeFileSync(file, '');
  try {
    execFileSync('chattr', ['+i', file], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', file], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const TOKEN = 'secret-token-123';
const WRONG_TOKEN = 'wrong-token-456';
/** gsb-workup-missing is Karen Jensen: her name is on the FHIR server and must never reach a log. */
const PATIENT = 'gsb-workup-missing';
const PATIENT_NAMES = ['Karen', 'Jensen'];
const SERVICE_PATH = '/cds-services/nkr-pain-patient-view';
const FHIR_ENV = GENEROUS_FHIR_TIMEOUTS;
const HTTP_TIMEOUT_MS = 10_000;


function noPrefetch(fhirServer: string, accessToken?: string): Record<string, unknown> {
  const body = patientViewRequest(PATIENT, { fhirServer });
  delete body.prefetch;
  if (accessToken !== undefined) body.fhirAuthorization = fhirAuthorization(accessToken);
  return body;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Accept-Language': 'en', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
}

const get = (url: string): Promise<Response> => fetch(url, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });

/** The process's stdout as parsed log lines. */
function logLines(p: StartedProcess<string>): Array<Record<string, unknown>> {
  return p
    .stdout()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => parseLogLine(l) ?? { unparsed: l });
}

/** Polls (bounded) until a log line satisfies `match`: the request log writes its line when the response finishes. */
async function waitForLogLine(p: StartedProcess<string>, match: (entry: Record<string, unknown>) => boolean, timeoutMs = 5_000): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = logLines(p).find(match);
    if (found) return found;
    if (Date.now() > until) throw new Error(`no such log line within ${timeoutMs} ms; stdout:\n${p.stdout()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const requestLine =
  (path: string, status: number) =>
  (e: Record<string, unknown>): boolean =>
    (e.req as { path?: string } | undefined)?.path === path && (e.res as { statusCode?: number } | undefined)?.statusCode === status;

let fhir: StartedProcess<string>;
let service: StartedProcess<string>;
let serviceWithAuth: StartedProcess<string>;

beforeAll(async () => {
  fhir = await startFhirServerProcess({ bearerToken: TOKEN });
  [service, serviceWithAuth] = await Promise.all([
    startServiceProcess({ AUTH: 'off', ...FHIR_ENV }),
    startServiceProcess({ ...FHIR_ENV }), // AUTH defaults to on
  ]);
}, 2 * STARTUP_TIMEOUT_MS + 5_000);

afterAll(async () => {
  await stopAllProcesses();
});

describe('the service process, AUTH=off, with the FHIR server process', () => {
  test('announces itself on stdout as a JSON log line with auth off, and nothing but JSON lines', () => {
    const lines = logLines(service);
    expect(lines.find((e) => e.msg === 'nkr-pain-cds listening')).toMatchObject({ auth: 'off', nodeEnv: 'development', url: `${service.ready}/cds-services` });
    expect(lines.filter((e) => 'unparsed' in e)).toEqual([]);
  });

  test('GET /healthz → 200 {"status":"ok"}', async () => {
    const res = await get(`${service.ready}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  test('GET /cds-services → discovery with the patient-view service and its prefetch templates', async () => {
    const res = await get(`${service.ready}/cds-services`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { services: Array<Record<string, any>> };
    const pv = body.services.find((s) => s.id === 'nkr-pain-patient-view');
    expect(pv).toMatchObject({ hook: 'patient-view' });
    expect(Object.keys(pv!.prefetch)).toEqual(expect.arrayContaining(['conditions', 'labs', 'serviceRequests']));
  });

  test('patient-view without prefetch → the screening card, from the FHIR server (token forwarded)', async () => {
    const res = await post(`${service.ready}${SERVICE_PATH}`, noPrefetch(fhir.ready, TOKEN));
    expect(res.status).toBe(200);
    const body = expectValidResponse(await res.json());
    expect(body.cards).toHaveLength(1);
    const card = cardOfKind(body, 'screening-incomplete')!;
    expect(card.suggestions[0].actions).toHaveLength(16);
    expect(card.suggestions[0].actions[0].resource.subject).toEqual({ reference: `Patient/${PATIENT}` });
    // ONE line for the request: its id, service, status, duration, cards by kind and each FHIR read's time.
    const line = await waitForLogLine(service, requestLine(SERVICE_PATH, 200));
    expect(line).toMatchObject({ level: 30, serviceId: 'nkr-pain-patient-view', cards: { 'screening-incomplete': 1 }, cardCount: 1, responseTime: expect.any(Number) });
    expect((line.req as { id?: unknown }).id).toEqual(expect.any(String));
    const reads = (line.data as { fhirReads: Array<{ key: string; ms: number; outcome: string }> }).fhirReads;
    expect(reads.map((r) => r.key).sort()).toEqual(['conditions', 'labs', 'medicationStatements', 'medications', 'patient', 'serviceRequests']);
    expect(reads.every((r) => r.outcome === 'ok' && typeof r.ms === 'number')).toBe(true);
    expect(logLines(service).filter((e) => (e.req as { id?: unknown } | undefined)?.id === (line.req as { id?: unknown }).id && e.res !== undefined)).toHaveLength(1);
  });

  test('a wrong token → 412 OperationOutcome without the token', async () => {
    const res = await post(`${service.ready}${SERVICE_PATH}`, noPrefetch(fhir.ready, WRONG_TOKEN));
    expect(res.status).toBe(412);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ resourceType: 'OperationOutcome' });
    expect(text).not.toContain(WRONG_TOKEN);
    // The 412's log line says why, naming the required keys; the optional keys it could not read are named too.
    const line = await waitForLogLine(service, requestLine(SERVICE_PATH, 412));
    expect(line).toMatchObject({ level: 40, serviceId: 'nkr-pain-patient-view', data: { unavailable: expect.arrayContaining(['medications', 'serviceRequests']) } });
    expect(line.reason).toEqual(expect.stringContaining('prefetch "conditions"'));
    expect(line.reason).toEqual(expect.stringContaining('HTTP 401'));
  });

  test('its log lines never hold a token or the patient\'s name', async () => {
    // The previous calls have been logged (waited for above); make sure at least a FHIR failure was logged too.
    await waitForLogLine(service, (e) => e.msg === 'optional data unavailable: the cards that need it degrade');
    const output = service.stdout() + service.stderr();
    for (const secret of [TOKEN, WRONG_TOKEN, ...PATIENT_NAMES]) expect(output).not.toContain(secret);
    // Nor the request body (prefetch, context) or patient id in URLs: request lines carry the path only.
    expect(output).not.toContain(`patient=${PATIENT}`);
  });

  test('SIGTERM → logs "shutting down" and exits 0 (bounded wait)', async () => {
    const exit = await service.stop('SIGTERM', 8_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(logLines(service).some((e) => e.msg === 'shutting down' && e.signal === 'SIGTERM')).toBe(true);
  }, 15_000);
});

describe('SHUTDOWN_DRAIN_MS: on SIGTERM, not ready but still serving, then the exit', () => {
  test('/readyz 503 and hook calls answered during the drain, each closing its connection; exit 0 after it', async () => {
    const draining = await startServiceProcess({ AUTH: 'off', ...FHIR_ENV, SHUTDOWN_DRAIN_MS: '1500' });
    try {
      expect((await get(`${draining.ready}/readyz`)).status).toBe(200);
      expect((await post(`${draining.ready}${SERVICE_PATH}`, noPrefetch(fhir.ready, TOKEN))).headers.get('connection')).not.toBe('close');
      const started = Date.now();
      draining.child.kill('SIGTERM');
      await waitForLogLine(draining, (e) => e.msg === 'shutting down' && e.drainMs === 1500);
      expect((await get(`${draining.ready}/readyz`)).status).toBe(503);
      const res = await post(`${draining.ready}${SERVICE_PATH}`, noPrefetch(fhir.ready, TOKEN));
      expect(res.status).toBe(200);
      // A kept-alive connection would be closed under the client at the drain's end: the next call goes on a new one.
      expect(res.headers.get('connection')).toBe('close');
      expect(await draining.exited(10_000)).toEqual({ code: 0, signal: null });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    } finally {
      await draining.stop('SIGKILL', 1_000);
    }
  }, STARTUP_TIMEOUT_MS + 20_000);
});

describe('a second SIGTERM or SIGINT during the drain', () => {
  test('cuts the drain short: the service stops taking requests, writes the card log and exits 0 at once, not after SHUTDOWN_DRAIN_MS', async () => {
    const draining = await startServiceProcess({ AUTH: 'off', ...FHIR_ENV, SHUTDOWN_DRAIN_MS: '60000' });
    try {
      draining.child.kill('SIGTERM');
      await waitForLogLine(draining, (e) => e.msg === 'shutting down' && e.drainMs === 60000);
      expect((await get(`${draining.ready}/readyz`)).status).toBe(503);
      // An operator's second Ctrl-C: before, it was ignored and the process served on for the whole minute.
      draining.child.kill('SIGINT');
      expect(await draining.exited(5_000)).toEqual({ code: 0, signal: null });
      expect(logLines(draining).some((e) => e.msg === 'second signal: the drain is cut short' && e.signal === 'SIGINT')).toBe(true);
    } finally {
      await draining.stop('SIGKILL', 1_000);
    }
  }, STARTUP_TIMEOUT_MS + 20_000);
});

describe('the service process with auth on (the default)', () => {
  test('patient-view without Authorization → 401 with an empty body', async () => {
    const res = await post(`${serviceWithAuth.ready}${SERVICE_PATH}`, noPrefetch(fhir.ready, TOKEN));
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('');
  });

  test('discovery stays open without Authorization', async () => {
    const res = await get(`${serviceWithAuth.ready}/cds-services`);
    expect(res.status).toBe(200);
  });

  test('/metrics counts the refusal by the check that failed (main.ts wires the verifier to the metrics)', async () => {
    const res = await post(`${serviceWithAuth.ready}${SERVICE_PATH}`, noPrefetch(fhir.ready, TOKEN));
    expect(res.status).toBe(401);
    const metrics = await (await get(`${serviceWithAuth.ready}/metrics`)).text();
    const count = Number(/^cds_caller_refusals_total\{check="header"\} (\d+)$/m.exec(metrics)?.[1]);
    expect(count).toBeGreaterThanOrEqual(1);
  });

  test('the 401 did not log the FHIR token it was sent', async () => {
    await waitForLogLine(serviceWithAuth, requestLine(SERVICE_PATH, 401));
    expect(serviceWithAuth.stdout() + serviceWithAuth.stderr()).not.toContain(TOKEN);
    expect(logLines(serviceWithAuth).find((e) => e.msg === 'nkr-pain-cds listening')).toMatchObject({ auth: 'on' });
  });
});

describe('an address that cannot be had', () => {
  test('PORT in use → exit 1 with a line naming PORT and why, no stack trace', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const started = startServiceProcess({ AUTH: 'off', PORT: String(port) });
      await expect(started).rejects.toThrow(new RegExp(`exited \\(code 1[\\s\\S]*cannot listen on HOST 127\\.0\\.0\\.1, PORT ${port}: the port is in use by another process \\(EADDRINUSE\\); set PORT`));
      await expect(started).rejects.not.toThrow(/Unhandled 'error' event|    at /);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  }, 30_000);
  test('a DATA_DIR that cannot be a folder, or a DATABASE_URL that does not answer (down, not misnamed: said so) → exit 1 with a line naming the variable, no stack trace', async () => {
    const file = join(tempDir('nkr-datadir-'), 'a-file');
    writeFileSync(file, 'not a folder');
    const badDir = startServiceProcess({ AUTH: 'off', DATA_DIR: file });
    await expect(badDir).rejects.toThrow(/exited \(code 1[\s\S]*failed to start: Configuration error in DATA_DIR: /);
    await expect(badDir).rejects.not.toThrow(/    at /);
    // A folder that cannot be made where its parent exists (Node's recursive mkdir hung here for ever).
    const procDir = startServiceProcess({ AUTH: 'off', DATA_DIR: '/proc/nkr-pain-cds-data' });
    await expect(procDir).rejects.toThrow(/exited \(code 1[\s\S]*failed to start: Configuration error in DATA_DIR: ENOENT/);
    const badDb = startServiceProcess({ AUTH: 'off', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', PSEUDONYM_SECRET: 'x'.repeat(32) });
    await expect(badDb).rejects.toThrow(/exited \(code 1[\s\S]*failed to start: the database at DATABASE_URL cannot be reached \(ECONNREFUSED\): is it running, and is DATABASE_URL right\?/);
    await expect(badDb).rejects.not.toThrow(/    at /);
    // A server that takes the connection and never answers (a firewall dropping packets): pg's connect timeout, said the same way.
    const silent = createNetServer(() => undefined).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    const address = silent.address();
    const silentPort = typeof address === 'object' && address ? address.port : 0;
    try {
      const mute = startServiceProcess({ AUTH: 'off', DATABASE_URL: `postgres://nobody@127.0.0.1:${silentPort}/none`, PSEUDONYM_SECRET: 'x'.repeat(32) });
      await expect(mute).rejects.toThrow(/exited \(code 1[\s\S]*failed to start: the database at DATABASE_URL cannot be reached \(no answer within the connect timeout\)/);
    } finally {
      silent.close();
    }
  }, 30_000);

  // Permissions do not stop root, who can write any file: as root the file is made immutable (chattr +i), which
  // stops root too; skipped only where neither works (root on a file system without the attribute).
  (canMakeReadOnly() ? test : test.skip)('a DATA_DIR whose store file can only be read → exit 1 naming DATA_DIR, not a start that looks ready until the first write', async () => {
    const { SQLITE_FILE } = await import('../../src/store/openStore.js');
    const dataDir = tempDir('nkr-datadir-');
    const first = await startServiceProcess({ AUTH: 'off', DATA_DIR: dataDir });
    await first.stop();
    // A restored backup with the wrong owner or mode: SQLite opens it for reading only, and says nothing.
    const file = join(dataDir, SQLITE_FILE);
    chmodSync(file, 0o444);
    if (isRoot) execFileSync('chattr', ['+i', file]);
    try {
      await expect(startServiceProcess({ AUTH: 'off', DATA_DIR: dataDir })).rejects.toThrow(/exited \(code 1[\s\S]*failed to start: Configuration error in DATA_DIR: its store file can only be read/);
    } finally {
      if (isRoot) execFileSync('chattr', ['-i', file]);
    }
  }, 30_000);
});

// What a start took in DATA_DIR it lets go before it exits, as a SIGTERM does: the store closed (its
// write-ahead log checkpointed and removed) and the instance lock's connection closed (its journal removed).
// The operating system would release the lock itself; files SQLite leaves only when a connection was
// abandoned are what shows it.
describe('a start that fails after it took DATA_DIR', () => {
  const leftOpen = (dataDir: string): string[] => readdirSync(dataDir).filter((f) => /-(wal|shm|journal)$/.test(f));

  test('a clean stop leaves no SQLite side files (what the next tests compare with)', async () => {
    const dataDir = tempDir('nkr-datadir-');
    const started = await startServiceProcess({ AUTH: 'off', DATA_DIR: dataDir });
    expect(leftOpen(dataDir).length).toBeGreaterThan(0);
    await started.stop();
    expect(leftOpen(dataDir)).toEqual([]);
  }, 30_000);

  test('a trusted-issuers file that cannot be read → exit 1 naming it, read before anything is written: nothing in DATA_DIR (no store, no secret, no lock)', async () => {
    const dataDir = join(tempDir('nkr-datadir-'), 'data');
    const issuers = join(tempDir('nkr-issuers-'), 'issuers.json');
    writeFileSync(issuers, '{');
    await expect(startServiceProcess({ DATA_DIR: dataDir, TRUSTED_ISSUERS_FILE: issuers })).rejects.toThrow(/exited \(code 1[\s\S]*failed to start: Configuration error in TRUSTED_ISSUERS_FILE: /);
    expect(existsSync(dataDir) ? readdirSync(dataDir) : []).toEqual([]);
  }, 30_000);

  test('production without PSEUDONYM_SECRET → exit 2 naming it, before DATA_DIR\'s lock is taken: nothing in DATA_DIR', async () => {
    const dataDir = join(tempDir('nkr-datadir-'), 'data');
    await expect(startServiceProcess({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.example', AUTH: 'off', DATA_DIR: dataDir })).rejects.toThrow(
      /exited \(code 2[\s\S]*Configuration error in PSEUDONYM_SECRET: is required in production/,
    );
    expect(existsSync(dataDir) ? readdirSync(dataDir) : []).toEqual([]);
  }, 30_000);

  test('a card kind that does not exist in CARD_KINDS_DISABLED or QUIET_KINDS_DISABLED → exit 2 naming the variable, before anything is written in DATA_DIR', async () => {
    for (const variable of ['CARD_KINDS_DISABLED', 'QUIET_KINDS_DISABLED']) {
      const dataDir = join(tempDir('nkr-datadir-'), 'data');
      await expect(startServiceProcess({ AUTH: 'off', DATA_DIR: dataDir, [variable]: 'screening-incomplete,tramadl' })).rejects.toThrow(
        new RegExp(`exited \\(code 2[\\s\\S]*Configuration error in ${variable}: "tramadl" is not a card kind`),
      );
      expect([variable, existsSync(dataDir) ? readdirSync(dataDir) : []]).toEqual([variable, []]);
    }
  }, 30_000);

  test('a trusted-issuers file naming a service this process does not offer (a typo) → exit 1 naming TRUSTED_ISSUERS_FILE and the id, nothing in DATA_DIR', async () => {
    const dataDir = join(tempDir('nkr-datadir-'), 'data');
    const issuers = join(tempDir('nkr-issuers-'), 'issuers.json');
    const jwks = projectPath('config', 'sandbox-jwks.json');
    writeFileSync(issuers, JSON.stringify({ issuers: [{ iss: 'https://ehr.example', jwksFile: jwks, services: ['nkr-pain-patient-view', 'nkr-pain-patientview'] }] }));
    await expect(startServiceProcess({ DATA_DIR: dataDir, TRUSTED_ISSUERS_FILE: issuers })).rejects.toThrow(
      /exited \(code 1[\s\S]*failed to start: Configuration error in TRUSTED_ISSUERS_FILE: [\s\S]*"nkr-pain-patientview" is no service of this process/,
    );
    expect(existsSync(dataDir) ? readdirSync(dataDir) : []).toEqual([]);
  }, 30_000);

  test('a store that cannot be opened (its file a folder) → exit 1 as before, the instance lock closed', async () => {
    const { SQLITE_FILE } = await import('../../src/store/openStore.js');
    const dataDir = tempDir('nkr-datadir-');
    mkdirSync(join(dataDir, SQLITE_FILE));
    await expect(startServiceProcess({ AUTH: 'off', DATA_DIR: dataDir })).rejects.toThrow(/exited \(code 1[\s\S]*failed to start: Configuration error in DATA_DIR: /);
    expect(leftOpen(dataDir)).toEqual([]);
  }, 30_000);
});
