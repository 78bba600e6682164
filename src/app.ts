import express, { type Express, type RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Config } from './config.js';
import type { FeedbackStore } from './feedback/feedbackStore.js';
import type { Logger } from './observability/logger.js';
import { previewRouter } from './preview/previewRoutes.js';
import type { CdsService } from './services/cdsService.js';
import type { AuthVerifier, DemoIssuer } from './transport/auth/index.js';
import { requireCaller } from './transport/auth/index.js';
import { corsMiddleware } from './transport/cors.js';
import { discoveryRoute } from './transport/discoveryRoute.js';
import { errorHandler, notFoundHandler } from './transport/errorHandler.js';
import { feedbackRoute } from './transport/feedbackRoute.js';
import { jsonBody } from './transport/jsonBody.js';
import { HttpError } from './transport/operationOutcome.js';
import type { SchemaValidator } from './transport/schemaValidation.js';
import { findService, serviceRoute } from './transport/serviceRoute.js';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  services: readonly CdsService[];
  verifier: AuthVerifier | null;
  validator: SchemaValidator;
  feedback: FeedbackStore;
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
      autoLogging: { ignore: (req) => req.url === '/healthz' },
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

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
  };

  app.post('/cds-services/:id', knownService, auth, ...body, serviceRoute(services, routeDeps));
  app.all('/cds-services/:id', methodNotAllowed('POST, OPTIONS'));
  app.post(
    '/cds-services/:id/feedback',
    knownService,
    auth,
    ...body,
    feedbackRoute(services, { validator: deps.validator, store: deps.feedback, logger, clock: deps.clock }),
  );
  app.all('/cds-services/:id/feedback', methodNotAllowed('POST, OPTIONS'));

  // Card preview page (GET /, issue 13): off in production unless PREVIEW_PAGE=on.
  if (config.preview.enabled) app.use(previewRouter({ config, demoIssuer: deps.demoIssuer ?? null, authOn: deps.verifier !== null }));

  app.use(notFoundHandler);
  app.use(errorHandler(logger, config.bodyLimitBytes));
  return app;
}
