import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFolder } from '../../src/store/dataFolder.js';
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
