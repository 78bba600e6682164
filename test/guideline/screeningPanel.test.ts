import { jest } from '@jest/globals';
import fc from 'fast-check';
import { assessScreening } from '../../src/guideline/screeningPanel.js';
import type { Scope } from '../../src/guideline/scope.js';
import { SkippedResources } from '../../src/model/skipped.js';
import { loadScreeningPanelCodes } from '../../src/terminology/screeningPanelCodes.js';
import { FIXED_NOW } from '../support/testApp.js';

const panel = loadScreeningPanelCodes();
const settings = { lookbackDays: 365, pendingDays: 30 };
const anchor = Date.UTC(2026, 5, 1); // 2026-06-01
const scope: Scope = { inScope: true, anchor, anchorEarliest: anchor, anchoredBy: 'registration', phase: 'work-up' };

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
const run = (o: unknown[], sr: unknown[] | undefined = [], extra: Partial<typeof settings & { orderCodeSystem: 'auto' | 'npu' | 'loinc' }> = {}, skipped?: SkippedResources) =>
  assessScreening(o, sr, panel, scope, { ...settings, ...extra }, FIXED_NOW, skipped);

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
  test('look-back by the Danish day: from the start of the Danish day 365 days before an anchor at 14:30', () => {
    const afternoon: Scope = { ...scope, anchor: Date.UTC(2026, 5, 1, 14, 30), anchorEarliest: Date.UTC(2026, 5, 1, 14, 30) };
    const at = (effectiveDateTime: string) => status(assessScreening([obs('http://loinc.org', '3016-3', { effectiveDateTime })], [], panel, afternoon, settings, FIXED_NOW), 'tsh');
    expect(at('2025-06-01')).toBe('done');
    expect(at('2025-06-01T08:00:00Z')).toBe('done');
    // 1 June 2025 starts at 22:00 UTC on 31 May in Danish summer time: a sample at 00:30 Danish time is of that day.
    expect(at('2025-06-01T00:30:00+02:00')).toBe('done');
    expect(at('2025-05-31T22:00:00Z')).toBe('done');
    expect(at('2025-05-31T21:59:59Z')).toBe('missing');
    expect(at('2025-05-31')).toBe('missing');
  });
  test("look-back by the Danish day: an anchor at 23:30 UTC is the next Danish day's", () => {
    const lateEvening: Scope = { ...scope, anchor: Date.UTC(2026, 4, 31, 23, 30), anchorEarliest: Date.UTC(2026, 4, 31, 23, 30) }; // 01:30 on 1 June in Denmark
    const at = (effectiveDateTime: string) => status(assessScreening([obs('http://loinc.org', '3016-3', { effectiveDateTime })], [], panel, lateEvening, settings, FIXED_NOW), 'tsh');
    expect(at('2025-06-01')).toBe('done');
    expect(at('2025-05-31T23:00:00+02:00')).toBe('missing');
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
    expect(r.groups.find((g) => g.group.id === 'tsh')?.results.map((x) => x.key)).toEqual(['new']);
  });
  test('pending: preliminary within the pending window; older preliminary → missing', () => {
    expect(status(run([obs('http://loinc.org', '2157-6', { status: 'preliminary', effectiveDateTime: '2026-11-10' })]), 'ck')).toBe('pending');
    expect(status(run([obs('http://loinc.org', '2157-6', { status: 'registered', effectiveDateTime: '2026-09-10' })]), 'ck')).toBe('missing');
  });
  const sr = (status: string, dates: Record<string, unknown>, code = 'NPU19656', system = 'urn:oid:1.2.208.176.2.1'): Record<string, unknown> => ({
    resourceType: 'ServiceRequest',
    status,
    intent: 'order',
    subject: { reference: 'Patient/p' },
    ...dates,
    code: { coding: [{ system, code }] },
  });
  test('open orders (draft, active, on-hold) authored within the window are pending; completed ones are not', () => {
    for (const s of ['draft', 'active', 'on-hold']) expect(status(run([], [sr(s, { authoredOn: '2026-11-20' })]), 'ck')).toBe('pending');
    expect(status(run([], [sr('completed', { authoredOn: '2026-11-20' })]), 'ck')).toBe('missing');
    expect(status(run([], [sr('revoked', { authoredOn: '2026-11-20' })]), 'ck')).toBe('missing');
  });
  test('an order with doNotPerform orders nothing: the group stays missing (the control, without it, is pending)', () => {
    expect(status(run([], [sr('active', { authoredOn: '2026-11-23', doNotPerform: true })]), 'ck')).toBe('missing');
    expect(status(run([], [sr('active', { authoredOn: '2026-11-23', doNotPerform: false })]), 'ck')).toBe('pending');
  });
  test('the pending window counts by the Danish day: an order dated only by the day 30 days ago is pending, one a day earlier stale', () => {
    // FIXED_NOW is 2026-11-25T12:00Z; 30 days before is 2026-10-26, a Danish winter day from 23:00 UTC on 25 October.
    expect(status(run([], [sr('active', { authoredOn: '2026-10-26' })]), 'ck')).toBe('pending');
    expect(status(run([], [sr('active', { authoredOn: '2026-10-26T00:30:00+01:00' })]), 'ck')).toBe('pending');
    expect(status(run([], [sr('active', { authoredOn: '2026-10-25T23:00:00Z' })]), 'ck')).toBe('pending');
    expect(status(run([], [sr('active', { authoredOn: '2026-10-25T22:59:59Z' })]), 'ck')).toBe('stale');
    expect(status(run([], [sr('active', { authoredOn: '2026-10-25' })]), 'ck')).toBe('stale');
    expect(status(run([obs('http://loinc.org', '2157-6', { status: 'preliminary', effectiveDateTime: '2026-10-26' })]), 'ck')).toBe('pending');
  });
  test('an open order is dated by the later of authoredOn (else meta.lastUpdated) and occurrence[x]', () => {
    expect(status(run([], [sr('active', { authoredOn: '2026-08-01', occurrenceDateTime: '2026-11-30' })]), 'ck')).toBe('pending');
    expect(status(run([], [sr('active', { meta: { lastUpdated: '2026-11-20T10:00:00Z' } })]), 'ck')).toBe('pending');
    expect(status(run([], [sr('active', { authoredOn: '2026-08-01', occurrencePeriod: { start: '2026-11-24' } })]), 'ck')).toBe('pending');
  });
  test('an older or undated active/on-hold order is stale (with its date); an old draft is ignored', () => {
    const old = run([], [sr('active', { authoredOn: '2026-09-01' })]);
    expect(status(old, 'ck')).toBe('stale');
    expect(old.stale).toEqual([{ group: expect.objectContaining({ id: 'ck' }), orderedAt: Date.UTC(2026, 8, 1), orderedAtPrecision: 'day' }]);
    expect(old.missing.map((g) => g.id)).not.toContain('ck');
    const undated = run([], [sr('on-hold', {})]);
    expect(undated.stale).toEqual([{ group: expect.objectContaining({ id: 'ck' }) }]);
    expect(status(run([], [sr('draft', { authoredOn: '2026-09-01' })]), 'ck')).toBe('missing');
    expect(status(run([], [sr('draft', {})]), 'ck')).toBe('missing');
  });
  test('a stale order dated only by its month or year keeps that precision, for the card to show (docs §5); dated from its first instant', () => {
    const month = run([], [sr('active', { authoredOn: '2026-06' })]);
    expect(month.stale).toEqual([{ group: expect.objectContaining({ id: 'ck' }), orderedAt: Date.UTC(2026, 5, 1), orderedAtPrecision: 'month' }]);
    const year = run([], [sr('on-hold', { authoredOn: '2025' })]);
    expect(year.stale).toEqual([{ group: expect.objectContaining({ id: 'ck' }), orderedAt: Date.UTC(2025, 0, 1), orderedAtPrecision: 'year' }]);
    // The later date names the order, with its own precision; of two with the same first instant, the more precise.
    const later = run([], [sr('active', { authoredOn: '2026-06-15', occurrenceDateTime: '2026-07' })]);
    expect(later.stale).toEqual([{ group: expect.objectContaining({ id: 'ck' }), orderedAt: Date.UTC(2026, 6, 1), orderedAtPrecision: 'month' }]);
    const tie = run([], [sr('active', { authoredOn: '2026-06', occurrenceDateTime: '2026-06-01' })]);
    expect(tie.stale[0]?.orderedAtPrecision).toBe('day');
    // Of several stale orders of a group the latest is named, with its precision.
    const several = run([], [sr('active', { authoredOn: '2026-05-20' }), sr('active', { authoredOn: '2026-06' })]);
    expect(several.stale).toEqual([{ group: expect.objectContaining({ id: 'ck' }), orderedAt: Date.UTC(2026, 5, 1), orderedAtPrecision: 'month' }]);
  });
  test('an active request whose intent orders nothing (proposal, plan, directive, option: docs/clinical-rules.md §3.1) is pending while recent and never stale; an old one with intent order is stale', () => {
    const request = (intent: string, authoredOn: string) => ({ ...sr('active', { authoredOn }), intent });
    for (const intent of ['proposal', 'plan', 'directive', 'option']) {
      expect([intent, status(run([], [request(intent, '2026-11-20')]), 'ck')]).toEqual([intent, 'pending']);
      expect([intent, status(run([], [request(intent, '2026-09-01')]), 'ck')]).toEqual([intent, 'missing']);
    }
    expect(status(run([], [request('order', '2026-09-01')]), 'ck')).toBe('stale');
  });
  test('an order whose sampling date is exactly SCREENING_PENDING_DAYS ahead is awaited; only one more than that ahead is "ordered for" it (docs/clinical-rules.md §3.1)', () => {
    // FIXED_NOW is 2026-11-25T12:00Z; 30 days on is 2026-12-25T12:00Z.
    const sampledAt = (occurrenceDateTime: string) => run([], [sr('active', { authoredOn: '2026-11-20', occurrenceDateTime })]);
    const atTheEnd = sampledAt('2026-12-25T12:00:00Z');
    expect(status(atTheEnd, 'ck')).toBe('pending');
    expect(atTheEnd.stale).toEqual([]);
    expect(sampledAt('2026-12-25T12:00:01Z').stale).toEqual([
      { group: expect.objectContaining({ id: 'ck' }), orderedAt: Date.parse('2026-12-25T12:00:01Z'), orderedAtPrecision: 'day', later: true },
    ]);
  });
  test('a recent order beats a stale one for the same group', () => {
    expect(status(run([], [sr('active', { authoredOn: '2026-01-01' }), sr('active', { authoredOn: '2026-11-20' })]), 'ck')).toBe('pending');
  });
  test('panel orders cover their groups: a blood count panel covers Hb, leukocytes, platelets; with differential also the differential', () => {
    const cbc = run([], [sr('active', { authoredOn: '2026-11-20' }, '58410-2', 'http://loinc.org')]);
    expect(cbc.pending.map((g) => g.id)).toEqual(['haemoglobin', 'leukocytes', 'platelets']);
    const withDiff = run([], [sr('active', { authoredOn: '2026-11-20' }, '57021-8', 'urn:oid:2.16.840.1.113883.6.1')]);
    expect(withDiff.pending.map((g) => g.id)).toEqual(['haemoglobin', 'leukocytes', 'differential-count', 'platelets']);
  });
  test('an order coded thousands of times for one test is read by the groups its codings name, not by comparing every pair of codings', () => {
    // Array.prototype.includes counts the comparisons (not timed): every pair of 3,000 TSH codings was ~4.5 million
    // (10,000 codings: 0.3 s in service.call, a 4 MB body of them ~30 s).
    const n = 3000;
    const tsh = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? { system: 'http://loinc.org', code: '3016-3' } : { system: 'urn:oid:1.2.208.176.2.1', code: 'NPU03577' }));
    const order = (coding: unknown[]) => ({ resourceType: 'ServiceRequest', id: 'many', status: 'active', intent: 'order', authoredOn: '2026-11-20', code: { coding } });
    const includes = jest.spyOn(Array.prototype, 'includes');
    let comparisons: number;
    let r: ReturnType<typeof run>;
    try {
      r = run([], [order(tsh)]);
    } finally {
      comparisons = includes.mock.calls.length;
      includes.mockRestore();
    }
    expect(r.pending.map((g) => g.id)).toEqual(['tsh']);
    expect(comparisons).toBeLessThan(n);
    // One coding of another test among them still makes the order unreadable (codes name different tests).
    const skipped = new SkippedResources();
    expect(run([], [order([...tsh, { system: 'http://loinc.org', code: '2157-6' }])], {}, skipped).openOrdersUnknown).toBe(true);
    expect(skipped.items).toEqual([{ resourceType: 'ServiceRequest', id: 'many', reader: 'service-request', reason: 'codes name different tests' }]);
  });
  test('ServiceRequests that could not be read (undefined) → open orders unknown', () => {
    expect(assessScreening([], undefined, panel, scope, settings, FIXED_NOW).openOrdersUnknown).toBe(true);
    expect(run([], []).openOrdersUnknown).toBe(false);
  });
  test('a done group stays done even with a pending order', () => {
    expect(status(run([obs('http://loinc.org', '2157-6'), obs('http://loinc.org', '2157-6', { status: 'preliminary', effectiveDateTime: '2026-11-20' })]), 'ck')).toBe('done');
  });
  test('differential count: any of the five cell counts satisfies the group', () => {
    expect(status(run([obs('http://loinc.org', '711-2')]), 'differential-count')).toBe('done');
  });
  test('differential count: the most recent result of each cell type is kept, whatever the Bundle order', () => {
    const results = [
      obs('http://loinc.org', '751-8', { id: 'neut-old', effectiveDateTime: '2026-06-10' }),
      obs('http://loinc.org', '731-0', { id: 'lymph', effectiveDateTime: '2026-07-10' }),
      obs('http://loinc.org', '751-8', { id: 'neut-new', effectiveDateTime: '2026-06-20' }),
    ];
    for (const order of [results, [...results].reverse()]) {
      const keys = run(order).groups.find((g) => g.group.id === 'differential-count')!.results.map((r) => `${r.analyteId}:${r.key}`).sort();
      expect(keys).toEqual(['lymphocytes:lymph', 'neutrophils:neut-new']);
    }
  });
  test('ties in time: corrected beats final, then the later issued, then the id — never Bundle order', () => {
    const a = obs('http://loinc.org', '3016-3', { id: 'a', status: 'final', issued: '2026-06-11T10:00:00Z' });
    const b = obs('http://loinc.org', '3016-3', { id: 'b', status: 'corrected', issued: '2026-06-10T10:00:00Z' });
    const c = obs('http://loinc.org', '3016-3', { id: 'c', status: 'final', issued: '2026-06-12T10:00:00Z' });
    const key = (o: unknown[]) => run(o).groups.find((g) => g.group.id === 'tsh')!.results[0]!.key;
    expect(key([a, b])).toBe('b');
    expect(key([b, a])).toBe('b');
    expect(key([a, c])).toBe('c');
    expect(key([c, a])).toBe('c');
    const d = obs('http://loinc.org', '3016-3', { id: 'd' });
    const e = obs('http://loinc.org', '3016-3', { id: 'e' });
    expect(key([d, e])).toBe(key([e, d]));
  });
  test('a differential in the components of a blood count panel counts, each component a result of its own code', () => {
    const cbc = {
      resourceType: 'Observation',
      id: 'cbc',
      status: 'final',
      effectiveDateTime: '2026-06-10',
      code: { coding: [{ system: 'http://loinc.org', code: '57021-8' }] },
      component: [
        { code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] }, valueQuantity: { value: 13.5, unit: 'g/dL' } },
        { code: { coding: [{ system: 'http://loinc.org', code: '751-8' }] }, valueQuantity: { value: 9.1, unit: '10*9/L' }, interpretation: [{ coding: [{ code: 'H' }] }] },
      ],
    };
    const r = run([cbc]);
    expect(status(r, 'haemoglobin')).toBe('done');
    expect(status(r, 'differential-count')).toBe('done');
    expect(r.groups.find((g) => g.group.id === 'differential-count')!.results[0]).toMatchObject({ key: 'cbc#751-8', analyteId: 'neutrophils', numeric: { value: 9.1 } });
  });
  test('a valueString that is no number (a lab comment) is no value: not done', () => {
    const o = obs('urn:oid:1.2.208.176.2.1', 'NPU03230', { valueString: 'Hæmolyseret prøve' });
    delete o.valueQuantity;
    expect(status(run([o]), 'potassium')).toBe('missing');
    const n = obs('urn:oid:1.2.208.176.2.1', 'NPU03230', { valueString: '4,1' });
    delete n.valueQuantity;
    expect(status(run([n]), 'potassium')).toBe('done');
    // A result in words is a value (terminology/interpretation-words.json resultWords), whole only.
    for (const [text, expected] of [['neg', 'done'], [' Ikke  påvist. ', 'done'], ['Positiv', 'done'], ['neg, se kommentar', 'missing']] as const) {
      const w = obs('urn:oid:1.2.208.176.2.1', 'NPU03230', { valueString: text });
      delete w.valueQuantity;
      expect([text, status(run([w]), 'potassium')]).toEqual([text, expected]);
    }
  });
  test('LOINC and NPU under their OID system URIs count', () => {
    expect(status(run([obs('urn:oid:2.16.840.1.113883.6.1', '3016-3')]), 'tsh')).toBe('done');
    expect(status(run([obs('urn:oid:1.2.208.176.9.1', 'NPU03577')]), 'tsh')).toBe('done');
  });
  test('odd shapes are read or skipped, never thrown', () => {
    const skipped = new SkippedResources();
    const odd = [null, 'x', { resourceType: 'Observation', id: 'bad', code: 'TSH' }, { resourceType: 'Observation', code: { coding: { system: 'http://loinc.org', code: '3016-3' } }, status: 'final', effectiveDateTime: '2026-06-10', valueQuantity: { value: '7,9' } }];
    const r = run(odd, [null, { resourceType: 'ServiceRequest', status: 'active', code: { coding: 'x' } }], {}, skipped);
    expect(status(r, 'tsh')).toBe('done');
  });
  test('order system: NPU (under the patient\'s own NPU URI) when their labs are NPU, else LOINC', () => {
    expect(run([obs('http://npu-terminology.org', 'NPU02319')]).orderSystem).toEqual({ kind: 'npu', uri: 'http://npu-terminology.org' });
    expect(run([obs('http://loinc.org', '718-7')]).orderSystem).toEqual({ kind: 'loinc', uri: 'http://loinc.org' });
    expect(run([]).orderSystem.kind).toBe('loinc');
  });
  test('order system with mixed results: NPU when at least half are NPU (a tie is NPU), under the NPU URI used most', () => {
    const npu = (code: string, uri = 'http://npu-terminology.org') => obs(uri, code);
    const loinc = (code: string) => obs('http://loinc.org', code);
    expect(run([npu('NPU02319'), loinc('3016-3')]).orderSystem).toEqual({ kind: 'npu', uri: 'http://npu-terminology.org' });
    expect(run([npu('NPU02319'), npu('NPU03577'), loinc('1988-5')]).orderSystem.kind).toBe('npu');
    expect(run([npu('NPU02319'), loinc('3016-3'), loinc('1988-5')]).orderSystem).toEqual({ kind: 'loinc', uri: 'http://loinc.org' });
    const oid = 'urn:oid:1.2.208.176.2.1';
    expect(run([npu('NPU02319', oid), npu('NPU03577', oid), npu('NPU19748')]).orderSystem).toEqual({ kind: 'npu', uri: oid });
  });
  test('LAB_ORDER_CODE_SYSTEM npu or loinc overrides the patient\'s own results', () => {
    expect(run([obs('http://loinc.org', '718-7')], [], { orderCodeSystem: 'npu' }).orderSystem).toEqual({ kind: 'npu', uri: 'urn:oid:1.2.208.176.2.1' });
    expect(run([obs('http://npu-terminology.org', 'NPU02319')], [], { orderCodeSystem: 'loinc' }).orderSystem).toEqual({ kind: 'loinc', uri: 'http://loinc.org' });
  });
});

