import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Config } from '../../config.js';
import type { Logger } from '../../observability/logger.js';
import { HttpError } from '../operationOutcome.js';
import type { AuthVerifier } from './verifier.js';

/**
 * The endpoint's path as the client called it, without the query string. Express reports `req.path`
 * as '/' when a request hits a mount point exactly (`app.use('/cds-services', …)` + `GET
 * /cds-services`), which would add a slash the client never sent; only in that case is the trailing
 * slash dropped. A slash the client did send is kept: its `aud` is the URL it called, slash included.
 */
function endpointPath(req: Request): string {
  const joined = req.baseUrl + req.path;
  if (joined.length > 1 && joined.endsWith('/')) {
    const q = req.originalUrl.indexOf('?');
    const original = q === -1 ? req.originalUrl : req.originalUrl.slice(0, q);
    if (!original.endsWith('/')) return joined.slice(0, -1);
  }
  return joined;
}

/**
 * Express 5 middleware for service and feedback routes: verifies the caller's JWT against this
 * endpoint's public URL (`config.publicBaseUrl` + path: the URL the client used, not the one we see
 * behind a proxy), stores the caller in `res.locals.caller`, and passes 401/403 errors to next().
 * With a null verifier (AUTH=off) it lets every request through.
 */
export function requireCaller(verifier: AuthVerifier | null, config: Config, logger: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (verifier === null) {
      next();
      return;
    }
    const audience = config.publicBaseUrl + endpointPath(req);
    const id = (req.params as Record<string, string | undefined> | undefined)?.id;
    const serviceId = typeof id === 'string' && id !== '' ? id : null;
    verifier.verify(req.get('authorization'), audience, serviceId).then(
      (caller) => {
        res.locals.caller = caller;
        next();
      },
      (err: unknown) => {
        // Refusals are logged by the verifier; anything else is a fault worth its own line.
        if (!(err instanceof HttpError)) logger.error({ audience, serviceId, err }, 'caller verification failed unexpectedly');
        next(err);
      },
    );
  };
}
