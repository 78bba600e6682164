import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CdsService } from '../model/cdsService.js';
import type { CallerCheck } from './auth/requireCaller.js';
import type { VerifiedCaller } from './auth/verifier.js';
import type { JsonBodyReader } from './jsonBody.js';
import { findService, type ServiceCallHandler } from './serviceRoute.js';
import { pathOf } from '../model/urlPath.js';

/** Node-level middleware (what Express and connect middleware such as `cors` are underneath). */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export interface HookPostsDeps {
  services: readonly CdsService[];
  /** What every request passes first, the same functions the Express app uses: CORS, headers, the log line, metrics. */
  before: readonly Middleware[];
  checkCaller: CallerCheck;
  readBody: JsonBodyReader;
  callService: ServiceCallHandler;
  feedback: (service: CdsService, res: ServerResponse, body: unknown, caller: VerifiedCaller | null) => Promise<void>;
  /** The app's one error answer (src/transport/errorHandler.ts). */
  answerError: (err: unknown, req: IncomingMessage, res: ServerResponse) => void;
}

/** `/cds-services/{id}` and `/cds-services/{id}/feedback`, matched as Express matched them: any case, optional trailing slash. */
const HOOK_POST = /^\/cds-services\/([^/]+)(\/feedback)?\/?$/i;

/** The `{id}` of a path, percent-decoded as Express decodes a route parameter; undecodable = no service of ours. */
function decodedId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return '';
  }
}

/**
 * The service id (percent-decoded, as it is looked up) and route of a hook-call or feedback path, or null for
 * any other path. One reading for routing and for the request metrics: `/cds-services/nkr-pain-patient%2Dview`
 * is the service it is answered as.
 */
export function hookTarget(path: string): { serviceId: string; isFeedback: boolean } | null {
  const match = HOOK_POST.exec(path);
  return match ? { serviceId: decodedId(match[1] ?? ''), isFeedback: match[2] !== undefined } : null;
}

function runMiddleware(steps: readonly Middleware[], req: IncomingMessage, res: ServerResponse, done: (err?: unknown) => void): void {
  let i = 0;
  const next = (err?: unknown): void => {
    if (err !== undefined && err !== null) {
      done(err);
      return;
    }
    const step = steps[i++];
    if (step === undefined) {
      done();
      return;
    }
    try {
      step(req, res, next);
    } catch (e) {
      done(e);
    }
  };
  next();
}

/**
 * POST /cds-services/{id} (a hook call) and POST /cds-services/{id}/feedback, answered through node's
 * http API rather than Express: the hook call is the one request an EHR makes in a clinician's click
 * path, and Express's router, its request/response prototypes and `res.send` (an ETag hash of every
 * answer) cost as much CPU as everything else the transport does (`npm run bench`, bench/README.md).
 * The steps are the app's: the same middleware first, then service (404 before anything else), caller
 * (401/403), JSON body (413/415/400), the route; every error is answered by the app's error answer.
 * Returns false for any other request, which the Express app answers.
 */
export function hookPosts(deps: HookPostsDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const lookup = findService(deps.services);

  async function handle(serviceId: string, isFeedback: boolean, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const service = lookup(serviceId);
    // The verified caller is part of who the patient is (serviceRoute's patientIdentity), and only the caller a
    // card went to can quiet it by feedback.
    const caller = await deps.checkCaller(req, service.id);
    const body = await deps.readBody(req, res);
    if (isFeedback) await deps.feedback(service, res, body, caller);
    else await deps.callService(service, req, res, body, caller);
  }

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const target = hookTarget(pathOf(req.url));
    if (target === null) return false;
    runMiddleware(deps.before, req, res, (err) => {
      if (err !== undefined) deps.answerError(err, req, res);
      else handle(target.serviceId, target.isFeedback, req, res).catch((e: unknown) => deps.answerError(e, req, res));
    });
    return true;
  };
}
