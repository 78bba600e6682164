import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { LongReadRefused, type Row, type Statement } from './db.js';

/**
 * Runs read-only statements over one snapshot of a SQLite file on a worker thread of their own.
 * better-sqlite3 is synchronous: the feedback report's aggregates over the whole card log, run on the main
 * thread, held every hook call for as long as they ran (seconds over a few million cards). The worker opens
 * its own read-only connection, which in WAL mode reads beside the service's writers, answers, and exits.
 */

// CommonJS run by the worker (`eval`), as in walCheckpointer.ts. One transaction: the statements see one snapshot.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
  const read = db.transaction(() => workerData.statements.map((s) => db.prepare(s.sql).all(...s.params)));
  parentPort.postMessage({ rows: read() });
} catch (err) {
  parentPort.postMessage({ failed: { code: (err && err.code) || 'error', message: String((err && err.message) || err) } });
} finally {
  if (db) db.close();
}
`;

export interface SnapshotReadOptions {
  /**
   * The answer's deadline. The worker is then terminated, but that takes effect only once the statement
   * under way returns to JavaScript: a statement is one native call. `exited` says when the thread is gone.
   */
  timeoutMs: number;
  busyTimeoutMs: number;
}

export interface SnapshotRead {
  rows: Promise<Row[][]>;
  /** Resolves when the worker thread has stopped (after the answer, or after a timeout once SQLite returns). */
  exited: Promise<void>;
}

export function readSnapshotOnWorker(file: string, statements: readonly Statement[], options: SnapshotReadOptions): SnapshotRead {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  let exited: Promise<void> = Promise.resolve();
  const rows = new Promise<Row[][]>((resolve, reject) => {
    let settled = false;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // No inherited flags: e.g. `--input-type=module` would make the source ESM, without `require`.
      execArgv: [],
      // Aggregates only (rows per kind, language and week): a small heap bounds the thread's memory.
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 },
      workerData: { driver, file, busyTimeoutMs: options.busyTimeoutMs, statements: statements.map((s) => ({ sql: s.sql, params: [...s.params] })) },
    });
    const settle = (outcome: { rows: Row[][] } | { error: Error }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ('rows' in outcome) resolve(outcome.rows);
      else reject(outcome.error);
    };
    exited = new Promise<void>((done) => worker.once('exit', () => done()));
    const timer = setTimeout(() => {
      settle({ error: new LongReadRefused('timeout') });
      void worker.terminate();
    }, options.timeoutMs);
    worker.on('message', (m: unknown) => {
      if (typeof m !== 'object' || m === null) return;
      if ('rows' in m && Array.isArray(m.rows)) settle({ rows: m.rows as Row[][] });
      else if ('failed' in m && typeof m.failed === 'object' && m.failed !== null) {
        const failed = m.failed as { code?: unknown; message?: unknown };
        settle({ error: Object.assign(new Error(String(failed.message)), { code: String(failed.code) }) });
      }
    });
    worker.on('error', (err) => settle({ error: err }));
    worker.on('exit', (code) => settle({ error: new Error(`the SQLite reader thread stopped (exit code ${code}) without an answer`) }));
  });
  return { rows, exited };
}
