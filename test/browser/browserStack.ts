import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { loadConfig, type Config } from '../../src/config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { DEMO_PATIENTS_DIR, daysSinceReference, loadDemoScenarios } from '../../src/preview/scenarios.js';
import { createAuthVerifier, createDemoIssuer, type DemoIssuer } from '../../src/transport/auth/index.js';
import { createFhirTestServer, type FhirTestServer } from '../../test-support/fhirServer/server.js';
import { buildTestApp } from '../support/testApp.js';

/**
 * The demo as the browser tests use it, in this process: the FHIR server seeded with the demo
 * patients (dates moved to today) and the service as in development (AUTH on, demo issuer trusted),
 * its PUBLIC_BASE_URL `http://localhost:PORT`. One Chromium per suite (Debian's, never downloaded).
 */

const CHROMIUM = '/usr/bin/chromium';

/** Launch flags that work as root on these machines (stack notes); a fresh profile every launch. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with "apt-get install -y chromium" (.ci/run does this)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  });
}

export interface DemoStack {
  /** `http://localhost:PORT`: PUBLIC_BASE_URL, where the page must be opened for a matching `aud`. */
  origin: string;
  /** The same server as `http://127.0.0.1:PORT`: another host name, so another `aud`. */
  loopbackOrigin: string;
  config: Config;
  fhir: FhirTestServer;
  demoIssuer: DemoIssuer;
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startDemoStack(): Promise<DemoStack> {
  const scenarios = loadDemoScenarios();
  const fhir = await createFhirTestServer({ seedDir: DEMO_PATIENTS_DIR, seedDateShiftDays: daysSinceReference(scenarios.referenceDate, Date.now()) });
  const server = createServer();
  const port = await listen(server);
  const origin = `http://localhost:${port}`;
  const config = loadConfig({
    NODE_ENV: 'development',
    PORT: String(port),
    PUBLIC_BASE_URL: origin,
    PREVIEW_FHIR_SERVER: fhir.baseUrl,
    // A busy 2-core test machine: generous FHIR timeouts, so a slow answer is not a 412.
    FHIR_QUERY_TIMEOUT_MS: '10000',
    FHIR_REQUEST_DEADLINE_MS: '20000',
  });
  const logger = silentLogger();
  const demoIssuer = createDemoIssuer();
  const verifier = await createAuthVerifier(config, logger, { extraIssuers: [demoIssuer.trusted], onRefusal: (f) => demoIssuer.recordRefusal(f) });
  const { app } = buildTestApp({
    env: { NODE_ENV: 'development', AUTH: 'on', PORT: String(port), PUBLIC_BASE_URL: origin, PREVIEW_FHIR_SERVER: fhir.baseUrl, FHIR_QUERY_TIMEOUT_MS: '10000', FHIR_REQUEST_DEADLINE_MS: '20000' },
    logger,
    verifier,
    demoIssuer,
    clock: Date.now,
  });
  server.on('request', app);
  return {
    origin,
    loopbackOrigin: `http://127.0.0.1:${port}`,
    config,
    fhir,
    demoIssuer,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await fhir.close();
    },
  };
}

/** A page on another origin (its own loopback port) for the CORS tests. */
export async function startOtherOrigin(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!doctype html><title>another origin</title><p>EHR-like client</p>');
  });
  const port = await listen(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
