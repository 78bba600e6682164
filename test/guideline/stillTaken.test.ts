import { isStillTaken } from '../../src/guideline/stillTaken.js';
import type { MedicationOrderView } from '../../src/model/medicationOrder.js';
import { medicationOrderView } from '../support/medicationOrderView.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const view = (over: Partial<MedicationOrderView> = {}): MedicationOrderView =>
  medicationOrderView({ resourceType: 'MedicationStatement', id: 's1', reference: 'MedicationStatement/s1', medication: { text: 'Contalgin' }, drugText: 'Contalgin', ...over });

describe('isStillTaken (docs/clinical-rules.md §3.3, §7)', () => {
  test.each([
    [null, true],
    ['2025-03-01', false],
    ['2026-11-25T11:59:59Z', false],
    ['2026-11-25T12:00:00Z', true],
    ['2027-01-01', true],
    // An end date covers its whole day, month or year: a course ending today or this month is still taken.
    ['2026-11-25', true],
    ['2026-11', true],
    ['2026', true],
    ['2026-11-24', false],
    ['2026-10', false],
    ['2025', false],
    ['not a date', true],
  ])('ended at %s → still taken: %s', (endedAt, taken) => {
    expect(isStillTaken(view({ endedAt }), NOW)).toBe(taken);
  });
  test('an end date is a Danish day: a course ending 24 November is over at 00:30 on 25 November in Denmark (23:30 UTC on the 24th)', () => {
    expect(isStillTaken(view({ endedAt: '2026-11-24' }), Date.parse('2026-11-24T22:59:59Z'))).toBe(true);
    expect(isStillTaken(view({ endedAt: '2026-11-24' }), Date.parse('2026-11-24T23:30:00Z'))).toBe(false);
  });
  const bounded = (...ends: Array<string | null>): fhir4.Dosage[] =>
    ends.map((end) => ({ timing: { repeat: end === null ? { frequency: 1, period: 1, periodUnit: 'd' } : { boundsPeriod: { start: '2023-01-01', end } } } }));
  test.each([
    [['2023-02-01'], false],
    [['2026-11-25'], true],
    [['2027-01-01'], true],
    // Every instruction must have ended: the latest end counts; an open-ended one keeps the order current.
    [['2023-02-01', '2027-01-01'], true],
    [['2023-02-01', '2024-05-01'], false],
    [['2023-02-01', null], true],
    [['not a date'], true],
  ] as const)('an order whose dosage ends %j → still taken: %s', (ends, taken) => {
    expect(isStillTaken(view({ resourceType: 'MedicationRequest', dosageInstruction: bounded(...ends) }), NOW)).toBe(taken);
  });
  test('the record\'s own end wins over the dosage\'s; no dosage means no end', () => {
    expect(isStillTaken(view({ endedAt: '2027-01-01', dosageInstruction: bounded('2023-02-01') }), NOW)).toBe(true);
    expect(isStillTaken(view({ resourceType: 'MedicationRequest', dosageInstruction: [] }), NOW)).toBe(true);
  });
  test('a course of a length (boundsDuration) ends that long after its own start, else the order\'s; without a start, or with a unit not read, it has no end', () => {
    const course = (duration: Record<string, unknown>, boundsStart?: string): fhir4.Dosage[] =>
      [{ timing: { repeat: { boundsDuration: duration, ...(boundsStart ? { boundsPeriod: { start: boundsStart } } : {}) } } }] as fhir4.Dosage[];
    const tenDays = { value: 10, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' };
    // 10 days from 1 January: long ended; from 20 November: still taken on 25 November; from 10 November: ended.
    expect(isStillTaken(view({ startedAt: '2026-01-01', dosageInstruction: course(tenDays) }), NOW)).toBe(false);
    expect(isStillTaken(view({ startedAt: '2026-11-20', dosageInstruction: course(tenDays) }), NOW)).toBe(true);
    expect(isStillTaken(view({ startedAt: '2026-11-10', dosageInstruction: course(tenDays) }), NOW)).toBe(false);
    // The bounds' own start wins over the order's.
    expect(isStillTaken(view({ startedAt: '2026-01-01', dosageInstruction: course(tenDays, '2026-11-20') }), NOW)).toBe(true);
    expect(isStillTaken(view({ resourceType: 'MedicationRequest', startedAt: '2026-05-01', dosageInstruction: course({ value: 2, unit: 'uger' }) }), NOW)).toBe(false);
    expect(isStillTaken(view({ startedAt: '2026-05-01', dosageInstruction: course({ value: 1, code: 'a' }) }), NOW)).toBe(true);
    // Every UCUM unit of time the dosing rate reads, minutes and seconds too (one table): 90 minutes on 1 May has ended.
    expect(isStillTaken(view({ startedAt: '2026-05-01', dosageInstruction: course({ value: 90, code: 'min' }) }), NOW)).toBe(false);
    // No start, or a unit not read: no end.
    expect(isStillTaken(view({ dosageInstruction: course(tenDays) }), NOW)).toBe(true);
    expect(isStillTaken(view({ startedAt: '2026-01-01', dosageInstruction: course({ value: 10, unit: 'doses' }) }), NOW)).toBe(true);
  });
  test('a course of no length (0 days) ends at its start; a negative length cannot be read: no end', () => {
    const course = (value: number): fhir4.Dosage[] => [{ timing: { repeat: { boundsDuration: { value, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' } } } }];
    expect(isStillTaken(view({ startedAt: '2026-11-01', dosageInstruction: course(0) }), NOW)).toBe(false);
    expect(isStillTaken(view({ startedAt: '2026-11-01', dosageInstruction: course(-10) }), NOW)).toBe(true);
  });
  test('a statement that says the drug is not taken is not, whatever its dates', () => {
    expect(isStillTaken(view({ notTaken: true }), NOW)).toBe(false);
    expect(isStillTaken(view({ notTaken: true, endedAt: '2027-01-01' }), NOW)).toBe(false);
  });
});
