import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INSTANCE_LOCK_FILE, InstanceLockTaken, takeInstanceLock } from '../../src/store/instanceLock.js';

describe('takeInstanceLock', () => {
  let dir: string;
  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'instance-lock-')), 'data');
  });
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  test('takes a new DATA_DIR (creating it) and refuses it to a second taker until released', () => {
    const first = takeInstanceLock(dir);
    expect(existsSync(join(dir, INSTANCE_LOCK_FILE))).toBe(true);
    expect(() => takeInstanceLock(dir)).toThrow(InstanceLockTaken);
    expect(() => takeInstanceLock(dir)).toThrow(/another nkr-pain-cds instance is running on DATA_DIR .*DATABASE_URL/);
    first.release();
    first.release(); // twice is harmless
    const second = takeInstanceLock(dir);
    second.release();
  });

  test('another DATA_DIR is another lock', () => {
    const a = takeInstanceLock(dir);
    const b = takeInstanceLock(`${dir}-other`);
    a.release();
    b.release();
    rmSync(`${dir}-other`, { recursive: true, force: true });
  });

  test('a lock file that is not SQLite is an error of its own, not "another instance"', () => {
    const first = takeInstanceLock(dir);
    first.release();
    rmSync(join(dir, INSTANCE_LOCK_FILE));
    writeFileSync(join(dir, INSTANCE_LOCK_FILE), 'not a database, just some text that is long enough to be read as a header');
    let caught: unknown;
    try {
      takeInstanceLock(dir).release();
    } catch (err) {
      caught = err;
    }
    expect(caught).not.toBeInstanceOf(InstanceLockTaken);
    expect(caught).toMatchObject({ code: 'SQLITE_NOTADB' });
  });
});
