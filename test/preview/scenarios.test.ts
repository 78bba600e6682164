import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { projectPath } from '../../src/projectRoot.js';
import { loadCardTexts } from '../../src/render/cardTexts.js';
import { DEMO_PATIENTS_DIR, daysSinceReference, loadDemoScenarios, scenarioRequest } from '../../src/preview/scenarios.js';
import { SchemaValidator } from '../../src/transport/schemaValidation.js';
import { shiftDates } from '../../test-support/fhirServer/seed.js';

/** fixtures/demo: the scenarios file and the demo patients agree with each other and with the service. */

const data = loadDemoScenarios();
const patientFiles = readdirSync(DEMO_PATIENTS_DIR).filter((f) => f.endsWith('.json'));
const bundles = patientFiles.map((f) => JSON.parse(readFileSync(join(DEMO_PATIENTS_DIR, f), 'utf8')) as fhir4.Bundle);
const patientIds = bundles.flatMap((b) => (b.entry ?? []).map((e) => e.resource).filter((r) => r?.resourceType === 'Patient').map((r) => r?.id));

const cardKinds = readdirSync(projectPath('cards'))
  .map((f) => (parse(readFileSync(projectPath('cards', f), 'utf8')) as { kind?: string; da?: unknown }))
  .filter((c) => c.da !== undefined)
  .map((c) => c.kind);

test('each demo patient file is one patient, named for what it shows, with the file name as its id', () => {
  expect(patientFiles.length).toBeGreaterThanOrEqual(9);
  for (const [i, bundle] of bundles.entries()) {
    const id = patientFiles[i]?.replace(/\.json$/, '');
    const patients = (bundle.entry ?? []).filter((e) => e.resource?.resourceType === 'Patient');
    expect(patients.map((p) => p.resource?.id)).toEqual([id]);
    expect(bundle.meta?.tag?.[0]?.display?.length ?? 0).toBeGreaterThan(40);
  }
});

test('every scenario names a demo patient, and every demo patient is used', () => {
  const used = new Set(data.scenarios.map((s) => s.patientId));
  for (const s of data.scenarios) expect(patientIds).toContain(s.patientId);
  for (const id of patientIds) expect([...used]).toContain(id);
});

test('expected kinds are card kinds of this service', () => {
  expect(cardKinds).toEqual(expect.arrayContaining(['screening-incomplete', 'tramadol', 'amitriptyline']));
  for (const s of data.scenarios) for (const k of s.expectedKinds) expect(cardKinds).toContain(k);
});

test('every card kind is shown by a verified demo scenario (the preview page and the sandbox links show them all)', () => {
  const shown = new Set(data.scenarios.filter((s) => s.verified).flatMap((s) => s.expectedKinds));
  const kinds = loadCardTexts().cardKinds();
  expect(kinds.length).toBeGreaterThanOrEqual(13);
  expect(kinds.filter((k) => !shown.has(k))).toEqual([]);
});

test('the notable rules of issue 13 each have a scenario', () => {
  const names = data.scenarios.map((s) => s.name);
  expect(names).toEqual(
    expect.arrayContaining([
      'missing-tsh-ck-vitamin-d',
      'high-tsh',
      'value-only-in-text',
      'established-missing-labs',
      'on-oxycodone',
      'sertraline-for-depression',
      'amitriptyline-in-the-morning',
      'substitution-treatment',
      'out-of-scope',
    ]),
  );
  expect(new Set(data.scenarios.map((s) => s.hook))).toEqual(new Set(['patient-view', 'order-select', 'order-sign']));
});

test('every scenario request is a valid CDS Hooks request', () => {
  const validator = new SchemaValidator();
  for (const s of data.scenarios) {
    const body = { ...scenarioRequest(s, data.userId, 'http://127.0.0.1:8081/fhir'), hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea' };
    expect([s.name, validator.problems('request', body)]).toEqual([s.name, []]);
  }
});

test('order scenarios select their drafts, for the scenario patient; no fhirServer when none is configured', () => {
  const s = data.scenarios.find((x) => x.name === 'oxycodone-ordered');
  const body = scenarioRequest(s!, data.userId, null) as { fhirServer?: string; context: { selections: string[]; draftOrders: fhir4.Bundle } };
  expect(body.fhirServer).toBeUndefined();
  expect(body.context.selections).toEqual(['MedicationRequest/request-123']);
  expect((body.context.draftOrders.entry?.[0]?.resource as fhir4.MedicationRequest).subject).toEqual({ reference: 'Patient/demo-clarified' });
});

describe('dates move with the demo', () => {
  test('daysSinceReference counts whole UTC days', () => {
    expect(daysSinceReference('2026-11-27', Date.parse('2026-11-27T23:59:00Z'))).toBe(0);
    expect(daysSinceReference('2026-11-27', Date.parse('2027-01-01T00:30:00Z'))).toBe(35);
    expect(daysSinceReference('2026-11-27', Date.parse('2026-11-20T12:00:00Z'))).toBe(-7);
  });

  test('shiftDates moves dates and dateTimes, keeps times, leaves other strings alone', () => {
    const moved = shiftDates({ a: '2026-10-20', b: ['2024-02-28T08:00:00Z'], c: 'demo-2026', d: '08:00:00', e: 5, f: '2026-10' }, 2);
    expect(moved).toEqual({ a: '2026-10-22', b: ['2024-03-01T08:00:00Z'], c: 'demo-2026', d: '08:00:00', e: 5, f: '2026-10' });
    expect(shiftDates('2026-01-01', 0)).toBe('2026-01-01');
  });
});
