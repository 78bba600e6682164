import type { Server } from 'node:http';
import { createApp } from './app.js';
import { combinationWarnings, ConfigError, loadConfig, productionWarnings } from './config.js';
import { createLogger } from './observability/logger.js';
import { errorCodeOf } from './model/errorCode.js';
import { Metrics } from './observability/metrics.js';
import { loadCardTexts } from './render/cardTexts.js';
import { createServices, disabledKinds } from './services/serviceRegistry.js';
import { InstanceLockTaken, takeInstanceLock, type InstanceLock } from './store/instanceLock.js';
import { openStore } from './store/openStore.js';
import { requirePseudonymSecret, resolvePseudonymSecret } from './store/pseudonym.js';
import { StoreHealth } from './store/storeHealth.js';
import { Retention } from './store/retention.js';
import { checkPseudonymSecret, SecretWatch } from './store/secretCheck.js';
import type { Store } from './store/store.js';
import { storeRuntime } from './store/storeRuntime.js';
import { createAuthVerifier, createDemoIssuer, StoreReplayCache } from './transport/auth/index.js';
import { loadTrustedIssuers, TrustedIssuersError } from './transport/auth/trustedIssuers.js';
import { SchemaValidator } from './transport/schemaValidation.js';

/**
 * A start step that failed on what one setting names (a folder that cannot be made, a database that does
 * not answer, an issuers file that cannot be read): the message names the variable, as every configuration
 * error does (README "Configuration"). Errors that already say what to do pass through.
 */
function naming(variable: string, err: unknown): unknown {
  if (err instanceof ConfigError || err instanceof InstanceLockTaken) return err;
  // Only what the setting can cause: a system error (ECONNREFUSED, ENOTDIR, EACCES …), PostgreSQL refusing the
  // login (28xxx) or the database (3D000), SQLite finding its file read-only, an issuers file. A migration's or
  // the code's own fault passes as it is.
  const code = errorCodeOf(err) ?? '';
  // A database that does not answer now may be down, not misnamed: said as such (exit 1, so a process manager
  // that restarts the service on failure brings it back once the database answers).
  // pg's own connect timeout (a server behind a firewall that drops packets) has no code, only its words.
  const pgTimeout = err instanceof Error && /^(timeout expired|timeout exceeded when trying to connect|Connection terminated due to connection timeout)$/.test(err.message);
  if (variable === 'DATABASE_URL' && (pgTimeout || /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)$/.test(code))) {
    return new Error(`the database at DATABASE_URL cannot be reached (${pgTimeout ? 'no answer within the connect timeout' : code}): is it running, and is DATABASE_URL right? The service starts once it can migrate the schema and check the pseudonym secret there`);
  }
  const aboutSetting = err instanceof TrustedIssuersError || /^E[A-Z]+$/.test(code) || /^(28|3D)/.test(code) || /^SQLITE_(READONLY|CANTOPEN)/.test(code);
  return aboutSetting ? new Error(`Configuration error in ${variable}: ${err instanceof Error ? err.message : String(err)}`) : err;
}

/**
 * What the start has taken so far, let go before the process exits, whichever step failed (and at shutdown):
 * the store first, closed as a SIGTERM closes it (SQLite checkpoints its log), then DATA_DIR's lock.
 */
const taken: { instanceLock: InstanceLock | null; store: Store | null } = { instanceLock: null, store: null };
async function letGo(): Promise<void> {
  await taken.store?.close().catch(() => undefined);
  taken.instanceLock?.release();
}

