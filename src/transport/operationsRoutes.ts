import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Metrics } from '../observability/metrics.js';
import type { CdsService } from '../model/cdsService.js';
import { withinMs } from '../model/storeWait.js';
import { feedbackReport } from '../store/report.js';
import { LongReadRefused } from '../store/db.js';
import type { Store } from '../store/store.js';
import type { StoreHealth } from '../store/storeHealth.js';
import { HttpError } from './operationOutcome.js';

/** Constant-time comparison of a request's bearer token with the configured one. */
function bearerMatches(authorization: string | undefined, expected: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!m) return false;
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1] as string), digest(expected));
}

const requireToken =
  (token: string | null, realm: string): RequestHandler =>
  (req, res, next) => {
    if (token === null || bearerMatches(req.get('authorization'), token)) return next();
    res.set('WWW-Authenticate', `Bearer realm="${realm}"`);
    next(new HttpError(401, 'login', 'unauthorized', { emptyBody: true }));
  };

/** GET /metrics: Prometheus text format; open unless METRICS_TOKEN is set. */
export function metricsRoute(metrics: Metrics, token: string | null): RequestHandler[] {
  return [
    requireToken(token, 'metrics'),
    async (_req, res) => {
      res.set('Cache-Control', 'no-store').type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  ];
}

/** GET /admin/report: the feedback report as JSON (registered only when ADMIN_TOKEN is set). */
export function adminReportRoute(deps: { store: Store; health: StoreHealth; clock: () => number }, token: string): RequestHandler[] {
  return [
    requireToken(token, 'admin'),
    async (_req, res) => {
      let report;
      try {
        report = await deps.health.track('report', () => feedbackReport(deps.store, deps.clock()), (err) => !(err instanceof LongReadRefused));
      } catch (err) {
        res.set('Retry-After', '30');
        // A report too slow for its deadline is a large store, not a store that is down (no cds_store_up 0).
        if (err instanceof LongReadRefused) throw new HttpError(503, 'transient', `The report could not be read: ${err.message}. Set RETENTION_DAYS to keep the store smaller.`);
        throw new HttpError(503, 'transient', 'The store cannot be read now');
      }
      res.set('Cache-Control', 'no-store').json(report);
    },
  ];
}

export interface Lifecycle {
  /** Set on SIGTERM: /readyz answers 503 so a load balancer stops sending new calls. */
  draining: boolean;
}

const PING_TIMEOUT_MS = 2_000;

/**
 * GET /readyz: 200 when the store answers, the data files are loaded and PSEUDONYM_SECRET agrees with the
 * store's; 503 (saying which) otherwise.
 */
export function readinessRoute(deps: {
  store: Store;
  health: StoreHealth;
  services: readonly CdsService[];
  lifecycle: Lifecycle;
  /** The pseudonym secret's running check (src/store/secretCheck.ts); absent: not checked after start. */
  secret?: { readonly problem: string | null };
}): RequestHandler {
  return async (_req, res) => {
    const checks: Record<string, string> = {};
    let ready = true;
    try {
      await deps.health.track('ping', () => withinMs(deps.store.ping(), PING_TIMEOUT_MS, 'the store'));
      // It answers; a write that failed since the last one that worked still makes it not ready (a full disk).
      if (!deps.health.up) throw new Error('writes failing');
      checks.store = `ok (${deps.store.kind})`;
    } catch {
      checks.store = `unavailable (${deps.store.kind}${deps.health.problem ? `: ${deps.health.problem}` : ''})`;
      ready = false;
    }
    // Services are built only after every data file was read and validated (serviceRegistry.ts).
    checks.data = deps.services.length > 0 ? 'ok' : 'not loaded';
    if (deps.services.length === 0) ready = false;
    const secretProblem = deps.secret?.problem ?? null;
    if (deps.secret !== undefined) checks.pseudonymSecret = secretProblem ?? 'ok';
    if (secretProblem !== null) ready = false;
    if (deps.lifecycle.draining) {
      checks.lifecycle = 'shutting down';
      ready = false;
    }
    res.status(ready ? 200 : 503).set('Cache-Control', 'no-store').json({ status: ready ? 'ready' : 'not ready', checks });
  };
}
