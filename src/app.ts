import express, { type Express, type RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Config } from './config.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { CdsService } from './services/cdsService.js';
import type { CardLog } from './store/cardLog.js';
import type { Store } from './store/store.js';
import type { StoreHealth } from './store/storeHealth.js';
import type { AuthVerifier } from './transport/auth/index.js';
import { requireCaller } from './transport/auth/index.js';
import { corsMiddleware } from './transport/cors.js';
import { discoveryRoute } from './transport/discoveryRoute.js';
import { errorHandler, notFoundHandler } from './transport/errorHandler.js';
import { feedbackRoute } from './transport/feedbackRoute.js';
import { jsonBody } from './transport/jsonBody.js';
import { adminReportRoute, metricsRoute, readinessRoute, type Lifecycle } from './transport/operationsRoutes.js';
import { HttpError } from './transport/operationOutcome.js';
import type { SchemaValidator } from './transport/schemaValidation.js';
import { findService, serviceRoute } from './transport/serviceRoute.js';

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
  /** main sets `draining` on SIGTERM. */
  lifecycle?: Lifecycle;
  /** Epoch ms; tests fix the date. */
  clock: () => number;
}

const methodNotAllowed =
  (allow: string): RequestHandler =>
  (req, res, next) => {
    res.set('Allow', allow);
    next(new HttpError(405, 'not-supported', `${req.method} is not allowed here; use ${allow}`));
  };

/** Requests and latency per route, known service id and status (unknown ids are not labels: bounded cardinality). */
function requestMetrics(metrics: Metrics, services: readonly CdsService[]): RequestHandler {
  const known = new Set(services.map((s) => s.id));
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const path = (req.originalUrl ?? req.url).split('?')[0] ?? '';
      const m = /^\/cds-services(?:\/([^/]+)(\/feedback)?)?\/?$/.exec(path);
      const service = m?.[1] !== undefined && known.has(m[1]) ? m[1] : '';
      const route = m ? (m[2] ? 'feedback' : m[1] !== undefined ? 'service' : 'discovery') : ['/healthz', '/readyz', '/metrics', '/admin/report'].includes(path) ? path.slice(1) : 'other';
      const labels = { route, service, status: String(res.statusCode) };
      metrics.requests.inc(labels);
      metrics.requestSeconds.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

/** The Express app, built from its dependencies (no globals: each test builds its own). */
export function createApp(deps: AppDependencies): Express {
  const { config, logger, services } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  app.use(corsMiddleware(config));
  app.use((_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use(
    pinoHttp({
      logger,
      // Method, path (no query string) and status only: headers carry tokens and bodies carry patient data.
      serializers: {
        req: (req: { method?: string; url?: string }) => ({ method: req.method, path: (req.url ?? '').split('?')[0]?.slice(0, 200) }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
    }),
  );

  app.use(requestMetrics(deps.metrics, services));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const lifecycle = deps.lifecycle ?? { draining: false };
  app.get('/readyz', readinessRoute({ store: deps.store, health: deps.storeHealth, services, lifecycle }));
  app.get('/metrics', ...metricsRoute(deps.metrics, config.operations.metricsToken));
  if (config.operations.adminToken !== null) {
    app.get('/admin/report', ...adminReportRoute({ store: deps.store, health: deps.storeHealth, clock: deps.clock }, config.operations.adminToken));
  }

  app.get('/cds-services', discoveryRoute(services));
  app.all('/cds-services', methodNotAllowed('GET, OPTIONS'));

  const lookup = findService(services);
  const knownService: RequestHandler = (req, _res, next) => {
    lookup(req);
    next();
  };
  const auth = requireCaller(deps.verifier, config, logger);
  const body = jsonBody(config.bodyLimitBytes);
  const routeDeps = {
    config,
    logger,
    validator: deps.validator,
    clock: deps.clock,
    checkResponses: config.nodeEnv !== 'production',
    cardLog: deps.cardLog,
    metrics: deps.metrics,
  };

  app.post('/cds-services/:id', knownService, auth, ...body, serviceRoute(services, routeDeps));
  app.all('/cds-services/:id', methodNotAllowed('POST, OPTIONS'));
  app.post(
    '/cds-services/:id/feedback',
    knownService,
    auth,
    ...body,
    feedbackRoute(services, {
      validator: deps.validator,
      store: deps.store,
      health: deps.storeHealth,
      metrics: deps.metrics,
      logger,
      clock: deps.clock,
      cardLog: deps.cardLog,
    }),
  );
  app.all('/cds-services/:id/feedback', methodNotAllowed('POST, OPTIONS'));

  app.use(notFoundHandler);
  app.use(errorHandler(logger, config.bodyLimitBytes));
  return app;
}
