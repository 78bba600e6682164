/**
 * Measures one patient-view call with a large prefetch: 2,000 Observations (the 16 screening groups,
 * 125 results each) and 200 active MedicationRequests, over HTTP against the app in this process.
 * Prints the time of the first call and the median and max of the following ones. No assertion: the
 * benchmark issue measures properly; this says whether "well under 500 ms" still holds.
 *
 *   npx tsx scripts/measurePatientView.ts
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { Metrics } from '../src/observability/metrics.js';
import { openStore } from '../src/store/openStore.js';
import { resolvePseudonymSecret } from '../src/store/pseudonym.js';
import { StoreHealth } from '../src/store/storeHealth.js';
import { storeRuntime } from '../src/store/storeRuntime.js';
import { silentLogger } from '../src/observability/logger.js';
import { projectPath } from '../src/projectRoot.js';
import { createServices } from '../src/services/serviceRegistry.js';
import { SchemaValidator } from '../src/transport/schemaValidation.js';

const OBSERVATIONS = 2000;
const ORDERS = 200;
const RUNS = 20;
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

const fixture = JSON.parse(readFileSync(projectPath('fixtures', 'patients', 'gsb-complete-flagged.json'), 'utf8')) as fhir4.Bundle;
const resources = (fixture.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
const patient = resources.find((r): r is fhir4.Patient => r.resourceType === 'Patient');
const panel = resources.filter((r): r is fhir4.Observation => r.resourceType === 'Observation');
if (!patient || panel.length === 0) throw new Error('fixture gsb-complete-flagged has no Patient or Observations');

const day = (n: number): string => new Date(Date.UTC(2026, 10, 20) - n * 86_400_000).toISOString().slice(0, 10);
const observations: fhir4.Observation[] = Array.from({ length: OBSERVATIONS }, (_, i) => {
  const template = panel[i % panel.length] as fhir4.Observation;
  return { ...template, id: `bench-o${i}`, effectiveDateTime: day(Math.floor(i / panel.length) * 7) };
});
const drugs = [
  ['835603', 'tramadol hydrochloride 50 MG Oral Tablet'],
  ['1049621', 'oxycodone hydrochloride 5 MG Oral Tablet'],
  ['483440', 'pregabalin 50 MG Oral Capsule'],
  ['312941', 'sertraline 50 MG Oral Tablet'],
  ['197361', 'amlodipine 5 MG Oral Tablet'],
] as const;
const orders: fhir4.MedicationRequest[] = Array.from({ length: ORDERS }, (_, i) => {
  const [code, display] = drugs[i % drugs.length] as (typeof drugs)[number];
  return {
    resourceType: 'MedicationRequest',
    id: `bench-m${i}`,
    status: 'active',
    intent: 'order',
    subject: { reference: `Patient/${patient.id}` },
    authoredOn: day(i),
    medicationCodeableConcept: { coding: [{ system: RXNORM, code, display }], text: display },
  };
});
const searchset = (rs: readonly fhir4.Resource[]): fhir4.Bundle => ({ resourceType: 'Bundle', type: 'searchset', total: rs.length, entry: rs.map((resource) => ({ resource })) });
const body = JSON.stringify({
  hook: 'patient-view',
  hookInstance: 'benchmark',
  context: { userId: 'Practitioner/example', patientId: patient.id },
  prefetch: {
    patient,
    conditions: searchset(resources.filter((r) => r.resourceType === 'Condition')),
    labs: searchset(observations),
    medications: searchset(orders),
    serviceRequests: searchset([]),
  },
});

// The store as `npm start` has it (embedded SQLite, card log on), in a throw-away folder.
const dataDir = mkdtempSync(join(tmpdir(), 'nkr-measure-'));
const config = loadConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'http://localhost', AUTH: 'off', PORT: '0', DATA_DIR: dataDir, PSEUDONYM_SECRET: 'measure-only-secret-0123456789abcdef' });
const logger = silentLogger();
const metrics = new Metrics();
const health = new StoreHealth({ logger, metrics });
const store = await openStore(config, { onBackgroundError: (operation, err) => health.failed(operation, err) });
const runtime = storeRuntime(store, { config, logger, metrics, secret: resolvePseudonymSecret(config), health });
const app = createApp({
  config,
  logger,
  services: createServices(config, logger, { fhirReads: metrics }),
  verifier: null,
  validator: new SchemaValidator(),
  store,
  storeHealth: health,
  cardLog: runtime.cardLog,
  metrics,
  clock: () => Date.parse('2026-11-25T12:00:00Z'),
});
const server = app.listen(0, '127.0.0.1');
await new Promise<void>((r) => server.once('listening', () => r()));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cds-services/nkr-pain-patient-view`;

async function once(): Promise<{ ms: number; status: number; cards: number }> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  const answer = (await res.json()) as { cards?: unknown[] };
  return { ms: performance.now() - started, status: res.status, cards: answer.cards?.length ?? 0 };
}

const first = await once();
const rest: number[] = [];
for (let i = 0; i < RUNS; i++) rest.push((await once()).ms);
rest.sort((a, b) => a - b);
const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;
process.stdout.write(
  `patient-view, ${OBSERVATIONS} Observations + ${ORDERS} active orders in prefetch (${(body.length / 1024).toFixed(0)} KiB): ` +
    `status ${first.status}, ${first.cards} cards; first call ${fmt(first.ms)}, then median ${fmt(rest[Math.floor(RUNS / 2)] ?? 0)}, max ${fmt(rest[RUNS - 1] ?? 0)} over ${RUNS} calls\n`,
);
server.close();
await runtime.cardLog.close();
await store.close();
rmSync(dataDir, { recursive: true, force: true });
