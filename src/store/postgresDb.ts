/**
 * PostgreSQL through pg, for several instances sharing one store. Imported only when DATABASE_URL names a
 * server (src/store/openStore.ts): the driver is ~3 MB of live heap that an instance on SQLite never uses.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { LONG_READ_TIMEOUT_MS, LongReadRefused, MIGRATIONS_TABLE, type Db, type JobLock, type Row, type SqlValue, type Statement } from './db.js';
import { MIGRATIONS, type Migration } from './migrations.js';

/** `?` → `$1, $2, …` (our SQL has no `?` inside literals). */
function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Any number for migrations' advisory lock, the same in every instance. */
const MIGRATION_LOCK = 7_451_101;
/**
 * Background jobs' advisory locks: the two-key form (a job's number, the schema's hash), which never meets
 * the migrations' one-key lock; per schema, because the job works on one schema's tables and stores in other
 * schemas of the same database (other deployments, parallel tests) must not hold it back.
 */
const JOB_LOCKS: Record<JobLock, number> = { retention: 7_451_102 };
const UNLOCK_WAIT_MS = 500;

export interface PostgresOptions {
  /** Connections per instance. */
  maxConnections?: number;
  /** A store that does not answer within this fails fast (the request path must not hang). */
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Told about errors on idle connections (the pool would otherwise crash the process). */
  onIdleError?: (err: Error) => void;
  /** The whole of a long read (readSnapshot); default LONG_READ_TIMEOUT_MS. */
  longReadTimeoutMs?: number;
}

export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly connectTimeoutMs: number;
  private readonly longReadTimeoutMs: number;

  constructor(
    private readonly url: string,
    options: PostgresOptions = {},
  ) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
    this.longReadTimeoutMs = options.longReadTimeoutMs ?? LONG_READ_TIMEOUT_MS;
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: this.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      statement_timeout: options.statementTimeoutMs ?? 5_000,
      query_timeout: (options.statementTimeoutMs ?? 5_000) + 1_000,
      application_name: 'nkr-pain-cds',
    });
    this.pool.on('error', (err) => options.onIdleError?.(err));
  }

  async all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    const res = await this.pool.query(toPgPlaceholders(sql), [...params]);
    return res.rows as Row[];
  }

  async batch(statements: readonly Statement[]): Promise<number[]> {
    // PostgreSQL's commit waits for the WAL flush (synchronous_commit on): every batch is durable.
    const client = await this.pool.connect();
    let broken = false;
    // While a client is checked out the pool does not listen for its errors: the server ending the session
    // between two statements (a restart, pg_terminate_backend) would be thrown as an unhandled 'error' and
    // end the process. The statement under way fails on its own; the client is then dropped, not reused.
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const changes: number[] = [];
      for (const st of statements) changes.push((await client.query(toPgPlaceholders(st.sql), [...st.params])).rowCount ?? 0);
      await client.query('COMMIT');
      return changes;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  /**
   * A client outside the pool (the report's long read, a migration, a background job's lock), named for what it
   * does in pg_stat_activity; its connect bounded as the pool's, its statements by `bounds` alone.
   */
  private ownConnection(purpose: string, bounds: Pick<pg.ClientConfig, 'statement_timeout' | 'query_timeout'> = {}): pg.Client {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: this.connectTimeoutMs, application_name: `nkr-pain-cds ${purpose}`, ...bounds });
    // An error on the socket while idle would otherwise be thrown from the client as an uncaught 'error'.
    client.on('error', () => undefined);
    return client;
  }

  async readSnapshot(statements: readonly Statement[]): Promise<Row[][]> {
    // A connection of its own, outside the pool: a long read (the report over the whole card log) gets its
    // own bound, not the request path's statement timeout, and takes none of the hook calls' connections.
    const client = this.ownConnection('report', { statement_timeout: this.longReadTimeoutMs });
    // One deadline for the whole read (statement_timeout bounds each statement only): ending the client
    // destroys its socket, and the statement under way fails here. The server would go on running it until
    // it has rows to send (up to statement_timeout); with client_connection_check_interval (PostgreSQL 14+)
    // it looks for the closed socket every half second and cancels it.
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      void client.end().catch(() => undefined);
    }, this.longReadTimeoutMs);
    try {
      await client.connect();
      // Older servers do not know the setting: the statement timeout bounds them alone.
      await client.query('SET client_connection_check_interval = 500').catch(() => undefined);
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const rows: Row[][] = [];
      for (const st of statements) rows.push((await client.query(toPgPlaceholders(st.sql), [...st.params])).rows as Row[]);
      await client.query('COMMIT');
      return rows;
    } catch (err) {
      throw timedOut ? new LongReadRefused('timeout') : err;
    } finally {
      clearTimeout(deadline);
      if (!timedOut) await client.end().catch(() => undefined);
    }
  }

  async migrate(migrations: readonly Migration[] = MIGRATIONS): Promise<number> {
    // A connection of its own, without the request path's statement and query timeouts: a migration may
    // take longer than they allow (an index over a large card log), and so may waiting for the lock while
    // another instance, started at the same time, runs that migration. Only the connect is bounded.
    const client = this.ownConnection('migration');
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL statement_timeout = 0');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(MIGRATIONS_TABLE);
      const res = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
      let version = Number(res.rows[0]?.v ?? 0);
      for (const m of migrations) {
        if (m.version <= version) continue;
        for (const sql of m.statements('postgres')) await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, new Date().toISOString()]);
        version = m.version;
      }
      await client.query('COMMIT');
      return version;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async runAlone(lock: JobLock, job: () => Promise<void>): Promise<boolean> {
    // A session lock on a connection of its own, outside the pool: the job (retention) commits step by step
    // on the pool's connections, so a transaction lock would not outlast one step, and holding a pool
    // connection for the whole job would take it from the hook calls. The server also lets the lock go if
    // this connection dies, so a crashed instance never leaves it held.
    // Its two statements (take, let go) never wait for the lock: as short a bound as the connect's.
    const client = this.ownConnection(lock, { query_timeout: this.connectTimeoutMs });
    const key = [JOB_LOCKS[lock]];
    let taken = false;
    try {
      await client.connect();
      const res = await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock($1::int, hashtext(current_schema())) AS taken', key);
      taken = res.rows[0]?.taken === true;
      if (!taken) return false;
      await job();
      return true;
    } finally {
      // Let go explicitly (ending the session would too, but only once the server has seen it end: an
      // instance trying right after could still find it held); the job's own error, if any, is what throws.
      // Shutdown waits for this (README "Operations"): a server that stopped answering holds it up at most
      // UNLOCK_WAIT_MS, and never for the socket's close (which could take far longer); the end then cuts the
      // session, which lets the lock go once the server sees it.
      if (taken) await Promise.race([client.query('SELECT pg_advisory_unlock($1::int, hashtext(current_schema()))', key).catch(() => undefined), sleep(UNLOCK_WAIT_MS, undefined, { ref: false })]);
      void client.end().catch(() => undefined);
    }
  }

  private ended = false;

  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.pool.end();
  }
}
