/**
 * Long reads (Db.readSnapshot: the feedback report) have one deadline for the whole read, and on SQLite a
 * read that timed out (its statement cannot be stopped midway) refuses others until its thread is gone.
 */
import { join } from 'node:path';
import { LongReadRefused, type Statement } from '../../src/store/db.js';
import { SQLITE_FILE } from '../../src/store/openStore.js';
import { PostgresDb } from '../../src/store/postgresDb.js';
import { SqliteDb } from '../../src/store/sqliteDb.js';
import { closeAll, freshLocation, STORE_KINDS } from './storeKinds.js';

afterAll(closeAll);

const statement = (sql: string): Statement => ({ sql, params: [] });
/** The reason a read was refused, or 'answered'. */
const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'answered',
    (err: unknown) => (err instanceof LongReadRefused ? err.reason : `other: ${String(err)}`),
  );

test('SQLite: a read over its deadline is refused; until its thread has stopped, another read is refused at once; then reads work again', async () => {
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
  } finally {
    await db.close();
  }
}, 30_000);

const pgOnly = STORE_KINDS.includes('postgres') ? test : test.skip;
pgOnly('PostgreSQL: the deadline covers the whole read, not each statement', async () => {
  const loc = await freshLocation('postgres');
  const db = new PostgresDb(loc.databaseUrl ?? '', { longReadTimeoutMs: 400 });
  try {
    const nap = statement('SELECT pg_sleep(0.25) AS slept');
    expect(await outcome(db.readSnapshot([nap]))).toBe('answered');
    // Each statement is within 400 ms; the three together are not.
    expect(await outcome(db.readSnapshot([nap, nap, nap]))).toBe('timeout');
    expect(await outcome(db.readSnapshot([nap]))).toBe('answered');
  } finally {
    await db.close();
  }
}, 20_000);
