import fc from 'fast-check';
import { assessFlaggedResults, assessResult, normaliseUnit, patientFacts, type PatientFacts } from '../../src/guideline/flaggedResults.js';
import { readLabResult } from '../../src/guideline/labResults.js';
import type { GroupAssessment } from '../../src/guideline/screeningPanel.js';
import { loadScreeningPanelCodes } from '../../src/terminology/screeningPanelCodes.js';
import { FIXED_NOW } from '../support/testApp.js';

const panel = loadScreeningPanelCodes();
const V3 = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

const CODES: Record<string, string> = { tsh: 'NPU03577', crp: 'NPU19748', ck: 'NPU19656', potassium: 'NPU03230', haemoglobin: 'NPU02319', 'vitamin-d': 'NPU10267' };

/** One panel result as the rules read it, from an Observation of the given group. */
function result(fields: Record<string, unknown>, group = 'tsh') {
  const o = { resourceType: 'Observation', id: 'o1', status: 'final', effectiveDateTime: '2026-08-05', code: { coding: [{ system: 'urn:oid:1.2.208.176.2.1', code: CODES[group] }] }, ...fields };
  const r = readLabResult(o, panel)[0];
  if (!r) throw new Error('not a panel result');
  return r;
}
const verdict = (fields: Record<string, unknown>, group = 'tsh', patient: PatientFacts = {}) => assessResult(result(fields, group), panel, patient, FIXED_NOW);
const interp = (code: string, system: string | undefined = V3) => [{ coding: [{ ...(system ? { system } : {}), code }] }];
const range = (low?: number, high?: number, unit = 'mIU/L'): Record<string, unknown>[] => [
  { ...(low !== undefined ? { low: { value: low, unit } } : {}), ...(high !== undefined ? { high: { value: high, unit } } : {}) },
];
const q = (value: number, comparator?: string, unit = 'mIU/L') => ({ value, unit, ...(comparator ? { comparator } : {}) });

describe('flagged results: interpretation codes', () => {
  test.each([
    ['H', 'high'],
    ['HH', 'high'],
    ['HU', 'high'],
    ['HX', 'high'],
    ['L', 'low'],
    ['LL', 'low'],
    ['LU', 'low'],
    ['LX', 'low'],
    ['A', 'abnormal'],
    ['AA', 'abnormal'],
  ])('interpretation %s → flagged %s', (code, direction) => {
    expect(verdict({ valueQuantity: q(1), interpretation: interp(code) })).toEqual({ kind: 'flag', direction, basis: 'interpretation' });
  });
  test.each([
    ['v2-0078', 'http://terminology.hl7.org/CodeSystem/v2-0078'],
    ['no system', undefined],
    ['STU3 URI', 'http://hl7.org/fhir/v2/0078'],
  ])('H from %s is a flag', (_n, system) => {
    expect(verdict({ valueQuantity: q(1), interpretation: interp('H', system) })).toMatchObject({ kind: 'flag', direction: 'high' });
  });
  test('a flag without direction takes the direction of the lab\'s range when the value is outside it; inside it, or without a range, it stays without direction', () => {
    expect(verdict({ valueQuantity: q(9), interpretation: interp('A'), referenceRange: range(0.3, 4) })).toEqual({ kind: 'flag', direction: 'high', basis: 'reference-range' });
    expect(verdict({ valueQuantity: q(0.1), interpretation: interp('AA'), referenceRange: range(0.3, 4) })).toEqual({ kind: 'flag', direction: 'low', basis: 'reference-range' });
    expect(verdict({ valueQuantity: q(2), interpretation: interp('A'), referenceRange: range(0.3, 4) })).toEqual({ kind: 'flag', direction: 'abnormal', basis: 'interpretation' });
    expect(verdict({ valueQuantity: q(9), interpretation: interp('A') })).toEqual({ kind: 'flag', direction: 'abnormal', basis: 'interpretation' });
    // Off the measuring range with no range: the lab's range gives no direction, so none is guessed.
    expect(verdict({ valueQuantity: q(100, '>'), interpretation: interp('A') })).toEqual({ kind: 'flag', direction: 'abnormal', basis: 'interpretation' });
    // A high flag stays high whatever the range says: the lab's word wins.
    expect(verdict({ valueQuantity: q(0.1), interpretation: interp('H'), referenceRange: range(0.3, 4) })).toEqual({ kind: 'flag', direction: 'high', basis: 'interpretation' });
  });
  test('high and low together are a flag without direction, in codes and in text (docs §3.2 step 1); one of them alone keeps its direction', () => {
    const both = [{ coding: [{ system: V3, code: 'H' }, { system: V3, code: 'L' }] }];
    expect(verdict({ valueQuantity: q(1), interpretation: both })).toEqual({ kind: 'flag', direction: 'abnormal', basis: 'interpretation' });
    expect(verdict({ valueQuantity: q(1), interpretation: [...interp('L'), ...interp('H')] })).toEqual({ kind: 'flag', direction: 'abnormal', basis: 'interpretation' });
    expect(verdict({ valueQuantity: q(1), interpretation: [{ text: 'Høj og lav' }] })).toEqual({ kind: 'flag', direction: 'abnormal', basis: 'interpretation' });
    expect(verdict({ valueQuantity: q(1), interpretation: interp('H') })).toEqual({ kind: 'flag', direction: 'high', basis: 'interpretation' });
    expect(verdict({ valueQuantity: q(1), interpretation: interp('L') })).toEqual({ kind: 'flag', direction: 'low', basis: 'interpretation' });
  });
  test('interpretation N wins over an out-of-range value: the lab\'s own word counts', () => {
    expect(verdict({ valueQuantity: q(9), interpretation: interp('N'), referenceRange: range(0.3, 4) })).toEqual({ kind: 'normal' });
  });
  test('a proprietary code falls back to the range', () => {
    expect(verdict({ valueQuantity: q(9), interpretation: interp('H', 'urn:lab:flags'), referenceRange: range(0.3, 4) })).toMatchObject({ basis: 'reference-range', direction: 'high' });
    expect(verdict({ valueQuantity: q(2), interpretation: interp('X') , referenceRange: range(0.3, 4) })).toEqual({ kind: 'normal' });
  });
  test('a coded interpretation the rules do not know is not read from its words: the range decides, not the text "høj"', () => {
    const coded = [{ coding: [{ system: 'urn:lab:flags', code: 'X7' }], text: 'høj' }];
    expect(verdict({ valueQuantity: q(2), interpretation: coded, referenceRange: range(0.3, 4) })).toEqual({ kind: 'normal' });
    // The control: the same words without a code are a flag.
    expect(verdict({ valueQuantity: q(2), interpretation: [{ text: 'høj' }], referenceRange: range(0.3, 4) })).toMatchObject({ kind: 'flag', direction: 'high', basis: 'interpretation' });
  });
  test('STU3/DSTU2: one interpretation object, not an array, is read', () => {
    expect(verdict({ valueQuantity: q(1), interpretation: { coding: [{ system: 'http://hl7.org/fhir/v2/0078', code: 'H' }] } })).toMatchObject({ kind: 'flag', direction: 'high' });
  });
  test('odd interpretation shapes never throw', () => {
    for (const i of [null, 'H', 7, [null, 'x', { coding: 'H' }], { coding: [{ code: 5 }] }]) {
      expect(() => verdict({ valueQuantity: q(1), interpretation: i })).not.toThrow();
    }
  });
});

