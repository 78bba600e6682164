/**
 * Durability and shutdown, on both stores: a process killed (SIGKILL) while feedback is being posted
 * keeps every record it answered 200; SIGTERM drains, writes the card log and exits 0.
 */
import { execFile } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/projectRoot.js';
import { takeInstanceLock } from '../../src/store/instanceLock.js';
import { SQLITE_FILE } from '../../src/store/openStore.js';
import { SECRET_FILE } from '../../src/store/pseudonym.js';
import { patientViewRequest } from '../support/testApp.js';
import { startServiceProcess, stopAllProcesses } from '../support/processes.js';
import { closeAll, freshLocation, openAt, storeEnv, STORE_KINDS } from '../store/storeKinds.js';
import { call, PSEUDONYM_SECRET } from './storeProcesses.js';

const FEEDBACK = '/cds-services/nkr-pain-patient-view/feedback';

afterAll(async () => {
  await stopAllProcesses();
  await closeAll();
});

describe.each(STORE_KINDS)('%s store', (kind) => {
  test('SIGKILL while feedback is being posted: after a restart every record answered 200 is there', async () => {
    const loc = await freshLocation(kind);
    const env = { ...storeEnv(loc), AUTH: 'off', PSEUDONYM_SECRET };
    const first = await startServiceProcess(env);
    const answered200: string[] = [];
    let killed = false;
    // Four clients post one feedback item after another until the process dies under them.
    const client = async (): Promise<void> => {
      while (!killed) {
        const card = randomUUID();
        try {
          const res = await call(`${first.ready}${FEEDBACK}`, { body: { feedback: [{ card, outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }] } });
          if (res.status === 200) answered200.push(card);
        } catch {
          return; // connection reset: the process is gone
        }
      }
    };
    const clients = Promise.all([client(), client(), client(), client()]);
    while (answered200.length < 40) await new Promise((r) => setTimeout(r, 10));
    first.child.kill('SIGKILL');
    killed = true;
    expect(await first.exited()).toEqual({ code: null, signal: 'SIGKILL' });
    await clients;

    // The restarted service opens the same store (and migrates nothing new); then read it directly.
    const second = await startServiceProcess(env);
    expect((await call(`${second.ready}/readyz`)).status).toBe(200);
    await second.stop();
    const store = await openAt(loc);
    const rows = await store.db.all('SELECT card_uuid FROM feedback');
    await store.close();
    const kept = new Set(rows.map((r) => String(r.card_uuid)));
    const lost = answered200.filter((c) => !kept.has(c));
    expect(lost).toEqual([]);
    expect(answered200.length).toBeGreaterThanOrEqual(40);
  }, 60_000);

  test('SIGTERM: the card log is written before the process exits 0', async () => {
    const loc = await freshLocation(kind);
    // A long flush interval: only the shutdown can have written the card log.
    const p = await startServiceProcess({ ...storeEnv(loc), AUTH: 'off', PSEUDONYM_SECRET, CARD_LOG_FLUSH_MS: '60000' });
    const hook = await call(`${p.ready}/cds-services/nkr-pain-patient-view`, { body: patientViewRequest('gsb-workup-missing') });
    expect(hook.status).toBe(200);
    const uuid = hook.body.cards[0].uuid;
    const store = await openAt(loc);
    expect(await store.db.all('SELECT card_uuid FROM card_log')).toEqual([]);
    expect(await p.stop('SIGTERM', 10_000)).toEqual({ code: 0, signal: null });
    expect((await store.db.all('SELECT card_uuid FROM card_log')).map((r) => r.card_uuid)).toEqual([uuid]);
    await store.close();

    // npm run report reads the same store.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/report.ts'], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...storeEnv(loc), PSEUDONYM_SECRET },
      timeout: 20_000,
    });
    expect(stdout).toContain(`store: ${kind}`);
    expect(stdout).toMatch(/screening-incomplete \[(da|en)\]: 1 issued, 0 accepted \(0 %\), 0 overridden \(0 %\), 1 no answer \(100 %\)/);
  }, 40_000);
});

