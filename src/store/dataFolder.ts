import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorCodeOf } from '../model/errorCode.js';

/**
 * Creates a folder and the folders above it that are missing (`mkdir -p`), or throws. Node 20's
 * `mkdirSync(path, { recursive: true })` never returns where a parent exists but cannot hold the folder
 * (a path under /proc: mkdir answers ENOENT, its parent EEXIST, and it tries again for ever), so a
 * DATA_DIR there hung the start without a word. Here such a folder is an ENOENT error.
 */
export function makeFolder(path: string): void {
  try {
    mkdirSync(path);
    return;
  } catch (err) {
    const code = errorCodeOf(err);
    if (code === 'EEXIST' && statSync(path).isDirectory()) return;
    const parent = dirname(path);
    // ENOENT with the parent there (or no parent left) will not be cured by making the parent.
    if (code !== 'ENOENT' || parent === path || existsSync(parent)) throw err;
    makeFolder(parent);
  }
  try {
    mkdirSync(path);
  } catch (err) {
    if (errorCodeOf(err) !== 'EEXIST' || !statSync(path).isDirectory()) throw err;
  }
}
