import { assessScreening } from '../../src/guideline/screeningPanel.js';
import type { Scope } from '../../src/guideline/scope.js';
import { loadScreeningPanelCodes } from '../../src/terminology/screeningPanelCodes.js';
import { FIXED_NOW } from '../support/testApp.js';

const panel = loadScreeningPanelCodes();
const settings = { lookbackDays: 365, pendingDays: 30 };
const anchor = Date.UTC(2026, 5, 1); // 2026-06-01
const scope: Scope = { inScope: true, anchor, phase: 'work-up' };

function obs(system: string, code: string, extra: Partial<fhir4.Observation> = {}): fhir4.Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system, code }] },
    effectiveDateTime: '2026-06-10',
    valueQuantity: { value: 1 },
    ...extra,
  };
}
const status = (r: ReturnType<typeof assessScreening>, id: string) => r.groups.find((g) => g.group.id === id)?.status;
const run = (o: fhir4.Observation[], sr: fhir4.ServiceRequest[] = []) => assessScreening(o, sr, panel, scope, settings, FIXED_NOW);

describe('screening panel', () => {
  test('16 groups, TSH, CK and vitamin D first', () => {
    expect(panel.groups).toHaveLength(16);
    expect(panel.groups.slice(0, 3).map((g) => g.id)).toEqual(['tsh', 'ck', 'vitamin-d']);
  });
  test('nothing → all 16 missing', () => {
    expect(run([]).missing).toHaveLength(16);
  });
  test.each([
    ['LOINC', 'http://loinc.org', '3016-3'],
    ['NPU (MedCom URI)', 'urn:oid:1.2.208.176.2.1', 'NPU03577'],
    ['NPU (THO URI)', 'http://npu-terminology.org', 'NPU27547'],
    ['NPU (THO URI, trailing slash)', 'http://npu-terminology.org/', 'NPU03577'],
  ])('a final TSH result in %s → TSH done', (_n, system, code) => {
    expect(status(run([obs(system, code)]), 'tsh')).toBe('done');
  });
  test('code right, system wrong → not counted', () => {
    expect(status(run([obs('http://example.org/lab', '3016-3')]), 'tsh')).toBe('missing');
  });
  test.each(['preliminary', 'registered', 'cancelled', 'entered-in-error'])('status %s does not count as done', (s) => {
    expect(status(run([obs('http://loinc.org', '3016-3', { status: s as fhir4.Observation['status'] })]), 'tsh')).not.toBe('done');
  });
  test.each(['amended', 'corrected'])('status %s counts', (s) => {
    expect(status(run([obs('http://loinc.org', '3016-3', { status: s as fhir4.Observation['status'] })]), 'tsh')).toBe('done');
  });
  test('only a dataAbsentReason → not done', () => {
    const o = obs('http://loinc.org', '3016-3', { dataAbsentReason: { text: 'haemolysed' } });
    delete o.valueQuantity;
    expect(status(run([o]), 'tsh')).toBe('missing');
  });
  test('look-back from the anchor: 364 days before counts, 366 days before does not', () => {
    expect(status(run([obs('http://loinc.org', '3016-3', { effectiveDateTime: '2025-06-02' })]), 'tsh')).toBe('done');
    expect(status(run([obs('http://loinc.org', '3016-3', { effectiveDateTime: '2025-05-31' })]), 'tsh')).toBe('missing');
  });
  test('an undated final result is not counted, and counted as undated', () => {
    const o = obs('http://loinc.org', '3016-3');
    delete o.effectiveDateTime;
    const r = run([o]);
    expect(status(r, 'tsh')).toBe('missing');
    expect(r.undatedResults).toBe(1);
  });
  test('the most recent result of a group is the one kept', () => {
    const r = run([
      obs('http://loinc.org', '3016-3', { id: 'old', effectiveDateTime: '2026-06-02' }),
      obs('http://loinc.org', '11579-0', { id: 'new', effectiveDateTime: '2026-07-02' }),
    ]);
    expect(r.groups.find((g) => g.group.id === 'tsh')?.result?.id).toBe('new');
  });
  test('pending: preliminary within the pending window; older preliminary → missing', () => {
    expect(status(run([obs('http://loinc.org', '2157-6', { status: 'preliminary', effectiveDateTime: '2026-11-10' })]), 'ck')).toBe('pending');
    expect(status(run([obs('http://loinc.org', '2157-6', { status: 'registered', effectiveDateTime: '2026-09-10' })]), 'ck')).toBe('missing');
  });
  test('pending: an active ServiceRequest authored within the window; a completed or old one is not', () => {
    const sr = (status: fhir4.ServiceRequest['status'], authoredOn: string): fhir4.ServiceRequest => ({
      resourceType: 'ServiceRequest',
      status,
      intent: 'order',
      subject: { reference: 'Patient/p' },
      authoredOn,
      code: { coding: [{ system: 'urn:oid:1.2.208.176.2.1', code: 'NPU19656' }] },
    });
    expect(status(run([], [sr('active', '2026-11-20')]), 'ck')).toBe('pending');
    expect(status(run([], [sr('completed', '2026-11-20')]), 'ck')).toBe('missing');
    expect(status(run([], [sr('active', '2026-09-01')]), 'ck')).toBe('missing');
  });
  test('a done group stays done even with a pending order', () => {
    expect(status(run([obs('http://loinc.org', '2157-6'), obs('http://loinc.org', '2157-6', { status: 'preliminary', effectiveDateTime: '2026-11-20' })]), 'ck')).toBe('done');
  });
  test('differential count: any of the five cell counts satisfies the group', () => {
    expect(status(run([obs('http://loinc.org', '711-2')]), 'differential-count')).toBe('done');
  });
  test('order system: NPU (under the patient\'s own NPU URI) when their labs are NPU, else LOINC', () => {
    expect(run([obs('http://npu-terminology.org', 'NPU02319')]).orderSystem).toEqual({ kind: 'npu', uri: 'http://npu-terminology.org' });
    expect(run([obs('http://loinc.org', '718-7')]).orderSystem).toEqual({ kind: 'loinc', uri: 'http://loinc.org' });
    expect(run([]).orderSystem.kind).toBe('loinc');
  });
});
