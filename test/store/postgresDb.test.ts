/** PostgreSQL long reads (Db.readSnapshot, the report): one deadline for the whole read, not each statement. */
import { LongReadRefused, type Statement } from '../../src/store/db.js';
import { PostgresDb } from '../../src/store/postgresDb.js';
import { closeAll, freshLocation, STORE_KINDS } from './storeKinds.js';

afterAll(closeAll);

const statement = (sql: string): Statement => ({ sql, params: [] });
/** The reason a read was refused, or 'answered'. */
const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'answered',
    (err: unknown) => (err instanceof LongReadRefused ? err.reason : `other: ${String(err)}`),
  );

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
