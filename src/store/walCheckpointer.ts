import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints the SQLite write-ahead log from a worker thread. better-sqlite3 is synchronous, and
 * SQLite's automatic checkpoint runs inside whichever commit crosses the threshold: copying the log into
 * the database and syncing it stalled the event loop for ~10 ms every few card-log writes, and every hook
 * call waiting behind it (bench/README.md). A PASSIVE checkpoint on the worker's own connection runs beside
 * the writers; SQLite's own locks keep the two apart. The automatic checkpoint stays as a backstop (at a
 * larger threshold, see SqliteDb) should the worker stop.
 */
export interface WalCheckpointer {
  /** Last checkpoint, then the worker's connection is closed. */
  stop(): Promise<void>;
}

// CommonJS run by the worker (`eval`): the driver's path comes from here, so it resolves wherever the service runs.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ failed: (err && err.code) || 'checkpoint failed' });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export function startWalCheckpointer(file: string, options: { intervalMs: number; onFailure: (code: string) => void }): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    // No inherited flags: e.g. `--input-type=module` would make the source ESM, without `require`.
    execArgv: [],
    // It only runs pragmas: a small heap keeps the thread's cost to a few MB of RSS.
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1, codeRangeSizeMb: 2 },
    workerData: { driver, file, intervalMs: options.intervalMs },
  });
  worker.on('message', (m: unknown) => {
    if (typeof m === 'object' && m !== null && 'failed' in m) options.onFailure(String(m.failed));
  });
  worker.on('error', (err) => options.onFailure(err.name));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  // Never what keeps the process alive (the store's close() stops it); after the listeners, which ref it.
  worker.unref();
  return {
    stop: async () => {
      worker.postMessage('stop');
      const timeout = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
