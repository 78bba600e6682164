import type { ServiceCall } from '../../src/model/cdsService.js';
import { newCallTrace } from '../../src/model/callTrace.js';
import type { HookRequest } from '../../src/model/hookRequest.js';
import { SkippedResources } from '../../src/model/skipped.js';
import { readFileSync } from 'node:fs';
import type { Express } from 'express';
import { createApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { FhirFetcher } from '../../src/data/fhirFetcher.js';
import { InMemoryFeedbackStore } from '../../src/feedback/feedbackStore.js';
import { silentLogger, type Logger } from '../../src/observability/logger.js';
import { projectPath } from '../../src/projectRoot.js';
import { createServices } from '../../src/services/serviceRegistry.js';
import type { AuthVerifier } from '../../src/transport/auth/index.js';
import { SchemaValidator } from '../../src/transport/schemaValidation.js';

/** Tests run "today" = 2026-11-25, the date the fixtures were written for. */
export const FIXED_NOW = Date.parse('2026-11-25T12:00:00Z');

export const validator = new SchemaValidator();

/** fixtures/sandbox/: what the CDS Hooks sandbox really sent, its JWK Set and its published signing key (see its README). */
export const sandboxPath = (...parts: string[]): string => projectPath('fixtures', 'sandbox', ...parts);

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', AUTH: 'off', ...env });
}

export interface TestApp {
  app: Express;
  config: Config;
  feedback: InMemoryFeedbackStore;
}

export function buildTestApp(
  options: { env?: Record<string, string>; fetcher?: FhirFetcher; now?: number; verifier?: AuthVerifier | null; logger?: Logger } = {},
): TestApp {
  const config = testConfig(options.env);
  const logger = options.logger ?? silentLogger();
  const feedback = new InMemoryFeedbackStore();
  const services = createServices(config, logger, options.fetcher ? { fetcher: options.fetcher } : {});
  const app = createApp({
    config,
    logger,
    services,
    verifier: options.verifier ?? null,
    validator,
    feedback,
    clock: () => options.now ?? FIXED_NOW,
  });
  return { app, config, feedback };
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
