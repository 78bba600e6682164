import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFolder } from '../../src/store/dataFolder.js';
import { INSTANCE_LOCK_FILE, takeInstanceLock } from '../../src/store/instanceLock.js';
import { SqliteDb } from '../../src/store/sqliteDb.js';
import { useTempDirs } from '../support/tempDirs.js';

const tempDir = useTempDirs();

describe('makeFolder', () => {
  test('creates the missing folders of a path, and accepts one that is there', () => {
    const root = tempDir('nkr-folder-');
    const deep = join(root, 'a', 'b', 'c');
    makeFolder(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(() => makeFolder(deep)).not.toThrow();
  });

  test('a folder whose parent exists but cannot hold it (under /proc) is an ENOENT error, at once', () => {
    // Node's own recursive mkdir loops for ever here.
    expect(() => makeFolder('/proc/nkr-pain-cds-data/store')).toThrow(/ENOENT/);
    expect(existsSync('/proc/nkr-pain-cds-data')).toBe(false);
  });

  test('a file in the way is an error', () => {
    const file = join(tempDir('nkr-folder-'), 'a-file');
    writeFileSync(file, 'not a folder');
    expect(() => makeFolder(join(file, 'data'))).toThrow(/ENOTDIR/);
    expect(() => makeFolder(file)).toThrow(/EEXIST/);
  });
});

describe('what the service creates is its own user’s only', () => {
  test('folders it creates are 0700; a folder that is there keeps its mode', () => {
    const root = tempDir('nkr-folder-');
    const deep = join(root, 'a', 'b');
    makeFolder(deep);
    expect(statSync(join(root, 'a')).mode & 0o777).toBe(0o700);
    expect(statSync(deep).mode & 0o777).toBe(0o700);
    chmodSync(deep, 0o750);
    makeFolder(deep);
    expect(statSync(deep).mode & 0o777).toBe(0o750);
  });

  test('a new SQLite store, its write-ahead log and shared memory, and the instance lock are 0600; a store file that is there keeps its mode', async () => {
    const dataDir = join(tempDir('nkr-folder-'), 'data');
    const lock = takeInstanceLock(dataDir);
    const file = join(dataDir, 'store.sqlite');
    const db = new SqliteDb(file);
    try {
      db.migrateSync();
      for (const name of [file, `${file}-wal`, `${file}-shm`, join(dataDir, INSTANCE_LOCK_FILE)]) {
        expect([name, statSync(name).mode & 0o777]).toEqual([name, 0o600]);
      }
    } finally {
      await db.close();
      lock.release();
    }
    chmodSync(file, 0o640);
    await new SqliteDb(file).close();
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });
});
