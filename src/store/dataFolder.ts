import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorCodeOf } from '../model/errorCode.js';

/**
 * Folders and files the service creates hold pseudonymous keys and the card log: readable by its own user
 * only. Ones that are already there keep the mode their operator gave them.
 */
const PRIVATE_FOLDER_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates a folder and the folders above it that are missing (`mkdir -p`, each with mode 0700), or throws. Node 20's
 * `mkdirSync(path, { recursive: true })` never returns where a parent exists but cannot hold the folder
 * (a path under /proc: mkdir answers ENOENT, its parent EEXIST, and it tries again for ever), so a
 * DATA_DIR there hung the start without a word. Here such a folder is an ENOENT error.
 */
export function makeFolder(path: string): void {
  try {
    mkdirSync(path, PRIVATE_FOLDER_MODE);
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
    mkdirSync(path, PRIVATE_FOLDER_MODE);
  } catch (err) {
    if (errorCodeOf(err) !== 'EEXIST' || !statSync(path).isDirectory()) throw err;
  }
}

/**
 * Creates an empty file with mode 0600 where there is none, before SQLite opens it: SQLite creates a new
 * database file 0644 (less the umask), and gives its -wal and -shm files the database file's own mode.
 */
export function makePrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', PRIVATE_FILE_MODE));
  } catch (err) {
    if (errorCodeOf(err) !== 'EEXIST') throw err;
  }
}
