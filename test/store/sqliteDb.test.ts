import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { LongReadRefused, type Statement } from '../../src/store/db.js';
import { SQLITE_FILE } from '../../src/store/openStore.js';
import { BUSY_TIMEOUT_MS, SqliteDb } from '../../src/store/sqliteDb.js';
import { closeAll, freshLocation, openAt } from './storeKinds.js';

afterAll(closeAll);

/** Another process (a second instance on DATA_DIR, quiet:reset) holding the write lock until it is told to stop. */
async function holdWriteLock(file: string): Promise<{ release: () => Promise<void> }> {
  const script = `
    const db = new (require('better-sqlite3'))(process.argv[1]);
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    process.stdin.on('data', () => { db.exec('COMMIT'); db.close(); process.exit(0); });`;
  const child = spawn(process.execPath, ['-e', script, file], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.on('exit', (code) => reject(new Error(`lock holder exited ${code}`)));
  });
  return {
    release: () =>
      new Promise<void>((resolve) => {
        child.on('exit', () => resolve());
        child.stdin.write('go\n');
      }),
  };
}

describe('SQLite: a write lock held by another process', () => {
  test(`the main thread's connections wait at most ${BUSY_TIMEOUT_MS} ms for it: a write gives up (SQLITE_BUSY) after about that, not 5 s, and succeeds once the lock goes`, async () => {
    const loc = await freshLocation('sqlite');
    const store = await openAt(loc);
    expect(await store.db.all('PRAGMA busy_timeout')).toEqual([{ timeout: BUSY_TIMEOUT_MS }]);
    const entry = { patientKey: 'p', entryKey: 'e', kind: 'k', reason: 'r', quietUntil: null, setAt: 1 };
    const lock = await holdWriteLock(join(loc.dataDir, SQLITE_FILE));
    try {
      const started = Date.now();
      // SQLITE_BUSY after the busy timeout (the card log retries, feedback answers 503). Not rejects.toThrow():
      // better-sqlite3's errors may belong to another test file's realm (test/store/sqlStore.test.ts says why).
      const error = await store.putQuiet([entry]).then(() => 'none', (err: unknown) => String(err));
      const waited = Date.now() - started;
      expect(error).toMatch(/busy|locked/i);
      expect(waited).toBeGreaterThanOrEqual(BUSY_TIMEOUT_MS - 50);
      expect(waited).toBeLessThan(BUSY_TIMEOUT_MS + 1000);
    } finally {
      await lock.release();
    }
    await expect(store.putQuiet([entry])).resolves.toBeUndefined();
    await store.close();
  });
});

describe('SQLite: long reads (readSnapshot, the report) on a reader thread', () => {
  const statement = (sql: string): Statement => ({ sql, params: [] });
  /** The reason a read was refused, or 'answered'. */
  const outcome = (p: Promise<unknown>): Promise<string> =>
    p.then(
      () => 'answered',
      (err: unknown) => (err instanceof LongReadRefused ? err.reason : `other: ${String(err)}`),
    );

  test('a read over its deadline is refused; until its thread has stopped, another read is refused at once; then reads work again', async () => {
    const loc = await freshLocation('sqlite');
    const db = new SqliteDb(join(loc.dataDir, SQLITE_FILE), { longReadTimeoutMs: 150 });
    try {
      // ~1 s or more of one native call: the worker cannot be stopped before it returns.
      const slow = statement('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000) SELECT count(*) AS n FROM c');
      const started = Date.now();
      expect(await outcome(db.readSnapshot([slow]))).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await outcome(db.readSnapshot([statement('SELECT 1 AS one')]))).toBe('busy');
      let again = 'busy';
      for (let i = 0; i < 200 && again === 'busy'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        again = await outcome(db.readSnapshot([statement('SELECT 1 AS one')]));
      }
      expect(again).toBe('answered');
      // Reads one after another, each answered: a thread still closing after its answer blocks nothing.
      for (let i = 0; i < 3; i++) expect(await outcome(db.readSnapshot([statement('SELECT 1 AS one')]))).toBe('answered');
    } finally {
      await db.close();
    }
  }, 30_000);
});

describe('SQLite: the file deleted under the running store', () => {
  test('every write after it is refused (StoreFileGone); a read finds out within a second, not on every call (reads sit on the hook path)', async () => {
    const { rmSync } = await import('node:fs');
    const loc = await freshLocation('sqlite');
    const store = await openAt(loc);
    const write: Statement = { sql: 'DELETE FROM quiet_state WHERE patient_key = ?', params: ['nobody'] };
    await store.db.batch([write]);
    await store.db.all('SELECT 1 AS ok');
    rmSync(join(loc.dataDir, SQLITE_FILE));
    // The read just before the deletion was checked: the next one within the second is not.
    await expect(store.db.all('SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
    await expect(store.db.batch([write])).rejects.toMatchObject({ name: 'StoreFileGone', code: 'STORE_FILE_DELETED' });
    await expect(store.db.all(write.sql, write.params)).rejects.toMatchObject({ code: 'STORE_FILE_DELETED' });
    // Once found, it stays found: a read within the second is refused too, so a read that skips the check (the
    // readiness ping) cannot report the store up again between two checks (StoreHealth: a read clears a failed read).
    await expect(store.db.all('SELECT 1 AS ok')).rejects.toMatchObject({ code: 'STORE_FILE_DELETED' });
    await new Promise((r) => setTimeout(r, 1_050));
    // By then the checkpoint thread, which opens the path, may have made a new empty file there: "replaced".
    await expect(store.db.all('SELECT 1 AS ok')).rejects.toMatchObject({ name: 'StoreFileGone' });
  });
});
