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

export interface Db {
  readonly dialect: StoreKind;
  /** One statement; its rows (also for INSERT … RETURNING). */
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /**
   * The statements in one transaction; rows changed by each. Resolves after commit; with `durable`,
   * after the commit is on disk (SQLite: fsync; PostgreSQL commits are always synchronous).
   */
  batch(statements: readonly Statement[], options?: { durable?: boolean }): Promise<number[]>;
  /** Applies pending migrations; the schema version afterwards. */
  migrate(migrations?: readonly Migration[]): Promise<number>;
  close(): Promise<void>;
}

/** Where each driver records the migrations it applied. */
export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;
