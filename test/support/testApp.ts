import type { CdsService, ServiceCall } from '../../src/model/cdsService.js';
import { newCallTrace } from '../../src/model/callTrace.js';
import type { HookRequest } from '../../src/model/hookRequest.js';
import { SkippedResources } from '../../src/model/skipped.js';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { FhirFetcher } from '../../src/data/fhirFetcher.js';
import { silentLogger, type Logger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { projectPath } from '../../src/projectRoot.js';
import { createServices } from '../../src/services/serviceRegistry.js';
import type { SqliteDb } from '../../src/store/sqliteDb.js';
import { memoryStore } from '../../src/store/openStore.js';
import type { Store } from '../../src/store/store.js';
import { storeRuntime, type StoreRuntime } from '../../src/store/storeRuntime.js';
import type { AuthVerifier, DemoIssuer } from '../../src/transport/auth/index.js';
import { SchemaValidator } from '../../src/transport/schemaValidation.js';

/** Tests run "today" = 2026-11-25, the date the fixtures were written for. */
export const FIXED_NOW = Date.parse('2026-11-25T12:00:00Z');

export const validator = new SchemaValidator();

/** fixtures/sandbox/: what the CDS Hooks sandbox really sent, its JWK Set and its published signing key (see its README). */
export const sandboxPath = (...parts: string[]): string => projectPath('fixtures', 'sandbox', ...parts);

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', AUTH: 'off', ...env });
}

/** The pseudonym key of test apps (fixed, so tests can compute the keys they expect). */
const TEST_PSEUDONYM_SECRET = 'test-pseudonym-secret-0123456789abcdef';

/** A stored feedback item as the HTTP tests look at it. */
export interface StoredFeedback {
  serviceId: string;
  card: string;
  outcome: string;
  acceptedSuggestions: string[];
  overrideReason?: { system?: string; code: string };
  hasUserComment: boolean;
  outcomeTimestamp: string;
}

export interface TestApp {
  app: App;
  config: Config;
  /** The app's store: an in-memory SQLite store unless one was given. */
  store: Store;
  runtime: StoreRuntime;
  metrics: Metrics;
  /** The feedback in the in-memory store (synchronous; only when no store was given). */
  feedback: { all(): StoredFeedback[] };
}

function feedbackView(db: SqliteDb | null): TestApp['feedback'] {
  return {
    all() {
      if (db === null) throw new Error('feedback.all() reads the default in-memory store only');
      return db.allSync('SELECT * FROM feedback ORDER BY received_at, feedback_key').map((r) => {
        const item: StoredFeedback = {
          serviceId: String(r.service_id),
          card: String(r.card_uuid),
          outcome: String(r.outcome),
          acceptedSuggestions: db
            .allSync('SELECT suggestion_uuid FROM feedback_suggestion WHERE feedback_key = ? ORDER BY suggestion_uuid', [String(r.feedback_key)])
            .map((s) => String(s.suggestion_uuid)),
          hasUserComment: r.has_user_comment === 1,
          outcomeTimestamp: String(r.outcome_timestamp),
        };
        if (typeof r.reason_code === 'string') item.overrideReason = typeof r.reason_system === 'string' ? { system: r.reason_system, code: r.reason_code } : { code: r.reason_code };
        return item;
      });
    },
  };
}

export function buildTestApp(
  options: {
    env?: Record<string, string>;
    fetcher?: FhirFetcher;
    now?: number;
    verifier?: AuthVerifier | null;
    logger?: Logger;
    store?: Store;
    services?: CdsService[];
    demoIssuer?: DemoIssuer;
    clock?: () => number;
    secretWatch?: { readonly problem: string | null };
  } = {},
): TestApp {
  const config = testConfig(options.env);
  const logger = options.logger ?? silentLogger();
  const memory = options.store ? null : memoryStore();
  const store = options.store ?? (memory as { store: Store }).store;
  const metrics = new Metrics();
  const clock = options.clock ?? ((): number => options.now ?? FIXED_NOW);
  const runtime = storeRuntime(store, { config, logger, metrics, secret: TEST_PSEUDONYM_SECRET, clock });
  const services = options.services ?? createServices(config, logger, { ...(options.fetcher ? { fetcher: options.fetcher } : {}), fhirReads: metrics });
  const app = createApp({
    config,
    logger,
    services,
    verifier: options.verifier ?? null,
    validator,
    store,
    storeHealth: runtime.health,
    cardLog: runtime.cardLog,
    quiet: runtime.quiet,
    metrics,
    clock,
    ...(options.demoIssuer ? { demoIssuer: options.demoIssuer } : {}),
    ...(options.secretWatch ? { secretWatch: options.secretWatch } : {}),
  });
  return { app, config, store, runtime, metrics, feedback: feedbackView(memory?.db ?? null) };
}

