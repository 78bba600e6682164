import fc from 'fast-check';
import { anotherPatientTest, contextPatientId } from '../../src/data/patientReference.js';

describe('anotherPatientTest: only a reference that clearly names another patient counts', () => {
  const isOther = anotherPatientTest('p1');
  const withRef = (field: 'subject' | 'patient', reference: unknown) => ({ resourceType: 'Condition', id: 'c', [field]: { reference } });

  test.each([
    ['relative', 'Patient/p2'],
    ['absolute', 'https://ehr.example.dk/fhir/Patient/p2'],
    ['with a version', 'Patient/p2/_history/4'],
    ['with spaces around it', ' Patient/p2 '],
    ['with a trailing slash', 'Patient/p2/'],
    ['"patient" in lower case', 'patient/p2'],
    ['with a query after the id', 'Patient/p2?x=1'],
  ])('another patient, %s, in subject or (DSTU2) patient', (_name, reference) => {
    expect(isOther(withRef('subject', reference))).toBe(true);
    expect(isOther(withRef('patient', reference))).toBe(true);
  });

  test.each([
    ['the patient, relative', 'Patient/p1'],
    ['the patient, absolute and versioned', 'http://x/fhir/Patient/p1/_history/2'],
    ['the patient, with a trailing slash or in lower case', 'patient/p1/'],
    ['a urn:uuid', 'urn:uuid:7c4f7f3e-9d51-4c8e-9c55-0d1b2f8e4a11'],
    ['a contained resource', '#pat'],
    ['a bare id', 'p2'],
    ['a Group', 'Group/g1'],
    ['a conditional reference', 'Patient?identifier=0101011234'],
    ['not a string', 42],
  ])('kept: %s', (_name, reference) => {
    expect(isOther(withRef('subject', reference))).toBe(false);
  });

  test('kept: no reference at all, an identifier-only reference, a subject that is not an object, not a resource', () => {
    expect(isOther({ resourceType: 'Observation', id: 'o' })).toBe(false);
    expect(isOther({ resourceType: 'Observation', subject: { identifier: { value: '0101011234' } } })).toBe(false);
    expect(isOther({ resourceType: 'Observation', subject: 'Patient/p2' })).toBe(false);
    expect(isOther(null)).toBe(false);
  });

  test("a Patient is another patient's when its own id is another; without an id it is kept", () => {
    expect(isOther({ resourceType: 'Patient', id: 'p2' })).toBe(true);
    expect(isOther({ resourceType: 'Patient', id: 'p1' })).toBe(false);
    expect(isOther({ resourceType: 'Patient' })).toBe(false);
  });
});

describe('contextPatientId', () => {
  test('an id as sent, or the id of a Patient reference; nothing for a blank or a non-string', () => {
    expect(contextPatientId('p1')).toBe('p1');
    expect(contextPatientId('Patient/p1')).toBe('p1');
    expect(contextPatientId(' ')).toBeUndefined();
    expect(contextPatientId(7)).toBeUndefined();
  });
});

describe('the reading of a Patient reference', () => {
  // The regular expression it was read with until it was found quadratic in a long reference (1 MB: minutes);
  // the reading by each slash must find the same id in every text, not only in the cases above.
  const BEFORE = /(?:^|\/)[Pp][Aa][Tt][Ii][Ee][Nn][Tt]\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/?#]+)?\/?(?:[?#].*)?$/;
  const part = fc.constantFrom('/', 'Patient', 'patient', 'PATIENT/', 'Patient/', 'p1', 'p2', 'a.b-c', '_history', '/_history/', '?', '#', '\n', '\r', '\u2028', ' ', 'x', 'http://h/fhir/', '.', '5', '-', 'a'.repeat(64));

  test('finds what the regular expression found, in texts made of the pieces a reference is made of', () => {
    fc.assert(
      fc.property(fc.array(part, { maxLength: 14 }), (parts) => {
        const text = parts.join('');
        const expected = text.trim() === '' ? undefined : (BEFORE.exec(text.trim())?.[1] ?? text.trim());
        expect(contextPatientId(text)).toBe(expected);
      }),
      { numRuns: 5000 },
    );
  });
});
