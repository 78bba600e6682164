import { fhirId, isGeneratedUuid, isQuotableUuid, lowerCode, numberOrNumericText, ownEntry, sameJson } from '../../src/model/json.js';
import { mayHoldCprNumber } from '../../src/model/cprNumber.js';

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

describe('isGeneratedUuid', () => {
  test('the text form in either letter case; anything else is not', () => {
    expect(isGeneratedUuid('7c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e')).toBe(true);
    expect(isGeneratedUuid('7C1D2E3F-4A5B-4C6D-8E7F-901A2B3C4D5E')).toBe(true);
    for (const s of ['', 'refused-call-7', '7c1d2e3f4a5b4c6d8e7f901a2b3c4d5e', '7c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e ', 'urn:uuid:7c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e']) expect(isGeneratedUuid(s)).toBe(false);
  });
  test('a number padded into the shape (no version, no variant) is not one', () => {
    expect(isGeneratedUuid('00000000-0000-0000-0000-000101801234')).toBe(false);
  });
});

describe('lowerCode', () => {
  it('reads a code in any case and spacing', () => {
    expect(lowerCode(' ACTIVE ')).toBe('active');
    expect(lowerCode('on-hold')).toBe('on-hold');
  });

  it('reads nothing from a blank or a non-string', () => {
    expect(lowerCode('  ')).toBeUndefined();
    expect(lowerCode(undefined)).toBeUndefined();
    expect(lowerCode(3)).toBeUndefined();
  });
});

describe('numberOrNumericText', () => {
  it('reads a number, or plain decimal text', () => {
    expect(numberOrNumericText(2)).toBe(2);
    expect(numberOrNumericText(' 2 ')).toBe(2);
    expect(numberOrNumericText('0.5')).toBe(0.5);
  });
  it('reads nothing else: signs, exponents, commas, words, non-finite numbers', () => {
    for (const v of ['-1', '1e3', '1,5', 'to', '', Infinity, NaN, null]) expect([v, numberOrNumericText(v)]).toEqual([v, undefined]);
  });
});

describe('isQuotableUuid', () => {
  test('a generated UUID is quotable unless ten of its digits in a row begin with a date (DDMMYY): a CPR number', () => {
    expect(isQuotableUuid('7c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e')).toBe(true);
    expect(isQuotableUuid('12345678-9abc-4def-8123-456789abcdef')).toBe(true);
    // Ten digits in a row, but no date at their start: 99 is no day, 13 no month.
    expect(isQuotableUuid('99999999-9900-4000-8000-0000000000ab')).toBe(true);
    expect(mayHoldCprNumber('Mette 140768-1234')).toBe(true);
    expect(mayHoldCprNumber('0101801234')).toBe(true);
    expect(mayHoldCprNumber('3213801234')).toBe(false);
    expect(isQuotableUuid('01017012-3400-4000-8000-000000000000')).toBe(false);
    expect(isQuotableUuid('00000000-0000-4000-8000-000101801234')).toBe(false);
    expect(isQuotableUuid('00000000-0000-0000-0000-000101801234')).toBe(false);
  });
});

describe('sameJson', () => {
  test('the same data whatever the order of keys; any difference in a value, a key or an array is another', () => {
    expect(sameJson({ a: 1, b: [1, { c: 'x', d: null }] }, { b: [1, { d: null, c: 'x' }], a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameJson({ a: '1' }, { a: 1 })).toBe(false);
    expect(sameJson([{}], {})).toBe(false);
    expect(sameJson({ a: { b: 1 } }, { a: { b: 2 } })).toBe(false);
  });
});
