import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import type { Db } from './db.js';
import { SqliteDb } from './sqliteDb.js';
import { SqlStore } from './sqlStore.js';
import type { Store } from './store.js';

export const SQLITE_FILE = 'nkr-pain-cds.sqlite';

/**
 * The store the configuration names (DATABASE_URL → PostgreSQL, else SQLite in DATA_DIR), migrated.
 * `onBackgroundError` hears failures outside any call: PostgreSQL's idle connections, SQLite's checkpoint thread.
 * `writable`: the store must take writes (the service; a script that only reads may open a read-only copy).
 */
export async function openStore(config: Config, options: { onBackgroundError?: (operation: string, err: Error) => void; writable?: boolean } = {}): Promise<Store> {
  const onBackgroundError = options.onBackgroundError;
  let db: Db;
  if (config.store.databaseUrl) {
    // Loaded only here: the PostgreSQL driver stays out of an instance that runs on SQLite.
    const { PostgresDb } = await import('./postgresDb.js');
    db = new PostgresDb(config.store.databaseUrl, onBackgroundError ? { onIdleError: (err) => onBackgroundError('idle-connection', err) } : {});
  } else {
    db = new SqliteDb(join(config.store.dataDir, SQLITE_FILE), onBackgroundError ? { onBackgroundError } : {});
  }
  try {
    await db.migrate();
    // PostgreSQL's migration writes (a read-only standby fails it); SQLite's may find nothing to write.
    if (options.writable === true && db instanceof SqliteDb) db.assertWritable();
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return new SqlStore(db);
}

/** An embedded store in memory (tests, demos): the SQLite implementation, nothing on disk; ready at once. */
export function memoryStore(): { store: Store; db: SqliteDb } {
  const db = new SqliteDb(':memory:');
  db.migrateSync();
  return { store: new SqlStore(db), db };
}

/** A script pointed at a folder that holds no store: it says so rather than create an empty one there. */
export class NoStoreThere extends Error {
  constructor(dataDir: string) {
    super(`there is no store in DATA_DIR (${dataDir}); set DATA_DIR to the service's data folder (npm run demo prints its own)`);
    this.name = 'NoStoreThere';
  }
}

/**
 * Opens the configured store for one job (a script) and always closes it. An embedded store must exist
 * already: a mistyped DATA_DIR would otherwise be a new, empty store (a report of nothing), and a file of the
 * store's name that holds none (no migrations table) is left as it is.
 */
export async function withStore<T>(config: Config, job: (store: Store) => Promise<T>): Promise<T> {
  if (!config.store.databaseUrl) {
    const file = join(config.store.dataDir, SQLITE_FILE);
    // A file of that name that is no store of ours (a copy of another database) is neither migrated nor changed.
    if (!existsSync(file) || !SqliteDb.holdsStore(file)) throw new NoStoreThere(config.store.dataDir);
  }
  const store = await openStore(config);
  try {
    return await job(store);
  } finally {
    await store.close();
  }
}
