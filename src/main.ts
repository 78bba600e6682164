import type { Server } from 'node:http';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { InMemoryFeedbackStore } from './feedback/feedbackStore.js';
import { createLogger } from './observability/logger.js';
import { createServices } from './services/serviceRegistry.js';
import { createAuthVerifier, createDemoIssuer } from './transport/auth/index.js';
import { SchemaValidator } from './transport/schemaValidation.js';

/** Start: configuration, data, listen; drain on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel });
  // The preview page's demo issuer exists only in development (docs: src/transport/auth/demoIssuer.ts).
  const demoIssuer = config.nodeEnv === 'development' && config.preview.enabled ? createDemoIssuer() : null;
  const verifier = await createAuthVerifier(
    config,
    logger,
    demoIssuer ? { extraIssuers: [demoIssuer.trusted], onRefusal: (facts) => demoIssuer.recordRefusal(facts) } : {},
  );
  const app = createApp({
    config,
    logger,
    services: createServices(config, logger),
    verifier,
    validator: new SchemaValidator(),
    feedback: new InMemoryFeedbackStore(),
    clock: Date.now,
    demoIssuer,
  });
  const server: Server = app.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info(
      { url: `http://${config.host}:${port}/cds-services`, publicBaseUrl: config.publicBaseUrl, language: config.language, auth: verifier ? 'on' : 'off', nodeEnv: config.nodeEnv },
      'nkr-pain-cds listening',
    );
    if (/:0$/.test(config.publicBaseUrl) && verifier) {
      // PORT=0 picks a free port, but the default public URL cannot know it: no JWT audience would match.
      logger.warn({ publicBaseUrl: config.publicBaseUrl }, 'set PUBLIC_BASE_URL: with PORT=0 the default public base URL is not the address clients call');
    }
  });
  // Bound every wait: slow clients cannot hold connections open.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;

  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'shutting down');
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`nkr-pain-cds failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