describe('flagged results: interpretation text', () => {
  test.each([
    ['Forhøjet', 'high'],
    ['høj', 'high'],
    ['Lav værdi', 'low'],
    ['nedsat', 'low'],
    ['Afvigende', 'abnormal'],
    ['unormal', 'abnormal'],
    ['abnorm', 'abnormal'],
    ['Patologisk', 'abnormal'],
    ['High', 'high'],
    ['low', 'low'],
    ['Abnormal result', 'abnormal'],
    ['*', 'abnormal'],
  ])('text "%s" → %s', (text, direction) => {
    expect(verdict({ valueQuantity: q(1), interpretation: [{ text }] })).toEqual({ kind: 'flag', direction, basis: 'interpretation' });
  });
  test.each([['Forhøjet, ingen hæmolyse', 'high'], ['Høj – uden klinisk betydning', 'high'], ['Forhøjet, ikke hæmolyseret', 'high'], ['lav; ikke fastende', 'low']])('text "%s": a negation after the flag word does not cancel it → %s', (text, direction) => {
    expect(verdict({ valueQuantity: q(1), interpretation: [{ text }] })).toEqual({ kind: 'flag', direction, basis: 'interpretation' });
  });
  test.each(['ikke forhøjet', 'Ej afvigende', 'Ingen afvigende fund', 'Intet patologisk', 'Uden patologiske fund', 'without abnormal findings', 'not high', 'no abnormality: low risk', 'Normal', 'højrestillet'])('text "%s" is no flag (negation, no flag word, or not a whole word)', (text) => {
    expect(verdict({ valueQuantity: q(1), interpretation: [{ text }] })).toEqual({ kind: 'not-assessable', reason: 'no-flag-or-range' });
  });
  test('a text that is exactly an interpretation code is that code; the value set URL sent as the system counts as v3', () => {
    expect(verdict({ valueQuantity: q(1), interpretation: [{ text: 'H' }] })).toEqual({ kind: 'flag', direction: 'high', basis: 'interpretation' });
    expect(verdict({ valueQuantity: q(1), interpretation: [{ text: ' LL ' }] })).toMatchObject({ kind: 'flag', direction: 'low' });
    expect(verdict({ valueQuantity: q(9), interpretation: [{ text: 'N' }], referenceRange: range(0.3, 4) })).toEqual({ kind: 'normal' });
    expect(verdict({ valueQuantity: q(1), interpretation: [{ text: 'h' }] })).toEqual({ kind: 'not-assessable', reason: 'no-flag-or-range' });
    expect(verdict({ valueQuantity: q(1), interpretation: interp('HH', 'http://hl7.org/fhir/ValueSet/observation-interpretation') })).toMatchObject({ kind: 'flag', direction: 'high', basis: 'interpretation' });
  });
  test('"*" sent as the code (no system, or an interpretation system) is a flag without direction, as the text "*" is; under a proprietary system the range decides', () => {
    expect(verdict({ valueQuantity: q(80), interpretation: [{ coding: [{ code: '*' }] }] })).toEqual({ kind: 'flag', direction: 'abnormal', basis: 'interpretation' });
    expect(verdict({ valueQuantity: q(80), interpretation: interp('**', 'http://terminology.hl7.org/CodeSystem/v2-0078') })).toMatchObject({ kind: 'flag', direction: 'abnormal' });
    expect(verdict({ valueQuantity: q(3), interpretation: interp('*', 'urn:oid:9.9.9.9'), referenceRange: range(0.3, 4) })).toEqual({ kind: 'normal' });
  });
  test('a coding with only a display is read as text', () => {
    expect(verdict({ valueQuantity: q(1), interpretation: [{ coding: [{ display: 'Forhøjet' }] }] })).toMatchObject({ kind: 'flag', direction: 'high' });
  });
});

