/**
 * Quiet by design across two service processes on one PostgreSQL database (docs/clinical-rules.md §6):
 * a card overridden at one instance is quiet at the other, even when the feedback arrives before the
 * issuing instance has written its card log; `npm run quiet:reset` shows it again and `npm run report`
 * counts what was quieted. JWT verification is on, with the sandbox issuer.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/projectRoot.js';
import { OVERRIDE_REASON_SYSTEM } from '../../src/model/overrideReasons.js';
import { patientViewRequest } from '../support/testApp.js';
import { startServiceProcess, stopAllProcesses, type StartedProcess } from '../support/processes.js';
import { freshLocation, storeEnv, STORE_KINDS, type StoreLocation } from '../store/storeKinds.js';
import { call, PSEUDONYM_SECRET, sandboxToken } from './storeProcesses.js';

const PUBLIC = 'http://cds.example.org';
const SERVICE = '/cds-services/nkr-pain-patient-view';

const maybe = STORE_KINDS.includes('postgres') ? describe : describe.skip;

maybe('quiet by design: two instances on one PostgreSQL', () => {
  let loc: StoreLocation;
  let a: StartedProcess<string>;
  let b: StartedProcess<string>;

  beforeAll(async () => {
    loc = await freshLocation('postgres');
    // A long flush interval at A: the feedback reaches B before A has written the card.
    const env = { ...storeEnv(loc), PUBLIC_BASE_URL: PUBLIC, PSEUDONYM_SECRET, CDS_LANGUAGE: 'en' };
    [a, b] = await Promise.all([startServiceProcess({ ...env, CARD_LOG_FLUSH_MS: '1500' }), startServiceProcess({ ...env, CARD_LOG_FLUSH_MS: '50' })]);
  }, 30_000);

  afterAll(stopAllProcesses);

  const view = async (p: StartedProcess<string>): Promise<string[]> => {
    const res = await call(`${p.ready}${SERVICE}`, { body: patientViewRequest('gsb-workup-missing'), token: await sandboxToken(`${PUBLIC}${SERVICE}`) });
    expect(res.status).toBe(200);
    return res.body.cards.map((c: any) => c.source.topic.code);
  };

  test('overridden at B before A logged the card → quiet at both; quiet:reset → shown again; the report counts the quieted cards', async () => {
    const hook = await call(`${a.ready}${SERVICE}`, { body: patientViewRequest('gsb-workup-missing'), token: await sandboxToken(`${PUBLIC}${SERVICE}`) });
    expect(hook.status).toBe(200);
    const card = hook.body.cards.find((c: any) => c.source.topic.code === 'screening-incomplete');
    const feedback = {
      feedback: [{ card: card.uuid, outcome: 'overridden', outcomeTimestamp: new Date().toISOString(), overrideReason: { reason: { system: OVERRIDE_REASON_SYSTEM, code: 'already-addressed' } } }],
    };
    const posted = await call(`${b.ready}${SERVICE}/feedback`, { body: feedback, token: await sandboxToken(`${PUBLIC}${SERVICE}/feedback`) });
    expect(posted.status).toBe(200);

    // A writes its card log within 1.5 s and then applies the feedback B stored meanwhile.
    let kinds: string[] = ['screening-incomplete'];
    for (let i = 0; i < 60 && kinds.length > 0; i++) {
      kinds = await view(b);
      if (kinds.length > 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(kinds).toEqual([]);
    expect(await view(a)).toEqual([]);

    const run = promisify(execFile);
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...storeEnv(loc), PSEUDONYM_SECRET };
    // Both instances' card logs are written before the report reads them.
    await new Promise((r) => setTimeout(r, 1_800));
    const report = await run(process.execPath, ['--import', 'tsx', 'scripts/report.ts'], { cwd: projectRoot, env, timeout: 20_000 });
    expect(report.stdout).toMatch(/Quieted by design \(answered before, not shown again\): [2-9]\d* card\(s\)/);
    expect(report.stdout).toMatch(/screening-incomplete \[en\]: [2-9]\d* quieted/);

    const reset = await run(process.execPath, ['--import', 'tsx', 'scripts/quietReset.ts'], { cwd: projectRoot, env, timeout: 20_000 });
    expect(reset.stdout).toContain('Quiet-by-design state cleared (postgres): 1 suppression(s) removed');
    expect(await view(a)).toEqual(['screening-incomplete']);
    expect(await view(b)).toEqual(['screening-incomplete']);
  }, 40_000);
});
