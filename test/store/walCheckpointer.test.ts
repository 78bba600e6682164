import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SqliteDb, WAL_SIZE_LIMIT_BYTES } from '../../src/store/sqliteDb.js';

// SQLite's write-ahead log is checkpointed by a worker thread, not inside a commit on the event loop
// (src/store/walCheckpointer.ts): the database file takes in what was logged without any commit
// crossing the (raised) automatic threshold.
describe('SqliteDb write-ahead log checkpoints', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wal-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const until = async (check: () => boolean, ms: number): Promise<boolean> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (check()) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return check();
  };

  test('what the writers log reaches the database file from the checkpoint thread; close removes the log', async () => {
    const file = join(dir, 'store.sqlite');
    const errors: string[] = [];
    const db = new SqliteDb(file, { onBackgroundError: (operation) => errors.push(operation) });
    try {
      await db.migrate();
      const before = statSync(file).size;
      const rows = Array.from({ length: 200 }, (_, i) => ({ sql: 'INSERT INTO card_suggestion (suggestion_uuid, card_uuid, name) VALUES (?, ?, ?)', params: [`s-${String(i)}`, 'c', 'x'.repeat(500)] }));
      await db.batch(rows);
      // ~100 KB logged, far below the automatic threshold: only the checkpoint thread moves it into the file.
      expect(await until(() => statSync(file).size > before + 50_000, 4_000)).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await db.close();
    }
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  test(`the log file does not stay at its high-water mark: once checkpointed, the next write cuts it back to ${WAL_SIZE_LIMIT_BYTES / 1024 / 1024} MB`, async () => {
    const file = join(dir, 'store.sqlite');
    const db = new SqliteDb(file);
    try {
      await db.migrate();
      // ~10 MB in one transaction: the log grows past the limit.
      const rows = Array.from({ length: 20_000 }, (_, i) => ({ sql: 'INSERT INTO card_suggestion (suggestion_uuid, card_uuid, name) VALUES (?, ?, ?)', params: [`s-${String(i)}`, 'c', 'x'.repeat(500)] }));
      await db.batch(rows);
      expect(statSync(`${file}-wal`).size).toBeGreaterThan(2 * WAL_SIZE_LIMIT_BYTES);
      // After the checkpoint thread has moved it into the file, each later write may start the log over.
      const shrunk = await until(() => {
        void db.batch([{ sql: 'INSERT OR REPLACE INTO card_suggestion (suggestion_uuid, card_uuid, name) VALUES (?, ?, ?)', params: ['later', 'c', 'x'] }]);
        return statSync(`${file}-wal`).size <= WAL_SIZE_LIMIT_BYTES;
      }, 8_000);
      expect(shrunk).toBe(true);
    } finally {
      await db.close();
    }
  });

  test('a store left open does not keep the process alive (the thread is unref’d)', () => {
    const dbModule = fileURLToPath(new URL('../../src/store/sqliteDb.ts', import.meta.url));
    const script = `import { SqliteDb } from ${JSON.stringify(dbModule)}; const db = new SqliteDb(${JSON.stringify(join(dir, 'open.sqlite'))}, { onBackgroundError: (op) => console.log('failed', op) }); await db.migrate(); console.log('opened');`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(run.stdout).toContain('opened');
    expect(run.stdout).not.toContain('failed');
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
  });
});

describe('SqliteDb opening a new file another process is writing', () => {
  // Two instances started at once on one new DATA_DIR: switching the file to WAL needs a lock the other
  // holds, and SQLite answers SQLITE_BUSY at once there (no busy handler); the switch is tried again.
  test('waits for the write lock instead of failing with "database is locked"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-lock-'));
    const file = join(dir, 'store.sqlite');
    const holder = `const Database = require('better-sqlite3'); const db = new Database(${JSON.stringify(file)});
      db.exec('BEGIN IMMEDIATE'); db.exec('CREATE TABLE t (x)'); process.stdout.write('locked\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 700); db.exec('COMMIT'); db.close();`;
    const child = spawn(process.execPath, ['-e', holder], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => (d.toString().includes('locked') ? resolve() : undefined));
        child.once('exit', () => reject(new Error('the lock holder exited first')));
      });
      const db = new SqliteDb(file);
      try {
        await db.migrate();
      } finally {
        await db.close();
      }
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
