import { codingsOf, isReadableConcept, readConcept } from '../../src/model/codeableConcept.js';

const SCT = 'http://snomed.info/sct';

describe('codingsOf: the one lenient coding list', () => {
  test.each([
    ['an array', { coding: [{ system: SCT, code: '1' }] }, 1],
    ['one object (STU3/DSTU2)', { coding: { system: SCT, code: '1' } }, 1],
    ['items that are not objects dropped', { coding: [null, 'x', 3, [], { code: '1' }] }, 1],
    ['a string', { coding: 'x' }, 0],
    ['null', { coding: null }, 0],
    ['no coding', { text: 'x' }, 0],
  ])('%s', (_name, concept, n) => {
    expect(codingsOf(concept)).toHaveLength(n);
  });
  test.each([null, undefined, 'code', 7, [{ coding: [{ code: '1' }] }]])('a concept that is not an object (%p) has none', (v) => {
    expect(codingsOf(v)).toEqual([]);
  });
});

describe('readConcept', () => {
  test('keeps string fields only; drops a coding with none of system/code/display; no empty coding array', () => {
    expect(readConcept({ coding: [{ system: SCT, code: 7, display: '' }, { foo: 1 }], text: 'fibromyalgia' })).toEqual({
      coding: [{ system: SCT }],
      text: 'fibromyalgia',
    });
    expect(readConcept({ coding: { code: 'M79.7' } })).toEqual({ coding: [{ code: 'M79.7' }] });
    expect(readConcept({ coding: [{}], text: 'x' })).toEqual({ text: 'x' });
  });
  test('nothing readable → null', () => {
    expect(readConcept({ coding: [{}] })).toBeNull();
    expect(readConcept('fibromyalgia')).toBeNull();
    expect(readConcept(null)).toBeNull();
  });
  test('complete: only codings with system and code (what goes out in a suggested resource)', () => {
    expect(readConcept({ coding: [{ code: '1' }, { system: SCT, code: '2', display: 'd' }] }, { complete: true })).toEqual({ coding: [{ system: SCT, code: '2', display: 'd' }] });
    expect(readConcept({ coding: [{ code: '1' }] }, { complete: true })).toBeNull();
  });
});

describe('isReadableConcept: unreadable, not merely irrelevant', () => {
  test('a coding object (a list, or one object) or a text is readable, whatever its code', () => {
    for (const v of [{ coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, { coding: { code: 'x' } }, { text: 'Ondt i ryggen' }]) expect(isReadableConcept(v)).toBe(true);
  });
  test('a string, a number, a list, an empty object, or codings that are not objects are not', () => {
    for (const v of ['M79.7', 7, [{ coding: [{ code: 'x' }] }], {}, { coding: 'NPU03577' }, { coding: ['3016-3'] }, { text: ' ' }, null, undefined]) expect(isReadableConcept(v)).toBe(false);
  });
});