/** Start: configuration, data, listen; drain on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  let secret;
  // Read once: checked here against the settings, then given to the services.
  const texts = loadCardTexts();
  try {
    config = loadConfig(process.env);
    // A card kind these name that does not exist stops the start here, before the store is made (exit 2).
    disabledKinds(config, texts);
    // So does production without PSEUDONYM_SECRET, before DATA_DIR's lock is taken.
    requirePseudonymSecret(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const metrics = new Metrics({ processMetrics: true });
  const logger = createLogger({ level: config.logLevel, onDropped: () => metrics.logLinesDropped.inc() });
  for (const warning of [...combinationWarnings(config), ...productionWarnings(config)]) logger.warn(warning);
  const services = createServices(config, logger, { fhirReads: metrics, texts });
  const serviceIds = services.map((s) => s.id);
  // The trusted issuers, read before anything is written: a file that cannot be read, or that names a service
  // this process does not offer, stops the start with nothing in DATA_DIR or the database.
  const trusted = config.auth.required
    ? await loadTrustedIssuers(config, logger, serviceIds).catch((err: unknown) => {
        throw err instanceof TrustedIssuersError ? naming('TRUSTED_ISSUERS_FILE', err) : err;
      })
    : undefined;
  // The embedded store serves one instance: a second one on this DATA_DIR stops here, before it writes
  // anything there (the development pseudonym secret included) or migrates.
  try {
    taken.instanceLock = config.store.databaseUrl ? null : takeInstanceLock(config.store.dataDir);
    secret = resolvePseudonymSecret(config);
  } catch (err) {
    throw naming('DATA_DIR', err);
  }
  // --- store, card log (issue 10) ---
  const health = new StoreHealth({ logger, metrics });
  const store = await openStore(config, { writable: true, onBackgroundError: (operation, err) => health.failed(operation, err) }).catch((err: unknown) => {
    throw naming(config.store.databaseUrl ? 'DATABASE_URL' : 'DATA_DIR', err);
  });
  taken.store = store;
  const runtime = storeRuntime(store, { config, logger, metrics, secret, health });
  // Another PSEUDONYM_SECRET than the other instances' would silently break quiet by design: refused here.
  await checkPseudonymSecret(store, runtime.pseudonyms);
  // …and checked again while it runs: a quiet:reset meanwhile must not let another secret in unnoticed.
  const secretWatch = new SecretWatch({ store, pseudonyms: runtime.pseudonyms, health, logger });
  // Started once the service listens: no pass is under way when a start step fails and the store is closed.
  const retention = new Retention({ store, health, logger, days: config.store.retentionDays });
  const replayCache = new StoreReplayCache(store, health);
  const lifecycle = { draining: false };
  // The preview page's demo issuer exists only in development (docs: src/transport/auth/demoIssuer.ts).
  const demoIssuer = config.nodeEnv === 'development' && config.preview.enabled ? createDemoIssuer() : null;
  const verifier = await createAuthVerifier(
    config,
    logger,
    demoIssuer
      ? { replayCache, metrics, trusted, extraIssuers: [demoIssuer.trusted], onRefusal: (facts) => demoIssuer.recordRefusal(facts) }
      : { replayCache, metrics, trusted },
  );
  const app = createApp({
    config,
    logger,
    services,
    verifier,
    validator: new SchemaValidator(),
    store,
    storeHealth: health,
    cardLog: runtime.cardLog,
    quiet: runtime.quiet,
    metrics,
    lifecycle,
    secretWatch,
    clock: Date.now,
    demoIssuer,
  });
  const server: Server = app.listen(config.port, config.host, () => {
    server.removeListener('error', onListenError);
    retention.start();
    secretWatch.start();
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info(
      { url: `http://${config.host}:${port}/cds-services`, store: store.kind, publicBaseUrl: config.publicBaseUrl, language: config.language, auth: verifier ? 'on' : 'off', nodeEnv: config.nodeEnv },
      'nkr-pain-cds listening',
    );
    if (/:0$/.test(config.publicBaseUrl) && verifier) {
      // PORT=0 picks a free port, but the default public URL cannot know it: no JWT audience would match.
      logger.warn({ publicBaseUrl: config.publicBaseUrl }, 'set PUBLIC_BASE_URL: with PORT=0 the default public base URL is not the address clients call');
    }
  });
  // The address cannot be had (in use, not this machine's, not allowed): say which setting, not a stack trace.
  // Only until it listens (removed then): a later server error is not about the address.
  const onListenError = (err: NodeJS.ErrnoException): void => {
    const why = err.code === 'EADDRINUSE' ? 'the port is in use by another process' : err.code === 'EACCES' ? 'not allowed to listen there' : err.code === 'EADDRNOTAVAIL' ? 'HOST is not an address of this machine' : err.message;
    process.stderr.write(`nkr-pain-cds failed to start: cannot listen on HOST ${config.host}, PORT ${config.port}: ${why} (${err.code ?? 'error'}); set PORT (or HOST)\n`);
    void letGo().finally(() => process.exit(1));
  };
  server.once('error', onListenError);

  // Say "not ready" (and keep serving) for SHUTDOWN_DRAIN_MS, then stop taking requests, let in-flight ones
  // finish, write the card log, close the store, exit 0.
  let stopping = false;
  let finishing = false;
  const finish = async (): Promise<void> => {
    if (finishing) return;
    finishing = true;
    secretWatch.stop();
    await retention.stop();
    await runtime.cardLog.close();
    // A store that cannot be written now loses what was still pending: say how much.
    if (runtime.cardLog.pendingCount > 0) logger.error({ cards: runtime.cardLog.pendingCount }, 'card log not written at shutdown: these cards are lost');
    await letGo();
    process.exit(0);
  };
  const stopServing = (): void => {
    server.close(() => void finish());
    server.closeIdleConnections();
    setTimeout(() => {
      if (finishing) return;
      logger.warn('requests still running after 8 s: closing their connections');
      server.closeAllConnections();
      void finish();
    }, 8_000).unref();
  };
  let drainTimer: NodeJS.Timeout | null = null;
  const shutdown = (signal: string): void => {
    if (stopping) {
      // A second signal (an operator's second Ctrl-C) ends the drain now rather than be ignored for up to a
      // minute (and answered with SIGKILL, which loses the card log): stop serving, write the card log, exit.
      if (drainTimer === null) return;
      clearTimeout(drainTimer);
      drainTimer = null;
      logger.info({ signal }, 'second signal: the drain is cut short');
      stopServing();
      return;
    }
    stopping = true;
    lifecycle.draining = true;
    const drainMs = config.operations.shutdownDrainMs;
    logger.info({ signal, drainMs }, 'shutting down');
    if (drainMs > 0) {
      drainTimer = setTimeout(() => {
        drainTimer = null;
        stopServing();
      }, drainMs);
    } else stopServing();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`nkr-pain-cds failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  void letGo().finally(() => process.exit(1));
});
