import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { errorCodeOf } from '../model/errorCode.js';
import { makeFolder, makePrivateFile } from './dataFolder.js';
import { LONG_READ_TIMEOUT_MS, LongReadRefused, MIGRATIONS_TABLE, type Db, type JobLock, type Row, type SqlValue, type Statement } from './db.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import { readSnapshotOnWorker } from './sqliteSnapshotReader.js';
import { startWalCheckpointer, type WalCheckpointer } from './walCheckpointer.js';

/** How often the checkpoint thread runs; each pass copies what the writers logged since (~0.2 s of card log). */
const CHECKPOINT_EVERY_MS = 200;
/** How long a statement waits for another connection's lock before SQLITE_BUSY (on the main thread: kept short). */
export const BUSY_TIMEOUT_MS = 250;
/** SQLite's own checkpoint, inside a commit, only past this many log pages (~40 MB; its default is 1,000). */
const BACKSTOP_CHECKPOINT_PAGES = 10_000;
/**
 * The write-ahead log file is cut back to this size when a writer starts it over after a checkpoint. Without
 * a limit SQLite reuses the file but never shrinks it: a burst (a retention pass, a busy hour) left it at
 * 40–66 MB until the service stopped (an operations probe).
 */
export const WAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024;

/** How often a read checks that the store's path still names the opened file (writes check every time). */
const FILE_CHECK_ON_READS_MS = 1_000;

/**
 * The file at the store's path is no longer the one this process opened (deleted, or another moved in: a
 * restored backup). SQLite would go on writing into the file it holds open, which no one opens again: every
 * later feedback answered 200 and every card log write would be lost at the next start.
 */
export class StoreFileGone extends Error {
  /** What /readyz and the log show (StoreHealth shows an error's name and code only). */
  readonly code: string;
  constructor(what: 'deleted' | 'replaced') {
    super(`the store's file was ${what} while the service ran; restart the service to open the file now at its path`);
    this.name = 'StoreFileGone';
    this.code = `STORE_FILE_${what.toUpperCase()}`;
  }
}

/**
 * SQLite through better-sqlite3: synchronous, so every call is one atomic step of the event loop. Two
 * connections to one file in WAL mode: `fast` (synchronous=NORMAL: a commit survives a killed process,
 * not a power loss; the card log and the replay check, which must not wait for the disk) and `durable`
 * (synchronous=FULL: fsync before the commit returns; feedback, answered 200 only after it). An fsync
 * of the WAL also makes every earlier commit of the other connection durable.
 */