export function readJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** The resources of a fixture patient (fixtures/patients/NAME.json). */
export function patientResources(name: string): fhir4.Resource[] {
  const bundle = readJson<fhir4.Bundle>(projectPath('fixtures', 'patients', `${name}.json`));
  return (bundle.entry ?? []).map((e) => e.resource as fhir4.Resource);
}

export function searchset(resources: readonly fhir4.Resource[]): fhir4.Bundle {
  return { resourceType: 'Bundle', type: 'searchset', total: resources.length, entry: resources.map((resource) => ({ resource })) };
}

const byType = (resources: readonly fhir4.Resource[], type: string): fhir4.Resource[] => resources.filter((r) => r.resourceType === type);

/** A patient-view request for a fixture patient with every prefetch key filled, as an EHR would send it. */
export function patientViewRequest(name: string, options: { omit?: string[]; fhirServer?: string } = {}): Record<string, unknown> {
  const resources = patientResources(name);
  const patient = byType(resources, 'Patient')[0];
  const prefetch: Record<string, unknown> = {
    patient: patient ?? null,
    conditions: searchset(byType(resources, 'Condition')),
    labs: searchset(byType(resources, 'Observation')),
    medications: searchset(byType(resources, 'MedicationRequest')),
    medicationStatements: searchset(byType(resources, 'MedicationStatement')),
    serviceRequests: searchset(byType(resources, 'ServiceRequest')),
  };
  for (const k of options.omit ?? []) delete prefetch[k];
  const body: Record<string, unknown> = {
    hook: 'patient-view',
    hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
    context: { userId: 'Practitioner/example', patientId: patient?.id ?? name },
    prefetch,
  };
  if (options.fhirServer) body.fhirServer = options.fhirServer;
  return body;
}

/** Every response body a test sees is checked against schemas/response.schema.json. */
export function expectValidResponse(body: unknown): { cards: Array<Record<string, any>> } {
  const problems = validator.problems('response', body);
  if (problems.length > 0) throw new Error(`response does not match the response schema:\n${problems.join('\n')}`);
  return body as { cards: Array<Record<string, any>> };
}

export function cardOfKind(body: { cards: Array<Record<string, any>> }, kind: string): Record<string, any> | undefined {
  return body.cards.find((c) => c.source?.topic?.code === kind);
}

/** A direct service call (no HTTP), with a fresh trace, deadline and skipped-resource list. */
export function serviceCall(request: unknown, options: { lang?: 'da' | 'en'; now?: number } = {}): ServiceCall {
  return {
    request: request as HookRequest,
    lang: options.lang ?? 'en',
    now: options.now ?? FIXED_NOW,
    log: silentLogger(),
    signal: AbortSignal.timeout(5_000),
    trace: newCallTrace(),
    skipped: new SkippedResources(),
  };
}

/** The app on a free loopback port, as an EHR reaches it; `close()` ends open connections too. */
export async function listenOnLoopback(app: App): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  return {
    baseUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Sends `text` as it is over one connection to `baseUrl` (what an HTTP client would not send: repeated
 * headers, an absolute-form target) and returns the status and the raw answer once the server closes it
 * (send `Connection: close`). The socket is not half-closed first: node's server would drop the request.
 */
export function rawHttp(baseUrl: string, text: string): Promise<{ status: number; raw: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0), raw });
    });
  });
}