describe('flagged results: values and ranges', () => {
  test('no interpretation: the lab\'s range decides', () => {
    expect(verdict({ valueQuantity: q(9), referenceRange: range(0.3, 4) })).toEqual({ kind: 'flag', direction: 'high', basis: 'reference-range' });
    expect(verdict({ valueQuantity: q(0.1), referenceRange: range(0.3, 4) })).toMatchObject({ direction: 'low' });
    expect(verdict({ valueQuantity: q(2), referenceRange: range(0.3, 4) })).toEqual({ kind: 'normal' });
    expect(verdict({ valueQuantity: q(4), referenceRange: range(0.3, 4) })).toEqual({ kind: 'normal' });
    // On either limit is inside the range.
    expect(verdict({ valueQuantity: q(0.3), referenceRange: range(0.3, 4) })).toEqual({ kind: 'normal' });
    expect(verdict({ valueString: '8,3', referenceRange: range(8.3, 10.5, 'mmol/L') }, 'haemoglobin')).toEqual({ kind: 'normal' });
  });
  test('valueString with a decimal comma: "5,9" against the lab\'s range 7,3–9,5 is low', () => {
    expect(verdict({ valueString: '5,9', referenceRange: range(7.3, 9.5, 'mmol/L') }, 'haemoglobin')).toMatchObject({ kind: 'flag', direction: 'low' });
  });
  test.each([
    ['<10', 'crp', range(undefined, 10, 'mg/L'), { kind: 'normal' }],
    ['>100', 'crp', range(undefined, 10, 'mg/L'), { kind: 'flag', direction: 'high' }],
    ['≥ 3', 'tsh', range(0.3, 2.5), { kind: 'flag', direction: 'high' }],
    ['< 0,1', 'tsh', range(0.3, 4), { kind: 'flag', direction: 'low' }],
  ])('valueString "%s" (%s) compared with the range', (text, group, rr, expected) => {
    expect(verdict({ valueString: text, referenceRange: rr }, group)).toMatchObject(expected);
  });
  test.each(['1.234', '1,234', '12,500', '1.234,5', '5,', '5.2e0', '1 234', '+1.500', '1.234 U/L'])('valueString "%s" is written as a number but cannot be read for certain: a value, shown as written, not assessed', (text) => {
    const r = result({ valueString: text, referenceRange: range(40, 280, 'U/L') }, 'ck');
    expect(r).toMatchObject({ hasValue: true, valueText: text });
    expect(r?.numeric).toBeUndefined();
    expect(verdict({ valueString: text, referenceRange: range(40, 280, 'U/L') }, 'ck')).toEqual({ kind: 'not-assessable', reason: 'not-numeric' });
  });
  const UNITLESS = [{ low: { value: 3.5 }, high: { value: 4.6 } }];
  test.each(['5-6', '5 - 6', '5,0 se kommentar', '5,0 mmol/L se kommentar', '5,0 +'])('valueString "%s": text after the number that is no unit (a range, a comment) — shown as written, not assessed, also against a range without a unit', (text) => {
    const r = result({ valueString: text, referenceRange: UNITLESS }, 'potassium');
    expect(r).toMatchObject({ hasValue: true, valueText: text });
    expect(r?.numeric).toBeUndefined();
    expect(verdict({ valueString: text, referenceRange: UNITLESS }, 'potassium')).toEqual({ kind: 'not-assessable', reason: 'not-numeric' });
  });
  test('a comparator in words before the number ("Over 100", "under 5", "mindre end 0,1") reads as its symbol; the same words elsewhere, or before no number, do not', () => {
    expect(result({ valueString: 'Over 100 mg/L' }, 'crp')?.numeric).toEqual({ value: 100, comparator: '>', unit: 'mg/L' });
    expect(verdict({ valueString: 'Over 100', referenceRange: range(undefined, 10, 'mg/L') }, 'crp')).toMatchObject({ kind: 'flag', direction: 'high' });
    expect(verdict({ valueString: 'under 5', referenceRange: range(undefined, 10, 'mg/L') }, 'crp')).toEqual({ kind: 'normal' });
    expect(verdict({ valueString: 'Mindre  end 0,1', referenceRange: range(0.3, 4) }, 'tsh')).toMatchObject({ kind: 'flag', direction: 'low' });
    expect(result({ valueString: 'greater than 2000' }, 'ck')?.numeric).toEqual({ value: 2000, comparator: '>' });
    for (const text of ['Overvejende normal', 'under kontrol', 'over']) {
      expect([text, result({ valueString: text }, 'ck')?.numeric]).toEqual([text, undefined]);
    }
    // A number after the word that cannot be read for certain is a value shown as written, as ">1.000" is: the test was taken.
    for (const text of ['Over 1.000', 'Over 100-200', 'under 5 se kommentar']) {
      expect([text, result({ valueString: text }, 'ck')]).toEqual([text, expect.objectContaining({ hasValue: true, valueText: text })]);
      expect(result({ valueString: text }, 'ck')?.numeric).toBeUndefined();
    }
  });
  test('the lab\'s flag written after the value in text ("300 H", "3,1 mmol/L L", "120 *") is read as its interpretation code, not as the unit', () => {
    expect(result({ valueString: '300 H' }, 'ck')).toMatchObject({ numeric: { value: 300 }, valueFlag: 'H' });
    expect(result({ valueString: '300 H' }, 'ck')?.numeric?.unit).toBeUndefined();
    expect(verdict({ valueString: '300 H' }, 'ck')).toEqual({ kind: 'flag', direction: 'high', basis: 'interpretation' });
    expect(result({ valueString: ' 3,1 mmol/L  L ' }, 'potassium')).toMatchObject({ numeric: { value: 3.1, unit: 'mmol/L' }, valueFlag: 'L' });
    expect(verdict({ valueString: '3,1 mmol/L L' }, 'potassium')).toMatchObject({ kind: 'flag', direction: 'low' });
    expect(verdict({ valueString: 'Over 100 HH' }, 'crp')).toMatchObject({ kind: 'flag', direction: 'high' });
    // In brackets, and a star glued to the number (no unit is a star).
    expect(result({ valueString: '45 (H)' }, 'ck')).toMatchObject({ numeric: { value: 45 }, valueFlag: 'H' });
    expect(result({ valueString: '120*' }, 'ck')).toMatchObject({ numeric: { value: 120 }, valueFlag: '*' });
    expect(result({ valueString: '120 U/L**' }, 'ck')?.valueFlag).toBeUndefined();
    // A flag without direction takes the lab's range's direction, as a coded one does.
    expect(verdict({ valueString: '120 *', referenceRange: range(0.3, 100) })).toEqual({ kind: 'flag', direction: 'high', basis: 'reference-range' });
    // The lab's own interpretation wins over the text's flag; "N" after the value is normal.
    expect(verdict({ valueString: '300 H', interpretation: interp('N') }, 'ck')).toEqual({ kind: 'normal' });
    expect(verdict({ valueString: '9 N', referenceRange: range(0.3, 4) })).toEqual({ kind: 'normal' });
  });
  test('text after the value that is no flag code in capitals stays what it was: a unit ("45 h", "45 Hb", "mmol / L"), or no number read ("H", "45 H 2")', () => {
    expect(result({ valueString: '45 h' }, 'ck')?.numeric).toEqual({ value: 45, unit: 'h' });
    expect(result({ valueString: '45 h' }, 'ck')?.valueFlag).toBeUndefined();
    expect(result({ valueString: '45 Hb' }, 'ck')?.numeric).toEqual({ value: 45, unit: 'Hb' });
    expect(result({ valueString: '2,31 mmol / L' }, 'potassium')?.numeric).toEqual({ value: 2.31, unit: 'mmol/L' });
    // A code glued to the number is not read as a flag ("5L" may be a unit).
    expect(result({ valueString: '45H' }, 'ck')?.valueFlag).toBeUndefined();
    expect(result({ valueString: 'H' }, 'ck')).toMatchObject({ hasValue: false });
    expect(result({ valueString: '45 H 2' }, 'ck')).toMatchObject({ hasValue: true, valueText: '45 H 2' });
    // A number that cannot be read for certain before the flag is shown as written, whole.
    expect(result({ valueString: '1.234 H' }, 'ck')).toMatchObject({ hasValue: true, valueText: '1.234 H' });
    expect(result({ valueString: '1.234 H' }, 'ck')?.numeric).toBeUndefined();
  });
  test('a full-width comparator or digits ("＞１００") and the minus sign U+2212 read as their ASCII forms', () => {
    expect(verdict({ valueString: '＞100', referenceRange: range(undefined, 10, 'mg/L') }, 'crp')).toMatchObject({ kind: 'flag', direction: 'high' });
    expect(result({ valueString: '＞１００ mg/L' }, 'crp')?.numeric).toEqual({ value: 100, comparator: '>', unit: 'mg/L' });
    expect(result({ valueString: '\u22121,5' }, 'ck')?.numeric).toEqual({ value: -1.5 });
    // A superscript power of ten in the unit stays one (NFKC would make "10⁹/L" "109/L").
    expect(result({ valueString: '１１,２ × 10⁹/L' }, 'ck')?.numeric).toEqual({ value: 11.2, unit: '×10⁹/L' });
    // Another sign is still no number.
    expect(result({ valueString: '=>2.6' }, 'ck')?.numeric).toBeUndefined();
  });
  test('a unit after the number, with spaces around its parts, is read and closed up ("x 10^9/L", "10^9 / L")', () => {
    for (const [text, unit] of [['8,9 x 10^9/L', 'x10^9/L'], ['2,31 mmol / L', 'mmol/L'], ['7,9 mIU/L', 'mIU/L'], ['45 %', '%']] as const) {
      expect([text, result({ valueString: text }, 'ck')?.numeric]).toEqual([text, expect.objectContaining({ unit })]);
    }
    expect(verdict({ valueString: '5,0 mmol/L', referenceRange: UNITLESS }, 'potassium')).toMatchObject({ kind: 'flag', direction: 'high' });
  });
  test.each(['1.234', '12.500', '1 234'])('valueQuantity.value "%s" (text) that cannot be read for certain: a value, shown as written with its unit, not assessed', (text) => {
    const r = result({ valueQuantity: { value: text, unit: 'U/L' }, referenceRange: range(40, 280, 'U/L') }, 'ck');
    expect(r).toMatchObject({ hasValue: true, valueText: `${text} U/L` });
    expect(verdict({ valueQuantity: { value: text, unit: 'U/L' }, referenceRange: range(40, 280, 'U/L') }, 'ck')).toEqual({ kind: 'not-assessable', reason: 'not-numeric' });
  });
  test('still read: a decimal comma or point with other than three decimals, a leading zero, a unit after a space', () => {
    for (const [text, value] of [['0.125', 0.125], ['0,085', 0.085], ['12,5', 12.5], ['12.5', 12.5], ['1234', 1234], ['5,2 mmol/L', 5.2], ['<1,5', 1.5]] as const) {
      expect(result({ valueString: text }, 'ck')?.numeric?.value).toBe(value);
    }
    // A lab comment is still no value.
    expect(result({ valueString: 'Hæmolyseret prøve' }, 'ck')).toMatchObject({ hasValue: false });
  });
  test('comparators: "<0.1" is below a low limit of 0.3; "<5" says nothing against 0.3–4; ">4" is above a high limit of 4', () => {
    expect(verdict({ valueQuantity: q(0.1, '<'), referenceRange: range(0.3, 4) })).toMatchObject({ direction: 'low' });
    expect(verdict({ valueQuantity: q(5, '<'), referenceRange: range(0.3, 4) })).toEqual({ kind: 'not-assessable', reason: 'comparator' });
    // At the limit: "<0.3" against a low limit of 0.3 is below it; "<=0.3" may be 0.3 itself.
    expect(verdict({ valueQuantity: q(0.3, '<'), referenceRange: range(0.3, 4) })).toMatchObject({ kind: 'flag', direction: 'low' });
    expect(verdict({ valueQuantity: q(0.3, '<='), referenceRange: range(0.3, 4) })).toEqual({ kind: 'not-assessable', reason: 'comparator' });
    // A low limit of 0 is no limit: "<5" within 0–8 is normal, as within a range with no low limit.
    expect(verdict({ valueQuantity: q(5, '<', 'mg/L'), referenceRange: range(0, 8, 'mg/L') }, 'crp')).toEqual({ kind: 'normal' });
    expect(verdict({ valueQuantity: q(5, '<', 'mg/L'), referenceRange: range(1, 8, 'mg/L') }, 'crp')).toEqual({ kind: 'not-assessable', reason: 'comparator' });
    expect(verdict({ valueQuantity: q(4, '>'), referenceRange: range(0.3, 4) })).toMatchObject({ direction: 'high' });
  });
  test('off-scale interpretation codes < and > are compared with the range, not flags by themselves', () => {
    expect(verdict({ valueQuantity: q(100, undefined, 'U/L'), interpretation: interp('>'), referenceRange: range(40, 280, 'U/L') }, 'ck')).toEqual({ kind: 'not-assessable', reason: 'comparator' });
    expect(verdict({ valueQuantity: q(300, undefined, 'U/L'), interpretation: interp('>'), referenceRange: range(40, 280, 'U/L') }, 'ck')).toMatchObject({ kind: 'flag', direction: 'high' });
    expect(verdict({ valueQuantity: q(1, undefined, 'mg/L'), interpretation: interp('<'), referenceRange: range(undefined, 8, 'mg/L') }, 'crp')).toEqual({ kind: 'normal' });
  });
  test('no range: ">" is high; "<" is low only where a low value means something (not CRP)', () => {
    expect(verdict({ valueString: '>1000' }, 'ck')).toEqual({ kind: 'flag', direction: 'high', basis: 'off-scale' });
    expect(verdict({ valueString: '<1' }, 'crp')).toEqual({ kind: 'normal' });
    expect(verdict({ valueString: '<0,01' }, 'tsh')).toEqual({ kind: 'flag', direction: 'low', basis: 'off-scale' });
    expect(verdict({ valueQuantity: q(2.5, '<', 'mmol/L') }, 'potassium')).toMatchObject({ direction: 'low' });
  });
  // docs/clinical-rules.md §3.2, rule 5: the ten groups where a low value means something.
  const LOW_MEANS_SOMETHING = ['haemoglobin', 'leukocytes', 'differential-count', 'platelets', 'albumin', 'sodium', 'potassium', 'calcium', 'tsh', 'vitamin-d'];
  test.each(panel.groups.map((g) => [g.id, LOW_MEANS_SOMETHING.includes(g.id) ? 'low' : 'normal'] as const))(
    'no range: "<0,001" for %s is %s (the panel file\'s offScaleLowIsLow, as §3.2 lists it)',
    (groupId, expected) => {
      const group = panel.groups.find((g) => g.id === groupId)!;
      const [system, code] = group.loinc[0] !== undefined ? ['http://loinc.org', group.loinc[0]] : ['urn:oid:1.2.208.176.2.1', group.npu[0]!];
      const r = result({ code: { coding: [{ system, code }] }, valueString: '<0,001' });
      expect(r.group.id).toBe(groupId);
      expect(assessResult(r, panel, {}, FIXED_NOW)).toEqual(expected === 'low' ? { kind: 'flag', direction: 'low', basis: 'off-scale' } : { kind: 'normal' });
    },
  );
  test('neither flag nor range → not assessable (never a range of our own)', () => {
    expect(verdict({ valueQuantity: q(99) })).toEqual({ kind: 'not-assessable', reason: 'no-flag-or-range' });
  });
  // A recommended/treatment range is a decision limit, not the lab's normal range (referencerange-meaning).
  test('the normal range decides when several types are given; a range of another type alone → not assessable', () => {
    const nmol = (low?: number, high?: number) => ({ ...(low !== undefined ? { low: { value: low, unit: 'nmol/L' } } : {}), ...(high !== undefined ? { high: { value: high, unit: 'nmol/L' } } : {}) });
    const meaning = (code: string) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/referencerange-meaning', code }] });
    const vitD = (referenceRange: unknown) => verdict({ valueQuantity: q(30, undefined, 'nmol/L'), referenceRange }, 'vitamin-d');
    expect(vitD([{ ...nmol(25), type: meaning('recommended'), text: 'Mangel < 25' }, { ...nmol(50, 160), type: meaning('normal') }])).toEqual({ kind: 'flag', direction: 'low', basis: 'reference-range' });
    expect(vitD([{ ...nmol(25), type: { text: 'Recommended' } }, nmol(50, 160)])).toMatchObject({ kind: 'flag', direction: 'low' });
    expect(vitD([{ ...nmol(25), type: meaning('treatment') }])).toEqual({ kind: 'not-assessable', reason: 'no-normal-range' });
    expect(vitD([{ ...nmol(20, 160), type: { coding: [{ display: 'Normal' }] } }])).toEqual({ kind: 'normal' });
  });
  test('limits sent as text are read like values ("7,3", "9.5"); a limit that is no number is none', () => {
    const hb = (low: unknown, high: unknown) => verdict({ valueQuantity: q(12, undefined, 'mmol/L'), referenceRange: [{ low: { value: low, unit: 'mmol/L' }, high: { value: high, unit: 'mmol/L' } }] }, 'haemoglobin');
    expect(hb('7,3', '9.5')).toEqual({ kind: 'flag', direction: 'high', basis: 'reference-range' });
    expect(hb('7,3', 'high')).toEqual({ kind: 'normal' });
    expect(hb('<7', '<9')).toEqual({ kind: 'not-assessable', reason: 'no-flag-or-range' });
  });
  test('a range given only as text → not assessable', () => {
    expect(verdict({ valueQuantity: q(99), referenceRange: [{ text: 'Beslutningsgrænse: se vejledning' }] })).toEqual({ kind: 'not-assessable', reason: 'range-text-only' });
  });
  test('units: case, ^, *, × and 10^9/10*9 are normalised; another unit → not assessable', () => {
    expect(normaliseUnit('nmol/l')).toBe(normaliseUnit('nmol/L'));
    expect(normaliseUnit('× 10^9/L')).toBe(normaliseUnit('10*9/L'));
    expect(normaliseUnit('x10^9/l')).toBe(normaliseUnit('10*9/L'));
    expect(normaliseUnit('×10⁹/L')).toBe(normaliseUnit('10*9/L'));
    expect(normaliseUnit('10¹²/L')).toBe(normaliseUnit('10^12/L'));
    expect(normaliseUnit('10⁹/L')).not.toBe(normaliseUnit('10^12/L'));
    expect(verdict({ valueQuantity: { value: 21, unit: 'nmol/l' }, referenceRange: range(50, 160, 'nmol/L') }, 'vitamin-d')).toMatchObject({ direction: 'low' });
    expect(verdict({ valueQuantity: { value: 9, unit: 'mU/L' }, referenceRange: range(0.3, 4) })).toEqual({ kind: 'not-assessable', reason: 'unit-mismatch' });
  });
  test('units: the micro sign µ and the Greek μ are u (docs §3.2 step 4): "µmol/L" is "umol/L", not "mmol/L"', () => {
    expect(normaliseUnit('µmol/L')).toBe(normaliseUnit('umol/L'));
    expect(normaliseUnit('μmol/l')).toBe(normaliseUnit('umol/L'));
    expect(normaliseUnit('µmol/L')).not.toBe(normaliseUnit('mmol/L'));
    const ckIn = (unit: string) => verdict({ valueQuantity: { value: 130, unit }, referenceRange: range(45, 90, 'umol/L') }, 'ck');
    expect(ckIn('µmol/L')).toEqual({ kind: 'flag', direction: 'high', basis: 'reference-range' });
    expect(ckIn('μmol/L')).toEqual({ kind: 'flag', direction: 'high', basis: 'reference-range' });
    expect(ckIn('mmol/L')).toEqual({ kind: 'not-assessable', reason: 'unit-mismatch' });
  });
  test('a range without unit takes the value\'s unit', () => {
    expect(verdict({ valueQuantity: q(9), referenceRange: [{ low: { value: 0.3 }, high: { value: 4 } }] })).toMatchObject({ direction: 'high' });
  });
  test('the range whose appliesTo fits the patient wins, else the one without appliesTo', () => {
    const ranges = [
      { low: { value: 8.3, unit: 'mmol/L' }, high: { value: 10.5, unit: 'mmol/L' }, appliesTo: [{ coding: [{ system: 'http://snomed.info/sct', code: '248153007' }] }] },
      { low: { value: 7.3, unit: 'mmol/L' }, high: { value: 9.5, unit: 'mmol/L' }, appliesTo: [{ coding: [{ system: 'http://snomed.info/sct', code: '248152002' }] }] },
      { low: { value: 7.0, unit: 'mmol/L' }, high: { value: 10.5, unit: 'mmol/L' } },
    ];
    const hb = { valueQuantity: q(8.0, undefined, 'mmol/L'), referenceRange: ranges };
    expect(verdict(hb, 'haemoglobin', { sex: 'male' })).toMatchObject({ kind: 'flag', direction: 'low' });
    expect(verdict(hb, 'haemoglobin', { sex: 'female' })).toEqual({ kind: 'normal' });
    expect(verdict(hb, 'haemoglobin', {})).toEqual({ kind: 'normal' });
    // The sex in Danish words, any case (terminology/interpretation-words.json rangeSex); a word it does not list fits no one.
    const danish = [
      { low: { value: 8.3 }, high: { value: 10.5 }, appliesTo: [{ text: 'Mænd' }] },
      { low: { value: 7.3 }, high: { value: 9.5 }, appliesTo: [{ text: 'KVINDER' }] },
      { low: { value: 7.0 }, high: { value: 10.5 }, appliesTo: [{ text: 'gravide' }] },
    ];
    expect(verdict({ valueQuantity: q(8.0), referenceRange: danish }, 'haemoglobin', { sex: 'male' })).toMatchObject({ kind: 'flag', direction: 'low' });
    expect(verdict({ valueQuantity: q(8.0), referenceRange: danish }, 'haemoglobin', { sex: 'female' })).toEqual({ kind: 'normal' });
  });
  test('of several ranges without appliesTo/age, the first counts (docs §3.2 step 4), not a later one', () => {
    const twoGeneral = [...range(0.3, 4), ...range(0.5, 3)];
    expect(verdict({ valueQuantity: q(3.5), referenceRange: twoGeneral })).toEqual({ kind: 'normal' });
    expect(verdict({ valueQuantity: q(3.5), referenceRange: [...range(0.5, 3), ...range(0.3, 4)] })).toEqual({ kind: 'flag', direction: 'high', basis: 'reference-range' });
    // A range that fits the patient still comes before the first general one, wherever it stands.
    const fitting = { low: { value: 0.5 }, high: { value: 3 }, appliesTo: [{ text: 'Kvinder' }] };
    expect(verdict({ valueQuantity: q(3.5), referenceRange: [...twoGeneral, fitting] }, 'tsh', { sex: 'female' })).toMatchObject({ kind: 'flag', direction: 'high' });
  });
  test('a range by age fits only when the birth date is known', () => {
    const ranges = [{ low: { value: 1 }, high: { value: 3 }, age: { low: { value: 18, unit: 'a' } } }];
    expect(verdict({ valueQuantity: q(9), referenceRange: ranges }, 'tsh', { birthDate: Date.UTC(1980, 0, 1) })).toMatchObject({ direction: 'high' });
    expect(verdict({ valueQuantity: q(9), referenceRange: ranges }, 'tsh', {})).toEqual({ kind: 'not-assessable', reason: 'no-flag-or-range' });
  });
  test('an age with no bound that can be read does not fit, even with the birth date known (docs §3.2 step 4: an unknown age does not fit): the general range decides', () => {
    const birthDate = Date.UTC(1980, 0, 1);
    const withAge = (age: unknown) => [{ low: { value: 1 }, high: { value: 3 }, age }, ...range(0.3, 4)];
    for (const age of [{}, { low: { value: 18, unit: 'lysår' } }, { low: { value: 'atten', unit: 'a' } }]) {
      expect([age, verdict({ valueQuantity: q(3.5), referenceRange: withAge(age) }, 'tsh', { birthDate })]).toEqual([age, { kind: 'normal' }]);
    }
    // The control: a bound that can be read fits, and its range decides.
    expect(verdict({ valueQuantity: q(3.5), referenceRange: withAge({ low: { value: 18, unit: 'a' } }) }, 'tsh', { birthDate })).toMatchObject({ kind: 'flag', direction: 'high' });
  });
  test('a fractional number of years is counted in months: "0.5 a" is up to 6 months, so at 4 months the range fits and at 7 months it does not', () => {
    const halfYear = [{ low: { value: 1 }, high: { value: 3 }, age: { high: { value: 0.5, unit: 'a' } } }];
    const tsh = (birth: string) => verdict({ valueQuantity: q(9), referenceRange: halfYear }, 'tsh', { birthDate: Date.parse(birth) });
    // FIXED_NOW is 2026-11-25.
    expect(tsh('2026-07-20')).toMatchObject({ kind: 'flag', direction: 'high' });
    expect(tsh('2026-04-20')).toEqual({ kind: 'not-assessable', reason: 'no-flag-or-range' });
  });
  test('age ranges count completed years (or months, …): at 50½ the range for "18–50 a" fits, not none; at 51 the one for "51–120 a"', () => {
    const ranges = [
      { low: { value: 45 }, high: { value: 90 }, age: { low: { value: 18, unit: 'a' }, high: { value: 50, unit: 'a' } } },
      { low: { value: 50 }, high: { value: 100 }, age: { low: { value: 51, unit: 'a' }, high: { value: 120, unit: 'a' } } },
    ];
    const creatinine = (birth: string) => verdict({ valueQuantity: q(95), referenceRange: ranges }, 'ck', { birthDate: Date.parse(birth) });
    // FIXED_NOW is 2026-11-25: born 1976-05-25 is 50½, born 1975-11-25 is 51 today.
    expect(creatinine('1976-05-25')).toMatchObject({ kind: 'flag', direction: 'high' });
    expect(creatinine('1975-11-25')).toEqual({ kind: 'normal' });
    // By the calendar, not 365.25-day years: on the 51st birthday (13 leap days since birth, not 12.75) "51–120 a" fits.
    const onBirthday = assessResult(result({ valueQuantity: q(95), referenceRange: ranges }, 'ck'), panel, { birthDate: Date.parse('2001-01-01') }, Date.parse('2052-01-01T10:00:00Z'));
    expect(onBirthday).toEqual({ kind: 'normal' });
    const months = [{ low: { value: 1 }, high: { value: 3 }, age: { high: { value: 6, unit: 'mo' } } }];
    const tsh = (birth: string) => verdict({ valueQuantity: q(9), referenceRange: months }, 'tsh', { birthDate: Date.parse(birth) });
    expect(tsh('2026-05-10')).toMatchObject({ direction: 'high' }); // 6½ months: still "up to 6 months"
    expect(tsh('2026-04-20')).toEqual({ kind: 'not-assessable', reason: 'no-flag-or-range' }); // 7 months
    // The unit in Danish words, as the course length and the onset age read it (one table): "6 måneder".
    const danish = [{ low: { value: 1 }, high: { value: 3 }, age: { high: { value: 6, unit: 'måneder' } } }];
    expect(verdict({ valueQuantity: q(9), referenceRange: danish }, 'tsh', { birthDate: Date.parse('2026-05-10') })).toMatchObject({ direction: 'high' });
  });
  test('patientFacts reads gender and birthDate leniently', () => {
    // A partial birth date: its last instant (the end of 31 May 1970 in Denmark), as for the age limit.
    expect(patientFacts({ resourceType: 'Patient', gender: 'female', birthDate: '1970-05' })).toEqual({ sex: 'female', birthDate: Date.UTC(1970, 4, 31, 23) - 1 });
    expect(patientFacts(null)).toEqual({});
    expect(patientFacts({ gender: 'unknown', birthDate: 5 })).toEqual({});
  });
});

