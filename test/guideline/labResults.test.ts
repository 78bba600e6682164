import { readFhirPayload } from '../../src/data/bundleEntries.js';
import { readLabResult } from '../../src/guideline/labResults.js';
import { loadScreeningPanelCodes } from '../../src/terminology/screeningPanelCodes.js';

const panel = loadScreeningPanelCodes();

const tsh = (dates: Record<string, unknown>): Record<string, unknown> => ({
  resourceType: 'Observation',
  id: 'tsh',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '3016-3' }] },
  valueQuantity: { value: 2.1, unit: 'mIU/L' },
  ...dates,
});

describe('a result\'s date: its first instant for the rules, and the precision it was written at for the card (docs §5, §7.1)', () => {
  test.each([
    ['2026', Date.UTC(2026, 0, 1), 'year'],
    ['2026-08', Date.UTC(2026, 7, 1), 'month'],
    ['2026-08-05', Date.UTC(2026, 7, 5), 'day'],
    ['2026-08-05T23:30:00+02:00', Date.UTC(2026, 7, 5, 21, 30), 'day'],
  ])('effectiveDateTime %s → %d, %s', (effectiveDateTime, time, timePrecision) => {
    expect(readLabResult(tsh({ effectiveDateTime }), panel)[0]).toMatchObject({ time, timePrecision });
  });
  test('the date the time is taken from gives the precision: a partial period start, else issued', () => {
    expect(readLabResult(tsh({ effectivePeriod: { start: '2026-08' }, issued: '2026-08-20T10:00:00Z' }), panel)[0]).toMatchObject({ time: Date.UTC(2026, 7, 1), timePrecision: 'month' });
    expect(readLabResult(tsh({ issued: '2026-08-20T10:00:00Z' }), panel)[0]).toMatchObject({ time: Date.UTC(2026, 7, 20, 10), timePrecision: 'day' });
    // A sampling period is dated by its start; by its end only when it has no start.
    expect(readLabResult(tsh({ effectivePeriod: { start: '2026-08-05', end: '2026-08-07' } }), panel)[0]).toMatchObject({ time: Date.UTC(2026, 7, 5) });
    expect(readLabResult(tsh({ effectivePeriod: { end: '2026-08-07' } }), panel)[0]).toMatchObject({ time: Date.UTC(2026, 7, 7) });
  });
  test('a DiagnosticReport gives no result itself: its contained Observations come from the data stage as Observations, dated by the report', () => {
    const report = { resourceType: 'DiagnosticReport', id: 'r1', status: 'final', effectiveDateTime: '2026-08', contained: [tsh({})] };
    expect(readLabResult(report, panel)).toEqual([]);
    const reading = readFhirPayload({ resourceType: 'Bundle', type: 'searchset', entry: [{ resource: report }] });
    const flattened = reading.ok ? reading.resources.filter((r) => r.resourceType === 'Observation') : [];
    expect(flattened.flatMap((o) => readLabResult(o, panel))).toEqual([expect.objectContaining({ key: 'r1-tsh', time: Date.UTC(2026, 7, 1), timePrecision: 'month' })]);
  });
  test('undated: neither time nor precision', () => {
    const r = readLabResult(tsh({}), panel)[0]!;
    expect(r.time).toBeUndefined();
    expect(r.timePrecision).toBeUndefined();
  });
});

describe('a value\'s comparator (docs §3.2 step 3)', () => {
  test('"≤" and "≥" are "<=" and ">=": the value may be the number itself, not only below or above it', () => {
    expect(readLabResult(tsh({ valueQuantity: undefined, valueString: '≤ 0,3' }), panel)[0]?.numeric).toEqual({ value: 0.3, comparator: '<=' });
    expect(readLabResult(tsh({ valueQuantity: undefined, valueString: '≥4 mIU/L' }), panel)[0]?.numeric).toEqual({ value: 4, comparator: '>=', unit: 'mIU/L' });
    expect(readLabResult(tsh({ valueQuantity: { value: 4, comparator: '≥', unit: 'mIU/L' } }), panel)[0]?.numeric).toEqual({ value: 4, comparator: '>=', unit: 'mIU/L' });
    // The strict signs stay strict.
    expect(readLabResult(tsh({ valueQuantity: undefined, valueString: '< 0,3' }), panel)[0]?.numeric).toEqual({ value: 0.3, comparator: '<' });
    expect(readLabResult(tsh({ valueQuantity: undefined, valueString: '>4' }), panel)[0]?.numeric).toEqual({ value: 4, comparator: '>' });
  });
});

describe('a result\'s key, which quiet by design keys a flagged result by (docs §3.2 Facts, §6)', () => {
  test('an Observation with an id: the id alone; sent without an id: when it was taken and its code, so two id-less results taken together are two keys', () => {
    const effectiveDateTime = '2026-08-05';
    expect(readLabResult(tsh({ effectiveDateTime }), panel)[0]?.key).toBe('tsh');
    const idlessTsh = readLabResult(tsh({ id: undefined, effectiveDateTime }), panel)[0];
    const idlessCk = readLabResult(tsh({ id: undefined, effectiveDateTime, code: { coding: [{ system: 'http://loinc.org', code: '2157-6' }] } }), panel)[0];
    expect(idlessTsh?.key).toBe(`no-id@${Date.UTC(2026, 7, 5)}#3016-3`);
    expect(idlessCk?.key).toBe(`no-id@${Date.UTC(2026, 7, 5)}#2157-6`);
    // Undated and id-less: still named by the code.
    expect(readLabResult(tsh({ id: undefined }), panel)[0]?.key).toBe('no-id@undated#3016-3');
  });
});