export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly durable: Database.Database;
  private readonly prepared = new Map<Database.Database, Map<string, Database.Statement>>();
  /** The database file; null in memory (one connection, which no other thread can open). */
  private readonly file: string | null;
  private readonly longReadTimeoutMs: number;
  /** A reader thread that ran over its deadline and is still running (until SQLite returns): no other meanwhile. */
  private overrunning = false;

  private readonly startCheckpointer: (() => WalCheckpointer) | null;
  private checkpointer: WalCheckpointer | null = null;
  /**
   * The opened file's device and inode: each write checks that the path still names it (a stat, ~2 µs); a
   * read at most once a second (reads sit on the hook path, and a read of the file still held loses nothing).
   */
  private readonly identity: { dev: number; ino: number } | null;
  private fileReadCheckedAt = -Infinity;
  /** Set once the check fails: every later call is refused, reads too (a read that skipped the check would report the store up). */
  private gone: StoreFileGone | null = null;

  /**
   * `file` = a path (its folder is created) or ':memory:' (one connection). Once the schema is migrated, a
   * file's write-ahead log is checkpointed by a worker thread (src/store/walCheckpointer.ts; not during the
   * migration, which other instances may be running too); `onBackgroundError` hears its failures.
   */
  constructor(file: string, options: { onBackgroundError?: (operation: string, err: Error) => void; longReadTimeoutMs?: number } = {}) {
    const inMemory = file === ':memory:';
    this.file = inMemory ? null : file;
    this.longReadTimeoutMs = options.longReadTimeoutMs ?? LONG_READ_TIMEOUT_MS;
    if (!inMemory) {
      makeFolder(dirname(file));
      makePrivateFile(file);
    }
    this.db = SqliteDb.open(file, 'NORMAL', inMemory);
    this.durable = inMemory ? this.db : SqliteDb.open(file, 'FULL', inMemory);
    this.identity = inMemory ? null : statSync(file);
    this.startCheckpointer = inMemory
      ? null
      : () =>
          startWalCheckpointer(file, {
            intervalMs: CHECKPOINT_EVERY_MS,
            onFailure: (code) => options.onBackgroundError?.('wal-checkpoint', Object.assign(new Error('WAL checkpoint failed'), { code })),
          });
  }

  /**
   * Whether the SQLite file holds a store of this service (its migrations table), read without writing: a script
   * that only reads (the report, quiet:reset) must not migrate, or switch to WAL, a file that is no store of ours.
   */
  static holdsStore(file: string): boolean {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      // Other tools name their table `schema_migrations` too (Rails, golang-migrate): ours records our first migration.
      if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() === undefined) return false;
      const first = MIGRATIONS[0];
      const columns = new Set((db.pragma('table_info(schema_migrations)') as Array<{ name: string }>).map((c) => c.name));
      if (!first || !['version', 'name', 'applied_at'].every((c) => columns.has(c))) return false;
      return db.prepare('SELECT 1 FROM schema_migrations WHERE version = ? AND name = ?').get(first.version, first.name) !== undefined;
    } catch {
      return false; // not a database at all, or one that cannot be read: no store of ours either
    } finally {
      db.close();
    }
  }

  private static open(file: string, synchronous: 'NORMAL' | 'FULL', inMemory: boolean): Database.Database {
    const db = new Database(file);
    // better-sqlite3 waits on the main thread: a write lock held elsewhere (a second process on DATA_DIR,
    // quiet:reset) must cost a write a moment, not every hook call 5 s. A write that gives up is retried
    // (card log), answered 503 (feedback: the EHR sends it again), or falls back (the replay check).
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    SqliteDb.switchToWal(db);
    db.pragma(`synchronous = ${synchronous}`);
    // The checkpoint thread keeps the log short; a commit checkpoints (and stalls) only if it has stopped.
    if (!inMemory) {
      db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
      db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    }
    return db;
  }

  /**
   * `journal_mode = WAL`, tried again for up to ~5 s while another connection holds a write lock: switching
   * a new file needs an exclusive lock, and SQLite answers SQLITE_BUSY at once rather than wait in its busy
   * handler where waiting could deadlock (two instances started at once on one new DATA_DIR did that).
   */
  private static switchToWal(db: Database.Database): void {
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let attempt = 1; ; attempt++) {
      try {
        db.pragma('journal_mode = WAL');
        return;
      } catch (err) {
        // By its code, not `instanceof SqliteError`: the addon keeps the class of the first copy of the module loaded.
        if (attempt >= 100 || errorCodeOf(err) !== 'SQLITE_BUSY') throw err;
        // Startup only, before the service listens: a synchronous pause is harmless here.
        Atomics.wait(pause, 0, 0, 50);
      }
    }
  }

  /** Throws StoreFileGone when the path no longer names the file opened (and on every call after); `read`: at most once a second. */
  private checkFile(read = false): void {
    if (this.identity === null || this.file === null) return;
    if (this.gone !== null) throw this.gone;
    if (read) {
      const now = Date.now();
      if (now - this.fileReadCheckedAt < FILE_CHECK_ON_READS_MS) return;
      this.fileReadCheckedAt = now;
    }
    const now = statSync(this.file, { throwIfNoEntry: false });
    if (now === undefined) throw (this.gone = new StoreFileGone('deleted'));
    if (now.ino !== this.identity.ino || now.dev !== this.identity.dev) throw (this.gone = new StoreFileGone('replaced'));
  }

  private stmt(sql: string, db: Database.Database = this.db): Database.Statement {
    let cache = this.prepared.get(db);
    if (!cache) this.prepared.set(db, (cache = new Map()));
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  }

  all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    try {
      const s = this.stmt(sql);
      this.checkFile(s.reader);
      return Promise.resolve(s.reader ? (s.all(...params) as Row[]) : (s.run(...params), []));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  batch(statements: readonly Statement[], options: { durable?: boolean } = {}): Promise<number[]> {
    try {
      this.checkFile();
      const db = options.durable ? this.durable : this.db;
      const run = db.transaction(() => statements.map((st) => this.stmt(st.sql, db).run(...st.params).changes));
      return Promise.resolve(run.immediate());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  readSnapshot(statements: readonly Statement[]): Promise<Row[][]> {
    if (this.file !== null) {
      try {
        this.checkFile();
      } catch (err) {
        return Promise.reject(err);
      }
      // A read that timed out goes on until SQLite returns; reads started meanwhile would pile up beside it.
      if (this.overrunning) return Promise.reject(new LongReadRefused('busy'));
      const read = readSnapshotOnWorker(this.file, statements, { timeoutMs: this.longReadTimeoutMs, busyTimeoutMs: BUSY_TIMEOUT_MS });
      read.rows.catch((err: unknown) => {
        if (!(err instanceof LongReadRefused)) return;
        this.overrunning = true;
        void read.exited.then(() => {
          this.overrunning = false;
        });
      });
      return read.rows;
    }
    // In memory (tests): only this connection sees the data, so the read runs here, in one transaction.
    try {
      const read = this.db.transaction(() => statements.map((st) => this.stmt(st.sql).all(...st.params) as Row[]));
      return Promise.resolve(read());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The same as all(), synchronously (tests read an in-memory store without awaiting). */
  allSync(sql: string, params: readonly SqlValue[] = []): Row[] {
    return this.stmt(sql).all(...params) as Row[];
  }

  /**
   * Throws (SQLITE_READONLY) when SQLite could open the file only for reading (its permissions or owner, a
   * read-only mount): a service calls it at start, so such a store stops the start instead of passing it and
   * /readyz until the first write. A write that changes nothing, rolled back.
   */
  assertWritable(): void {
    if (this.file === null) return;
    this.db.exec('SAVEPOINT write_probe');
    try {
      this.stmt('DELETE FROM schema_migrations WHERE version < 0').run();
    } catch (err) {
      const code = errorCodeOf(err);
      if (code !== 'SQLITE_READONLY') throw err;
      throw Object.assign(new Error(`its store file can only be read (${this.file}): check the file's and the folder's owner and permissions`), { code });
    } finally {
      this.db.exec('ROLLBACK TO write_probe');
      this.db.exec('RELEASE write_probe');
    }
  }

  migrate(migrations: readonly Migration[] = MIGRATIONS): Promise<number> {
    try {
      return Promise.resolve(this.migrateSync(migrations));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  migrateSync(migrations: readonly Migration[] = MIGRATIONS): number {
    this.db.exec(MIGRATIONS_TABLE);
    const apply = this.db.transaction(() => {
      const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
      let version = row.v ?? 0;
      for (const m of migrations) {
        if (m.version <= version) continue;
        for (const sql of m.statements('sqlite')) this.db.exec(sql);
        this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
        version = m.version;
      }
      return version;
    });
    const version = apply.immediate();
    if (this.checkpointer === null && this.startCheckpointer !== null && this.db.open) this.checkpointer = this.startCheckpointer();
    return version;
  }

  /** One instance per SQLite store (its instance lock): nothing to share the job with. */
  async runAlone(_lock: JobLock, job: () => Promise<void>): Promise<boolean> {
    await job();
    return true;
  }

  async close(): Promise<void> {
    if (this.durable.open) this.durable.close();
    if (this.db.open) this.db.close();
    // The last connection to close checkpoints the log and removes it.
    await this.checkpointer?.stop();
  }
}