describe('open orders of older FHIR versions: STU3 ProcedureRequest, DSTU2 DiagnosticOrder (docs/clinical-rules.md §3.1)', () => {
  const LOINC = 'http://loinc.org';
  const coded = (code: string) => ({ coding: [{ system: LOINC, code }] });
  const procedureRequest = (status: string, extra: Record<string, unknown> = {}) => ({
    resourceType: 'ProcedureRequest',
    id: `pr-${status}`,
    status,
    intent: 'order',
    subject: { reference: 'Patient/p' },
    code: coded('2157-6'),
    authoredOn: '2026-11-20',
    ...extra,
  });
  const item = (code: string, extra: Record<string, unknown> = {}) => ({ code: coded(code), ...extra });
  const diagnosticOrder = (status: string | undefined, items: unknown[], extra: Record<string, unknown> = {}) => ({
    resourceType: 'DiagnosticOrder',
    id: `do-${status}`,
    ...(status === undefined ? {} : { status }),
    subject: { reference: 'Patient/p' },
    event: [{ status: 'requested', dateTime: '2026-11-20T09:00:00+01:00' }],
    item: items,
    ...extra,
  });

  test('a ProcedureRequest draft, active or suspended is open (pending while recent, stale after); cancelled, completed, entered-in-error are closed', () => {
    for (const s of ['draft', 'active', 'suspended']) expect([s, status(run([], [procedureRequest(s)]), 'ck')]).toEqual([s, 'pending']);
    for (const s of ['cancelled', 'completed', 'entered-in-error']) expect([s, status(run([], [procedureRequest(s)]), 'ck')]).toEqual([s, 'missing']);
    expect(status(run([], [procedureRequest('suspended', { authoredOn: '2026-09-01' })]), 'ck')).toBe('stale');
    expect(status(run([], [procedureRequest('draft', { authoredOn: '2026-09-01' })]), 'ck')).toBe('missing');
    expect(status(run([], [procedureRequest('active', { authoredOn: '2026-09-01', intent: 'proposal' })]), 'ck')).toBe('missing');
    expect(status(run([], [procedureRequest('active', { doNotPerform: true })]), 'ck')).toBe('missing');
  });

  test("a status of another version's list is not read as open or closed: the order is unreadable, and the card orders nothing", () => {
    const skipped = new SkippedResources();
    const r = run([], [procedureRequest('on-hold'), diagnosticOrder('active', [item('3016-3')])], {}, skipped);
    expect(r.openOrdersUnknown).toBe(true);
    expect(skipped.items).toEqual([
      { resourceType: 'ProcedureRequest', id: 'pr-on-hold', reader: 'service-request', reason: 'status not known to be open or closed' },
      { resourceType: 'DiagnosticOrder', id: 'do-active', reader: 'service-request', reason: 'status not known to be open or closed' },
    ]);
  });

  test('a DiagnosticOrder asks for each of its items: every open one is pending; the order is dated by its requested event', () => {
    for (const s of ['requested', 'received', 'accepted', 'in-progress', 'review', 'suspended', 'proposed', 'draft', 'planned']) {
      const r = run([], [diagnosticOrder(s, [item('2157-6'), item('3016-3')])]);
      expect([s, r.pending.map((g) => g.id)]).toEqual([s, ['tsh', 'ck']]);
    }
    for (const s of ['completed', 'cancelled', 'rejected', 'failed']) expect([s, run([], [diagnosticOrder(s, [item('2157-6')])]).pending]).toEqual([s, []]);
    const old = run([], [diagnosticOrder('requested', [item('2157-6')], { event: [{ status: 'requested', dateTime: '2026-09-01' }, { status: 'accepted', dateTime: '2026-11-20' }] })]);
    expect(old.stale).toEqual([{ group: expect.objectContaining({ id: 'ck' }), orderedAt: Date.UTC(2026, 8, 1), orderedAtPrecision: 'day' }]);
    // No requested event: its first event; no event: meta.lastUpdated; none: undated, so stale.
    expect(run([], [diagnosticOrder('accepted', [item('2157-6')], { event: [{ status: 'accepted', dateTime: '2026-11-22' }, { status: 'in-progress', dateTime: '2026-09-01' }] })]).stale).toHaveLength(1);
    expect(status(run([], [diagnosticOrder('accepted', [item('2157-6')], { event: undefined, meta: { lastUpdated: '2026-11-22T08:00:00Z' } })]), 'ck')).toBe('pending');
    expect(run([], [diagnosticOrder('accepted', [item('2157-6')], { event: undefined })]).stale).toEqual([{ group: expect.objectContaining({ id: 'ck' }) }]);
    // Proposed, draft and planned order nothing yet: an old one is not stale.
    for (const s of ['proposed', 'draft', 'planned']) expect([s, status(run([], [diagnosticOrder(s, [item('2157-6')], { event: [{ status: s, dateTime: '2026-09-01' }] })]), 'ck')]).toEqual([s, 'missing']);
  });

  test("an item's own status counts, else the order's; a closed order orders none of its items", () => {
    const r = run([], [diagnosticOrder('in-progress', [item('2157-6', { status: 'completed' }), item('3016-3'), item('1989-3', { status: 'received' })])]);
    expect(r.pending.map((g) => g.id)).toEqual(['tsh', 'vitamin-d']);
    expect(run([], [diagnosticOrder('cancelled', [item('2157-6', { status: 'in-progress' })])]).pending).toEqual([]);
    // The order has no status of its own: each item's decides (DSTU2's status is 0..1).
    expect(run([], [diagnosticOrder(undefined, [item('2157-6', { status: 'requested' })])]).pending.map((g) => g.id)).toEqual(['ck']);
  });

  test('unreadable: an open DiagnosticOrder without items, an item without a status where the order has none, an item whose codings name different tests', () => {
    const cases: Array<[unknown, string]> = [
      [diagnosticOrder('requested', []), 'no readable code'],
      [diagnosticOrder(undefined, [item('2157-6')]), 'no status'],
      [diagnosticOrder('requested', [{ code: { coding: [{ system: LOINC, code: '2157-6' }, { system: LOINC, code: '3016-3' }] } }]), 'codes name different tests'],
      [diagnosticOrder('requested', [{ code: 'CK' }]), 'no readable code'],
    ];
    for (const [order, reason] of cases) {
      const skipped = new SkippedResources();
      expect(run([], [order], {}, skipped).openOrdersUnknown).toBe(true);
      expect(skipped.items.map((i) => i.reason)).toEqual([reason]);
    }
    // Items that name different tests each are one order of several tests, not a disagreement; a closed order without items orders nothing.
    const fine = new SkippedResources();
    expect(run([], [diagnosticOrder('requested', [item('2157-6'), item('3016-3')]), diagnosticOrder('completed', [])], {}, fine).openOrdersUnknown).toBe(false);
    expect(fine.items).toEqual([]);
  });

  test('a DSTU2 single item (an object, not a list) is read; another test\'s item is not a panel order', () => {
    expect(status(run([], [diagnosticOrder('requested', item('2157-6') as unknown as unknown[])]), 'ck')).toBe('pending');
    const other = run([], [diagnosticOrder('requested', [item('2345-7')])]);
    expect([other.pending, other.openOrdersUnknown]).toEqual([[], false]);
  });
});

