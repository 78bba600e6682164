import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express, { type RequestHandler } from 'express';
import type { Config } from './config.js';
import type { Logger } from './observability/logger.js';
import type { CdsService } from './model/cdsService.js';
import type { Metrics } from './observability/metrics.js';
import { requestLog } from './observability/requestLog.js';
import type { CardLog } from './store/cardLog.js';
import type { QuietByDesign } from './store/quiet.js';
import type { Store } from './store/store.js';
import type { StoreHealth } from './store/storeHealth.js';
import type { AuthVerifier, DemoIssuer } from './transport/auth/index.js';
import { previewRouter } from './preview/previewRoutes.js';
import { requireCaller } from './transport/auth/index.js';
import { corsMiddleware } from './transport/cors.js';
import { discoveryRoute } from './transport/discoveryRoute.js';
import { answerError, errorHandler, notFoundHandler } from './transport/errorHandler.js';
import { feedbackRoute } from './transport/feedbackRoute.js';
import { jsonBody, waitsToSendTooMuch } from './transport/jsonBody.js';
import { adminReportRoute, metricsRoute, readinessRoute, type Lifecycle } from './transport/operationsRoutes.js';
import { summaryOf } from './transport/requestSummary.js';
import { HttpError } from './transport/operationOutcome.js';
import type { SchemaValidator } from './transport/schemaValidation.js';
import { hookPosts, hookTarget, type Middleware } from './transport/hookPosts.js';
import { serviceRoute } from './transport/serviceRoute.js';
import { limitPipelining } from './transport/pipelineLimit.js';
import { pathOf } from './model/urlPath.js';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  services: readonly CdsService[];
  verifier: AuthVerifier | null;
  validator: SchemaValidator;
  // --- store, card log, metrics (issue 10) ---
  store: Store;
  storeHealth: StoreHealth;
  cardLog: CardLog;
  metrics: Metrics;
  /** Quiet by design (issue 11, docs/clinical-rules.md §6); absent = every card is shown every time. */
  quiet?: QuietByDesign;
  /** main sets `draining` on SIGTERM. */
  lifecycle?: Lifecycle;
  /** The pseudonym secret's running check (main.ts); absent: checked at start only. */
  secretWatch?: { readonly problem: string | null };
  /** Epoch ms; tests fix the date. */
  clock: () => number;
  /** The preview page's token issuer; only main.ts in development creates one. */
  demoIssuer?: DemoIssuer | null;
}

const methodNotAllowed =
  (allow: string): RequestHandler =>
  (req, res, next) => {
    res.set('Allow', allow);
    next(new HttpError(405, 'not-supported', `${req.method} is not allowed here; use ${allow}`));
  };

/**
 * Requests and latency per route, known service id and status (unknown ids are not labels: bounded cardinality).
 * `operations`: the operations endpoints this app has, each its own route label.
 */
