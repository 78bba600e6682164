import type { IncomingMessage } from 'node:http';
import type { Config } from '../../config.js';
import type { Logger } from '../../observability/logger.js';
import { badRequest, HttpError } from '../operationOutcome.js';
import type { AuthVerifier, VerifiedCaller } from './verifier.js';
import { pathOf } from '../../model/urlPath.js';

/** Checks one request's caller: its verified claims, or null when verification is off; throws HttpError 401/403. */
export type CallerCheck = (req: IncomingMessage, serviceId: string | null) => Promise<VerifiedCaller | null>;

/**
 * The endpoint's path as the client called it, without the query string: a trailing slash the client
 * sent is kept, none is invented (its `aud` is the URL it called). `originalUrl` when Express has
 * rewritten `url` for a mounted router.
 */
function calledPath(req: IncomingMessage & { originalUrl?: string }): string {
  return pathOf(req.originalUrl ?? req.url ?? '/');
}

/**
 * Caller verification for the service and feedback endpoints: the caller's JWT against this endpoint's
 * public URL (`config.publicBaseUrl` + path: the URL the client used, not the one we see behind a
 * proxy) and the called service. With a null verifier (AUTH=off) every request passes.
 */
export function requireCaller(verifier: AuthVerifier | null, config: Config, logger: Logger): CallerCheck {
  return async (req, serviceId) => {
    if (verifier === null) return null;
    // Node keeps the first of several Authorization headers; two credentials are ambiguous (which caller is
    // this?), and Authorization is a singleton field (RFC 9110 §11.6.2). 400, not 401: RFC 6750 §3.1 answers a
    // request that "repeats the same parameter" or "uses more than one method for including an access token"
    // with invalid_request, 400 — it is malformed, not unauthenticated. Neither value is looked at or logged.
    if ((req.headersDistinct.authorization?.length ?? 0) > 1) {
      throw badRequest('The request carries more than one Authorization header: send one credential');
    }
    const audience = config.publicBaseUrl + calledPath(req);
    const authorization = req.headers.authorization;
    try {
      return await verifier.verify(authorization, audience, serviceId);
    } catch (err) {
      // Refusals are logged by the verifier; anything else is a fault worth its own line.
      if (!(err instanceof HttpError)) logger.error({ audience, serviceId, err }, 'caller verification failed unexpectedly');
      throw err;
    }
  };
}