describe('unreadable resources', () => {
  test('an Observation or ServiceRequest whose reading throws is skipped and named (type and id), the rest is read', () => {
    const skipped = new SkippedResources();
    const hostile = { resourceType: 'Observation', id: 'odd-1', get code(): never { throw new Error('unreadable'); } };
    const hostileOrder = { resourceType: 'ServiceRequest', id: 'odd-2', status: 'active', get code(): never { throw new Error('unreadable'); } };
    const r = assessScreening([hostile, obs('http://loinc.org', '3016-3')], [hostileOrder], panel, scope, settings, FIXED_NOW, skipped);
    expect(status(r, 'tsh')).toBe('done');
    expect(skipped.items).toEqual([
      { resourceType: 'Observation', id: 'odd-1', reader: 'observation' },
      { resourceType: 'ServiceRequest', id: 'odd-2', reader: 'service-request' },
    ]);
  });
});

describe('property: odd order (ServiceRequest, ProcedureRequest, DiagnosticOrder) and Observation shapes never throw', () => {
  const odd = fc.oneof(fc.constant(null), fc.string(), fc.double(), fc.boolean(), fc.constant({}), fc.constant([]), fc.array(fc.oneof(fc.constant(null), fc.string(), fc.constant({ coding: 'x' }))));
  test('any field replaced by a wrong type, string, single object or null', () => {
    fc.assert(
      fc.property(fc.constantFrom('status', 'code', 'authoredOn', 'meta', 'occurrenceDateTime', 'occurrencePeriod', 'occurrenceTiming', 'item', 'event'), odd, fc.constantFrom('ServiceRequest', 'ProcedureRequest', 'DiagnosticOrder'), (field, value, resourceType) => {
        const code = { coding: [{ system: 'http://loinc.org', code: '58410-2' }] };
        const order: Record<string, unknown> =
          resourceType === 'DiagnosticOrder'
            ? { resourceType, status: 'requested', event: [{ status: 'requested', dateTime: '2026-11-20' }], item: [{ code, status: 'requested' }] }
            : { resourceType, status: 'active', authoredOn: '2026-11-20', code };
        order[field] = value;
        const observation: Record<string, unknown> = { ...obs('http://loinc.org', '3016-3'), [field === 'authoredOn' ? 'issued' : 'effectivePeriod']: value };
        expect(() => run([observation], [order])).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
