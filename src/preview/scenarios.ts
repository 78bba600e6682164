import { readFileSync } from 'node:fs';
import { DAY_MS } from '../model/duration.js';
import { isObject, nonBlank, objectList, type JsonObject } from '../model/json.js';
import { projectPath } from '../projectRoot.js';

/**
 * The demo scenarios (fixtures/demo/scenarios.json): one demo patient and, for the order hooks, the
 * draft orders — the same data `npm run demo` seeds into the FHIR server and the browser tests check.
 */

export interface DemoScenario {
  name: string;
  title: string;
  description: string;
  hook: 'patient-view' | 'order-select' | 'order-sign';
  patientId: string;
  /** Card kinds (source.topic.code) expected under the rev-2 rules, in any order. */
  expectedKinds: string[];
  /** True when this branch's service answers exactly expectedKinds. */
  verified: boolean;
  draftOrders: JsonObject[];
}

export interface DemoScenarios {
  /** The day the patients' dates were written for (YYYY-MM-DD); the demo shifts them to today. */
  referenceDate: string;
  userId: string;
  scenarios: DemoScenario[];
}

const SCENARIOS_FILE = projectPath('fixtures', 'demo', 'scenarios.json');
export const DEMO_PATIENTS_DIR = projectPath('fixtures', 'demo', 'patients');

const HOOKS = ['patient-view', 'order-select', 'order-sign'] as const;

function fail(message: string): never {
  throw new Error(`${SCENARIOS_FILE}: ${message}`);
}

function readScenario(raw: JsonObject, i: number): DemoScenario {
  const at = `scenarios[${i}]`;
  const name = nonBlank(raw.name) ?? fail(`${at}.name is missing`);
  if (!/^[a-z0-9-]+$/.test(name)) fail(`${at}.name "${name}" must be lower-case words joined by -`);
  const hook = HOOKS.find((h) => h === raw.hook) ?? fail(`${at}.hook must be one of ${HOOKS.join(', ')}`);
  const kinds = Array.isArray(raw.expectedKinds) ? raw.expectedKinds : fail(`${at}.expectedKinds must be a list`);
  const expectedKinds = kinds.map((k) => nonBlank(k) ?? fail(`${at}.expectedKinds holds a non-string`));
  if (typeof raw.verified !== 'boolean') fail(`${at}.verified must be true or false`);
  const draftOrders = objectList(raw.draftOrders);
  if (hook !== 'patient-view' && draftOrders.length === 0) fail(`${at}: ${hook} needs draftOrders`);
  return {
    name,
    title: nonBlank(raw.title) ?? fail(`${at}.title is missing`),
    description: nonBlank(raw.description) ?? fail(`${at}.description is missing`),
    hook,
    patientId: nonBlank(raw.patientId) ?? fail(`${at}.patientId is missing`),
    expectedKinds,
    verified: raw.verified,
    draftOrders,
  };
}

export function loadDemoScenarios(file: string = SCENARIOS_FILE): DemoScenarios {
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isObject(raw)) fail('expected an object');
  const referenceDate = nonBlank(raw.referenceDate) ?? fail('referenceDate is missing');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(referenceDate)) fail('referenceDate must be YYYY-MM-DD');
  const scenarios = objectList(raw.scenarios).map(readScenario);
  const names = new Set(scenarios.map((s) => s.name));
  if (names.size !== scenarios.length) fail('scenario names must be unique');
  return { referenceDate, userId: nonBlank(raw.userId) ?? 'Practitioner/demo-practitioner', scenarios };
}

/** Whole days from the scenarios' reference date to `nowMs` (UTC days): what the demo shifts the seed by. */
export function daysSinceReference(referenceDate: string, nowMs: number): number {
  const ref = Date.parse(`${referenceDate}T00:00:00Z`);
  const today = Date.parse(`${new Date(nowMs).toISOString().slice(0, 10)}T00:00:00Z`);
  return Math.round((today - ref) / DAY_MS);
}

/**
 * The CDS Hooks request body for a scenario, as an EHR would send it without prefetch (the service
 * reads what it needs from `fhirServer`); `hookInstance` is left to the caller, one per call.
 */
export function scenarioRequest(scenario: DemoScenario, userId: string, fhirServer: string | null): JsonObject {
  const context: JsonObject = { userId, patientId: scenario.patientId };
  if (scenario.hook !== 'patient-view') {
    const orders: JsonObject[] = scenario.draftOrders.map((o) => ({ ...o, subject: { reference: `Patient/${scenario.patientId}` } }));
    if (scenario.hook === 'order-select') context.selections = orders.map((o) => `${String(o.resourceType)}/${String(o.id)}`);
    context.draftOrders = { resourceType: 'Bundle', type: 'collection', entry: orders.map((resource) => ({ resource })) };
  }
  const body: JsonObject = { hook: scenario.hook, context };
  if (fhirServer !== null) body.fhirServer = fhirServer;
  return body;
}
