/** PostgreSQL: long reads (Db.readSnapshot, the report) under one deadline for the whole read; migrations under none. */
import { LongReadRefused, type Statement } from '../../src/store/db.js';
import { PostgresDb } from '../../src/store/postgresDb.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from '../../src/store/migrations.js';
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

// Past the read's deadline the client goes; a statement the server is still running (CPU-bound: it reads no
// socket) would go on until its own statement timeout. The session asks the server to look for a closed
// client every half second, which cancels it.
pgOnly('PostgreSQL: a long read\'s session has the server check every 500 ms that the client is still there', async () => {
  const loc = await freshLocation('postgres');
  const db = new PostgresDb(loc.databaseUrl ?? '');
  try {
    expect(await db.readSnapshot([statement('SHOW client_connection_check_interval')])).toEqual([[{ client_connection_check_interval: '500ms' }]]);
  } finally {
    await db.close();
  }
}, 20_000);

/** Migrations (several instances starting at once on an older schema): not bound by the request path's timeouts. */
pgOnly('PostgreSQL: a migration longer than the statement timeout applies, and an instance waiting for it meanwhile migrates nothing twice', async () => {
  const loc = await freshLocation('postgres');
  const url = loc.databaseUrl ?? '';
  const slow: Migration = { version: LATEST_SCHEMA_VERSION + 1, name: 'slow', statements: () => ['SELECT pg_sleep(0.8)', 'CREATE TABLE slow_marker (n INTEGER)'] };
  const [a, b] = [new PostgresDb(url, { statementTimeoutMs: 300 }), new PostgresDb(url, { statementTimeoutMs: 300 })];
  try {
    // b starts while a holds the migration lock for longer than b's statement timeout.
    const first = a.migrate([...MIGRATIONS, slow]);
    await new Promise((r) => setTimeout(r, 100));
    const second = b.migrate([...MIGRATIONS, slow]);
    expect(await Promise.all([first, second])).toEqual([slow.version, slow.version]);
    expect(await a.all('SELECT COUNT(*)::int AS n FROM schema_migrations WHERE version = ?', [slow.version])).toEqual([{ n: 1 }]);
  } finally {
    await a.close();
    await b.close();
  }
}, 20_000);

/** Background jobs one instance at a time runs (retention): a session lock, let go however the job ends. */
pgOnly('PostgreSQL: runAlone skips while another instance runs the job, and a job that throws lets the lock go', async () => {
  const loc = await freshLocation('postgres');
  const [a, b] = [new PostgresDb(loc.databaseUrl ?? ''), new PostgresDb(loc.databaseUrl ?? '')];
  try {
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    const failing = a.runAlone('retention', async () => {
      inside();
      await entered;
      expect(await b.runAlone('retention', () => Promise.resolve())).toBe(false);
      throw new Error('step failed');
    });
    await expect(failing).rejects.toThrow('step failed');
    let ran = false;
    expect(await b.runAlone('retention', async () => void (ran = true))).toBe(true);
    expect(ran).toBe(true);
  } finally {
    await a.close();
    await b.close();
  }
}, 20_000);

/** The server ending a session while the store holds it in a transaction (a restart, pg_terminate_backend). */
pgOnly('PostgreSQL: a session ended by the server in the middle of a batch fails that batch, and nothing else: no uncaught error, the next batch gets a new connection', async () => {
  const loc = await freshLocation('postgres');
  const url = loc.databaseUrl ?? '';
  const db = new PostgresDb(url);
  const admin = new PostgresDb(url);
  const uncaught: unknown[] = [];
  const record = (err: unknown): void => {
    uncaught.push(err);
  };
  process.on('uncaughtException', record);
  try {
    // A pause only this test's statement makes, so that only its session is ended.
    const batch = db.batch([statement('SELECT 1'), statement('SELECT pg_sleep(3.217)'), statement('SELECT 1')]);
    await new Promise((r) => setTimeout(r, 300));
    const ended = await admin.all("SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3.217)%' AND pid <> pg_backend_pid()");
    expect(ended).toEqual([{ ended: true }]);
    await expect(batch).rejects.toThrow();
    // The socket's own end comes after the failed statement: give it time to be (not) thrown.
    await new Promise((r) => setTimeout(r, 300));
    expect(uncaught).toEqual([]);
    expect(await db.batch([statement('SELECT 1')])).toEqual([1]);
  } finally {
    process.off('uncaughtException', record);
    await db.close();
    await admin.close();
  }
}, 20_000);
