/**
 * Two service processes on one PostgreSQL database, as behind a load balancer (one public base URL):
 * feedback posted to one instance is in the other's report, and a token used at one is refused by the
 * other (the JWT replay cache is in the database). JWT verification is on, with the sandbox issuer.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { projectRoot } from '../../src/projectRoot.js';
import { patientViewRequest } from '../support/testApp.js';
import { startServiceProcess, stopAllProcesses, type StartedProcess } from '../support/processes.js';
import { closeAll, freshLocation, storeEnv, STORE_KINDS, type StoreLocation } from '../store/storeKinds.js';
import { ADMIN_TOKEN, call, PSEUDONYM_SECRET, sandboxToken } from './storeProcesses.js';

const PUBLIC = 'http://cds.example.org';
const SERVICE = '/cds-services/nkr-pain-patient-view';

const maybe = STORE_KINDS.includes('postgres') ? describe : describe.skip;

maybe('two instances on one PostgreSQL', () => {
  let loc: StoreLocation;
  let a: StartedProcess<string>;
  let b: StartedProcess<string>;

  beforeAll(async () => {
    loc = await freshLocation('postgres');
    const env = { ...storeEnv(loc), PUBLIC_BASE_URL: PUBLIC, PSEUDONYM_SECRET, ADMIN_TOKEN, CARD_LOG_FLUSH_MS: '50', CDS_LANGUAGE: 'da' };
    // Started together: both migrate the empty schema at once (the advisory lock makes that safe).
    [a, b] = await Promise.all([startServiceProcess(env), startServiceProcess(env)]);
  }, 30_000);

  afterAll(async () => {
    await stopAllProcesses();
    await closeAll();
  });

  test('both are ready on the shared store', async () => {
    for (const p of [a, b]) {
      const res = await call(`${p.ready}/readyz`);
      expect(res.status).toBe(200);
      expect(res.body.checks.store).toBe('ok (postgres)');
    }
  });

  test('an instance with another PSEUDONYM_SECRET is refused at start (before: it started, and quiet by design failed without a word)', async () => {
    const env = { ...storeEnv(loc), PUBLIC_BASE_URL: PUBLIC, ADMIN_TOKEN, CDS_LANGUAGE: 'da' };
    await expect(startServiceProcess({ ...env, PSEUDONYM_SECRET: 'another-pseudonym-secret-0123456789' })).rejects.toThrow(
      /Configuration error in PSEUDONYM_SECRET: differs from the secret the store's pseudonymous keys were made with/,
    );
    // The same secret starts, also a third instance beside the two running.
    const c = await startServiceProcess({ ...env, PSEUDONYM_SECRET });
    expect((await call(`${c.ready}/readyz`)).status).toBe(200);
    await c.stop();
  }, 40_000);

  test('a token accepted by one instance is refused by the other', async () => {
    const token = await sandboxToken(`${PUBLIC}${SERVICE}`);
    const first = await call(`${a.ready}${SERVICE}`, { body: patientViewRequest('gsb-workup-missing'), token });
    expect(first.status).toBe(200);
    const replayed = await call(`${b.ready}${SERVICE}`, { body: patientViewRequest('gsb-workup-missing'), token });
    expect(replayed.status).toBe(401);
    // And a fresh token is fine at the other instance.
    const fresh = await call(`${b.ready}${SERVICE}`, { body: patientViewRequest('gsb-workup-missing'), token: await sandboxToken(`${PUBLIC}${SERVICE}`) });
    expect(fresh.status).toBe(200);
  });

  test('feedback posted to one instance is in the report of the other (and of npm run report)', async () => {
    const hook = await call(`${a.ready}${SERVICE}`, { body: patientViewRequest('gsb-established-complete'), token: await sandboxToken(`${PUBLIC}${SERVICE}`) });
    expect(hook.status).toBe(200);
    const card = hook.body.cards[0];
    expect(card.source.topic.code).toBe('non-pharmacological-treatment');
    const feedback = {
      feedback: [{ card: card.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: card.suggestions[0].uuid }], outcomeTimestamp: new Date().toISOString() }],
    };
    const posted = await call(`${a.ready}${SERVICE}/feedback`, { body: feedback, token: await sandboxToken(`${PUBLIC}${SERVICE}/feedback`) });
    expect(posted.status).toBe(200);

    // The card log is written within CARD_LOG_FLUSH_MS; poll the other instance's report briefly.
    let kind: any;
    for (let i = 0; i < 40 && !kind?.accepted; i++) {
      const report = await call(`${b.ready}/admin/report`, { token: ADMIN_TOKEN });
      expect(report.status).toBe(200);
      kind = report.body.kinds.find((k: any) => k.kind === 'non-pharmacological-treatment');
      if (!kind?.accepted) await new Promise((r) => setTimeout(r, 50));
    }
    expect(kind).toMatchObject({ language: 'da', issued: 1, accepted: 1, overridden: 0, noAnswer: 0 });
    expect(kind.acceptedSuggestions).toEqual([{ suggestion: expect.stringMatching(/^ServiceRequest \d+$/), cards: 1 }]);

    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/report.ts'], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...storeEnv(loc), PSEUDONYM_SECRET },
      timeout: 20_000,
    });
    expect(stdout).toContain('store: postgres');
    expect(stdout).toMatch(/non-pharmacological-treatment \[da\]: 1 issued, 1 accepted \(100 %\)/);
    expect(stdout).toMatch(/screening-incomplete \[da\]: 2 issued/);
  }, 30_000);
});

maybe('an instance started while another migrates longer than the statement timeout', () => {
  afterAll(async () => {
    await stopAllProcesses();
    await closeAll();
  });

  test('waits for that migration and starts (before: exit 1, "canceling statement due to statement timeout")', async () => {
    const loc = await freshLocation('postgres');
    // Another instance migrating an older schema with a large card log (an index over millions of rows takes
    // seconds): it holds the migration lock for longer than the request path's 5 s statement timeout.
    const other = new pg.Client({ connectionString: loc.databaseUrl ?? '' });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock(7451101)');
      const starting = startServiceProcess({ ...storeEnv(loc), PUBLIC_BASE_URL: PUBLIC, PSEUDONYM_SECRET, AUTH: 'off' });
      starting.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 7_000));
      await other.query('COMMIT');
      const started = await starting;
      expect((await call(`${started.ready}/readyz`)).status).toBe(200);
    } finally {
      await other.end();
    }
  }, 40_000);
});
