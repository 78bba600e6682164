import { isStillTaken } from '../../src/guideline/stillTaken.js';
import type { MedicationOrderView } from '../../src/model/medicationOrder.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const view = (over: Partial<MedicationOrderView> = {}): MedicationOrderView => ({
  resourceType: 'MedicationStatement',
  id: 's1',
  reference: 'MedicationStatement/s1',
  status: 'active',
  dosageInstruction: [],
  medication: { text: 'Contalgin' },
  medicationIngredients: [],
  unresolvedMedicationReference: null,
  drugText: 'Contalgin',
  reasons: [],
  unresolvedReasonReferences: [],
  hasReason: false,
  endedAt: null,
  notTaken: false,
  ...over,
});

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
  test('a statement that says the drug is not taken is not, whatever its dates', () => {
    expect(isStillTaken(view({ notTaken: true }), NOW)).toBe(false);
    expect(isStillTaken(view({ notTaken: true, endedAt: '2027-01-01' }), NOW)).toBe(false);
  });
});