describe('flagged results over done groups', () => {
  test('groups not done are not assessed; answered is false until feedback is stored', () => {
    const tsh = panel.groups.find((g) => g.id === 'tsh')!;
    expect(assessFlaggedResults([{ group: tsh, status: 'missing', results: [] }], panel, {}, FIXED_NOW)).toEqual({ flagged: [], notAssessable: [] });
    const groups: GroupAssessment[] = [{ group: tsh, status: 'done', results: [result({ valueQuantity: q(9), interpretation: interp('H') })] }];
    expect(assessFlaggedResults(groups, panel, {}, FIXED_NOW).flagged[0]).toMatchObject({ groupId: 'tsh', analyteId: 'tsh', answered: false });
  });
});

describe('property: odd shapes never throw (docs/clinical-rules.md §7)', () => {
  const odd = fc.oneof(
    fc.constant(null),
    fc.string(),
    fc.double(),
    fc.boolean(),
    fc.constant({}),
    fc.constant([]),
    fc.array(fc.oneof(fc.constant(null), fc.string(), fc.constant({ coding: 'H' }), fc.constant({ text: 5 }))),
    fc.dictionary(fc.constantFrom('value', 'unit', 'code', 'coding', 'text', 'low', 'high', 'appliesTo', 'age', 'comparator'), fc.oneof(fc.string(), fc.double(), fc.constant(null), fc.constant([]))),
  );
  const fields = ['status', 'code', 'valueQuantity', 'valueString', 'valueInteger', 'valueCodeableConcept', 'interpretation', 'referenceRange', 'component', 'effectiveDateTime', 'effectivePeriod', 'issued', 'id'];
  test('an Observation with any field replaced by a wrong type, string, single object or null', () => {
    const tsh = panel.groups.find((g) => g.id === 'tsh')!;
    fc.assert(
      fc.property(fc.constantFrom(...fields), odd, fc.constantFrom<PatientFacts>({}, { sex: 'female', birthDate: 0 }), (field, value, patient) => {
        const base: Record<string, unknown> = {
          resourceType: 'Observation',
          id: 'o',
          status: 'final',
          effectiveDateTime: '2026-08-05',
          code: { coding: [{ system: 'http://loinc.org', code: '3016-3' }] },
          valueQuantity: { value: 5, unit: 'mIU/L' },
          interpretation: [{ coding: [{ code: 'H' }] }],
          referenceRange: [{ low: { value: 0.3 }, high: { value: 4 } }],
          component: [{ code: { coding: [{ system: 'http://loinc.org', code: '751-8' }] }, valueString: '<1' }],
        };
        base[field] = value;
        const results = readLabResult(base, panel);
        assessFlaggedResults([{ group: tsh, status: 'done', results }], panel, patient, FIXED_NOW);
      }),
      { numRuns: 400 },
    );
  });
});
