import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../observability/logger.js';
import { HttpError } from './operationOutcome.js';

interface BodyParserError {
  type?: string;
  status?: number;
}

/** body-parser's errors → our HttpErrors with OperationOutcomes. */
function fromBodyParser(err: BodyParserError, limitBytes: number): HttpError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new HttpError(400, 'structure', 'The request body is not valid JSON');
    case 'entity.too.large':
      return new HttpError(413, 'too-long', `The request body is larger than the limit of ${limitBytes} bytes`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'not-supported', 'The request body must be UTF-8 JSON');
    case 'request.aborted':
      return new HttpError(400, 'incomplete', 'The request was aborted by the client');
    default:
      return undefined;
  }
}

/** Unknown paths: a FHIR OperationOutcome, not Express's HTML page. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not-found', `No endpoint ${req.method} ${req.path}`));
};

/**
 * The one place errors become HTTP responses: an OperationOutcome body, except 401 which has none.
 * Unexpected errors are logged (without request data) and answered 500 without details.
 */
export function errorHandler(logger: Logger, limitBytes: number): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let httpError = err instanceof HttpError ? err : fromBodyParser(err as BodyParserError, limitBytes);
    if (!httpError) {
      logger.error({ err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err), path: req.path }, 'unexpected error');
      httpError = new HttpError(500, 'exception', 'Internal error');
    }
    if (res.headersSent) return;
    res.status(httpError.status);
    if (httpError.emptyBody) {
      res.end();
      return;
    }
    res.type('application/json').send(JSON.stringify(httpError.toOperationOutcome()));
  };
}
