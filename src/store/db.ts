/**
 * What SqlStore needs of a SQL driver. SQL is written once with `?` placeholders (PostgreSQL's `$n` are
 * substituted); each driver runs single statements and atomic batches, and applies migrations. The two
 * drivers: SqliteDb (sqliteDb.ts) and PostgresDb (postgresDb.ts).
 */
import type { Migration } from './migrations.js';
import type { StoreKind } from './store.js';

export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;
export interface Statement {
  sql: string;
  params: readonly SqlValue[];
}

/** Background jobs that one instance at a time runs on a shared store. */
export type JobLock = 'retention';

export interface Db {
  readonly dialect: StoreKind;
  /** One statement; its rows (also for INSERT … RETURNING). */
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /**
   * The statements in one transaction; rows changed by each. Resolves after commit; with `durable`,
   * after the commit is on disk (SQLite: fsync; PostgreSQL commits are always synchronous).
   */
  batch(statements: readonly Statement[], options?: { durable?: boolean }): Promise<number[]>;
  /**
   * Read-only statements over one consistent snapshot, for long reads (the feedback report): SQLite runs
   * them on a worker thread with its own connection, so the event loop is not held while they run;
   * PostgreSQL in one read-only REPEATABLE READ transaction on a connection of its own. All of it within
   * LONG_READ_TIMEOUT_MS, else LongReadRefused ('timeout'); while a read that timed out is still running
   * (SQLite cannot stop a statement midway), another is refused at once ('busy').
   */
  readSnapshot(statements: readonly Statement[]): Promise<Row[][]>;
  /** Applies pending migrations; the schema version afterwards. */
  migrate(migrations?: readonly Migration[]): Promise<number>;
  /**
   * Runs `job` unless another instance on this store holds the lock of that name: false then, and `job` is
   * not run. PostgreSQL: a session advisory lock on a connection of its own, let go however `job` ends;
   * SQLite: `job` just runs (one instance per store: src/store/instanceLock.ts).
   */
  runAlone(lock: JobLock, job: () => Promise<void>): Promise<boolean>;
  close(): Promise<void>;
}

/** How long a long read (readSnapshot: the report over the whole card log) may take before it fails. */
export const LONG_READ_TIMEOUT_MS = 60_000;

/** A long read given up (too slow) or not started (the last one still running): the store itself is fine. */
export class LongReadRefused extends Error {
  constructor(readonly reason: 'timeout' | 'busy') {
    super(reason === 'timeout' ? 'the read did not finish in time' : 'an earlier read that did not finish in time is still running');
    this.name = 'LongReadRefused';
  }
}

/** Where each driver records the migrations it applied. */
export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;
