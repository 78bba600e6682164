import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../observability/logger.js';
import { requestLogger } from '../observability/requestLog.js';
import { isObject } from '../model/json.js';
import { RequiredDataUnavailable } from '../model/requiredData.js';
import { sendJson } from './httpResponse.js';
import { HttpError } from './operationOutcome.js';
import { summaryOf } from './requestSummary.js';
import { pathOf } from '../model/urlPath.js';

/** body-parser's errors → our HttpErrors with OperationOutcomes. */
function fromBodyParser(err: unknown, limitBytes: number): HttpError | undefined {
  switch (isObject(err) ? err.type : undefined) {
    case 'entity.parse.failed':
      return new HttpError(400, 'structure', 'The request body is not a JSON object (malformed JSON, or a bare value such as null)');
    case 'entity.too.large':
      // The limit of the route that read the body (a preview route has its own), else BODY_LIMIT.
      return new HttpError(413, 'too-long', `The request body is larger than the limit of ${isObject(err) && typeof err.limit === 'number' ? err.limit : limitBytes} bytes`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'not-supported', 'The request body must be UTF-8 JSON');
    case 'request.aborted':
      return new HttpError(400, 'incomplete', 'The request was aborted by the client');
    default:
      if (!isObject(err) || err.status !== 400) return undefined;
      // Express's router cannot decode a path parameter ("%", "%ED%A0%80"): the path, not a body, is wrong.
      if (typeof err.message === 'string' && err.message.startsWith('Failed to decode param')) return new HttpError(400, 'invalid', 'The request path is not valid percent-encoded UTF-8');
      // body-parser passes a body that does not decompress (gzip, deflate, br: zlib's error) on as a 400 with no type.
      return new HttpError(400, 'structure', 'The request body could not be read (a compressed body that does not decompress?)');
  }
}

/**
 * Required data that cannot be had → 412 naming each key, its description and the reason
 * (https://cds-hooks.hl7.org/2.0/#prefetch-template); reasons never hold a token or a URL.
 */
function preconditionFailed(err: RequiredDataUnavailable): HttpError {
  return new HttpError(412, 'incomplete', err.message, {
    extraIssues: err.missing.map((m) => ({
      severity: 'error' as const,
      code: 'incomplete' as const,
      diagnostics: `${m.description} (prefetch "${m.key}"): ${m.why}`,
      expression: [`prefetch.${m.key}`],
    })),
  });
}

/** Unknown paths: a FHIR OperationOutcome, not Express's HTML page. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  // The path is not quoted: it is the caller's text (it may hold a patient id), and the reason goes to the log.
  next(new HttpError(404, 'not-found', `No endpoint for ${req.method} at this path`));
};

/**
 * The one place errors become HTTP responses: an OperationOutcome body, except 401 which has none; every
 * one `Cache-Control: no-store`.
 * Unexpected errors are logged (without request data) and answered 500 without details. Node-level,
 * so the hook calls answered outside Express (src/transport/hookPosts.ts) use it as Express does.
 */
export function answerError(err: unknown, req: IncomingMessage, res: ServerResponse, logger: Logger, limitBytes: number): void {
  let httpError =
    err instanceof HttpError ? err : err instanceof RequiredDataUnavailable ? preconditionFailed(err) : fromBodyParser(err, limitBytes);
  if (!httpError) {
    const path = pathOf(req.url).slice(0, 200);
    requestLogger(req, logger).error({ err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err), path }, 'unexpected error');
    httpError = new HttpError(500, 'exception', 'Internal error');
  }
  if (res.headersSent) return;
  // An error answer may quote what the request sent (a field, a service id): no cache keeps it, as none keeps the cards.
  res.setHeader('Cache-Control', 'no-store');
  // The request's log line says why it was refused (a tester in the sandbox sees only "no response"); a 503 too (busy, store down).
  if (httpError.status < 500 || httpError.status === 503) summaryOf(res).reason = httpError.issues.map((i) => i.diagnostics).filter(Boolean).join(' | ').slice(0, 1000);
  if (httpError.emptyBody) {
    // RFC 6750: a 401 names the scheme it wants; nothing more (the body stays empty: nothing on why).
    // A route may have named its realm already (the admin report, the metrics).
    if (httpError.status === 401 && !res.hasHeader('WWW-Authenticate')) res.setHeader('WWW-Authenticate', 'Bearer');
    res.statusCode = httpError.status;
    res.end();
    return;
  }
  sendJson(res, httpError.status, JSON.stringify(httpError.toOperationOutcome()));
}

/** Express's error middleware: answerError. */
export function errorHandler(logger: Logger, limitBytes: number): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    answerError(err, req, res, logger, limitBytes);
  };
}
