import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestLineLogger, type Logger } from './logger.js';
import { isQuotableUuid } from '../model/json.js';
import { pathOf } from '../model/urlPath.js';

declare module 'http' {
  interface IncomingMessage {
    /** The request id: the caller's X-Request-Id when it is a short plain token, else a new UUID. */
    id: string;
  }
}

interface RequestLogState {
  logger: Logger;
  bindings: { req: { id: string; method: string | undefined; path: string } };
  child?: Logger;
}

/**
 * Each request's logger state, beside the request rather than on it: a getter defined on each
 * IncomingMessage (the earlier `req.log`) turned it into a dictionary-mode object, and with it about
 * 0.5 MB per young-generation collection survived and was promoted, doubling the collections' pauses
 * (bench/README.md, fourth round).
 */
const states = new WeakMap<IncomingMessage, RequestLogState>();

/**
 * The request's logger: every line carries `req: {id, method, path}`. Made on first use (most calls never
 * log through it); `fallback` for a request the request log has not seen.
 */
export function requestLogger(req: IncomingMessage, fallback: Logger): Logger {
  const state = states.get(req);
  if (state === undefined) return fallback;
  return (state.child ??= state.logger.child(state.bindings));
}

export interface RequestLogOptions {
  /** Paths (without query string) that get an id and a `requestLogger` but no line, e.g. health checks. */
  ignorePaths?: readonly string[];
  /** What the line says beyond id, method, path, status and time (the app passes `summaryOf`). */
  summary?: (res: object) => object;
}

const PLAIN_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** Six digits in a row once separators are dropped: a Danish CPR number's date part (DDMMYY, "01-01-80"), or a phone or record number. */
const DIGIT_RUN = /\d{6}/;

/**
 * The caller's X-Request-Id, when the log may hold it: plain text (1–64 letters, digits, `.`, `_`, `-`) that
 * is a generated UUID holding no CPR number (mayHoldCprNumber), or has no six digits in a row (separators aside). An id built from a patient's CPR
 * number ("0101801234-1", "01-01-80-1234") would put patient data in every line of the call; it is replaced by
 * a fresh UUID (echoed, so the EHR still learns it).
 */
function callerRequestId(given: string | string[] | undefined): string | null {
  if (typeof given !== 'string' || !PLAIN_ID.test(given)) return null;
  return isQuotableUuid(given) || !DIGIT_RUN.test(given.replace(/[._-]/g, '')) ? given : null;
}

/**
 * A path no route of ours answers (404), or not with that method (405: `GET /cds-services/{id}`), is the
 * caller's own text: a FHIR client pointed here by mistake reads `/Patient/<CPR number>`, an unknown service
 * id may be anything. Its line keeps only our own prefix.
 */
function unknownPath(path: string): string {
  return /^\/cds-services\//i.test(path) ? '/cds-services/…' : '/…';
}

/** A path that is no valid percent-encoded UTF-8 (`/cds-services/0101701234%ZZ`): refused before any route read it, so the caller's own text. */
function undecodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return false;
  } catch {
    return true;
  }
}

/**
 * ONE log line per request, written when the response has finished: `req: {id, method, path}` (no
 * query string), `res: {statusCode}`, `responseTime` (ms) and the route's summary (`summaryOf(res)`:
 * service, cards by kind, FHIR reads, a 4xx's reason, given as `options.summary`); info, warn for a 4xx, error for a 5xx. The id
 * is echoed as X-Request-Id; `requestLogger(req, …)` is a child logger bound to the request, built only
 * when something logs through it. Headers (tokens) and bodies (patient data) are never read.
 *
 * It replaces pino-http, which built a child logger for every request (serialising the whole request,
 * then redacting it) whether or not anything logged through it: about a third of the service's CPU on
 * a call that issues no cards (`npm run bench`, bench/README.md).
 */
export function requestLog(logger: Logger, options: RequestLogOptions = {}): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const ignored = new Set(options.ignorePaths ?? []);
  const summary = options.summary ?? ((): object => ({}));
  const lines = requestLineLogger(logger);
  return (req, res, next) => {
    const id = callerRequestId(req.headers['x-request-id']) ?? randomUUID();
    res.setHeader('X-Request-Id', id);
    req.id = id;
    const path = pathOf(req.url).slice(0, 200);
    const method = req.method;
    states.set(req, { logger, bindings: { req: { id, method, path } } });
    if (ignored.has(path)) {
      next();
      return;
    }
    const started = process.hrtime.bigint();
    let done = false;
    const line = (aborted: boolean): void => {
      if (done) return;
      done = true;
      const statusCode = aborted && !res.headersSent ? null : res.statusCode;
      const level = statusCode !== null && statusCode >= 500 ? 'error' : aborted || (statusCode !== null && statusCode >= 400) ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const responseTime = Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
      lines[level](
        { req: { id, method, path: statusCode === 404 || statusCode === 405 || (statusCode === 400 && undecodable(path)) ? unknownPath(path) : path }, res: { statusCode }, responseTime, ...summary(res) },
        aborted ? 'request aborted' : statusCode !== null && statusCode >= 500 ? 'request failed' : 'request answered',
      );
    };
    res.once('finish', () => line(false));
    // The client went away before the answer was written.
    res.once('close', () => line(!res.writableFinished));
    next();
  };
}
