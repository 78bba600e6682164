import { fhirId, ownEntry } from '../../src/model/json.js';

describe('fhirId', () => {
  test.each(['a', 'request-123', 'A.b-9', 'x'.repeat(64), ' padded ', '.a', 'a..b'])('%p is an id', (v) => {
    expect(fhirId(v)).toBe(v.trim());
  });
  test.each(['', '  ', 'MedicationRequest/x', '5,9', 'x'.repeat(65), '%00', '.', '..', ' ... ', 'æ', 7, null, {}])('%p is not', (v) => {
    expect(fhirId(v)).toBeUndefined();
  });
});

describe('ownEntry', () => {
  const table: Record<string, number> = { d: 1, wk: 7 };
  test('own entries only: prototype names read nothing', () => {
    expect(ownEntry(table, 'wk')).toBe(7);
    for (const k of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) expect(ownEntry(table, k)).toBeUndefined();
  });
});
