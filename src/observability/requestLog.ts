import type { RequestHandler } from 'express';
import type { Logger } from './logger.js';

/**
 * One log line per finished request: method, path (no query string), status and milliseconds, with the
 * same keys pino-http writes (`req.method`, `req.path`, `res.statusCode`, `responseTime`), so log
 * queries keep working. A drop-in for pino-http, which builds a child logger for every request
 * (serialising the whole request, then redacting it) whether or not a line is written: measured with
 * `npm run bench`, that was about 40 % of the service's CPU time on a call that issues no cards
 * (bench/README.md). Headers (tokens) and bodies (patient data) are never read.
 */
export function requestLog(logger: Logger, options: { ignorePaths?: readonly string[] } = {}): RequestHandler {
  const ignored = new Set(options.ignorePaths ?? []);
  return (req, res, next) => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = (q === -1 ? url : url.slice(0, q)).slice(0, 200);
    if (ignored.has(path) || !logger.isLevelEnabled('info')) {
      next();
      return;
    }
    const started = process.hrtime.bigint();
    const method = req.method;
    let done = false;
    const line = (msg: string, statusCode: number | null): void => {
      if (done) return;
      done = true;
      logger.info({ req: { method, path }, res: { statusCode }, responseTime: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10 }, msg);
    };
    res.once('finish', () => line('request completed', res.statusCode));
    // The client went away before the answer was written.
    res.once('close', () => line('request aborted', res.writableFinished ? res.statusCode : null));
    next();
  };
}