function requestMetrics(metrics: Metrics, services: readonly CdsService[], operations: readonly string[]): Middleware {
  const known = new Set(services.map((s) => s.id));
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const path = pathOf(req.url);
    res.once('finish', () => {
      // As hookPosts routes them (any case: `/Feedback` is the feedback route too; the id percent-decoded).
      const target = hookTarget(path);
      const service = target !== null && known.has(target.serviceId) ? target.serviceId : '';
      const route =
        target !== null ? (target.isFeedback ? 'feedback' : 'service') : /^\/cds-services\/?$/i.test(path) ? 'discovery' : operations.includes(path) ? path.slice(1) : 'other';
      const labels = { route, service, status: String(res.statusCode) };
      metrics.requests.inc(labels);
      metrics.requestSeconds.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

const noSniff: Middleware = (_req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  next();
};

/**
 * While shutting down (SHUTDOWN_DRAIN_MS), each answer closes its connection: a client (a load balancer's
 * pool) then sends its next call on a new connection, to another instance, instead of on a kept-alive
 * one that the end of the drain closes under it (a POST lost as ECONNRESET).
 */
function closeWhileDraining(lifecycle: Lifecycle): Middleware {
  return (_req, res, next) => {
    if (lifecycle.draining) res.setHeader('Connection', 'close');
    next();
  };
}

/**
 * How long a client may take (ms): the whole request, its headers, an idle kept-alive connection. Node checks
 * them every `checkEveryMs` (its default, 30 s, let a stalled body hold a connection ~30 s past a 10 s limit).
 */
export interface ServerTimeouts {
  requestMs: number;
  headersMs: number;
  keepAliveMs: number;
  checkEveryMs: number;
}

export const SERVER_TIMEOUTS: ServerTimeouts = Object.freeze({ requestMs: 10_000, headersMs: 5_000, keepAliveMs: 5_000, checkEveryMs: 1_000 });

/** The service as node's http server runs it: a request listener, and `listen` as Express has it (bounded waits: SERVER_TIMEOUTS; bounded pipelining: src/transport/pipelineLimit.ts). */
export interface App {
  (req: IncomingMessage, res: ServerResponse): void;
  listen(port: number, host: string, onListening?: () => void, timeouts?: ServerTimeouts): Server;
}

/**
 * The app, built from its dependencies (no globals: each test builds its own). Hook calls and their
 * feedback (POST /cds-services/{id}[/feedback]) are answered by src/transport/hookPosts.ts straight on
 * node's http API; every other request by the Express app (discovery, health, metrics, preview, 404/405).
 */
export function createApp(deps: AppDependencies): App {
  const { config, logger, services } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  // What every request passes first, in both halves: CORS headers (set before any route, so error answers
  // carry them too), nosniff, ONE log line per request (id, method, path, status, time and the route's
  // summary; never headers (tokens) or bodies (patient data)), and the request metrics.
  const lifecycle = deps.lifecycle ?? { draining: false };
  // Probes and scrapers call these every few seconds: not logged. A read of the admin report is logged.
  const probed = ['/healthz', '/readyz', '/metrics'];
  const operations = [...probed, ...(config.operations.adminToken !== null ? ['/admin/report'] : [])];
  const before: Middleware[] = [
    corsMiddleware(config),
    noSniff,
    closeWhileDraining(lifecycle),
    requestLog(logger, { ignorePaths: probed, summary: summaryOf }),
    requestMetrics(deps.metrics, services, operations),
  ];
  for (const m of before) app.use(m);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', readinessRoute({ store: deps.store, health: deps.storeHealth, services, lifecycle, ...(deps.secretWatch ? { secret: deps.secretWatch } : {}) }));
  app.get('/metrics', ...metricsRoute(deps.metrics, config.operations.metricsToken));
  if (config.operations.adminToken !== null) {
    app.get('/admin/report', ...adminReportRoute({ store: deps.store, health: deps.storeHealth, clock: deps.clock }, config.operations.adminToken));
  }

  app.get('/cds-services', discoveryRoute(services));
  app.all('/cds-services', methodNotAllowed('GET, OPTIONS'));
  // POSTs are hookPosts' (below); these answer the other methods.
  app.all('/cds-services/:id', methodNotAllowed('POST, OPTIONS'));
  app.all('/cds-services/:id/feedback', methodNotAllowed('POST, OPTIONS'));

  // Card preview page (GET /, issue 13): off in production unless PREVIEW_PAGE=on.
  if (config.preview.enabled) app.use(previewRouter({ config, demoIssuer: deps.demoIssuer ?? null, authOn: deps.verifier !== null }));

  app.use(notFoundHandler);
  app.use(errorHandler(logger, config.bodyLimitBytes));

  const posts = hookPosts({
    services,
    before,
    checkCaller: requireCaller(deps.verifier, config, logger),
    readBody: jsonBody(config.bodyLimitBytes),
    callService: serviceRoute({
      config,
      logger,
      validator: deps.validator,
      clock: deps.clock,
      checkResponses: config.nodeEnv !== 'production',
      cardLog: deps.cardLog,
      metrics: deps.metrics,
      ...(deps.quiet ? { quiet: deps.quiet } : {}),
    }),
    feedback: feedbackRoute({
      validator: deps.validator,
      store: deps.store,
      health: deps.storeHealth,
      metrics: deps.metrics,
      clock: deps.clock,
      cardLog: deps.cardLog,
      ...(deps.quiet ? { quiet: deps.quiet } : {}),
    }),
    answerError: (err, req, res) => answerError(err, req, res, logger, config.bodyLimitBytes),
  });

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (!posts(req, res)) app(req, res);
  };
  return Object.assign(listener, {
    listen: (port: number, host: string, onListening?: () => void, timeouts: ServerTimeouts = SERVER_TIMEOUTS): Server => {
      const handle = limitPipelining(listener);
      const server = createServer(
        { requestTimeout: timeouts.requestMs, headersTimeout: timeouts.headersMs, keepAliveTimeout: timeouts.keepAliveMs, connectionsCheckingInterval: timeouts.checkEveryMs },
        handle,
      );
      // `Expect: 100-continue`: "100 Continue" only for a body within the limit; one declared larger is answered 413 unread (jsonBody).
      server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
        if (!waitsToSendTooMuch(req, config.bodyLimitBytes)) res.writeContinue();
        handle(req, res);
      });
      return server.listen(port, host, onListening);
    },
  });
}
