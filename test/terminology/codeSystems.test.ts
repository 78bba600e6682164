import { CodeSystems, loadCodeSystems } from '../../src/terminology/codeSystems.js';

const systems = loadCodeSystems();

describe('terminology/code-systems.json: one table of system URIs', () => {
  test.each([
    ['http://loinc.org', 'loinc'],
    ['http://loinc.org/', 'loinc'],
    ['https://loinc.org', 'loinc'],
    [' HTTP://LOINC.ORG ', 'loinc'],
    ['http://snomed.info/sct/', 'snomed'],
    ['https://www.whocc.no/atc', 'atc'],
    ['URN:OID:1.2.208.176.2.1', 'npu'],
    ['http://terminology.hl7.org/codesystem/v3-observationinterpretation', 'v3-interpretation'],
    ['http://id.who.int/icd/release/11/2025-01/mms', 'icd11'],
    ['https://id.who.int/icd/release/11/2024-01/mms/', 'icd11'],
  ])('%s is %s (case, a trailing slash and https do not tell systems apart)', (uri, name) => {
    expect(systems.nameOf(uri)).toBe(name);
    expect(systems.nameOf(uri)).toBe(name); // remembered the second time
  });
  test.each(['http://id.who.int/icd/release/11/2025-01/mms/extra', 'http://id.who.int/icd/release/10/2019/mms', 'http://loinc.org/x', 'urn:oid:1.2.208.176.2', 'http://example.org/lab', '', 42, null])('%j is no system the service reads', (uri) => {
    expect(systems.nameOf(uri)).toBeUndefined();
  });
  test('urisOf gives the URIs as listed (FHIR searches send them as they are)', () => {
    expect(systems.urisOf('v3-interpretation')).toContain('http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation');
    expect(systems.uriOf('loinc')).toBe('http://loinc.org');
  });
  test('a URI listed for two systems, even spelled differently, stops the start', () => {
    const table: Record<string, string[]> = Object.fromEntries(['loinc', 'snomed', 'rxnorm', 'atc', 'npu', 'icd10', 'sks', 'icd11', 'icpc2', 'v3-interpretation', 'v2-0078'].map((n) => [n, [`urn:x:${n}`]]));
    table.snomed = ['urn:x:snomed', 'HTTP://loinc.org/'];
    table.loinc = ['http://loinc.org'];
    expect(() => new CodeSystems(table)).toThrow(/listed for loinc and snomed/);
  });
});
