import { join } from 'node:path';
import Database from 'better-sqlite3';
import { makeFolder, makePrivateFile } from './dataFolder.js';
import { errorCodeOf } from '../model/errorCode.js';

/** The lock file in DATA_DIR; an (empty) SQLite database, so that SQLite's own file locking holds it. */
export const INSTANCE_LOCK_FILE = 'nkr-pain-cds.instance.lock';

/** Another service instance holds DATA_DIR: the embedded store serves one instance (README, Running several instances). */
export class InstanceLockTaken extends Error {}

export interface InstanceLock {
  /** Lets the next instance take the folder (also done by the operating system when the process ends, however it ends). */
  release(): void;
}

/**
 * Takes DATA_DIR for this service instance, or throws InstanceLockTaken at once. A second instance on one
 * SQLite file would not fail: its writes and the first's would wait for each other's write lock, and give
 * up after 250 ms (SqliteDb's busy timeout), losing card log batches to retries and feedback to 503s. An
 * operator is better told at the start.
 *
 * The lock is SQLite's own: a connection in exclusive locking mode keeps the exclusive lock of its first
 * write until it closes. That is an operating-system file lock, so the lock dies with the process (a
 * SIGKILL or a crash leaves no stale lock behind, unlike a PID file), and SQLite also checks it between
 * connections of one process. Scripts that open the store beside a running service (`npm run report`,
 * `npm run quiet:reset`) do not take it.
 */
export function takeInstanceLock(dataDir: string): InstanceLock {
  makeFolder(dataDir);
  const file = join(dataDir, INSTANCE_LOCK_FILE);
  makePrivateFile(file);
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch (err) {
    db.close();
    const code = errorCodeOf(err);
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new InstanceLockTaken(
        `another nkr-pain-cds instance is running on DATA_DIR ${dataDir} (it holds ${INSTANCE_LOCK_FILE}). ` +
          'The embedded store serves one instance: stop the other, give this one its own DATA_DIR, or set DATABASE_URL (PostgreSQL) to run several.',
      );
    }
    throw err;
  }
  let held = true;
  return {
    release: () => {
      if (!held) return;
      held = false;
      db.close();
    },
  };
}