describe('one instance per DATA_DIR (the embedded store)', () => {
  test('a second service on the same DATA_DIR stops at start and says why; the first keeps serving; once the first is killed, another starts', async () => {
    const loc = await freshLocation('sqlite');
    const env = { ...storeEnv(loc), AUTH: 'off', PSEUDONYM_SECRET };
    const first = await startServiceProcess(env);

    await expect(startServiceProcess(env)).rejects.toThrow(/exited \(code 1[\s\S]*another nkr-pain-cds instance is running on DATA_DIR[\s\S]*DATABASE_URL/);
    expect((await call(`${first.ready}/readyz`)).status).toBe(200);
    const hook = await call(`${first.ready}/cds-services/nkr-pain-patient-view`, { body: patientViewRequest('gsb-workup-missing') });
    expect(hook.status).toBe(200);

    // The operating system drops the lock with the process, however it ends: no stale lock after SIGKILL.
    first.child.kill('SIGKILL');
    expect(await first.exited()).toEqual({ code: null, signal: 'SIGKILL' });
    const next = await startServiceProcess(env);
    expect((await call(`${next.ready}/readyz`)).status).toBe(200);
    await next.stop();
  }, 60_000);

  test('the second instance stops before it writes anything to DATA_DIR (not even the development pseudonym secret)', async () => {
    const loc = await freshLocation('sqlite');
    const lock = takeInstanceLock(loc.dataDir);
    try {
      await expect(startServiceProcess({ ...storeEnv(loc), AUTH: 'off' })).rejects.toThrow(/another nkr-pain-cds instance is running/);
      expect(existsSync(join(loc.dataDir, SECRET_FILE))).toBe(false);
      expect(existsSync(join(loc.dataDir, SQLITE_FILE))).toBe(false);
    } finally {
      lock.release();
    }
  }, 30_000);

  (STORE_KINDS.includes('postgres') ? test : test.skip)('services on PostgreSQL share a DATA_DIR freely (the lock is the embedded store’s)', async () => {
    const loc = await freshLocation('postgres');
    const env = { ...storeEnv(loc), AUTH: 'off', PSEUDONYM_SECRET };
    const [a, b] = await Promise.all([startServiceProcess(env), startServiceProcess(env)]);
    expect((await call(`${a.ready}/readyz`)).status).toBe(200);
    expect((await call(`${b.ready}/readyz`)).status).toBe(200);
    await Promise.all([a.stop(), b.stop()]);
  }, 60_000);
});

describe('the embedded store file deleted or replaced while the service runs', () => {
  test.each(['deleted', 'replaced'] as const)(
    'its file %s: feedback answers 503 (not 200 into a file no one will open again), /readyz says so, hook calls still get their cards',
    async (how) => {
      const loc = await freshLocation('sqlite');
      const env = { ...storeEnv(loc), AUTH: 'off', PSEUDONYM_SECRET };
      const p = await startServiceProcess(env);
      const file = join(loc.dataDir, SQLITE_FILE);
      const feedback = (card: string) => call(`${p.ready}${FEEDBACK}`, { body: { feedback: [{ card, outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }] } });
      expect((await feedback(randomUUID())).status).toBe(200);

      if (how === 'deleted') {
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
      } else {
        // A backup restored over it: another file now has the name (rename is how a copy lands atomically).
        const elsewhere = await freshLocation('sqlite');
        await (await openAt(elsewhere)).close();
        renameSync(join(elsewhere.dataDir, SQLITE_FILE), file);
      }

      expect((await feedback(randomUUID())).status).toBe(503);
      const ready = await call(`${p.ready}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.body.checks.store).toBe(`unavailable (sqlite: StoreFileGone STORE_FILE_${how.toUpperCase()})`);
      const hook = await call(`${p.ready}/cds-services/nkr-pain-patient-view`, { body: patientViewRequest('gsb-workup-missing') });
      expect(hook.status).toBe(200);
      expect(hook.body.cards.length).toBeGreaterThan(0);
      await p.stop();
    },
    60_000,
  );
});
