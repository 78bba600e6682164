/**
 * The store suites run against both implementations: SQLite always, PostgreSQL on the server named by
 * TEST_DATABASE_URL (.ci/run starts one). Under CI=true a missing TEST_DATABASE_URL fails the
 * PostgreSQL tests instead of skipping them. Each PostgreSQL store gets its own schema, so test files
 * running in parallel never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresDb } from '../../src/store/postgresDb.js';
import { SqliteDb } from '../../src/store/sqliteDb.js';
import { SQLITE_FILE } from '../../src/store/openStore.js';
import { SqlStore } from '../../src/store/sqlStore.js';
import type { StoreKind } from '../../src/store/store.js';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? '';

/** The kinds to test: PostgreSQL when its URL is there, and always under CI (so that a missing URL fails). */
export const STORE_KINDS: StoreKind[] = TEST_DATABASE_URL !== '' || process.env.CI === 'true' ? ['sqlite', 'postgres'] : ['sqlite'];

function requirePgUrl(): string {
  if (TEST_DATABASE_URL === '') throw new Error('TEST_DATABASE_URL is not set: the PostgreSQL store tests need a server (.ci/run starts one)');
  return TEST_DATABASE_URL;
}

/** A fresh, empty PostgreSQL schema; returns a DATABASE_URL whose connections use it. */
async function freshPgSchema(): Promise<string> {
  const url = requirePgUrl();
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

/** Where a store lives, so a test can open it again (a restart) or point a process at it. */
export interface StoreLocation {
  kind: StoreKind;
  /** SQLite: the DATA_DIR; PostgreSQL: the DATABASE_URL (with its own schema). */
  dataDir: string;
  databaseUrl: string | null;
}

const tempDirs: string[] = [];

export async function freshLocation(kind: StoreKind): Promise<StoreLocation> {
  const dataDir = mkdtempSync(join(tmpdir(), 'nkr-store-test-'));
  tempDirs.push(dataDir);
  return { kind, dataDir, databaseUrl: kind === 'postgres' ? await freshPgSchema() : null };
}

/** The environment a service process needs to use this store. */
export function storeEnv(loc: StoreLocation): Record<string, string> {
  return { DATA_DIR: loc.dataDir, ...(loc.databaseUrl ? { DATABASE_URL: loc.databaseUrl } : {}) };
}

/** Opens (and migrates) the store at a location. */
export async function openAt(loc: StoreLocation): Promise<SqlStore> {
  const db = loc.databaseUrl ? new PostgresDb(loc.databaseUrl) : new SqliteDb(join(loc.dataDir, SQLITE_FILE));
  await db.migrate();
  return new SqlStore(db);
}

/** A fresh store of this kind, closed by closeAll(). */
const opened: SqlStore[] = [];
export async function freshStore(kind: StoreKind): Promise<SqlStore> {
  const store = await openAt(await freshLocation(kind));
  opened.push(store);
  return store;
}

/** Closes every store opened here and removes the temp folders (for afterAll). */
export async function closeAll(): Promise<void> {
  await Promise.all(opened.splice(0).map((s) => s.close().catch(() => undefined)));
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Every row of every table, as text: for "no patient identifier is stored" scans. */
export async function dumpAllTables(store: SqlStore): Promise<{ tables: string[]; text: string }> {
  const db = store.db;
  const names = (
    db.dialect === 'sqlite'
      ? await db.all("SELECT name FROM sqlite_master WHERE type = 'table'")
      : await db.all('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()')
  ).map((r) => String(r.name));
  const parts: string[] = [];
  for (const t of names) parts.push(JSON.stringify(await db.all(`SELECT * FROM ${t}`)));
  return { tables: names.sort(), text: parts.join('\n') };
}
